"""End-to-end at 375 px, in Chinese: a complainant complains online from a phone (with a
photo), follows the complaint through the private link, accepts the proposed solution and
answers the call-back questionnaire — the pages fit the screen without sideways scrolling."""

import io

import pytest
from PIL import Image

from complaints.choices import CallbackMethod, Channel, CloseReason, EventKind, Status
from complaints.models import Complaint
from tests.complainants.conftest import _fresh_limits  # noqa: F401  (rate-limit counters reset per test)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTH = 375


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_a_complainant_complains_follows_answers_and_is_called_back_online(
    live_server, browser_page, office, make_user, tmp_path
):
    agent = make_user("agent", username="e2e-agent")
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": 800})
    photo = tmp_path / "漏水.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (90, 140, 200)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())

    # the online form of the office, in Chinese by default
    page.goto(f"{live_server.url}/c/o/{office.code}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("heading", name="我要投诉").is_visible()
    fits(page)
    for selector in ["#id_subject", "#id_description", "#id_incident_place", "#complaint-form button[type=submit]"]:
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (selector, box)

    page.fill("#id_complainant_name", "王小明")
    page.fill("#id_contact_phone", "139 1234 5678")
    page.fill("#id_incident_place", "3号楼1202室")
    page.select_option("#id_category", index=1)
    page.fill("#id_subject", "卫生间天花板漏水")
    page.fill("#id_description", "楼上漏水三天了，天花板发霉。")
    page.set_input_files("#id_photos", str(photo))
    # sending without the personal-information notice accepted is refused, with the reason
    page.click("#complaint-form button[type=submit]")
    assert page.locator("#field-consent .error").is_visible()
    assert not Complaint.objects.exists()
    page.set_input_files("#id_photos", str(photo))
    page.check("#id_consent")
    page.click("#complaint-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/c/t/*/")
    progress_url = page.url

    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.ONLINE and complaint.received_by is None
    assert complaint.attachments.count() == 1
    assert page.locator("#status").inner_text() == "已受理：等待工作人员跟进"
    assert page.get_by_text(complaint.reference).first.is_visible()
    fits(page)
    page.screenshot(path="/tmp/e2e-shots/progress-received.png", full_page=True)

    # staff: an agent claims it and proposes a solution
    complaint.claim(actor=agent)
    complaint.propose_solution(actor=agent, solution="明天上午九点派维修工更换楼上的水管。")

    page.goto(progress_url)
    assert page.get_by_text("明天上午九点派维修工更换楼上的水管。").first.is_visible()
    fits(page)
    page.check("input[name=answer][value=accept]")
    page.click("#answer button[type=submit]")
    page.wait_for_url(progress_url)
    assert page.locator("#status").inner_text() == "正在落实双方同意的解决方案"
    complaint.refresh_from_db()
    assert complaint.status == Status.HANDLING

    # staff: handled; the complainant answers the questionnaire
    complaint.mark_handled(actor=agent, note="水管已更换。")
    page.goto(progress_url)
    page.click("#callback a.button")
    page.wait_for_url(f"{progress_url}callback/")
    fits(page)
    page.fill("#id_about_result", "不漏了")
    page.check("input[name=satisfied][value=yes]")
    page.check("input[name=rating][value='5']")
    page.fill("#id_suggestions", "希望下次快一点")
    page.screenshot(path="/tmp/e2e-shots/questionnaire.png", full_page=True)
    page.click("#questionnaire-form button[type=submit]")
    page.wait_for_url(progress_url)
    assert page.locator("#status").inner_text() == "已关闭"
    page.screenshot(path="/tmp/e2e-shots/progress-closed.png", full_page=True)

    complaint.refresh_from_db()
    assert complaint.close_reason == CloseReason.CALLBACK_SATISFIED
    callback = complaint.events.get(kind=EventKind.CALLBACK_RECORDED)
    assert callback.data["method"] == CallbackMethod.QUESTIONNAIRE and callback.data["rating"] == 5
    assert callback.actor is None

    # the questionnaire link now says the call-back is recorded
    page.goto(f"{progress_url}callback/")
    assert page.locator("#already").is_visible()

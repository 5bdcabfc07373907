"""End-to-end at 375 px (a phone): the timeline's thumbnails and file chips fit the screen,
the thumbnails load through the permission-checked view, and a wrong photo is withdrawn
with a reason (no script involved: a plain form)."""

import pytest

from complaints.attachments import ComplaintAttachment, store_attachments
from tests.complaints.test_attachments import jpeg_with_gps, pdf
from tests.e2e.conftest import browser_page  # noqa: F401  (the shared Chromium fixture)
from tests.factories import PASSWORD, ComplaintFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.HELPDESK_PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def test_attachments_on_a_phone(live_server, browser_page, make_user):  # noqa: F811
    agent = make_user("agent", username="e2e-attachments")
    complaint = ComplaintFactory(office=agent.office, received_by=agent)
    complaint.add_note(actor=agent, note="现场照片")
    event = complaint.events.latest("id")
    long_name = "维修报告" * 12 + ".pdf"
    photos = store_attachments(
        event,
        [jpeg_with_gps("a.jpg", size=(800, 600)), jpeg_with_gps("b.jpg"), jpeg_with_gps("c.jpg"), pdf(long_name)],
        by=agent,
    )
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/complaints/")
    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    thumbs = page.locator(".timeline .attachment-thumb img")  # the case file shows them again
    assert thumbs.count() == 3
    for i in range(3):
        thumbs.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbs.nth(i).element_handle())
        box = thumbs.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    chip = page.locator(".timeline .attachment-chip", has_text="维修报告").bounding_box()
    assert chip is not None and chip["x"] + chip["width"] <= 375

    first = page.locator(".timeline .attachment").first
    first.locator("summary").click()
    first.locator("input[name=reason]").fill("拍错了房间")
    first.locator("button[type=submit]", has_text="Withdraw").click()
    page.wait_for_url(f"{live_server.url}/complaints/{complaint.pk}/")
    assert page.locator(".timeline .attachment.withdrawn del", has_text="a.jpg").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert ComplaintAttachment.objects.get(pk=photos[0].pk).withdrawn_by_event.note == "拍错了房间"

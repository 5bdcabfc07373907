"""End-to-end at 375 px (a phone): the staff member on a field visit logs the complaint on
site (a Chinese complaint), resolved on the spot; the form fits the screen without sideways
scrolling."""

import pytest

from complaints.choices import Channel, CloseReason, EventKind
from complaints.models import Complaint
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_field_visit_is_logged_from_a_phone(live_server, browser_page, make_user):
    agent = make_user("agent", username="e2e-field")
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 740})

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/complaints/")
    page.goto(f"{live_server.url}/complaints/new/field-visit/")

    # the page fits a 375 px screen: nothing wider than the viewport
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for selector in ["#id_subject", "#id_description", "#id_incident_place", "form.intake button[type=submit]"]:
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, (selector, box)

    page.fill("#id_complainant_name", "王芳")
    page.fill("#id_contact_phone", "139 1234 5678")
    page.fill("#id_incident_place", "5 號樓 1203 室")
    page.fill("#id_subject", "廚房水管漏水")
    page.select_option("#id_category", index=1)
    page.fill("#id_description", "業主報告廚房水管漏水，已到現場查看。")
    page.check("input[name=outcome][value=on_the_spot]")
    page.fill("#id_resolution", "已更換水管接頭，漏水停止。")
    page.fill("#id_signoff_name", "王芳")
    page.check("#id_satisfied")
    page.click("form.intake button[type=submit]")
    page.wait_for_url(f"{live_server.url}/complaints/*/")
    assert page.get_by_text("廚房水管漏水").first.is_visible()

    complaint = Complaint.objects.get(subject="廚房水管漏水")
    assert complaint.channel == Channel.FIELD_VISIT
    assert complaint.close_reason == CloseReason.ON_THE_SPOT
    assert complaint.contact_phone == "13912345678"
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds == [EventKind.RECEIVED, EventKind.RESOLVED_ON_THE_SPOT]

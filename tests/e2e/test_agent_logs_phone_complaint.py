"""End-to-end: a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
logs in as an agent, logs a phone complaint and sees it in the list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.choices import Channel, EventKind, Status
from complaints.models import Complaint
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_agent_logs_a_phone_complaint_and_sees_it_in_the_list(live_server, browser_page, make_user):
    # Given an agent of an office
    agent = make_user("agent", username="e2e-agent")
    page = browser_page

    # When they log in
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # Then they land on the complaint list, which links to both intake forms
    page.wait_for_url(f"{live_server.url}/complaints/")
    assert page.locator("a[href='/complaints/new/walk-in/']").count() >= 1
    page.click("a.button[href='/complaints/new/phone/']")
    page.wait_for_url(f"{live_server.url}/complaints/new/phone/")
    # The phone form shows the call scripts beside the fields (R-F1)
    assert page.get_by_text("Thank you for your call.").is_visible()

    # When they log a phone complaint with an agreed reply time
    page.fill("#id_complainant_name", "Mr Huang")
    page.fill("#id_contact_phone", "139 1234 5678")
    page.fill("#id_incident_place", "Building 3, lift B")
    page.fill("#id_subject", "Lift B stuck on the 7th floor")
    page.select_option("#id_category", label="Repairs")
    page.fill("#id_description", "The lift stopped with nobody inside; residents must use the stairs.")
    page.check("input[name=outcome][value=reply_time]")
    due = timezone.localtime() + timedelta(hours=4)
    page.fill("#id_reply_due_at", due.strftime("%Y-%m-%dT%H:%M"))
    page.click("button:has-text('Log complaint')")

    # Then the complaint page opens, and the list shows it
    page.wait_for_url(f"{live_server.url}/complaints/*/")
    assert page.get_by_text("Lift B stuck on the 7th floor").first.is_visible()
    page.click("nav.mainnav a[href='/complaints/']")
    page.wait_for_url(f"{live_server.url}/complaints/")
    row = page.locator("table.list tbody tr", has_text="Lift B stuck on the 7th floor")
    assert row.count() == 1
    assert "Phone" in row.inner_text()

    complaint = Complaint.objects.get(subject="Lift B stuck on the 7th floor")
    assert complaint.channel == Channel.PHONE
    assert complaint.status == Status.IN_PROGRESS
    assert complaint.received_by == agent
    assert list(complaint.events.values_list("kind", flat=True)) == [EventKind.RECEIVED, EventKind.REPLY_TIME_AGREED]

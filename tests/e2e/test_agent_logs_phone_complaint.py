"""End-to-end: a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
logs in as an agent, logs a phone complaint and sees it in the list."""
import os
import shutil
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.choices import Channel, EventKind, Status
from complaints.models import Complaint
from tests.factories import PASSWORD

CHROMIUM = os.environ.get("HELPDESK_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("HELPDESK_E2E_REQUIRED") == "1"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def browser_page(tmp_path):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if REQUIRED:
            pytest.fail(f"Chromium not found at {CHROMIUM} but HELPDESK_E2E_REQUIRED=1")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself (not by the server) are synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync",
                      "--disable-dev-shm-usage"])
            context = browser.new_context(locale="en-US", timezone_id="Asia/Shanghai")
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
            artifacts = os.environ.get("HELPDESK_E2E_ARTIFACTS")
            if artifacts:
                os.makedirs(artifacts, exist_ok=True)
                page.screenshot(path=os.path.join(artifacts, "complaint-list.png"), full_page=True)
            context.close()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


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

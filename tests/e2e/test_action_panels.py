"""End-to-end: on the complaint page an action's panel fetches its form when it opens
(static/js/action-panels.js): the agent opens "Add note", writes and saves it, and opens
"Resolve on the spot", whose signature pad is ready to sign."""

import pytest

from complaints.choices import Status
from tests.complaint_paths import complaint_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def logged_in(page, live_server, user):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/complaints/")
    return page


def test_an_agent_opens_a_panel_and_takes_its_action(live_server, browser_page, make_user):
    agent = make_user("agent", username="e2e-panels")
    complaint = complaint_in(Status.IN_PROGRESS, agent)
    page = logged_in(browser_page, live_server, agent)

    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    # folded, the panels hold no form yet
    assert page.locator("#action-add_note form").count() == 0
    page.click("#action-add_note summary")
    note = page.locator("#action-add_note textarea[name='add_note-note']")
    note.wait_for(state="visible")
    assert page.locator("#action-add_note .panel-open").count() == 0  # the link gave way to the form
    note.fill("Called the lift company; an engineer comes at 14:00.")
    page.click("#action-add_note button[type=submit]")
    page.wait_for_url(f"{live_server.url}/complaints/{complaint.pk}/")
    assert page.get_by_text("Called the lift company; an engineer comes at 14:00.").is_visible()
    assert complaint.events.filter(note="Called the lift company; an engineer comes at 14:00.").exists()

    # a panel with a signature pad: the pad is set up once its form arrives
    page.click("#action-resolve_on_the_spot summary")
    page.locator("#action-resolve_on_the_spot [data-signature-pad][data-signature-ready]").wait_for(state="visible")


def test_without_javascript_a_panel_links_to_the_actions_own_page(live_server, browser_page, make_user):
    agent = make_user("agent", username="e2e-nojs")
    complaint = complaint_in(Status.IN_PROGRESS, agent)
    page = logged_in(browser_page, live_server, agent)
    page.route("**/action-panels.js", lambda route: route.abort())  # as if scripts were off

    page.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    page.click("#action-add_note summary")
    page.click("#action-add_note .panel-open a")
    page.wait_for_url(f"{live_server.url}/complaints/{complaint.pk}/actions/add_note/")
    page.fill("textarea[name='add_note-note']", "Written on the action's own page.")
    page.click("#action-add_note button[type=submit]")
    page.wait_for_url(f"{live_server.url}/complaints/{complaint.pk}/")
    assert page.get_by_text("Written on the action's own page.").is_visible()

"""Views through the test client: intake forms, list, detail, actions, office scoping."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.choices import Channel, CloseReason, EscalationCause, EventKind, Status
from complaints.models import Category, Complaint, ComplaintEvent
from tests.factories import ComplaintFactory, department

pytestmark = pytest.mark.django_db

PHONE_URL = reverse("complaints:intake_phone")
WALK_IN_URL = reverse("complaints:intake_walk_in")
LIST_URL = reverse("complaints:list")


def local_input(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def intake_data(**overrides):
    now = timezone.now()
    data = {
        "complainant_name": "Mr Huang",
        "contact_phone": "13912345678",
        "contact_email": "huang@example.com",
        "incident_at": local_input(now - timedelta(hours=1)),
        "incident_place": "Building 3, lobby",
        "persons_involved": "",
        "subject": "Lobby door broken",
        "category": str(Category.objects.get(code="repairs").pk),
        "description": "The automatic door does not open.",
        "outcome": "reply_time",
        "reply_due_at": local_input(now + timedelta(hours=4)),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def complaint_in(office, **kwargs):
    return ComplaintFactory(office=office, received_by__office=office, **kwargs)


# ---------------------------------------------------------------------------- login
def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_agent_lands_on_the_complaint_list_after_login(client, agent):
    response = client.post(reverse("login"), {"username": agent.username, "password": "helpdesk-test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")  # the start page: the first page the user may open
    assert client.get(reverse("home"))["Location"] == LIST_URL
    page = client.get(LIST_URL)
    assert PHONE_URL.encode() in page.content and WALK_IN_URL.encode() in page.content


# --------------------------------------------------------------------------- intake
def test_phone_intake_with_agreed_reply_time(client, agent):
    client.force_login(agent)
    data = intake_data()
    response = client.post(PHONE_URL, data)

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("complaints:detail", args=[complaint.pk])
    assert complaint.channel == Channel.PHONE
    assert complaint.status == Status.IN_PROGRESS
    assert complaint.office == agent.office and complaint.received_by == agent
    assert local_input(complaint.reply_due_at) == data["reply_due_at"]
    assert list(complaint.events.values_list("kind", flat=True)) == [EventKind.RECEIVED, EventKind.REPLY_TIME_AGREED]


def test_phone_form_shows_call_scripts(client, agent):
    client.force_login(agent)
    page = client.get(PHONE_URL).content.decode()
    assert "Thank you for your call." in page
    assert "Caller speaks a dialect you cannot follow" in page
    assert 'value="move_up"' not in page  # moving up at intake is the walk-in action (R-C2)


def test_walk_in_intake_resolved_on_the_spot_closes_with_sign_off(client, agent):
    client.force_login(agent)
    response = client.post(
        WALK_IN_URL,
        intake_data(
            outcome="on_the_spot",
            reply_due_at="",
            resolution="Explained and reset the door.",
            signoff_name="Mr Huang",
            satisfied="on",
            apologised="on",
        ),
    )

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert complaint.channel == Channel.WALK_IN
    assert complaint.status == Status.CLOSED
    assert complaint.close_reason == CloseReason.ON_THE_SPOT
    assert complaint.signoff_name == "Mr Huang" and complaint.apologised
    assert not complaint.needs_callback


def test_walk_in_emotional_complainant_is_moved_up_to_supervisor(client, agent, supervisor):
    client.force_login(agent)
    page = client.get(WALK_IN_URL).content.decode()
    assert 'value="move_up"' in page and "3–5 minutes" in page

    response = client.post(
        WALK_IN_URL,
        intake_data(outcome="move_up", reply_due_at="", supervisor=str(supervisor.pk), handover_note="Shouting."),
    )

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert complaint.escalation_level == 1
    assert complaint.assignee == supervisor
    assert complaint.is_emotional
    moved = complaint.events.get(kind=EventKind.MOVED_UP)
    assert moved.actor == agent
    assert moved.data["escalation_cause"] == EscalationCause.EMOTIONAL
    assert moved.data["to_user"] == supervisor.pk
    assert moved.created_at is not None


def test_walk_in_move_up_needs_a_supervisor_of_the_office(client, agent, make_user, other_office):
    outsider = make_user("supervisor", office_=other_office)
    client.force_login(agent)
    response = client.post(WALK_IN_URL, intake_data(outcome="move_up", reply_due_at="", supervisor=str(outsider.pk)))
    assert response.status_code == 400
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"contact_phone": "12ab"}, "contact_phone", "Enter a valid phone number"),
        ({"contact_phone": "1391234567"}, "contact_phone", "11 digits"),
        ({"contact_email": "not-an-email"}, "contact_email", "Enter a valid email address"),
        ({"contact_qq": "0123"}, "contact_qq", "QQ number"),
        ({"contact_wechat": "a b"}, "contact_wechat", "WeChat ID"),
        ({"reply_due_at": "LATER"}, "reply_due_at", "Enter a valid date/time"),
        ({"reply_due_at": "__25h__"}, "reply_due_at", "within 24 hours"),
        ({"reply_due_at": "__past__"}, "reply_due_at", "must be in the future"),
        ({"reply_due_at": ""}, "reply_due_at", "Enter the reply time"),
        ({"incident_place": "", "subject": "", "description": ""}, "subject", "This field is required"),
        ({"incident_at": "__future__"}, "incident_at", "cannot be in the future"),
        ({"category": ""}, "category", "This field is required"),
        ({"complainant_name": ""}, "complainant_name", "mark the complaint anonymous"),
        (
            {"outcome": "on_the_spot", "resolution": "Explained.", "signoff_name": "Mr Huang"},
            "satisfied",
            "confirms satisfaction",
        ),
        ({"outcome": "on_the_spot", "satisfied": "on"}, "resolution", "Record the explanation"),
        ({"outcome": "nonsense"}, "outcome", "Select a valid choice"),
    ],
)
def test_intake_rejects_bad_input_and_saves_nothing(client, agent, overrides, field, message):
    now = timezone.now()
    magic = {
        "__25h__": now + timedelta(hours=24, minutes=2),
        "__past__": now - timedelta(minutes=5),
        "__future__": now + timedelta(hours=2),
    }
    overrides = {k: local_input(magic[v]) if v in magic else v for k, v in overrides.items()}
    client.force_login(agent)

    response = client.post(PHONE_URL, intake_data(**overrides))

    assert response.status_code == 400
    assert message in " ".join(str(e) for e in response.context["form"].errors[field])
    assert "The complaint was not saved" in response.content.decode()
    assert Complaint.objects.count() == 0
    assert ComplaintEvent.objects.count() == 0


def test_anonymous_complaint_needs_no_name(client, agent):
    client.force_login(agent)
    response = client.post(
        PHONE_URL, intake_data(complainant_name="", is_anonymous="on", contact_phone="", contact_email="")
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.is_anonymous and not complaint.needs_callback


def test_user_without_office_cannot_log(client, make_user):
    user = make_user("agent", office_=None)
    user.office = None
    user.save()
    client.force_login(user)
    assert client.get(PHONE_URL).status_code == 403


# ----------------------------------------------------------------------------- list
def test_list_query_count_does_not_grow_with_rows(client, agent, django_assert_max_num_queries):
    client.force_login(agent)
    for _ in range(3):
        complaint_in(agent.office, department=department(), customer=None)
    with django_assert_max_num_queries(9):  # 8 + the notification bell
        assert client.get(LIST_URL).status_code == 200
    for _ in range(40):
        complaint_in(agent.office, department=department())
    with django_assert_max_num_queries(9) as captured:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 25
    assert len(captured.captured_queries) <= 9


def test_list_is_paginated(client, agent, settings):
    settings.HELPDESK_LIST_PAGE_SIZE = 2
    client.force_login(agent)
    for i in range(5):
        complaint_in(agent.office, subject=f"Item {i}")
    page3 = client.get(LIST_URL, {"page": 3, "status": "received"})
    assert [c.subject for c in page3.context["page"]] == ["Item 0"]
    assert "status=received&amp;page=2" in page3.content.decode()
    assert client.get(LIST_URL, {"page": "999"}).status_code == 200  # out of range: last page, not 500


def test_list_filters(client, agent, supervisor):
    client.force_login(agent)
    office = agent.office
    walk_in = complaint_in(office, channel=Channel.WALK_IN, subject="Walk in one")
    phone = complaint_in(office, channel=Channel.PHONE, subject="Phone one", contact_phone="13511112222")
    moved = complaint_in(office, subject="Moved one")
    moved.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY, to_user=supervisor)
    overdue = complaint_in(office, subject="Overdue one", received_at=timezone.now() - timedelta(hours=30))
    mine = complaint_in(office, subject="Mine one", received_by=agent)
    with_dept = complaint_in(office, subject="Dept one")
    with_dept.assign_department(actor=agent, department=department("Cleaning"))

    def subjects(**params):
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        return {c.subject for c in response.context["page"]}

    assert subjects(channel="walk_in") == {walk_in.subject}
    assert subjects(escalation_level="1") == {moved.subject}
    assert subjects(overdue="on") == {overdue.subject}
    assert subjects(mine="on") == {mine.subject}
    assert subjects(department=str(department("Cleaning").pk)) == {with_dept.subject}
    assert subjects(status="in_progress") == {moved.subject, with_dept.subject}
    assert subjects(q="phone ONE") == {phone.subject}
    assert subjects(q="1351111") == {phone.subject}
    assert subjects(q=f"#{walk_in.pk}") == {walk_in.subject}
    # bad filter values are reported, not a 500
    response = client.get(LIST_URL, {"status": "bogus", "escalation_level": "9"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_list_shows_times_in_the_configured_time_zone(client, agent):
    client.force_login(agent)
    received = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    complaint_in(agent.office, received_at=received, subject="Timezone check")
    page = client.get(LIST_URL).content.decode()
    assert "2026-01-01 08:30" in page  # Asia/Shanghai is UTC+8


# ------------------------------------------------------------------- office scoping
def test_other_office_complaint_is_404_everywhere(client, agent, make_user, other_office):
    theirs = ComplaintFactory(office=other_office, received_by__office=other_office, subject="Not yours")
    client.force_login(agent)
    assert client.get(reverse("complaints:detail", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("complaints:action", args=[theirs.pk, "add_note"]), {"add_note-note": "x"})
    assert response.status_code == 404
    assert "Not yours" not in client.get(LIST_URL).content.decode()
    assert theirs.events.count() == 0


def test_manager_sees_every_office(client, manager, other_office):
    theirs = ComplaintFactory(office=other_office, received_by__office=other_office, subject="Other office")
    ours = complaint_in(manager.office, subject="Own office")
    client.force_login(manager)
    subjects = {c.subject for c in client.get(LIST_URL).context["page"]}
    assert subjects == {theirs.subject, ours.subject}
    assert client.get(reverse("complaints:detail", args=[theirs.pk])).status_code == 200


# ------------------------------------------------------------------ detail, actions
def action_url(complaint, name):
    return reverse("complaints:action", args=[complaint.pk, name])


def test_detail_offers_only_actions_valid_now(client, agent, handler):
    complaint = complaint_in(agent.office, department=handler.department)  # in the handler's lane
    client.force_login(agent)
    names = [a.name for a, _ in client.get(reverse("complaints:detail", args=[complaint.pk])).context["action_forms"]]
    assert "resolve_on_the_spot" in names and "agree_reply_time" in names
    assert "mark_handled" not in names and "record_callback" not in names
    assert "reassign" not in names  # agents may not reassign

    client.force_login(handler)
    names = [a.name for a, _ in client.get(reverse("complaints:detail", args=[complaint.pk])).context["action_forms"]]
    assert "resolve_on_the_spot" not in names
    assert "propose_solution" in names


def test_detail_shows_the_timeline(client, agent):
    complaint = complaint_in(agent.office)
    complaint.add_note(actor=agent, note="Called the lift company.")
    client.force_login(agent)
    page = client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert "Called the lift company." in page and "Note added" in page


def test_action_success_writes_one_event(client, agent):
    complaint = complaint_in(agent.office)
    client.force_login(agent)
    response = client.post(action_url(complaint, "propose_solution"), {"propose_solution-solution": "Fix it today."})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.SOLUTION_PROPOSED
    assert complaint.events.filter(kind=EventKind.SOLUTION_PROPOSED, actor=agent).count() == 1


def test_action_with_bad_input_is_400_and_changes_nothing(client, agent):
    complaint = complaint_in(agent.office)
    client.force_login(agent)
    too_late = local_input(complaint.received_at + timedelta(hours=25))
    response = client.post(action_url(complaint, "agree_reply_time"), {"agree_reply_time-reply_due_at": too_late})
    assert response.status_code == 400
    assert "within 24 hours" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Status.RECEIVED
    assert complaint.events.count() == 0


def test_invalid_transition_is_409_with_a_message(client, supervisor):
    complaint = complaint_in(supervisor.office)
    client.force_login(supervisor)
    response = client.post(action_url(complaint, "mark_handled"), {"mark_handled-note": "Done"})
    assert response.status_code == 409
    assert "is not possible while the complaint is" in response.content.decode()
    assert complaint.events.count() == 0


def test_unknown_action_is_404(client, agent):
    complaint = complaint_in(agent.office)
    client.force_login(agent)
    assert client.post(action_url(complaint, "set_status"), {}).status_code == 404
    assert client.put(action_url(complaint, "add_note")).status_code == 405
    assert client.get(action_url(complaint, "set_status")).status_code == 404


def test_denied_action_is_403_then_allowed_for_the_right_role(client, handler, agent):
    complaint = complaint_in(agent.office, department=handler.department)  # the handler sees it
    data = {
        "resolve_on_the_spot-resolution": "Explained.",
        "resolve_on_the_spot-signoff_name": "Mr Huang",
        "resolve_on_the_spot-satisfied": "on",
    }
    client.force_login(handler)
    assert client.post(action_url(complaint, "resolve_on_the_spot"), data).status_code == 403
    assert complaint.events.count() == 0
    client.force_login(agent)
    assert client.post(action_url(complaint, "resolve_on_the_spot"), data).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED


def test_full_procedure_through_the_ui(client, agent, handler):
    """Received → reply time → department → findings → solution → accepted → completion date
    → handled → call-back satisfied → closed; one event per step."""
    complaint = complaint_in(agent.office)
    now = timezone.now()
    steps = [
        (agent, "agree_reply_time", {"reply_due_at": local_input(now + timedelta(hours=5))}),
        (agent, "assign_department", {"department": str(handler.department.pk)}),
        (handler, "record_findings", {"findings": "Motor worn out."}),
        (handler, "report_progress", {"note": "Technician booked."}),
        (handler, "propose_solution", {"solution": "Replace the motor."}),
        (agent, "record_answer", {"accepted": "yes"}),
        (handler, "commit_completion", {"completion_at": local_input(now + timedelta(days=2))}),
        (handler, "mark_handled", {"note": "Motor replaced."}),
        (agent, "record_callback", {"method": "phone", "satisfied": "yes", "about_result": "Works now."}),
    ]
    for user, name, data in steps:
        client.force_login(user)
        response = client.post(action_url(complaint, name), {f"{name}-{k}": v for k, v in data.items()})
        assert response.status_code == 302, (name, response.content.decode()[:3000])
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED
    assert complaint.close_reason == CloseReason.CALLBACK_SATISFIED
    assert complaint.events.count() == len(steps)


def test_list_count_is_capped_for_huge_lists(client, agent, monkeypatch):
    from helpdesk.pagination import ComplaintPaginator

    monkeypatch.setattr(ComplaintPaginator, "list_cap", 3)  # the HTML list's cap
    client.force_login(agent)
    for _ in range(5):
        complaint_in(agent.office)
    page = client.get(LIST_URL).content.decode()
    assert "More than 3 complaints" in page
    for c in Complaint.objects.all()[:2]:
        c.resolve_on_the_spot(actor=agent, resolution="Done.", signoff_name="X", satisfied=True)
    assert "3 complaints" in client.get(LIST_URL, {"open_only": "on"}).content.decode()


def test_search_finds_by_customer_name(client, agent):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(name="Eastern Dyeing Works")
    complaint_in(agent.office, customer=customer, subject="Smell from the drain")
    complaint_in(agent.office, subject="Unrelated")
    client.force_login(agent)
    response = client.get(LIST_URL, {"q": "dyeing"})
    assert [c.subject for c in response.context["page"]] == ["Smell from the drain"]


def test_invalid_transition_carries_machine_readable_details(agent):
    from complaints.exceptions import InvalidTransition

    complaint = complaint_in(agent.office)
    with pytest.raises(InvalidTransition) as raised:
        complaint.mark_handled(actor=agent, note="Done")
    assert raised.value.code == "invalid_transition"
    assert raised.value.action == "mark_handled"
    assert raised.value.status == Status.RECEIVED

"""The supervisor's admin for complaints (issue: review escalations in the admin).

Through HTTP with the test client: the changelist and its filters, office scoping through
`complaints_visible_to`, read-only complaints and events, and the two actions, which call
`complaint.reassign()` / `complaint.move_up()`.
"""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import constants as message_levels
from django.urls import reverse
from django.utils import timezone

from complaints.choices import Channel, CloseReason, EscalationCause, EventKind, Status
from complaints.models import Category, Complaint, ComplaintEvent, Department
from tests.factories import ComplaintFactory, CustomerFactory, UserFactory, department

pytestmark = pytest.mark.django_db

# A changelist request's queries do not depend on the number of rows; this is the bound
# for any number of complaints (session, user, permissions, counts, page, filter choices).
CHANGELIST_MAX_QUERIES = 8


# ------------------------------------------------------------------ helpers
def changelist_url() -> str:
    return reverse("admin:complaints_complaint_changelist")


def change_url(complaint) -> str:
    return reverse("admin:complaints_complaint_change", args=[complaint.pk])


def event_url(event, view: str) -> str:
    return reverse(f"admin:complaints_complaintevent_{view}", args=[event.pk])


def listed(response) -> set[int]:
    return {c.pk for c in response.context["cl"].result_list}


def offered_actions(response) -> set[str]:
    action_form = response.context["action_form"]
    return {name for name, _label in action_form.fields["action"].choices if name}


def shown_messages(response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in response.context["messages"]]


def logged(actor, **fields) -> Complaint:
    """A complaint logged through the lifecycle (so it has its 'received' event)."""
    values = {
        "channel": Channel.WALK_IN,
        "complainant_name": "Li Wei",
        "contact_phone": "13911112222",
        "incident_at": timezone.now() - timedelta(hours=1),
        "incident_place": "Gate 2",
        "subject": "Broken barrier",
        "description": "The car park barrier does not open.",
        "category": Category.objects.order_by("id").first(),
    }
    values.update(fields)
    return Complaint.log(actor=actor, office=actor.office, **values)


def start_action(client, action: str, complaints):
    """Step 1: choose the action on the changelist -> the intermediate page."""
    return client.post(
        changelist_url(), {"action": action, "index": 0, ACTION_CHECKBOX_NAME: [c.pk for c in complaints]}
    )


def apply_action(client, action: str, complaints, **fields):
    """Step 2: submit the intermediate form."""
    data = {"action": action, "apply": "1", ACTION_CHECKBOX_NAME: [c.pk for c in complaints]}
    data.update({k: v for k, v in fields.items() if v is not None})
    return client.post(changelist_url(), data, follow=True)


@pytest.fixture
def staff_agent(make_user):
    """A staff user with the agent's permissions: may move up, may not reassign."""
    return make_user("agent", username="staffagent", is_staff=True)


@pytest.fixture
def superuser(office):
    return UserFactory(username="root", office=office, is_staff=True, is_superuser=True)


# --------------------------------------------------------------- changelist
def test_changelist_shows_the_supervisors_office_only(client, supervisor, other_office):
    # given a complaint of the supervisor's office and one of another office
    own = ComplaintFactory(office=supervisor.office)
    foreign = ComplaintFactory(office=other_office)
    client.force_login(supervisor)

    # when
    response = client.get(changelist_url())

    # then
    assert response.status_code == 200
    assert listed(response) == {own.pk}
    assert foreign.pk not in listed(response)


def test_manager_sees_every_office_and_may_filter_by_office(client, manager, other_office):
    own = ComplaintFactory(office=manager.office)
    foreign = ComplaintFactory(office=other_office)
    client.force_login(manager)

    response = client.get(changelist_url())
    assert listed(response) == {own.pk, foreign.pk}

    response = client.get(changelist_url(), {"office__id__exact": other_office.pk})
    assert response.status_code == 200
    assert listed(response) == {foreign.pk}


def test_office_filter_is_not_offered_to_a_supervisor(client, supervisor, manager, other_office):
    client.force_login(supervisor)
    titles = [str(spec.title) for spec in client.get(changelist_url()).context["cl"].filter_specs]
    assert "office" not in titles

    client.force_login(manager)
    titles = [str(spec.title) for spec in client.get(changelist_url()).context["cl"].filter_specs]
    assert "office" in titles


def test_changelist_columns(client, supervisor):
    complaint = ComplaintFactory(office=supervisor.office, complainant_name="", customer=CustomerFactory(name="ACME"))
    client.force_login(supervisor)

    response = client.get(changelist_url())

    content = response.content.decode()
    assert f"#{complaint.pk}" in content
    assert "ACME" in content  # the complainant falls back to the linked customer
    assert response.context["cl"].list_display[1:] == [
        "reference_display",
        "received_at",
        "channel",
        "complainant",
        "category",
        "status",
        "escalation_level",
        "assignee",
        "department",
        "reply_due_at",
        "overdue_marker",
    ]


def test_changelist_is_ordered_newest_first(client, supervisor):
    now = timezone.now()
    older = ComplaintFactory(office=supervisor.office, received_at=now - timedelta(hours=5))
    newer = ComplaintFactory(office=supervisor.office, received_at=now - timedelta(hours=1))
    client.force_login(supervisor)

    response = client.get(changelist_url())

    assert [c.pk for c in response.context["cl"].result_list] == [newer.pk, older.pk]


def test_filter_by_escalation_level(client, supervisor):
    level_1 = ComplaintFactory(office=supervisor.office, escalation_level=1, status=Status.IN_PROGRESS)
    ComplaintFactory(office=supervisor.office, escalation_level=0)
    client.force_login(supervisor)

    response = client.get(changelist_url(), {"escalation_level__exact": 1})

    assert response.status_code == 200
    assert listed(response) == {level_1.pk}


def test_filter_by_overdue(client, supervisor):
    now = timezone.now()
    # past the agreed reply time, no reply (R-T1)
    late_reply = ComplaintFactory(office=supervisor.office, received_at=now - timedelta(hours=30))
    # replied, handling, past the committed completion date (R-T3)
    late_completion = ComplaintFactory(
        office=supervisor.office,
        status=Status.HANDLING,
        received_at=now - timedelta(hours=50),
        first_replied_at=now - timedelta(hours=40),
        committed_completion_at=now - timedelta(hours=1),
    )
    on_time = ComplaintFactory(office=supervisor.office)
    closed_late = ComplaintFactory(
        office=supervisor.office,
        received_at=now - timedelta(hours=30),
        status=Status.CLOSED,
        close_reason=CloseReason.AUTO_CLOSED,
        closed_at=now,
    )
    client.force_login(supervisor)

    overdue = client.get(changelist_url(), {"overdue": "yes"})
    not_overdue = client.get(changelist_url(), {"overdue": "no"})

    assert listed(overdue) == {late_reply.pk, late_completion.pk}
    assert listed(not_overdue) == {on_time.pk, closed_late.pk}
    content = overdue.content.decode()
    assert 'alt="True"' in content  # the overdue marker column


def test_filter_by_status_channel_and_department(client, supervisor):
    engineering = department()
    in_progress = ComplaintFactory(office=supervisor.office, status=Status.IN_PROGRESS)
    letter = ComplaintFactory(office=supervisor.office, channel=Channel.LETTER)
    with_department = ComplaintFactory(office=supervisor.office, department=engineering)
    client.force_login(supervisor)

    assert listed(client.get(changelist_url(), {"status__exact": Status.IN_PROGRESS})) == {in_progress.pk}
    assert listed(client.get(changelist_url(), {"channel__exact": Channel.LETTER})) == {letter.pk}
    assert listed(client.get(changelist_url(), {"department__id__exact": engineering.pk})) == {with_department.pk}


@pytest.mark.parametrize(
    "field, value, query",
    [
        ("contact_phone", "13912345678", "13912345678"),
        ("complainant_name", "Zhang Sanfeng", "sanfeng"),
        ("subject", "Water leaking from ceiling", "leaking"),
        ("description", "Smell of sewage near block 9", "sewage"),
    ],
)
def test_search(client, supervisor, field, value, query):
    match = ComplaintFactory(office=supervisor.office, **{field: value})
    ComplaintFactory(office=supervisor.office)
    client.force_login(supervisor)

    response = client.get(changelist_url(), {"q": query})

    assert response.status_code == 200
    assert listed(response) == {match.pk}


def test_search_by_customer_name_and_reference(client, supervisor):
    by_customer = ComplaintFactory(office=supervisor.office, customer=CustomerFactory(name="Harbour Paper Mill"))
    other = ComplaintFactory(office=supervisor.office)
    client.force_login(supervisor)

    assert listed(client.get(changelist_url(), {"q": "paper mill"})) == {by_customer.pk}
    assert listed(client.get(changelist_url(), {"q": f"#{other.pk}"})) == {other.pk}
    assert listed(client.get(changelist_url(), {"q": "#123456789012345678901234567"})) == set()  # no overflow


def test_search_does_not_reach_other_offices(client, supervisor, other_office):
    foreign = ComplaintFactory(office=other_office, contact_phone="13955556666")
    client.force_login(supervisor)

    assert listed(client.get(changelist_url(), {"q": "13955556666"})) == set()
    assert listed(client.get(changelist_url(), {"q": f"#{foreign.pk}"})) == set()


def test_changelist_query_count_does_not_grow_with_rows(client, supervisor, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            ComplaintFactory(
                office=supervisor.office,
                department=department() if i % 2 else None,
                customer=CustomerFactory(),
                complainant_name="" if i % 3 else "Named",
                escalation_level=i % 4,
                status=Status.IN_PROGRESS if i % 4 else Status.RECEIVED,
            )

    client.force_login(supervisor)
    add(3)
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = client.get(changelist_url())
    assert len(response.context["cl"].result_list) == 3

    add(27)
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = client.get(changelist_url())
    assert len(response.context["cl"].result_list) == 30

    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = client.get(changelist_url(), {"overdue": "no", "escalation_level__exact": 1})
    assert response.status_code == 200


def test_manager_changelist_query_count_does_not_grow_with_rows(
    client, manager, other_office, django_assert_max_num_queries
):
    client.force_login(manager)
    for office_ in (manager.office, other_office) * 2:
        ComplaintFactory(office=office_, customer=CustomerFactory(), complainant_name="")
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES + 1) as small:  # + the office filter
        client.get(changelist_url())

    for office_ in (manager.office, other_office) * 15:
        ComplaintFactory(office=office_, customer=CustomerFactory(), complainant_name="")
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES + 1) as large:
        client.get(changelist_url())

    assert len(large.captured_queries) == len(small.captured_queries)


# ------------------------------------------------------------------- access
def test_agent_without_staff_flag_is_sent_to_the_admin_login(client, agent):
    client.force_login(agent)

    response = client.get(changelist_url())

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_other_offices_complaint_is_missing_for_a_supervisor(client, supervisor, manager, other_office):
    foreign = ComplaintFactory(office=other_office)

    client.force_login(supervisor)
    response = client.get(change_url(foreign))
    assert response.status_code == 302
    assert response.url == reverse("admin:index")

    # the same request by a manager (who sees every office) succeeds
    client.force_login(manager)
    assert client.get(change_url(foreign)).status_code == 200


# ----------------------------------------------------------- read-only page
def test_change_page_is_read_only_with_the_event_history(client, supervisor):
    complaint = logged(supervisor)
    complaint.move_up(actor=supervisor, cause=EscalationCause.EMOTIONAL, note="Still upset after 5 minutes")
    client.force_login(supervisor)

    response = client.get(change_url(complaint))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="_save"' not in content
    assert 'name="_continue"' not in content
    assert "deletelink" not in content
    assert response.context["adminform"].form.fields == {}  # every field is read-only
    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False
    # the events inline: read-only, nothing to add or delete
    (events_inline,) = response.context["inline_admin_formsets"]
    assert events_inline.has_add_permission is False
    assert events_inline.has_change_permission is False
    assert events_inline.has_delete_permission is False
    assert len(list(events_inline)) == 2
    assert "Complaint received" in content
    assert "Moved up" in content
    assert "Still upset after 5 minutes" in content
    assert 'name="events-0-note"' not in content


def test_change_page_refuses_a_post(client, superuser):
    complaint = ComplaintFactory(office=superuser.office)
    client.force_login(superuser)

    response = client.post(change_url(complaint), {"status": Status.CLOSED, "escalation_level": 3, "subject": "Edited"})

    assert response.status_code == 403
    complaint.refresh_from_db()
    assert (complaint.status, complaint.escalation_level) == (Status.RECEIVED, 0)
    assert complaint.subject != "Edited"


def test_complaints_can_be_neither_added_nor_deleted_even_by_a_superuser(client, superuser):
    complaint = ComplaintFactory(office=superuser.office)
    client.force_login(superuser)

    assert client.get(reverse("admin:complaints_complaint_add")).status_code == 403
    assert client.get(reverse("admin:complaints_complaint_delete", args=[complaint.pk])).status_code == 403
    assert (
        client.post(reverse("admin:complaints_complaint_delete", args=[complaint.pk]), {"post": "yes"}).status_code
        == 403
    )
    response = client.get(changelist_url())
    assert "delete_selected" not in offered_actions(response)
    assert Complaint.objects.filter(pk=complaint.pk).exists()


# ------------------------------------------------------------------- events
def test_events_can_be_neither_changed_nor_deleted_even_by_a_superuser(client, superuser):
    complaint = logged(superuser)
    event = complaint.events.get()
    client.force_login(superuser)

    # viewing is allowed, without a save button
    view = client.get(event_url(event, "change"))
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()

    assert (
        client.post(event_url(event, "change"), {"note": "rewritten", "kind": EventKind.NOTE_ADDED}).status_code == 403
    )
    assert client.get(event_url(event, "delete")).status_code == 403
    assert client.post(event_url(event, "delete"), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:complaints_complaintevent_add")).status_code == 403
    changelist = client.get(reverse("admin:complaints_complaintevent_changelist"))
    assert changelist.status_code == 200
    assert 'name="action"' not in changelist.content.decode()  # no actions at all, not even delete

    unchanged = ComplaintEvent.objects.get(pk=event.pk)
    assert (unchanged.kind, unchanged.note, unchanged.created_at) == (event.kind, event.note, event.created_at)


def test_event_list_is_scoped_to_the_users_office(client, supervisor, make_user, other_office):
    own = logged(supervisor)
    foreign = logged(make_user("supervisor", office_=other_office, username="elsewhere"))
    client.force_login(supervisor)

    response = client.get(reverse("admin:complaints_complaintevent_changelist"))

    assert {e.complaint_id for e in response.context["cl"].result_list} == {own.pk}
    assert client.get(event_url(foreign.events.get(), "change")).status_code == 302


# ------------------------------------------------------------------ actions
def test_reassign_action_shows_a_form_then_reassigns(client, supervisor, make_user, other_office):
    complaint = ComplaintFactory(office=supervisor.office)
    colleague = make_user("agent", username="colleague")
    make_user("agent", office_=other_office, username="outsider")
    make_user("agent", username="gone", is_active=False)
    client.force_login(supervisor)

    # step 1: the intermediate page, offering the active staff of the supervisor's office
    page = start_action(client, "reassign_selected", [complaint])
    assert page.status_code == 200
    assert "admin/complaints/complaint/reassign.html" in [t.name for t in page.templates]
    choices = set(page.context["form"].fields["assignee"].queryset.values_list("username", flat=True))
    assert "colleague" in choices
    assert "outsider" not in choices and "gone" not in choices
    assert f'value="{complaint.pk}"' in page.content.decode()
    complaint.refresh_from_db()
    assert complaint.assignee_id != colleague.pk  # nothing happens before the form is sent

    # step 2: submit
    response = apply_action(client, "reassign_selected", [complaint], assignee=colleague.pk, note="Takes over")

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(changelist_url())
    complaint.refresh_from_db()
    assert complaint.assignee_id == colleague.pk
    event = complaint.events.get(kind=EventKind.REASSIGNED)
    assert (event.actor, event.note, event.data["to_user"]) == (supervisor, "Takes over", colleague.pk)
    assert (message_levels.SUCCESS, f"1 complaint reassigned to {colleague}.") in shown_messages(response)


def test_reassign_action_reports_refusals_per_complaint(client, manager, make_user, other_office):
    # given: a manager (who may pick anyone) hands complaints to a member of another office
    mine = ComplaintFactory(office=manager.office)
    closed = ComplaintFactory(
        office=manager.office, status=Status.CLOSED, close_reason=CloseReason.AUTO_CLOSED, closed_at=timezone.now()
    )
    foreign = ComplaintFactory(office=other_office)
    outsider = make_user("agent", office_=other_office, username="outsider")
    client.force_login(manager)

    response = apply_action(client, "reassign_selected", [mine, closed, foreign], assignee=outsider.pk)

    # then: the closed one and the one of another office are refused, with a message each;
    # the complaint of the outsider's own office is reassigned
    assert response.status_code == 200
    levels = shown_messages(response)
    errors = [text for level, text in levels if level == message_levels.ERROR]
    assert len(errors) == 2
    assert any(f"#{mine.pk}" in text and "staff" in text for text in errors)
    assert any(f"#{closed.pk}" in text and "Closed" in text for text in errors)
    assert (message_levels.SUCCESS, f"1 complaint reassigned to {outsider}.") in levels
    foreign.refresh_from_db()
    assert foreign.assignee_id == outsider.pk
    assert not mine.events.filter(kind=EventKind.REASSIGNED).exists()
    assert not closed.events.exists()


def test_reassign_to_the_current_assignee_changes_nothing(client, supervisor):
    complaint = ComplaintFactory(office=supervisor.office, received_by=supervisor)
    client.force_login(supervisor)

    response = apply_action(client, "reassign_selected", [complaint], assignee=supervisor.pk)

    assert (message_levels.INFO, f"1 complaint was already assigned to {supervisor}.") in shown_messages(response)
    assert not complaint.events.exists()


def test_move_up_action_moves_up_one_level(client, supervisor, make_user):
    complaint = logged(supervisor)
    head = make_user("supervisor", username="head")
    client.force_login(supervisor)

    page = start_action(client, "move_up_selected", [complaint])
    assert page.status_code == 200
    assert "admin/complaints/complaint/move_up.html" in [t.name for t in page.templates]

    response = apply_action(
        client,
        "move_up_selected",
        [complaint],
        cause=EscalationCause.EMOTIONAL,
        to_user=head.pk,
        note="Agitated after 5 minutes",
    )

    complaint.refresh_from_db()
    assert (complaint.escalation_level, complaint.status, complaint.assignee) == (1, Status.IN_PROGRESS, head)
    event = complaint.events.get(kind=EventKind.MOVED_UP)
    assert (event.actor, event.from_level, event.to_level) == (supervisor, 0, 1)
    assert event.data["escalation_cause"] == EscalationCause.EMOTIONAL
    assert event.note == "Agitated after 5 minutes"
    assert (message_levels.SUCCESS, "1 complaint moved up one level.") in shown_messages(response)


def test_move_up_without_a_person_keeps_the_assignee(client, supervisor):
    complaint = ComplaintFactory(office=supervisor.office, received_by=supervisor)
    client.force_login(supervisor)

    apply_action(client, "move_up_selected", [complaint], cause=EscalationCause.BEYOND_AUTHORITY, to_user="")

    complaint.refresh_from_db()
    assert (complaint.escalation_level, complaint.assignee) == (1, supervisor)


def test_move_up_at_the_highest_level_is_refused_without_changes(client, supervisor):
    top = ComplaintFactory(office=supervisor.office, escalation_level=3, status=Status.IN_PROGRESS)
    low = ComplaintFactory(office=supervisor.office)
    client.force_login(supervisor)

    response = apply_action(client, "move_up_selected", [top, low], cause=EscalationCause.BEYOND_AUTHORITY)

    assert response.status_code == 200
    levels = shown_messages(response)
    errors = [text for level, text in levels if level == message_levels.ERROR]
    assert len(errors) == 1 and f"#{top.pk}" in errors[0] and "highest level" in errors[0]
    assert (message_levels.SUCCESS, "1 complaint moved up one level.") in levels
    top.refresh_from_db()
    assert (top.escalation_level, top.status) == (3, Status.IN_PROGRESS)
    assert not top.events.exists()
    low.refresh_from_db()
    assert low.escalation_level == 1


def test_invalid_action_form_is_shown_again_with_errors(client, supervisor):
    complaint = ComplaintFactory(office=supervisor.office)
    client.force_login(supervisor)

    response = apply_action(client, "move_up_selected", [complaint], cause="because")

    assert response.status_code == 200
    assert "admin/complaints/complaint/move_up.html" in [t.name for t in response.templates]
    assert "cause" in response.context["form"].errors
    assert "errornote" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.escalation_level == 0

    response = apply_action(client, "reassign_selected", [complaint])  # no assignee chosen
    assert "assignee" in response.context["form"].errors
    assert not complaint.events.exists()


def test_actions_cannot_reach_another_offices_complaint(client, supervisor, other_office):
    foreign = ComplaintFactory(office=other_office)
    client.force_login(supervisor)

    apply_action(client, "move_up_selected", [foreign], cause=EscalationCause.BEYOND_AUTHORITY)

    foreign.refresh_from_db()
    assert foreign.escalation_level == 0
    assert not foreign.events.exists()


def test_reassign_is_not_offered_without_the_permission(client, staff_agent, supervisor, make_user):
    # given a staff user with the agent's permissions (move up, but not reassign)
    complaint = ComplaintFactory(office=staff_agent.office)
    colleague = make_user("agent", username="colleague")
    client.force_login(staff_agent)

    response = client.get(changelist_url())
    assert response.status_code == 200
    assert offered_actions(response) == {"move_up_selected"}

    # posting it anyway is refused, at either step
    refused = start_action(client, "reassign_selected", [complaint])
    assert refused.status_code == 302
    refused = apply_action(client, "reassign_selected", [complaint], assignee=colleague.pk)
    assert (message_levels.WARNING, "No action selected.") in shown_messages(refused)
    complaint.refresh_from_db()
    assert complaint.assignee_id != colleague.pk
    assert not complaint.events.exists()

    # the same request by a supervisor, who may, succeeds
    client.force_login(supervisor)
    assert offered_actions(client.get(changelist_url())) == {"reassign_selected", "move_up_selected"}
    apply_action(client, "reassign_selected", [complaint], assignee=colleague.pk)
    complaint.refresh_from_db()
    assert complaint.assignee_id == colleague.pk


def test_manager_may_choose_staff_of_every_office(client, manager, make_user, other_office):
    complaint = ComplaintFactory(office=manager.office)
    make_user("agent", office_=other_office, username="outsider")
    client.force_login(manager)

    page = start_action(client, "reassign_selected", [complaint])

    choices = set(page.context["form"].fields["assignee"].queryset.values_list("username", flat=True))
    assert {"outsider", "manager1"} <= choices


# ----------------------------------------------------------- reference lists
def test_manager_edits_departments_and_categories(client, manager, supervisor):
    engineering = department()
    category = Category.objects.order_by("id").first()

    # a supervisor may look, not change
    client.force_login(supervisor)
    assert client.get(reverse("admin:complaints_department_changelist")).status_code == 200
    assert (
        client.post(
            reverse("admin:complaints_department_change", args=[engineering.pk]), {"name": "Renamed", "is_active": ""}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:complaints_department_add")).status_code == 403

    # the manager may
    client.force_login(manager)
    response = client.post(
        reverse("admin:complaints_department_change", args=[engineering.pk]),
        {"name": engineering.name, "is_active": ""},
    )
    assert response.status_code == 302
    engineering.refresh_from_db()
    assert engineering.is_active is False
    response = client.post(reverse("admin:complaints_department_add"), {"name": "Legal affairs", "is_active": "on"})
    assert response.status_code == 302
    assert Department.objects.filter(name="Legal affairs").exists()
    response = client.post(
        reverse("admin:complaints_category_change", args=[category.pk]),
        {"name": category.name, "code": category.code, "is_active": ""},
    )
    assert response.status_code == 302
    response = client.get(reverse("admin:complaints_category_changelist"), {"q": category.code})
    assert category in response.context["cl"].result_list

"""Issue 13, the right person at every level: when R-T1 moves a complaint up for a missed reply,
the person it is moved up to becomes its receiver (R-C8) — the office's supervisor on duty, or
its supervisors in turn, at level 1; the head of its department at level 2 — named in the event
and told. Set-based: the query count does not grow with the complaints due."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints import sweeps
from complaints.choices import EscalationCause, EventKind, Status
from complaints.models import Complaint, Department
from notifications.models import Kind, Notification
from tests.factories import ComplaintFactory, department

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(days=30)
LATER = T0 + timedelta(days=2)


def overdue(office, *, minutes=0, **kwargs):
    """A complaint of `office` whose reply time passed unanswered (`minutes` orders the deadlines)."""
    at = T0 + timedelta(minutes=minutes)
    return ComplaintFactory(
        office=office, received_by__office=office, received_at=at, reply_due_at=at + timedelta(hours=24), **kwargs
    )


def notified(complaint, kind):
    return set(Notification.objects.filter(complaint=complaint, kind=kind).values_list("recipient_id", flat=True))


# ----------------------------------------------------------------------- level 1
def test_the_supervisor_on_duty_becomes_the_receiver_and_is_told(office, make_user):
    # Given an office with two supervisors, one of them on duty
    first = make_user("supervisor", username="first")
    on_duty = make_user("supervisor", username="on-duty", first_name="Mei", last_name="Chen")
    office.supervisor_on_duty = on_duty
    office.save()
    complaint = overdue(office)
    agent = complaint.assignee

    # When R-T1 runs
    counts = sweeps.enforce_reply_deadlines(now=LATER)

    # Then the supervisor on duty is its receiver at level 1, named in the event
    complaint.refresh_from_db()
    assert counts["receivers_set"] == 1
    assert (complaint.escalation_level, complaint.assignee) == (1, on_duty)
    event = complaint.events.get(kind=EventKind.REPLY_OVERDUE)
    assert event.data == {
        "escalation_cause": EscalationCause.DEADLINE_MISSED,
        "reply_due_at": complaint.reply_due_at.isoformat(),
        "to_user": on_duty.pk,
        "to_user_name": "Mei Chen",
    }
    # And they are told it was moved up to them; the other supervisor that it is overdue
    assert notified(complaint, Kind.MOVED_UP) == {on_duty.pk}
    assert notified(complaint, Kind.REPLY_OVERDUE) == {first.pk}
    note = Notification.objects.get(kind=Kind.MOVED_UP)
    assert note.data == {"to_level": 1, "cause": EscalationCause.DEADLINE_MISSED}
    assert "was moved up to you" in note.message and "Reply deadline missed" in note.message
    assert not Notification.objects.filter(recipient=agent).exists()


def test_without_a_supervisor_on_duty_the_supervisors_take_them_in_turn(office, make_user):
    # Given two supervisors and no one on duty; the second already carries an open complaint
    first, second = make_user("supervisor", username="s1"), make_user("supervisor", username="s2")
    ComplaintFactory(office=office, assignee=second, received_by=second, first_replied_at=timezone.now())
    due = [overdue(office, minutes=m) for m in range(4)]  # in the order of their missed deadline

    sweeps.enforce_reply_deadlines(now=LATER)

    # Then each goes, in deadline order, to whoever has the fewest open complaints (ties: lower id)
    assignees = [Complaint.objects.get(pk=c.pk).assignee for c in due]
    assert assignees == [first, first, second, first]
    for complaint, receiver in zip(due, assignees, strict=True):
        assert notified(complaint, Kind.MOVED_UP) == {receiver.pk}
        assert notified(complaint, Kind.REPLY_OVERDUE) == ({first.pk, second.pk} - {receiver.pk})


def test_a_supervisor_on_duty_who_left_is_passed_over(office, make_user):
    gone = make_user("supervisor", username="gone")
    office.supervisor_on_duty = gone
    office.save()
    gone.is_active = False
    gone.save()
    present = make_user("supervisor", username="present")
    complaint = overdue(office)

    sweeps.enforce_reply_deadlines(now=LATER)

    complaint.refresh_from_db()
    assert complaint.assignee == present


def test_an_office_without_a_supervisor_keeps_the_assignee(office, manager):
    complaint = overdue(office)
    agent = complaint.assignee

    counts = sweeps.enforce_reply_deadlines(now=LATER)

    complaint.refresh_from_db()
    assert counts["receivers_set"] == 0
    assert (complaint.escalation_level, complaint.assignee) == (1, agent)
    assert "to_user" not in complaint.events.get(kind=EventKind.REPLY_OVERDUE).data
    assert notified(complaint, Kind.REPLY_OVERDUE) == {manager.pk}  # as before: the managers hear of it


# ----------------------------------------------------------------------- level 2
def test_level_2_goes_to_the_head_of_the_complaints_department(office, supervisor, make_user):
    repairs = department()
    head = make_user("department_handler", username="head", department=repairs)
    repairs.head = head
    repairs.save()
    complaint = overdue(office, escalation_level=1, department=repairs, assignee=supervisor)

    sweeps.enforce_reply_deadlines(now=LATER)

    complaint.refresh_from_db()
    assert (complaint.escalation_level, complaint.assignee) == (2, head)
    assert complaint.events.get(kind=EventKind.REPLY_OVERDUE).data["to_user"] == head.pk
    assert notified(complaint, Kind.MOVED_UP) == {head.pk}
    assert notified(complaint, Kind.REPLY_OVERDUE) == {supervisor.pk}


def test_a_handler_heading_the_department_in_another_office_receives_it(office, other_office, make_user):
    repairs = department()
    head = make_user("department_handler", office_=other_office, username="far-head", department=repairs)
    repairs.head = head
    repairs.save()
    complaint = overdue(office, escalation_level=1, department=repairs)

    sweeps.enforce_reply_deadlines(now=LATER)

    complaint.refresh_from_db()
    assert complaint.assignee == head  # a handler sees the department they head in every office


@pytest.mark.parametrize("case", ["no department", "no head", "head left", "head cannot see it"])
def test_level_2_without_a_head_who_can_take_it_keeps_the_assignee(office, other_office, supervisor, make_user, case):
    repairs = department()
    if case != "no head":
        # an agent of another office sees only their own office: they could not open it
        role, where = ("agent", other_office) if case == "head cannot see it" else ("department_handler", office)
        repairs.head = make_user(role, office_=where, username="head", is_active=case != "head left")
        repairs.save()
    complaint = overdue(office, escalation_level=1, department=None if case == "no department" else repairs)
    assignee = complaint.assignee

    sweeps.enforce_reply_deadlines(now=LATER)

    complaint.refresh_from_db()
    assert (complaint.escalation_level, complaint.assignee) == (2, assignee)
    assert notified(complaint, Kind.REPLY_OVERDUE) == {supervisor.pk}
    assert not notified(complaint, Kind.MOVED_UP)


def test_level_3_keeps_the_internal_owner(office, supervisor):
    complaint = overdue(office, escalation_level=2)
    assignee = complaint.assignee

    sweeps.enforce_reply_deadlines(now=LATER)

    complaint.refresh_from_db()
    assert (complaint.escalation_level, complaint.assignee) == (3, assignee)


# ------------------------------------------------------------------ set-based
def test_the_query_count_does_not_grow_with_the_complaints_due(
    office, other_office, make_user, django_assert_num_queries
):
    # Given two offices — one with a supervisor on duty, one whose supervisors take turns — and
    # departments with heads, complaints due at level 0 and at level 1
    duty = make_user("supervisor", username="duty")
    office.supervisor_on_duty = duty
    office.save()
    for name in ("t1", "t2"):
        make_user("supervisor", office_=other_office, username=name)
    repairs, cleaning = department(), Department.objects.exclude(pk=department().pk).first()
    for dept, where in ((repairs, office), (cleaning, other_office)):
        dept.head = make_user("department_handler", office_=where, username=f"head-{dept.pk}", department=dept)
        dept.save()

    def make_due(n):
        for i in range(n):
            where = (office, other_office)[i % 2]
            level, dept = (0, None) if i % 3 else (1, (repairs, cleaning)[i % 2])
            overdue(where, minutes=i, escalation_level=level, department=dept)

    # When the sweep runs on 3 complaints due, then on 30
    make_due(3)
    with CaptureQueriesContext(connection) as at_3:
        assert sweeps.enforce_reply_deadlines(now=LATER)["receivers_set"] == 3
    make_due(30)
    with django_assert_num_queries(len(at_3.captured_queries)):
        assert sweeps.enforce_reply_deadlines(now=LATER)["receivers_set"] == 30

    # Then the receivers were set by the one UPDATE that marked the rows
    updates = [q["sql"] for q in at_3.captured_queries if q["sql"].startswith('UPDATE "complaints_complaint"')]
    assert len(updates) == 1 and "CASE WHEN" in updates[0]
    assert (
        not Complaint.objects.filter(reply_overdue_at__isnull=False, escalation_level=1)
        .exclude(assignee__in=[duty, *other_office.staff.filter(username__in=["t1", "t2"])])
        .exists()
    )
    assert not Complaint.objects.filter(escalation_level=2).exclude(assignee__username__startswith="head-").exists()


# ------------------------------------------------------------------------- admin
def test_the_office_admin_offers_only_its_own_active_supervisors(client, office, other_office, make_user):
    manager = make_user("manager", username="boss", is_staff=True)
    own = make_user("supervisor", username="own-sup")
    make_user("supervisor", username="left-sup", is_active=False)
    elsewhere = make_user("supervisor", office_=other_office, username="far-sup")
    agent = make_user("agent", username="just-agent")
    client.force_login(manager)
    url = reverse("admin:accounts_office_change", args=[office.pk])

    form = client.get(url).context["adminform"].form
    assert list(form.fields["supervisor_on_duty"].queryset) == [own]

    data = {"name": office.name, "code": office.code, "supervisor_on_duty": ""}
    for outsider in (elsewhere, agent):
        response = client.post(url, {**data, "supervisor_on_duty": outsider.pk})
        assert response.status_code == 200
        assert "Choose an active supervisor of this office." in response.content.decode()
    office.refresh_from_db()
    assert office.supervisor_on_duty is None

    assert client.post(url, {**data, "supervisor_on_duty": own.pk}).status_code == 302
    office.refresh_from_db()
    assert office.supervisor_on_duty == own


def test_the_department_head_and_a_users_language_and_post_are_edited_in_the_admin(client, office, make_user):
    manager = make_user("manager", username="boss", is_staff=True, is_superuser=True)
    head = make_user("department_handler", username="the-head")
    client.force_login(manager)
    repairs = department()

    response = client.post(
        reverse("admin:complaints_department_change", args=[repairs.pk]),
        {"name": repairs.name, "head": head.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    repairs.refresh_from_db()
    assert repairs.head == head

    url = reverse("admin:accounts_user_change", args=[head.pk])
    page = client.get(url).content.decode()
    assert 'name="language"' in page and 'name="executive_post"' in page
    response = client.post(
        url,
        {
            "username": head.username,
            "first_name": head.first_name,
            "last_name": head.last_name,
            "email": head.email,
            "is_active": "on",
            "date_joined_0": "2024-01-01",
            "date_joined_1": "09:00:00",
            "groups": [g.pk for g in head.groups.all()],
            "office": office.pk,
            "language": "zh-hans",
            "executive_post": "division_head",
        },
    )
    assert response.status_code == 302
    head.refresh_from_db()
    assert (head.language, head.executive_post) == ("zh-hans", "division_head")


def test_only_open_complaints_count_towards_a_supervisors_turn(office, make_user):
    first = make_user("supervisor", username="s1")
    make_user("supervisor", username="s2")  # as free as the first, were the closed complaint not counted
    closed = ComplaintFactory(office=office, assignee=first, received_by=first)
    Complaint.objects.filter(pk=closed.pk).update(
        status=Status.CLOSED, close_reason="auto_closed", closed_at=timezone.now()
    )
    complaint = overdue(office)

    sweeps.enforce_reply_deadlines(now=LATER)

    complaint.refresh_from_db()
    assert complaint.assignee == first  # a closed complaint is no load

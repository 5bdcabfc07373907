"""The periodic rules R-T1 … R-T4: boundaries (injected clock), idempotency, the escalation
cap, the newer-complaint exception, tier windows, and set-based query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import sweeps, tasks
from complaints.choices import CloseReason, EscalationCause, EventKind, Status
from complaints.models import Complaint
from notifications.models import Notification
from tests.factories import ComplaintFactory, CustomerFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(days=30)


def received(office, *, at=T0, **kwargs):
    kwargs.setdefault("reply_due_at", at + timedelta(hours=24))
    kwargs.setdefault("progress_due_at", at + timedelta(hours=24))
    return ComplaintFactory(office=office, received_by__office=office, received_at=at, **kwargs)


def kinds(complaint, kind):
    return complaint.events.filter(kind=kind).count()


# ------------------------------------------------------------------------- R-T1
def test_reply_deadline_boundary_and_exactly_once(office, supervisor, make_user, other_office):
    other_supervisor = make_user("supervisor", office_=other_office, username="elsewhere")
    complaint = received(office)
    due = complaint.reply_due_at

    assert sweeps.enforce_reply_deadlines(now=due)["processed"] == 0  # at the deadline: not yet
    counts = sweeps.enforce_reply_deadlines(now=due + timedelta(microseconds=1))
    assert counts["marked_overdue"] == 1 and counts["moved_up"] == 1

    complaint.refresh_from_db()
    assert complaint.reply_overdue_at == due + timedelta(microseconds=1)
    assert complaint.escalation_level == 1
    event = complaint.events.get(kind=EventKind.REPLY_OVERDUE)
    assert (event.from_level, event.to_level, event.actor) == (0, 1, None)
    assert event.data["escalation_cause"] == EscalationCause.DEADLINE_MISSED
    # issue 13: the office's only supervisor becomes its receiver and is told it was moved up to
    # them (not also that it is overdue: one notice per person per step)
    assert complaint.assignee == supervisor and event.data["to_user"] == supervisor.pk
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [(supervisor.pk, "moved_up")]
    assert not Notification.objects.filter(recipient=other_supervisor).exists()

    # running again (and later) changes nothing more
    again = sweeps.enforce_reply_deadlines(now=due + timedelta(hours=5))
    assert again["processed"] == 0
    complaint.refresh_from_db()
    assert complaint.escalation_level == 1 and kinds(complaint, EventKind.REPLY_OVERDUE) == 1
    assert Notification.objects.count() == 1


def test_replied_or_closed_complaints_are_not_overdue(office, agent):
    replied = received(office)
    replied.reply(actor=agent, note="Called back.")
    closed = received(office)
    closed.resolve_on_the_spot(actor=agent, resolution="Explained.", signoff_name="X", satisfied=True)
    assert sweeps.enforce_reply_deadlines(now=T0 + timedelta(days=2))["processed"] == 0


def test_reply_deadline_escalation_is_capped_at_level_3(office, supervisor):
    complaint = received(office, escalation_level=3)
    counts = sweeps.enforce_reply_deadlines(now=T0 + timedelta(days=2))
    assert counts["marked_overdue"] == 1 and counts["moved_up"] == 0
    complaint.refresh_from_db()
    assert complaint.escalation_level == 3 and complaint.reply_overdue_at is not None
    event = complaint.events.get(kind=EventKind.REPLY_OVERDUE)
    assert (event.from_level, event.to_level) == (3, 3)


def test_tier_window_is_shorter_for_a_customers(office, agent, settings):
    settings.HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {"A": 4.0}
    fields = dict(
        channel="phone",
        incident_at=timezone.now(),
        incident_place="Gate",
        subject="Smell",
        description="Bad smell",
        category=Complaint._meta.get_field("category").related_model.objects.first(),
        complainant_name="Ms Sun",
    )
    a_tier = Complaint.log(actor=agent, office=office, customer=CustomerFactory(tier="A"), **fields)
    c_tier = Complaint.log(actor=agent, office=office, customer=CustomerFactory(tier="C"), **fields)
    assert a_tier.reply_due_at == a_tier.received_at + timedelta(hours=4)
    assert c_tier.reply_due_at == c_tier.received_at + timedelta(hours=24)

    sweeps.enforce_reply_deadlines(now=a_tier.received_at + timedelta(hours=5))
    a_tier.refresh_from_db()
    c_tier.refresh_from_db()
    assert a_tier.reply_overdue_at is not None
    assert c_tier.reply_overdue_at is None


# ------------------------------------------------------------------------- R-T2
def test_missing_progress_report_is_flagged_for_the_assignee_once(office, agent):
    complaint = received(
        office, received_by=agent, assignee=agent, first_replied_at=T0 + timedelta(hours=1), status=Status.IN_PROGRESS
    )
    due = complaint.progress_due_at
    assert sweeps.flag_missing_progress_reports(now=due)["processed"] == 0
    assert sweeps.flag_missing_progress_reports(now=due + timedelta(seconds=1))["flagged"] == 1
    assert sweeps.flag_missing_progress_reports(now=due + timedelta(hours=3))["processed"] == 0
    complaint.refresh_from_db()
    assert complaint.progress_flagged_at == due + timedelta(seconds=1)
    assert kinds(complaint, EventKind.PROGRESS_REPORT_DUE) == 1
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [(agent.pk, "progress_report_due")]

    # a progress report answers the flag and sets the next due time
    complaint.report_progress(actor=agent, note="Parts ordered.")
    complaint.refresh_from_db()
    assert complaint.progress_flagged_at is None
    assert complaint.progress_due_at == complaint.last_progress_at + timedelta(hours=24)
    assert sweeps.flag_missing_progress_reports(now=complaint.progress_due_at + timedelta(seconds=1))["flagged"] == 1


def test_resolved_complaints_need_no_progress_report(office):
    received(office, status=Status.RESOLVED, first_replied_at=T0, resolved_at=T0 + timedelta(hours=2))
    assert sweeps.flag_missing_progress_reports(now=T0 + timedelta(days=5))["processed"] == 0


# ------------------------------------------------------------------------- R-T3
def test_missed_completion_date_is_flagged_and_a_new_date_clears_it(office, agent, supervisor):
    promised = timezone.now() + timedelta(hours=1)
    complaint = received(office, status=Status.HANDLING, first_replied_at=T0, committed_completion_at=promised)
    assert sweeps.flag_missed_completion_dates(now=promised)["processed"] == 0
    assert sweeps.flag_missed_completion_dates(now=promised + timedelta(seconds=1))["flagged"] == 1
    assert sweeps.flag_missed_completion_dates(now=promised + timedelta(days=1))["processed"] == 0
    complaint.refresh_from_db()
    assert complaint.completion_overdue_at is not None
    assert complaint.is_overdue(now=promised + timedelta(seconds=1))
    assert Notification.objects.filter(recipient=supervisor, kind="completion_overdue").count() == 1

    complaint.commit_completion(actor=agent, completion_at=timezone.now() + timedelta(days=2), note="New part.")
    complaint.refresh_from_db()
    assert complaint.completion_overdue_at is None
    assert kinds(complaint, EventKind.COMPLETION_OVERDUE) == 1


# ------------------------------------------------------------------------- R-T4
def declined(office, *, at=T0, **kwargs):
    return received(
        office,
        at=at,
        status=Status.CALLBACK_DECLINED,
        first_replied_at=at + timedelta(hours=1),
        resolved_at=at + timedelta(hours=5),
        callback_declined_at=at + timedelta(hours=6),
        auto_close_due_at=at + timedelta(hours=6, days=7),
        **kwargs,
    )


def test_auto_close_seven_days_after_declined_callback(office):
    complaint = declined(office)
    due = complaint.auto_close_due_at
    assert sweeps.auto_close_after_declined_callback(now=due - timedelta(seconds=1))["processed"] == 0
    counts = sweeps.auto_close_after_declined_callback(now=due)
    assert counts["closed"] == 1 and counts["linked_to_newer"] == 0
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED and complaint.close_reason == CloseReason.AUTO_CLOSED
    assert complaint.closed_at == due
    event = complaint.events.get(kind=EventKind.AUTO_CLOSED)
    assert (event.from_status, event.to_status, event.actor) == (Status.CALLBACK_DECLINED, Status.CLOSED, None)
    assert sweeps.auto_close_after_declined_callback(now=due + timedelta(days=1))["processed"] == 0
    assert kinds(complaint, EventKind.AUTO_CLOSED) == 1


def test_decline_callback_sets_the_auto_close_date(office, agent):
    complaint = received(office, status=Status.RESOLVED, first_replied_at=T0, resolved_at=T0)
    complaint.decline_callback(actor=agent, note="No need to call.")
    complaint.refresh_from_db()
    assert complaint.auto_close_due_at == complaint.callback_declined_at + timedelta(days=7)


@pytest.mark.parametrize("same", ["customer", "phone", "email"])
def test_newer_complaint_from_the_same_complainant_blocks_auto_close(office, supervisor, same):
    customer = CustomerFactory()
    identity = {
        "customer": {"customer": customer, "contact_phone": "13800000001"},
        "phone": {"contact_phone": "13900000002"},
        "email": {"contact_phone": "", "contact_email": "same@example.com"},
    }[same]
    old = declined(office, **identity)
    newer = received(office, at=old.resolved_at + timedelta(days=2), **identity)
    received(office, at=old.resolved_at + timedelta(days=1), contact_phone="13700000003")  # someone else

    counts = sweeps.auto_close_after_declined_callback(now=old.auto_close_due_at)
    assert counts == {"processed": 1, "closed": 0, "linked_to_newer": 1, "notifications": 1}
    old.refresh_from_db()
    assert old.status == Status.CALLBACK_DECLINED and old.newer_complaint_id == newer.pk
    assert old.events.get(kind=EventKind.NEWER_COMPLAINT_LINKED).data["newer_complaint"] == newer.pk
    assert Notification.objects.get().recipient == supervisor
    # left for a person: later sweeps do not touch it again
    assert sweeps.auto_close_after_declined_callback(now=old.auto_close_due_at + timedelta(days=3))["processed"] == 0


def test_complaint_before_handling_or_from_others_does_not_block(office):
    old = declined(office, contact_phone="13900000009")
    received(office, at=old.received_at - timedelta(days=3), contact_phone="13900000009")  # older one
    received(office, at=old.resolved_at + timedelta(days=1), contact_phone="13900000010")  # another person
    assert sweeps.auto_close_after_declined_callback(now=old.auto_close_due_at)["closed"] == 1


# ------------------------------------------------------------------ set-based
def _queries(rule, now):
    with CaptureQueriesContext(connection) as ctx:
        rule(now=now)
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "rule, make",
    [
        ("enforce_reply_deadlines", lambda office: received(office)),
        ("flag_missing_progress_reports", lambda office: received(office, first_replied_at=T0)),
        (
            "flag_missed_completion_dates",
            lambda office: received(
                office, status=Status.HANDLING, first_replied_at=T0, committed_completion_at=T0 + timedelta(days=1)
            ),
        ),
        ("auto_close_after_declined_callback", lambda office: declined(office)),
    ],
)
def test_query_count_does_not_grow_with_matching_complaints(office, other_office, supervisor, rule, make):
    now = T0 + timedelta(days=20)
    for _ in range(5):
        make(office)
    at_5 = _queries(sweeps.SWEEPS[rule], now)
    for _ in range(25):
        make(office)
        make(other_office)
    at_50 = _queries(sweeps.SWEEPS[rule], now)
    assert Complaint.objects.filter(events__actor__isnull=True).distinct().count() == 55
    assert at_50 == at_5, (rule, at_5, at_50)


# ---------------------------------------------------------------------- tasks
def test_tasks_return_their_counts(office, supervisor):
    received(office, at=timezone.now() - timedelta(days=2))
    result = tasks.enforce_reply_deadlines.apply().get()
    assert result["marked_overdue"] == 1
    assert tasks.flag_missing_progress_reports.apply().get()["processed"] >= 0
    assert tasks.flag_missed_completion_dates.apply().get()["processed"] == 0
    assert tasks.auto_close_after_declined_callback.apply().get()["processed"] == 0

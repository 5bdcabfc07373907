"""Issue 17, the periodic sweeps at scale (R-T1 … R-T4): a fixed number of queries per batch
whatever the number due, two for an idle sweep; every due complaint changed once, with one
event and the same notifications to the same people with the same data, however the sweep
cuts the due complaints into batches; the events handed to `events_logged` are the rows
written; the notification ids go to the e-mail task after commit; and the sweeps still run
on SQLite, the embedded default (`make run`)."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import periodic, sweeps
from complaints.choices import CloseReason, EscalationCause, EventKind, Status
from complaints.models import Category, Complaint, ComplaintEvent, Department
from complaints.signals import events_logged
from notifications.models import Notification
from tests.factories import department

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
T0 = timezone.now().replace(microsecond=0) - timedelta(days=30)
NOW = T0 + timedelta(days=20)
RULES = list(sweeps.SWEEPS)
# queries per batch (complaints/sweeps.py): R-T1 with receivers at level 1 and 2 to find, R-T4
# with complaints both to close and to link (and the one query of the complainants' notices of
# the closed ones, complainants/notices.py, here with no complainant who follows it online)
PER_BATCH = {
    "enforce_reply_deadlines": 8,
    "flag_missing_progress_reports": 5,
    "flag_missed_completion_dates": 6,
    "auto_close_after_declined_callback": 10,
}


@pytest.fixture
def world(office, other_office, make_user):
    """Two offices: one with a supervisor on duty among three, one whose two supervisors take
    turns; two departments whose heads can see the complaints; an agent in each office."""
    duty = make_user("supervisor", username="duty")
    make_user("supervisor", username="sup-a")
    make_user("supervisor", username="sup-b")
    office.supervisor_on_duty = duty
    office.save()
    for name in ("turn-a", "turn-b"):
        make_user("supervisor", office_=other_office, username=name)
    repairs, cleaning = department(), Department.objects.exclude(pk=department().pk).first()
    for dept, where in ((repairs, office), (cleaning, other_office)):
        dept.head = make_user("department_handler", office_=where, username=f"head-{dept.pk}", department=dept)
        dept.save()
    agents = [make_user("agent", username="agent-1"), make_user("agent", office_=other_office, username="agent-2")]
    return {"offices": [office, other_office], "agents": agents, "departments": [repairs, cleaning]}


def _make(world, rule: str, n: int, *, start: int = 0) -> list[Complaint]:
    """`n` complaints due for `rule` at NOW, in both offices, deadlines in creation order (one
    INSERT). Every branch of the rule occurs in every 4 consecutive complaints: R-T1 at levels
    0 … 3, with and without a department; R-T4 one complaint in two with a newer complaint."""
    category = Category.objects.order_by("pk").first()
    rows, newer = [], []
    for k in range(start, start + n):
        office, agent = world["offices"][k % 2], world["agents"][k % 2]
        at = T0 + timedelta(minutes=k)
        fields = dict(
            office=office,
            channel="phone",
            received_by=agent,
            assignee=agent,
            received_at=at,
            reply_due_at=at + timedelta(hours=24),
            incident_at=at - timedelta(hours=2),
            incident_place="Building 3",
            subject=f"Lift {k}",
            description="Out of order.",
            category=category,
            contact_phone=f"139{k:08d}",
            first_replied_at=at + timedelta(hours=1),
            progress_flagged_at=at,  # not due for R-T2 unless it is the rule
        )
        if rule == "enforce_reply_deadlines":
            level = k % 4
            fields.update(
                status=Status.RECEIVED,
                first_replied_at=None,
                escalation_level=level,
                department=world["departments"][k % 2] if level == 1 or k % 3 == 0 else None,
            )
        elif rule == "flag_missing_progress_reports":
            fields.update(
                status=Status.IN_PROGRESS,
                progress_flagged_at=None,
                progress_due_at=at + timedelta(hours=30),
                assignee=None if k % 4 == 3 else agent,
            )
        elif rule == "flag_missed_completion_dates":
            fields.update(status=Status.HANDLING, committed_completion_at=at + timedelta(days=3))
        else:
            fields.update(
                status=Status.CALLBACK_DECLINED,
                resolved_at=at + timedelta(hours=5),
                callback_declined_at=at + timedelta(hours=6),
                auto_close_due_at=at + timedelta(days=7, hours=6),
            )
            if k % 2:  # the same phone again, after it was handled
                newer.append(
                    Complaint(
                        **{
                            **fields,
                            "status": Status.RECEIVED,
                            "received_at": NOW - timedelta(hours=1),
                            "reply_due_at": NOW + timedelta(hours=23),
                            "incident_at": NOW - timedelta(hours=2),
                            "resolved_at": None,
                            "callback_declined_at": None,
                            "auto_close_due_at": None,
                        }
                    )
                )
        rows.append(Complaint(**fields))
    Complaint.objects.bulk_create(newer)
    return Complaint.objects.bulk_create(rows)


SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def _queries(rule: str, now=NOW) -> tuple[int, dict]:
    """The queries of one sweep (not the savepoints of the test's transaction)."""
    with CaptureQueriesContext(connection) as ctx:
        counts = sweeps.SWEEPS[rule](now=now)
    return sum(1 for q in ctx.captured_queries if not q["sql"].startswith(SAVEPOINTS)), counts


def _snapshot() -> dict:
    """What the sweeps wrote, without ids (sequences do not roll back)."""
    return {
        "complaints": sorted(
            Complaint.objects.values_list(
                "subject",
                "status",
                "close_reason",
                "closed_at",
                "escalation_level",
                "assignee_id",
                "reply_overdue_at",
                "progress_flagged_at",
                "completion_overdue_at",
                "newer_complaint__subject",
                "updated_at",
            )
        ),
        "events": sorted(
            (e.complaint.subject, e.kind, e.actor_id, e.created_at, e.from_status, e.to_status, e.from_level)
            + (e.to_level, e.note, json.dumps(e.data, sort_keys=True))
            for e in ComplaintEvent.objects.select_related("complaint")
        ),
        "notifications": sorted(
            (n.recipient_id, n.complaint.subject if n.complaint else None, n.kind, json.dumps(n.data, sort_keys=True))
            for n in Notification.objects.select_related("complaint")
        ),
    }


# ------------------------------------------------------------------ query counts
@pytest.mark.parametrize("rule", RULES)
def test_the_query_count_is_the_same_for_3_and_for_1200_complaints_due(world, rule):
    # Given 3 complaints due, then 1,200 (one batch: periodic.BATCH is larger)
    assert periodic.BATCH >= 1200
    _make(world, rule, 3)
    at_3, counts_3 = _queries(rule)
    _make(world, rule, 1200, start=3)
    # When the sweep handles each set
    at_1200, counts_1200 = _queries(rule)
    # Then both took the same, fixed number of queries
    assert (counts_3["processed"], counts_1200["processed"]) == (3, 1200)
    assert at_3 == at_1200 == PER_BATCH[rule], (rule, at_3, at_1200)


@pytest.mark.parametrize("rule", RULES)
def test_the_query_count_grows_only_with_the_number_of_batches(world, rule, monkeypatch):
    # Given batches of 500 and 1,200 complaints due: two full batches and one of 200
    monkeypatch.setattr(periodic, "BATCH", 500)
    _make(world, rule, 1200)
    # When the sweep runs
    queries, counts = _queries(rule)
    # Then each batch cost the same fixed number of queries
    assert counts["processed"] == 1200
    assert queries == 3 * PER_BATCH[rule]


@pytest.mark.parametrize("rule", RULES)
def test_an_idle_sweep_is_the_lock_and_one_query(world, rule):
    _make(world, rule, 5)
    queries, counts = _queries(rule, now=T0)  # before every deadline: nothing due
    assert counts == {"processed": 0}
    assert queries == (2 if connection.vendor == "postgresql" else 1)


# ------------------------------------------------------------------------ results
@pytest.mark.parametrize("rule", RULES)
def test_the_results_do_not_depend_on_how_the_due_complaints_are_batched(world, rule, monkeypatch):
    # Given 60 complaints due
    _make(world, rule, 60)
    # When the sweep runs in batches of 7 (then undone) …
    with transaction.atomic():
        monkeypatch.setattr(periodic, "BATCH", 7)
        assert sweeps.SWEEPS[rule](now=NOW)["processed"] == 60
        in_sevens = _snapshot()
        transaction.set_rollback(True)
    # … and in one batch
    monkeypatch.undo()
    assert sweeps.SWEEPS[rule](now=NOW)["processed"] == 60
    # Then the complaints, their events and the notifications are the same
    once = _snapshot()
    assert once == in_sevens
    assert len(once["events"]) == 60
    # And a second run changes nothing (the guard columns)
    assert sweeps.SWEEPS[rule](now=NOW + timedelta(days=1))["processed"] == 0
    assert _snapshot() == once


def _notified(complaint, kind):
    return {
        (n.recipient_id, json.dumps(n.data, sort_keys=True))
        for n in Notification.objects.filter(complaint=complaint, kind=kind)
    }


def _supervisors(office):
    return set(office.staff.filter(groups__name="supervisor", is_active=True).values_list("pk", flat=True))


def test_reply_deadlines_every_row_as_the_rule_says(world):
    # Given 40 complaints past their reply time at levels 0 … 3
    due = _make(world, "enforce_reply_deadlines", 40)
    # When the sweep runs
    counts = sweeps.enforce_reply_deadlines(now=NOW)
    # Then each is marked overdue, moved up one level (at most 3) with one event, its receiver
    # named in the event and told "moved up", the other supervisors told "reply overdue"
    assert counts["marked_overdue"] == 40
    for before in due:
        c = Complaint.objects.get(pk=before.pk)
        level = min(before.escalation_level + 1, 3)
        assert (c.reply_overdue_at, c.updated_at, c.escalation_level) == (NOW, NOW, level)
        (event,) = c.events.all()
        assert (event.kind, event.actor_id, event.created_at, event.note) == (EventKind.REPLY_OVERDUE, None, NOW, "")
        assert (event.from_status, event.to_status, event.from_level, event.to_level) == (
            Status.RECEIVED,
            Status.RECEIVED,
            before.escalation_level,
            level,
        )
        expected = {"escalation_cause": "deadline_missed", "reply_due_at": before.reply_due_at.isoformat()}
        receiver = event.data.get("to_user")
        if receiver is not None:
            expected |= {"to_user": receiver, "to_user_name": str(c.assignee)}
            assert c.assignee_id == receiver
        else:
            assert c.assignee_id == before.assignee_id
        assert event.data == expected
        moved_up = {"to_level": level, "cause": EscalationCause.DEADLINE_MISSED}
        assert _notified(c, "moved_up") == ({(receiver, json.dumps(moved_up, sort_keys=True))} if receiver else set())
        overdue = json.dumps({"to_level": level, "due_at": before.reply_due_at.isoformat()}, sort_keys=True)
        assert _notified(c, "reply_overdue") == {(pk, overdue) for pk in _supervisors(c.office) - {receiver}}
    # the receivers at level 1 and 2 were found
    assert counts["receivers_set"] == sum(1 for c in due if c.escalation_level in (0, 1))


def test_progress_reports_every_row_as_the_rule_says(world):
    due = _make(world, "flag_missing_progress_reports", 40)
    assert sweeps.flag_missing_progress_reports(now=NOW) == {"processed": 40, "flagged": 40, "notifications": 30}
    for before in due:
        c = Complaint.objects.get(pk=before.pk)
        assert (c.progress_flagged_at, c.updated_at, c.status) == (NOW, NOW, Status.IN_PROGRESS)
        (event,) = c.events.all()
        assert (event.kind, event.from_status, event.to_status, event.from_level, event.to_level) == (
            EventKind.PROGRESS_REPORT_DUE,
            Status.IN_PROGRESS,
            Status.IN_PROGRESS,
            0,
            0,
        )
        assert event.data == {"progress_due_at": before.progress_due_at.isoformat()}
        data = json.dumps({"due_at": before.progress_due_at.isoformat()})
        assert _notified(c, "progress_report_due") == ({(c.assignee_id, data)} if c.assignee_id else set())


def test_completion_dates_every_row_as_the_rule_says(world):
    due = _make(world, "flag_missed_completion_dates", 40)
    assert sweeps.flag_missed_completion_dates(now=NOW)["flagged"] == 40
    for before in due:
        c = Complaint.objects.get(pk=before.pk)
        assert c.completion_overdue_at == NOW
        (event,) = c.events.all()
        assert (event.kind, event.from_status, event.to_status) == (
            EventKind.COMPLETION_OVERDUE,
            Status.HANDLING,
            Status.HANDLING,
        )
        assert event.data == {"committed_completion_at": before.committed_completion_at.isoformat()}
        data = json.dumps({"due_at": before.committed_completion_at.isoformat()})
        assert _notified(c, "completion_overdue") == {(pk, data) for pk in _supervisors(c.office)}


def test_auto_close_every_row_as_the_rule_says(world):
    due = _make(world, "auto_close_after_declined_callback", 40)
    counts = sweeps.auto_close_after_declined_callback(now=NOW)
    assert (counts["processed"], counts["closed"], counts["linked_to_newer"]) == (40, 20, 20)
    for before in due:
        c = Complaint.objects.get(pk=before.pk)
        (event,) = c.events.all()
        if c.newer_complaint_id is None:
            assert (c.status, c.close_reason, c.closed_at, c.updated_at) == (
                Status.CLOSED,
                CloseReason.AUTO_CLOSED,
                NOW,
                NOW,
            )
            assert (event.kind, event.from_status, event.to_status, event.data) == (
                EventKind.AUTO_CLOSED,
                Status.CALLBACK_DECLINED,
                Status.CLOSED,
                {},
            )
            assert not Notification.objects.filter(complaint=c).exists()
        else:
            newer = c.newer_complaint
            assert (newer.contact_phone, newer.status, c.status, c.updated_at) == (
                c.contact_phone,
                Status.RECEIVED,
                Status.CALLBACK_DECLINED,
                NOW,
            )
            assert (event.kind, event.from_status, event.to_status, event.data) == (
                EventKind.NEWER_COMPLAINT_LINKED,
                Status.CALLBACK_DECLINED,
                Status.CALLBACK_DECLINED,
                {"newer_complaint": newer.pk},
            )
            data = json.dumps({"newer_complaint": newer.pk})
            assert _notified(c, "newer_complaint_linked") == {(pk, data) for pk in _supervisors(c.office)}


# ---------------------------------------------------- the events and the e-mails
@pytest.mark.parametrize("rule", RULES)
def test_events_logged_hands_on_the_events_as_written(world, rule):
    _make(world, rule, 12)
    batches = []

    def receiver(sender, *, events, **kwargs):
        batches.append(events)

    events_logged.connect(receiver)
    try:
        sweeps.SWEEPS[rule](now=NOW)
    finally:
        events_logged.disconnect(receiver)
    sent = [e for batch in batches for e in batch]
    assert len(sent) == 12
    stored = {e.pk: e for e in ComplaintEvent.objects.all()}
    for event in sent:
        assert not event._state.adding and event.pk in stored
        written = stored[event.pk]
        fields = ("complaint_id", "actor_id", "created_at", "kind", "from_status", "to_status", "from_level")
        for name in (*fields, "to_level", "note", "data"):
            assert getattr(event, name) == getattr(written, name), name


def test_the_notification_ids_go_to_the_e_mail_task_after_commit(world, django_capture_on_commit_callbacks):
    _make(world, "flag_missed_completion_dates", 30)
    with mock.patch("notifications.tasks.deliver_emails.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            sent = sweeps.flag_missed_completion_dates(now=NOW)["notifications"]
    handed = [pk for call in delay.call_args_list for pk in call.args[0]]
    assert len(handed) == sent == Notification.objects.count() == 15 * 3 + 15 * 2  # each office's supervisors
    assert sorted(handed) == sorted(Notification.objects.values_list("pk", flat=True))


# ------------------------------------------------------------------------- SQLite
SQLITE_RUN = """
import json
from datetime import timedelta
from django.utils import timezone
from accounts.models import Office
from complaints import sweeps
from complaints.models import Category, Complaint, ComplaintEvent
from notifications.models import Notification

office = Office.objects.filter(staff__groups__name="supervisor").first()
agent = office.staff.filter(groups__name="agent").first()
now = timezone.now() + timedelta(days=60)
at = now - timedelta(days=20)
common = dict(office=office, channel="phone", received_by=agent, assignee=agent, incident_at=at, incident_place="Gate",
              subject="SQLite", description="-", category=Category.objects.first(), received_at=at,
              reply_due_at=at + timedelta(hours=24))
Complaint.objects.create(**common, status="received")
Complaint.objects.create(**common, status="in_progress", first_replied_at=at, progress_due_at=at + timedelta(days=1))
Complaint.objects.create(**common, status="handling", first_replied_at=at, progress_flagged_at=at,
                         committed_completion_at=at + timedelta(days=2))
declined = dict(common, status="callback_declined", first_replied_at=at, resolved_at=at, callback_declined_at=at,
                auto_close_due_at=at + timedelta(days=7))
Complaint.objects.create(**{**declined, "contact_phone": "13912345678"})
Complaint.objects.create(**{**declined, "contact_phone": "13987654321"})
Complaint.objects.create(**{**common, "contact_phone": "13987654321", "received_at": now - timedelta(days=1),
                            "reply_due_at": now, "incident_at": now - timedelta(days=1)})
out = {}
for name, sweep in sweeps.SWEEPS.items():
    events, notes = ComplaintEvent.objects.count(), Notification.objects.count()
    counts = sweep(now=now)
    out[name] = {"counts": counts, "events": ComplaintEvent.objects.count() - events,
                 "notifications": Notification.objects.count() - notes}
out["again"] = [sweep(now=now)["processed"] for sweep in sweeps.SWEEPS.values()]
from helpdesk.bulk import insert_rows
values = [{"a": 1, "b": [True, None, "s"]}, "a string", 5, 1.5, True, False, [1, 2], {}, '漏水 "q"']
ids = insert_rows(Notification, ["recipient", "kind", "data"], [(agent.pk, "reassigned", v) for v in values])
out["json"] = [Notification.objects.get(pk=pk).data for pk in ids] == values
print("RESULT " + json.dumps(out))
"""


def test_the_sweeps_run_on_sqlite(tmp_path):
    """`make run` without DATABASE_URL: the JSON rows (json_each), UPDATE … FROM and RETURNING
    on SQLite, on the demo data and a few complaints due for each rule."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", CELERY_BROKER_URL="")
    for command in (("migrate", "--noinput", "-v0"), ("seed_demo",), ("shell", "-c", SQLITE_RUN)):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout.split("RESULT ", 1)[1])
    for name in RULES:
        counts = out[name]["counts"]
        assert counts["processed"] >= 1, (name, out)
        assert out[name]["events"] == counts["processed"], (name, out)  # one event per complaint changed
        # (and the managers' notice of the head office, which has no supervisor, seed_demo)
        assert out[name]["notifications"] >= counts.get("notifications", 0), (name, out)
    assert out["auto_close_after_declined_callback"]["counts"]["linked_to_newer"] >= 1
    assert out["again"] == [0, 0, 0, 0]
    assert out["json"] is True  # every kind of JSON value stored as a JSONField stores it (helpdesk/bulk.py)

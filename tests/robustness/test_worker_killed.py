"""Issue 16.5: a worker killed mid-sweep costs a minute, not an hour, and nothing is done
twice. Real workers on the local Redis broker (db 9) and the PostgreSQL test database.

The sweep is slowed by the test hook of complaints/tasks.py (HELPDESK_TEST_SWEEP_DELAY: a
pause inside the sweep's transaction right after its first complaint events are written);
the broker's visibility timeout is shortened to 10 s for these workers
(HELPDESK_CELERY_VISIBILITY_TIMEOUT; production: the hard time limit + 60 s)."""

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from complaints.choices import EventKind
from complaints.models import Complaint, ComplaintEvent
from notifications.models import Notification
from tests.factories import ComplaintFactory
from tests.test_celery_worker import _need_real_services, _wait_for, _worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VISIBILITY = "10"
COMPLAINTS = 3
MEASURED: dict[str, float] = {}


def _overdue_complaints(office):
    now = timezone.now()
    return [
        ComplaintFactory(
            office=office,
            received_by__office=office,
            received_at=now - timedelta(hours=30),
            reply_due_at=now - timedelta(hours=6),
        )
        for _ in range(COMPLAINTS)
    ]


def _paused_sweeps() -> list[int]:
    """Backends of the test database paused mid-sweep: idle in a transaction whose last
    statement wrote complaint events (the test hook sleeps right there)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT pid FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()
                 AND state = 'idle in transaction' AND query LIKE 'INSERT INTO "complaints_complaintevent"%%'"""
        )
        return [row[0] for row in cursor.fetchall()]


def _all_done(complaints) -> bool:
    return Complaint.objects.filter(pk__in=[c.pk for c in complaints], reply_overdue_at__isnull=False).count() == len(
        complaints
    )


def _assert_done_exactly_once(complaints, supervisor):
    ids = [c.pk for c in complaints]
    for complaint in complaints:
        complaint.refresh_from_db()
        assert complaint.escalation_level == 1
    assert ComplaintEvent.objects.filter(complaint_id__in=ids, kind=EventKind.REPLY_OVERDUE).count() == COMPLAINTS
    assert Notification.objects.filter(complaint_id__in=ids, recipient=supervisor).count() == COMPLAINTS


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def test_a_killed_solo_worker_s_sweep_is_finished_by_another_worker_within_a_minute(office, supervisor):
    _need_real_services()
    from complaints.tasks import enforce_reply_deadlines

    complaints = _overdue_complaints(office)
    env = {"HELPDESK_CELERY_VISIBILITY_TIMEOUT": VISIBILITY}
    # Given worker A in the middle of the sweep (events written, not committed)
    with _worker(env={**env, "HELPDESK_TEST_SWEEP_DELAY": "120"}) as (queue, output_a, worker_a):
        enforce_reply_deadlines.apply_async(queue=queue)
        _wait_for(_paused_sweeps, output_a, seconds=60)
        # When it is killed outright (no warm shutdown, the message stays unacknowledged)
        worker_a.send_signal(signal.SIGKILL)
        worker_a.wait(timeout=10)
        killed_at = time.monotonic()
    # Then nothing of its batch was kept (PostgreSQL rolled it back) ...
    _wait_for(lambda: not _paused_sweeps(), output_a, seconds=20)
    assert not _all_done(complaints)
    assert not ComplaintEvent.objects.filter(kind=EventKind.REPLY_OVERDUE).exists()
    # ... and worker B, started on the same queue, gets the message back and finishes the sweep
    with _worker(queue=queue, env=env) as (_queue, output_b, _worker_b):
        _wait_for(lambda: _all_done(complaints), output_b, seconds=60)
        MEASURED["solo"] = time.monotonic() - killed_at
        time.sleep(2)  # a second run, if there were one, would have shown by now
    assert MEASURED["solo"] < 60
    _assert_done_exactly_once(complaints, supervisor)
    print(f"\nsolo: killed → finished by worker B in {MEASURED['solo']:.1f} s (visibility timeout {VISIBILITY} s)")


def test_a_killed_prefork_child_s_sweep_is_requeued_and_finished_by_the_pool(office, supervisor):
    _need_real_services()
    from complaints.tasks import enforce_reply_deadlines

    complaints = _overdue_complaints(office)
    env = {"HELPDESK_CELERY_VISIBILITY_TIMEOUT": VISIBILITY, "HELPDESK_TEST_SWEEP_DELAY": "3"}
    with _worker(pool="prefork", concurrency=1, env=env) as (queue, output, worker):
        # Given the pool's child in the middle of the sweep
        enforce_reply_deadlines.apply_async(queue=queue)
        _wait_for(_paused_sweeps, output, seconds=60)
        children = _children(worker.pid)
        assert len(children) == 1, children
        # When the child (not the parent) is killed: WorkerLostError in the parent
        first = set(_paused_sweeps())
        os.kill(children[0], signal.SIGKILL)
        killed_at = time.monotonic()
        # Then the message is put back at once (reject_on_worker_lost), a new child takes it
        # (and pauses again, 3 s, in the test hook) and finishes the sweep
        _wait_for(lambda: set(_paused_sweeps()) - first, output, seconds=60)
        MEASURED["prefork_redelivered"] = time.monotonic() - killed_at
        _wait_for(lambda: _all_done(complaints), output, seconds=60)
        MEASURED["prefork"] = time.monotonic() - killed_at
        time.sleep(2)
    log = "".join(output)
    assert "WorkerLostError" in log or "exited prematurely" in log, log[-3000:]
    assert MEASURED["prefork"] < 60
    _assert_done_exactly_once(complaints, supervisor)
    print(
        f"\nprefork: child killed → running again in {MEASURED['prefork_redelivered']:.1f} s,"
        f" finished in {MEASURED['prefork']:.1f} s (incl. the 3 s test pause)"
    )

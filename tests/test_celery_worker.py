"""Celery for real: a worker process on the local Redis broker applies a rule to the
PostgreSQL test database; and logging a complaint survives an unreachable broker."""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from complaints.choices import EventKind
from complaints.models import Complaint
from notifications.models import Notification
from tests.factories import ComplaintFactory, CustomerFactory

ROOT = Path(__file__).resolve().parents[1]
BROKER = os.environ.get("CELERY_BROKER_URL", "")
REQUIRED = os.environ.get("HELPDESK_E2E_REQUIRED") == "1"


def _need_real_services():
    problems = []
    if not BROKER.startswith("redis://"):
        problems.append("CELERY_BROKER_URL=redis://… not set")
    if connection.vendor != "postgresql":
        problems.append("the worker needs a shared database (PostgreSQL), not in-memory SQLite")
    if problems:
        if REQUIRED:
            pytest.fail("; ".join(problems))
        pytest.skip("; ".join(problems))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_worker_on_redis_applies_the_reply_deadline_rule(office, supervisor):
    _need_real_services()
    from complaints.tasks import enforce_reply_deadlines

    # Given an overdue complaint, committed, in the test database
    now = timezone.now()
    complaint = ComplaintFactory(
        office=office,
        received_by__office=office,
        received_at=now - timedelta(hours=30),
        reply_due_at=now - timedelta(hours=6),
    )
    with _worker() as (queue, output, _process):
        # When the task is sent through Redis
        enforce_reply_deadlines.apply_async(queue=queue)
        # Then the worker's change shows up in PostgreSQL
        _wait_for(lambda: (complaint.refresh_from_db(), complaint.reply_overdue_at)[1] is not None, output)
    assert complaint.escalation_level == 1
    assert complaint.events.filter(kind=EventKind.REPLY_OVERDUE).count() == 1
    # the office's only supervisor (none on duty: in turn) becomes its receiver and is told so
    assert complaint.assignee_id == supervisor.pk
    assert Notification.objects.filter(recipient=supervisor, kind="moved_up").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_worker_plans_visits_and_flags_missed_ones():
    """R-T5 through the broker: plan_visits, then again (idempotent), then flag_missed_visits."""
    _need_real_services()
    from followups import planning
    from followups.models import Visit
    from followups.tasks import flag_missed_visits, plan_visits

    customer = CustomerFactory(tier="A")
    past = Visit.objects.create(
        customer=customer,
        visitor_role="department_manager",
        reason="cadence",
        due_on=timezone.localdate() - timedelta(days=3),
    )
    with _worker() as (queue, output, _process):
        # one solo worker takes the three messages in order
        plan_visits.apply_async(queue=queue)
        plan_visits.apply_async(queue=queue)
        flag_missed_visits.apply_async(queue=queue)
        _wait_for(lambda: Visit.objects.filter(pk=past.pk, status="missed").exists(), output)
    planned = Visit.objects.filter(customer=customer, status="planned")
    assert planned.count() >= 11  # 6 + 3 + 1 + 1 in any 90-day window, or more
    assert planned.count() == len(set(planned.values_list("visitor_role", "reason", "due_on")))
    assert planning.plan_visits() == {"planned": 0, "assigned": 0}  # the worker planned everything


@contextmanager
def _worker(*, queue: str | None = None, pool: str = "solo", env: dict | None = None, concurrency: int = 1):
    """A Celery worker process on a queue of its own (or `queue`), on the real broker and the
    test database. Yields (queue, output, process); `output` gets the worker's log at the end."""
    queue = queue or f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "HELPDESK_CELERY_QUEUE": queue,
        **(env or {}),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            f"--pool={pool}",
            *([f"--concurrency={concurrency}"] if pool == "prefork" else []),
            "-Q",
            queue,
            "-n",
            f"{queue}-{uuid.uuid4().hex[:6]}@%h",
            "--loglevel=info",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        yield queue, output, worker
    finally:
        if worker.poll() is None:
            worker.terminate()
        try:
            out, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            out, _ = worker.communicate()
        output.append(out)


def _wait_for(condition, output: list[str], seconds: float = 60) -> float:
    """Poll `condition` until true; returns the seconds it took."""
    started = time.monotonic()
    deadline = started + seconds
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic() - started
        time.sleep(0.3)
    pytest.fail(f"the worker did not apply the rule in {seconds:.0f} s")


def _reset_broker_pools(app) -> None:
    """Drop the cached connection and producer pools so the next publish uses app.conf."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db
def test_logging_a_complaint_succeeds_when_the_broker_is_unreachable(
    client, agent, supervisor, django_capture_on_commit_callbacks, monkeypatch
):
    from helpdesk.celery import app
    from notifications.tasks import deliver_pending_emails

    # Given a broker nobody listens on (a closed port on this machine); Celery reads the
    # environment variable before its configuration
    saved = {key: app.conf[key] for key in ("broker_url", "broker_connection_timeout", "broker_connection_retry")}
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")
    app.conf.update(broker_url="redis://127.0.0.1:9/0", broker_connection_timeout=1, broker_connection_retry=False)
    _reset_broker_pools(app)
    try:
        client.force_login(agent)
        now = timezone.localtime()
        data = {
            "complainant_name": "Mr Huang",
            "contact_phone": "13912345678",
            "incident_place": "Lobby",
            "incident_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "subject": "Shouting at staff",
            "category": str(Complaint._meta.get_field("category").related_model.objects.first().pk),
            "description": "Still agitated after five minutes.",
            "outcome": "move_up",
            "supervisor": str(supervisor.pk),
        }
        # When an agent logs a walk-in complaint moved up to the supervisor (a notification)
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("complaints:intake_walk_in"), data)
        elapsed = time.monotonic() - started
    finally:
        app.conf.update(saved)
        _reset_broker_pools(app)

    # Then the complaint is saved, the request was not held up, and the notification waits
    assert response.status_code == 302
    complaint = Complaint.objects.get(subject="Shouting at staff")
    assert complaint.assignee == supervisor
    note = Notification.objects.get(recipient=supervisor, complaint=complaint)
    assert note.email_status == "pending"
    assert elapsed < 15  # tests/robustness/test_broker_down.py times it closely

    # And the periodic redelivery sends it once the broker is back (run here in-process)
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    deliver_pending_emails.apply()
    note.refresh_from_db()
    assert note.email_status == "sent"

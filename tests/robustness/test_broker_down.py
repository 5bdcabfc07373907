"""Issue 16.7: a broker that is down does not slow the desk. A walk-in intake that notifies
the supervisor is timed with the broker reachable (in-memory transport: the baseline), refused
(nobody listens on the port) and hung (it accepts the connection and never answers): the
complaint is saved, the notification waits as pending, and `deliver_pending_emails` sends it.
Publishing fails at once when refused (no connection retries: the Redis transport options of
the settings); after a failure the process leaves e-mail to the redelivery for
HELPDESK_BROKER_BACKOFF_SECONDS; a request waits at most HELPDESK_BROKER_PUBLISH_WAIT for the
broker (publishing runs in a background thread), so even a hung broker costs no request more."""

import os
import socket
import time
from contextlib import contextmanager
from datetime import timedelta

import kombu.transport.redis  # noqa: F401  (loaded in a running web process already)
import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from complaints.models import Category, Complaint
from notifications.models import Notification
from notifications.services import broker_backoff

pytestmark = pytest.mark.django_db
MEASURED: dict[str, float] = {}
EXTRA_LIMIT = 0.3  # seconds a down broker may add to a request


@pytest.fixture(autouse=True)
def _redis_transport_options():
    if "max_retries" not in getattr(django_settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}):
        pytest.skip("the Redis broker settings apply with CELERY_BROKER_URL=redis://…")
    broker_backoff.reset()
    yield
    broker_backoff.reset()


@contextmanager
def _broker(url: str):
    from helpdesk.celery import app

    # Celery reads the CELERY_BROKER_URL environment variable before its configuration
    saved, saved_env = app.conf.broker_url, os.environ.get("CELERY_BROKER_URL")
    app.conf.broker_url = os.environ["CELERY_BROKER_URL"] = url
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url = saved
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app._pool = None
        app.amqp._producer_pool = None


@contextmanager
def _hung_broker():
    """A port that accepts TCP connections (the kernel's backlog) and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        listener.close()


def _closed_port() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nobody listens there now
    return f"redis://127.0.0.1:{port}/0"


def _intake(client, supervisor, subject: str, capture) -> float:
    now = timezone.localtime()
    data = {
        "complainant_name": "Mr Huang",
        "contact_phone": "13912345678",
        "incident_place": "Lobby",
        "incident_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "subject": subject,
        "category": str(Category.objects.first().pk),
        "description": "Still agitated after five minutes.",
        "outcome": "move_up",
        "supervisor": str(supervisor.pk),
    }
    started = time.monotonic()
    with capture(execute=True):
        response = client.post(reverse("complaints:intake_walk_in"), data)
    elapsed = time.monotonic() - started
    assert response.status_code == 302, response.content[:500]
    complaint = Complaint.objects.get(subject=subject)
    assert Notification.objects.get(complaint=complaint, recipient=supervisor).email_status == "pending"
    return elapsed


def _baseline(client, supervisor, capture) -> float:
    with _broker("memory://"):
        _intake(client, supervisor, "Warm-up", capture)
        return min(_intake(client, supervisor, f"Baseline {i}", capture) for i in range(3))


def test_intake_with_the_broker_refusing_connections(
    client, agent, supervisor, settings, django_capture_on_commit_callbacks
):
    settings.HELPDESK_BROKER_BACKOFF_SECONDS = 30
    settings.HELPDESK_BROKER_PUBLISH_WAIT = 0.2  # the production default
    client.force_login(agent)
    base = _baseline(client, supervisor, django_capture_on_commit_callbacks)
    with _broker(_closed_port()):
        first = _intake(client, supervisor, "Refused 1", django_capture_on_commit_callbacks)
        assert broker_backoff.open()
        second = _intake(client, supervisor, "Refused 2", django_capture_on_commit_callbacks)
    MEASURED.update(baseline=base, refused_first=first, refused_next=second)
    print(f"\nbaseline {base * 1000:.0f} ms; broker refused: first {first * 1000:.0f} ms, next {second * 1000:.0f} ms")
    assert first - base < EXTRA_LIMIT
    assert second - base < EXTRA_LIMIT

    # and the periodic redelivery sends them once the broker is back (run here in-process)
    from notifications.tasks import deliver_pending_emails

    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    counts = deliver_pending_emails.apply().get()
    assert counts["sent"] == Notification.objects.count() == 6
    assert not Notification.objects.filter(email_status="pending").exists()


def test_intake_with_a_hung_broker(client, agent, supervisor, settings, django_capture_on_commit_callbacks):
    settings.HELPDESK_BROKER_BACKOFF_SECONDS = 30
    settings.HELPDESK_BROKER_PUBLISH_WAIT = 0.2
    client.force_login(agent)
    base = _baseline(client, supervisor, django_capture_on_commit_callbacks)
    with _hung_broker() as url, _broker(url):
        first = _intake(client, supervisor, "Hung 1", django_capture_on_commit_callbacks)
        assert broker_backoff.open()
        after = [_intake(client, supervisor, f"Hung {i}", django_capture_on_commit_callbacks) for i in range(2, 5)]
    MEASURED.update(hung_first=first, hung_next=max(after))
    print(f"\nbroker hung: first {first * 1000:.0f} ms, next {max(after) * 1000:.0f} ms")
    assert first - base < EXTRA_LIMIT  # waited HELPDESK_BROKER_PUBLISH_WAIT, not the socket timeout
    assert max(after) - base < EXTRA_LIMIT  # the back-off: no request waits again
    assert Notification.objects.filter(email_status="pending").count() == 8

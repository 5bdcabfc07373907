"""A broker restart: the worker reconnects by itself (the transport's `max_retries: 0` only
stops connection retries in the request path, not the worker's own reconnect loop) and runs
the next task. A private redis-server on a free loopback port, bounded in time."""

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.choices import EventKind
from tests.factories import ComplaintFactory
from tests.robustness.test_broker_down import _broker
from tests.test_celery_worker import _need_real_services, _wait_for, _worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@contextmanager
def _redis(port: int):
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server program")
def test_the_worker_reconnects_after_a_broker_restart(office, supervisor):
    _need_real_services()
    from complaints.tasks import enforce_reply_deadlines

    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    now = timezone.now()
    complaint = ComplaintFactory(
        office=office,
        received_by__office=office,
        received_at=now - timedelta(hours=30),
        reply_due_at=now - timedelta(hours=6),
    )
    # Given a worker connected to a broker that then restarts
    with _redis(port) as first:
        with _worker(env={"CELERY_BROKER_URL": url}) as (queue, output, worker):
            time.sleep(3)
            first.terminate()
            first.wait(timeout=10)
            time.sleep(2)  # the worker sees the broker gone
            with _redis(port):
                restarted_at = time.monotonic()
                # When a task is sent after the restart
                with _broker(url):
                    enforce_reply_deadlines.apply_async(queue=queue)
                # Then the reconnected worker runs it
                _wait_for(lambda: complaint.events.filter(kind=EventKind.REPLY_OVERDUE).exists(), output, seconds=60)
                took = time.monotonic() - restarted_at
                assert worker.poll() is None, "the worker gave up instead of reconnecting"
    print(f"\nbroker restarted: the worker ran the next task {took:.1f} s after the restart")

"""The worker container's command and healthcheck, run as compose runs them (no Docker):
docker/start-worker.sh under the production settings on Redis, then
docker/healthcheck-worker.sh (`celery inspect ping -d celery@$HOSTNAME`) answers 0 for this
node and not for another; a task run by it leaves one JSON line with its name, id, state and
runtime (the worker keeps the production LOGGING). Needs Redis (HELPDESK_TEST_REDIS_URL,
default redis://127.0.0.1:6379/7); skipped without it, failed in CI."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("HELPDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
REQUIRED = os.environ.get("HELPDESK_E2E_REQUIRED") == "1"


def _need_redis():
    address = urlsplit(REDIS_URL)
    try:
        socket.create_connection((address.hostname, address.port or 6379), timeout=2).close()
    except OSError:
        reason = f"no Redis at {address.hostname}:{address.port or 6379} (HELPDESK_TEST_REDIS_URL)"
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)


def _env(tmp_path: Path, hostname: str) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "CACHE_URL", "HELPDESK_", "SENTRY_"))
    }
    return {
        **clean,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOSTNAME": hostname,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "HELPDESK_SITE_URL": "https://helpdesk.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "CELERY_BROKER_URL": REDIS_URL,
        # a queue of its own, so that nothing else on this Redis reaches this worker
        "HELPDESK_CELERY_QUEUE": f"hd15a-{secrets.token_hex(4)}",
        "CELERY": str(BIN / "celery"),
    }


def _healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", "docker/healthcheck-worker.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_worker_healthcheck_pings_this_node_and_tasks_log_one_line(tmp_path, monkeypatch):
    _need_redis()
    hostname = f"hd15a-{secrets.token_hex(4)}"
    env = _env(tmp_path, hostname)
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            ["sh", "docker/start-worker.sh"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # the healthcheck passes once the worker is up (compose retries it the same way)
        deadline = time.monotonic() + 120
        while True:
            result = _healthcheck(env)
            if result.returncode == 0:
                break
            assert worker.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, f"no pong within 120 s:\n{result.stdout}{result.stderr}"
            time.sleep(1)
        assert f"celery@{hostname}" in result.stdout
        # another container's name gets no answer
        assert _healthcheck({**env, "HOSTNAME": f"{hostname}-other"}).returncode != 0

        # a task run by this worker leaves its line
        from celery import Celery

        monkeypatch.setenv("CELERY_BROKER_URL", REDIS_URL)  # Celery prefers this variable to broker=
        sender = Celery(broker=REDIS_URL)
        task_id = sender.send_task("celery.backend_cleanup", queue=env["HELPDESK_CELERY_QUEUE"]).id
        deadline = time.monotonic() + 60
        finished = None
        while finished is None and time.monotonic() < deadline:
            for line in log_path.read_text().splitlines():
                if line.startswith("{"):
                    record = json.loads(line)
                    if record.get("task_id") == task_id and record.get("state") == "SUCCESS":
                        finished = record
            time.sleep(0.5)
        assert finished, log_path.read_text()[-3000:]
        assert finished["task_name"] == "celery.backend_cleanup" and finished["runtime_ms"] >= 0
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def test_beat_starts_with_its_schedule_outside_the_application_files(tmp_path):
    _need_redis()
    env = {**_env(tmp_path, "hd15a-beat"), "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "beat-schedule")}
    log_path = tmp_path / "beat.log"
    with log_path.open("w") as log:
        beat = subprocess.Popen(
            ["sh", "docker/start-beat.sh"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        # (interval entries first fall due one interval after start: "Starting" and the file it writes)
        while "beat: Starting..." not in log_path.read_text() or not list(tmp_path.glob("beat-schedule*")):
            assert beat.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.5)
        assert beat.poll() is None
    finally:
        os.killpg(beat.pid, signal.SIGTERM)
        try:
            beat.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(beat.pid, signal.SIGKILL)
            beat.wait(timeout=10)
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=2).delete(env["HELPDESK_CELERY_QUEUE"])  # the unconsumed sends

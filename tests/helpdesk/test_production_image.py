"""The image, run the way compose runs it, serves every page with DEBUG off — proved without
Docker: the Dockerfile's own build step (docker/build-static.sh, collectstatic under the
production settings) into a temporary STATIC_ROOT, compose's `migrate` command into a fresh
PostgreSQL database, then the web container's command (docker/start-web.sh: gunicorn under
helpdesk.settings.production) on a free loopback port with compose's environment. Over HTTP:
the login page, a log-in, a logged-in page, its stylesheet (the hashed name in the HTML) and
a download, all 200; /health/ and the compose healthcheck script.

The requests carry `X-Forwarded-Proto: https`, as compose's HTTPS proxy in front of web does
(SECURE_PROXY_SSL_HEADER): the session and CSRF cookies are Secure, so they are sent back by
hand here (an HTTP client would drop them on plain http), and the log-in POST carries the
Origin and Referer a browser sends.

Needs PostgreSQL (DATABASE_URL=postgres://…, the server where the test creates and drops a
database of its own) and Redis (the broker and cache; HELPDESK_TEST_REDIS_URL, default
redis://127.0.0.1:6379/7). Skipped otherwise, with the reason; CI (HELPDESK_E2E_REQUIRED=1)
fails instead of skipping.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REQUIRED = os.environ.get("HELPDESK_E2E_REQUIRED") == "1"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("HELPDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
PASSWORD = "Prod-check-" + secrets.token_hex(8)
# Seconds for each command. collectstatic compresses ~40 MB with gzip and brotli: ~35 s of
# CPU, several times that on a busy machine.
TIMEOUT = 300


def _skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


def _need_services() -> None:
    if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
        _skip_or_fail("DATABASE_URL=postgres://… not set: the production image test runs on PostgreSQL")
    redis_host = urlsplit(REDIS_URL)
    try:
        socket.create_connection((redis_host.hostname, redis_host.port or 6379), timeout=2).close()
    except OSError:
        _skip_or_fail(f"no Redis at {redis_host.hostname}:{redis_host.port or 6379} (HELPDESK_TEST_REDIS_URL)")


@pytest.fixture
def fresh_database():
    """A PostgreSQL database of the test's own (dropped afterwards): its URL."""
    _need_services()
    import psycopg

    server = urlsplit(DATABASE_URL)
    name = f"hd_15a_prod_{secrets.token_hex(4)}"
    admin_url = server._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _compose_env(database_url: str, static_root: Path, port: int) -> dict[str, str]:
    """docker-compose.yml's app environment, on this machine's services."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "CACHE_URL", "HELPDESK_", "SENTRY_"))
    }
    return {
        **clean,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "HELPDESK_SITE_URL": "https://helpdesk.example.com",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": REDIS_URL,
        "CACHE_URL": REDIS_URL,
        "TIME_ZONE": "Asia/Shanghai",
        "HELPDESK_PRIVATE_MEDIA_ROOT": str(static_root.parent / "private"),
        "DJANGO_STATIC_ROOT": str(static_root),
        "PYTHON": sys.executable,
        "GUNICORN": str(BIN / "gunicorn"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }


def _run(args: list[str], env: dict[str, str], timings: dict, label: str) -> None:
    started = time.monotonic()
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    timings[label] = round(time.monotonic() - started, 1)
    assert result.returncode == 0, f"{label} failed:\n{result.stdout}\n{result.stderr}"


CREATE_MANAGER = """
from django.contrib.auth.models import Group
from accounts.models import Office, User
office = Office.objects.create(name="Head office", code="head", is_head_office=True)
user = User.objects.create_user("prodcheck", password={password!r}, office=office, email="prodcheck@example.com")
user.groups.add(Group.objects.get(name="manager"))
"""


class Browser:
    """Just enough of a browser behind an HTTPS proxy: Secure cookies kept and sent back."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, body: str | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        sent = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, content

    def get(self, path: str):
        return self.request("GET", path)


def _wait_for_health(port: int, server: subprocess.Popen, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    last = "no answer"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}")
        try:
            response, content = Browser(port).request("GET", "/health/", headers={"X-Forwarded-Proto": "http"})
            last = f"{response.status} {content[:200]!r}"
            if response.status == 200:
                return json.loads(content)
        except OSError as exc:
            last = str(exc)
        time.sleep(0.3)
    pytest.fail(f"/health/ not 200 within {seconds:.0f} s: {last}")


def _previous_month() -> str:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the TIME_ZONE the server runs in
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def test_the_image_commands_serve_every_page_under_the_production_settings(tmp_path, fresh_database, production_static):
    timings: dict[str, float] = {}
    port = _free_port()
    # Given the Dockerfile's build step (docker/build-static.sh, run once: tests/helpdesk/conftest.py)
    static_root, timings["build-static"] = production_static
    env = _compose_env(fresh_database, static_root, port)

    # and compose's migrate command, as they are
    _run([sys.executable, "manage.py", "migrate", "--noinput"], env, timings, "migrate")
    _run(
        [sys.executable, "manage.py", "shell", "-c", CREATE_MANAGER.format(password=PASSWORD)],
        env,
        timings,
        "create-user",
    )

    # When the web container's command runs
    started = time.monotonic()
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            ["sh", "docker/start-web.sh"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        health = _wait_for_health(port, server)
        timings["gunicorn-up"] = round(time.monotonic() - started, 1)
        started = time.monotonic()

        # Then /health/ is all ok, and compose's healthcheck script agrees
        assert health == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}
        probe = subprocess.run(
            [sys.executable, "docker/healthcheck-web.py", f"http://127.0.0.1:{port}/health/"],
            cwd=ROOT,
            capture_output=True,
            timeout=30,
        )
        assert probe.returncode == 0, probe.stderr

        browser = Browser(port)
        # the login page
        response, content = browser.get("/login/")
        assert response.status == 200, content[:500]
        assert response.getheader("X-Request-ID")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1).decode()
        assert "csrftoken" in browser.cookies

        # a log-in
        origin = f"https://127.0.0.1:{port}"
        response, content = browser.request(
            "POST",
            "/login/",
            body=urlencode({"csrfmiddlewaretoken": token, "username": "prodcheck", "password": PASSWORD}),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": f"{origin}/login/",
            },
        )
        assert response.status == 302, content[:1000]
        assert "sessionid" in browser.cookies

        # a logged-in page
        response, content = browser.get("/complaints/")
        assert response.status == 200, content[:1000]
        assert b"prodcheck" in content

        # its stylesheet, by the hashed name the manifest gave it
        stylesheet = re.search(rb'href="(/static/css/helpdesk\.[0-9a-f]{12}\.css)"', content)
        assert stylesheet, "the page links no hashed helpdesk.css"
        response, css = browser.get(stylesheet.group(1).decode())
        assert response.status == 200
        assert response.getheader("Content-Type", "").startswith("text/css")
        assert css and css == (static_root / stylesheet.group(1).decode().removeprefix("/static/")).read_bytes()

        # a download
        response, csv = browser.get(f"/reports/monthly/{_previous_month()}/summary.csv")
        assert response.status == 200, csv[:1000]
        assert response.getheader("Content-Disposition", "").startswith("attachment;")
        assert response.getheader("Content-Type", "").startswith("text/csv")

        # an upload declaring more than HELPDESK_REQUEST_MAX_BYTES is refused before it is read
        response, content = browser.request(
            "POST",
            "/customers/1/documents/",
            body="x" * 1024,
            headers={"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(1024 * 1024 * 1024)},
        )
        assert response.status == 413, content[:500]
        timings["requests"] = round(time.monotonic() - started, 1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)

    # And every request left one structured line, without the query string or the password
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("logger") == "helpdesk.request"]
    assert {(r["method"], r["path"], r["status"]) for r in requests} >= {
        ("GET", "/login/", 200),
        ("POST", "/login/", 302),
        ("GET", "/complaints/", 200),
    }
    assert all(r["request_id"] and "duration_ms" in r for r in requests)
    assert any(r.get("user_id") for r in requests if r["path"] == "/complaints/")
    assert PASSWORD not in log_path.read_text()
    print(f"production image timings (s): {timings}")

"""Shared storage across web processes (issue 15): a document uploaded through one web process
is downloaded through another — two `runserver --noreload` processes, each started from its own
working directory, both on the same PostgreSQL test database and the same private folder (the
named volume of a one-host deployment). Each browser signs in through the login form over HTTP.

Needs PostgreSQL (DATABASE_URL=postgres://…): the servers are separate processes and cannot see
the in-memory SQLite test database. Skipped otherwise (a failure with HELPDESK_E2E_REQUIRED=1)."""

import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from customers.models import ArchiveAccess, CustomerDocument
from tests.factories import PASSWORD, CustomerFactory

requests = pytest.importorskip("requests")

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = os.environ.get("HELPDESK_E2E_REQUIRED") == "1"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + os.urandom(2048)


def _need_postgresql():
    if connection.vendor != "postgresql":
        reason = "two web processes need a shared database: set DATABASE_URL=postgres://… (not in-memory SQLite)"
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def web_process(cwd: Path, media: Path):
    """`manage.py runserver --noreload` on 127.0.0.1 and a free port, started from `cwd`."""
    cwd.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HELPDESK_", "DATABASE_URL"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.test",
        "DATABASE_URL": _database_url(),
        "HELPDESK_PRIVATE_MEDIA_ROOT": str(media),
        "PYTHONUNBUFFERED": "1",
    }
    log = (cwd / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the web process in {cwd} ended: {(cwd / 'server.log').read_text()[-2000:]}")
            try:
                requests.get(base + reverse("login"), timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the web process in {cwd} did not answer within 60 s")
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def sign_in(base: str, username: str) -> requests.Session:
    """The login form over HTTP: GET it (CSRF cookie and token), POST the credentials."""
    browser = requests.Session()
    form = browser.get(base + reverse("login"), timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    response = browser.post(
        base + reverse("login"),
        data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": ""},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    assert "sessionid" in browser.cookies
    return browser


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_upload_through_one_web_process_download_through_another(tmp_path, make_user):
    _need_postgresql()
    # Given: two web processes in two working directories, one shared private folder
    shared = tmp_path / "volume" / "private"
    info = make_user("customer_info", username="info-two-procs")
    manager = make_user("manager", username="manager-two-procs")
    customer = CustomerFactory(name="Huanan Water Plant", tier="A")

    with web_process(tmp_path / "host-a", shared) as a, web_process(tmp_path / "host-b", shared) as b:
        # When: the document is uploaded through A ...
        uploader = sign_in(a, info.username)
        page = uploader.get(a + reverse("customers:detail", args=[customer.pk]), timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        upload = uploader.post(
            a + reverse("customers:upload_document", args=[customer.pk]),
            data={"csrfmiddlewaretoken": token, "kind": "contract", "title": "Operation contract"},
            files={"file": ("contract.pdf", PDF, "application/pdf")},
            allow_redirects=False,
            timeout=30,
        )
        assert upload.status_code == 302, upload.text[:1000]
        doc = CustomerDocument.objects.get(customer=customer)

        # ... and downloaded through B by someone else
        reader = sign_in(b, manager.username)
        download = reader.get(b + reverse("customers:download_document", args=[customer.pk, doc.pk]), timeout=30)

    # Then: the same bytes, from the shared folder, logged, never under either working directory
    assert download.status_code == 200, download.text[:500]
    assert download.content == PDF
    assert download.headers["Cache-Control"] == "private, no-store"
    stored = list(shared.rglob("*"))
    assert any(p.is_file() and p.read_bytes() == PDF for p in stored)
    for cwd in ("host-a", "host-b"):
        assert not [p for p in (tmp_path / cwd).rglob("*") if p.is_file() and p.name != "server.log"]
    assert ArchiveAccess.objects.filter(document=doc, action="upload", user=info).exists()
    assert ArchiveAccess.objects.filter(document=doc, action="download", user=manager).exists()

"""Every link sent out is absolute: HELPDESK_SITE_URL (declared in settings, required in
production) in front of the path, through one helper, helpdesk.urls_tools."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail

from helpdesk.urls_tools import absolute_reverse, absolute_url
from notifications.tasks import deliver_emails
from tests.factories import ComplaintFactory
from tests.notifications.factories import NotificationFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("site", ["https://helpdesk.example.com", "https://helpdesk.example.com/"])
def test_absolute_url_joins_the_site_and_the_path(settings, site):
    settings.HELPDESK_SITE_URL = site
    assert absolute_url("/complaints/7/") == "https://helpdesk.example.com/complaints/7/"
    assert absolute_url("complaints/7/") == "https://helpdesk.example.com/complaints/7/"
    assert absolute_url("https://elsewhere.example.com/x") == "https://elsewhere.example.com/x"
    assert absolute_reverse("complaints:detail", args=[7]) == "https://helpdesk.example.com/complaints/7/"


def test_the_local_default_is_the_development_server():
    from helpdesk.settings import base

    assert base.HELPDESK_SITE_URL == os.environ.get("HELPDESK_SITE_URL", "http://127.0.0.1:8000")


@pytest.mark.django_db
def test_a_notification_email_links_the_complaint_absolutely(agent, settings):
    settings.HELPDESK_SITE_URL = "https://helpdesk.example.com"
    complaint = ComplaintFactory(office=agent.office)
    note = NotificationFactory(recipient=agent, complaint=complaint)
    assert deliver_emails.apply(args=[[note.pk]]).successful()
    body = mail.outbox[0].body
    assert f"https://helpdesk.example.com/complaints/{complaint.pk}/" in body
    assert "https://helpdesk.example.com/notifications/" in body
    assert " /complaints/" not in body and "\n/" not in body  # no relative link left


def test_nothing_reads_the_site_url_around_the_helper():
    hits = [
        str(path.relative_to(ROOT))
        for app in ("accounts", "complaints", "customers", "followups", "notifications")
        for path in (ROOT / app).rglob("*.py")
        if "HELPDESK_SITE_URL" in path.read_text(encoding="utf-8")
    ]
    assert hits == []


def _production_check(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "HELPDESK_"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production",
            "DJANGO_SECRET_KEY": "x" * 60,
            "DJANGO_ALLOWED_HOSTS": "helpdesk.example.com",
            "DATABASE_URL": "sqlite:////tmp/hd15a-site-url-unused.sqlite3",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_the_site_url():
    result = _production_check()
    assert result.returncode != 0
    assert "HELPDESK_SITE_URL" in result.stderr
    result = _production_check(HELPDESK_SITE_URL="helpdesk.example.com")
    assert result.returncode != 0 and "public address" in result.stderr
    assert _production_check(HELPDESK_SITE_URL="https://helpdesk.example.com").returncode == 0

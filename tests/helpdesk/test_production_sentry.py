"""Error reporting with Sentry is optional (only with SENTRY_DSN) and sends no personal data:
no default PII, no request bodies, and `scrub_event` masks phones and known personal fields."""

import json
import os
import subprocess
import sys
from pathlib import Path

from helpdesk.logs import PHONE_MASK
from helpdesk.sentry import FILTERED, scrub_event

ROOT = Path(__file__).resolve().parents[2]


def _event():
    return {
        "message": "Complaint from 13912345678 failed",
        "exception": {"values": [{"type": "ValueError", "value": "no customer for +86 139-1234-5678"}]},
        "user": {"id": 7, "username": "agent1", "email": "agent1@example.com", "ip_address": "10.0.0.9"},
        "request": {
            "url": "https://helpdesk.example.com/complaints/new/",
            "method": "POST",
            "query_string": "q=Mr+Huang",
            "data": {"complainant_name": "Mr Huang", "contact_phone": "13912345678"},
            "cookies": {"sessionid": "abc"},
            "headers": {"User-Agent": "test"},
        },
        "extra": {"complainant_name": "Mr Huang", "count": 3, "note": "call back on 021-6234 5678"},
        "breadcrumbs": {"values": [{"message": "customer phone 13812345678", "data": {"name": "Ms Chen"}}]},
        "contexts": {"trace": {"trace_id": "0123456789abcdef0123456789abcdef"}},
    }


def test_the_scrubber_removes_personal_data():
    scrubbed = scrub_event(_event(), {})
    text = json.dumps(scrubbed)
    for personal in ("13912345678", "139-1234-5678", "1381234", "6234 5678", "Huang", "Chen", "agent1", "10.0.0.9"):
        assert personal not in text, personal
    assert scrubbed["user"] == {"id": 7}
    assert "data" not in scrubbed["request"] and "query_string" not in scrubbed["request"]
    assert "cookies" not in scrubbed["request"]
    assert scrubbed["message"] == f"Complaint from {PHONE_MASK} failed"
    assert scrubbed["extra"] == {"complainant_name": FILTERED, "count": 3, "note": f"call back on {PHONE_MASK}"}
    assert scrubbed["breadcrumbs"]["values"][0]["data"] == {"name": FILTERED}
    # what is needed to find the error stays
    assert scrubbed["exception"]["values"][0]["type"] == "ValueError"
    assert scrubbed["request"]["url"] == "https://helpdesk.example.com/complaints/new/"
    assert scrubbed["contexts"]["trace"]["trace_id"] == "0123456789abcdef0123456789abcdef"


def _production(code: str, **extra_env) -> subprocess.CompletedProcess:
    env = {
        **{
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "HELPDESK_", "SENTRY_"))
        },
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "helpdesk.example.com",
        "DATABASE_URL": "sqlite:////tmp/hd15a-sentry-unused.sqlite3",
        "HELPDESK_SITE_URL": "https://helpdesk.example.com",
        **extra_env,
    }
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


CLIENT_OPTIONS = (
    "import django, json, sentry_sdk; django.setup(); "
    "c = sentry_sdk.get_client(); o = c.options; "
    "print(json.dumps({'active': c.is_active(), 'pii': o['send_default_pii'], "
    "'body': o['max_request_body_size'], 'locals': o['include_local_variables'], "
    "'before_send': getattr(o['before_send'], '__qualname__', None)}))"
)


def test_sentry_is_off_without_a_dsn():
    result = _production(CLIENT_OPTIONS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["active"] is False


def test_sentry_with_a_dsn_sends_no_personal_data():
    result = _production(CLIENT_OPTIONS, SENTRY_DSN="https://public@sentry.invalid/1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "active": True,
        "pii": False,
        "body": "never",
        "locals": False,
        "before_send": "scrub_event",
    }

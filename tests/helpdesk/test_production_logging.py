"""Structured logs without personal data: one line per request (method, path without the
query string, status, duration, user id, request id) and per Celery task (name, id, state,
runtime); phone numbers masked; POST values never in an error report."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from helpdesk.error_reports import NoPostDataExceptionReporterFilter
from helpdesk.logs import PHONE_MASK, JsonFormatter, MaskPhonesFilter, RequestIdFilter, mask_phones

ROOT = Path(__file__).resolve().parents[2]


def _request_records(caplog):
    return [r for r in caplog.records if r.name == "helpdesk.request"]


# ------------------------------------------------------------------------ requests
@pytest.mark.django_db
def test_one_line_per_request_with_its_id_and_never_the_query_string(client, agent, caplog):
    client.force_login(agent)
    with caplog.at_level(logging.INFO, logger="helpdesk.request"):
        response = client.get("/complaints/?q=13912345678&complainant=Mr+Huang")
    assert response.status_code == 200
    [record] = _request_records(caplog)
    assert (record.method, record.path, record.status, record.user_id) == ("GET", "/complaints/", 200, agent.pk)
    assert record.request_id == response["X-Request-ID"] and len(record.request_id) == 32
    assert record.duration_ms >= 0
    assert "13912345678" not in caplog.text and "Huang" not in caplog.text


@pytest.mark.django_db
def test_a_plain_incoming_request_id_is_kept_and_anything_else_replaced(client, caplog):
    with caplog.at_level(logging.INFO, logger="helpdesk.request"):
        kept = client.get("/login/", HTTP_X_REQUEST_ID="lb-4f2a.17")
        replaced = client.get("/login/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert kept["X-Request-ID"] == "lb-4f2a.17"
    assert replaced["X-Request-ID"] != "bad id\nwith newline" and len(replaced["X-Request-ID"]) == 32
    first, second = _request_records(caplog)
    assert (first.request_id, first.user_id) == ("lb-4f2a.17", None)
    assert second.request_id == replaced["X-Request-ID"]


@pytest.mark.django_db
def test_a_post_body_is_never_logged(client, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post("/login/", {"username": "Mr Huang", "password": "s3cret-13912345678"})
    assert "s3cret" not in caplog.text and "Huang" not in caplog.text


# ------------------------------------------------------------------------ masking
@pytest.mark.parametrize(
    "text",
    [
        "13912345678",
        "+86 139-1234-5678",
        "139 1234 5678",
        "021-6234 5678",
        "(021) 62345678",
        "0086 13912345678",
        "+44 (20) 7946-0958",
        "62345678",
    ],
)
def test_phone_numbers_are_masked(text):
    masked = mask_phones(f"call {text} now")
    assert masked.startswith("call ") and masked.endswith(" now")
    assert PHONE_MASK in masked
    assert sum(ch.isdigit() for ch in masked) < 4, masked


@pytest.mark.parametrize("text", ["complaint #1234", "due 2026-12-01 15:41", "level 3", "took 125.5 ms"])
def test_ids_dates_and_times_are_left_alone(text):
    assert mask_phones(text) == text


def test_the_filter_masks_message_arguments_path_and_traceback():
    try:
        raise ValueError("bad phone 13912345678")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x",
            logging.ERROR,
            __file__,
            1,
            "caller %s",
            ("13812345678",),
            sys.exc_info(),
            extra={"path": "/p/13712345678/"},
        )
    assert MaskPhonesFilter().filter(record)
    RequestIdFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "1391234" not in line and "1381234" not in line and "1371234" not in line
    parsed = json.loads(line)
    assert parsed["message"] == f"caller {PHONE_MASK}"
    assert parsed["path"] == f"/p/{PHONE_MASK}/"
    assert parsed["level"] == "ERROR" and "ValueError" in parsed["exc"]
    assert "\n" not in line  # one line per record


def test_production_logging_writes_masked_json_lines():
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "HELPDESK_"))},
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "helpdesk.example.com",
        "DATABASE_URL": "sqlite:////tmp/hd15a-logging-unused.sqlite3",
        "HELPDESK_SITE_URL": "https://helpdesk.example.com",
    }
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('helpdesk.request').info('GET /x/ 200', extra={'path': '/x/', 'status': 200}); "
        "logging.getLogger('complaints').warning('complainant phone %s', '13912345678')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    request = next(line for line in lines if line["logger"] == "helpdesk.request")
    assert (request["path"], request["status"]) == ("/x/", 200)
    warning = next(line for line in lines if line["logger"] == "complaints")
    assert warning["message"] == f"complainant phone {PHONE_MASK}"
    assert "13912345678" not in result.stderr


# ------------------------------------------------------------------------ tasks
@pytest.mark.django_db
def test_one_line_per_task_with_name_id_state_and_runtime(caplog):
    from notifications.tasks import deliver_pending_emails

    with caplog.at_level(logging.INFO, logger="helpdesk.task"):
        result = deliver_pending_emails.apply()
    records = [r for r in caplog.records if r.name == "helpdesk.task"]
    assert [r.state for r in records] == ["STARTED", "SUCCESS"]
    finished = records[-1]
    assert finished.task_name == "notifications.tasks.deliver_pending_emails"
    assert finished.task_id == result.id
    assert finished.runtime_ms >= 0


# ------------------------------------------------------------------------ error reports
def test_error_reports_name_post_fields_but_hide_their_values():
    request = RequestFactory().post("/complaints/new/", {"complainant_name": "Mr Huang", "contact_phone": "139"})
    hidden = NoPostDataExceptionReporterFilter().get_post_parameters(request)
    assert set(hidden) == {"complainant_name", "contact_phone"}
    assert "Mr Huang" not in str(hidden) and "139" not in str(hidden)

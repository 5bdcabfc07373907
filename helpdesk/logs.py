"""Structured logs without personal data: one line per request and per Celery task.

- `RequestLogMiddleware` gives every request an id (the caller's `X-Request-ID` when it is a
  plain token, else a new one), returns it in the `X-Request-ID` header and logs one line on
  `helpdesk.request` when the answer is ready: method, path (never the query string, where
  searches put phones and names), status, duration in ms, user id (never the username),
  request id. Request bodies are never logged.
- `task_prerun`/`task_postrun` handlers (connected in helpdesk/celery.py) log one line per
  task on `helpdesk.task`: name, id, state, runtime in ms. Never the arguments.
- `MaskPhonesFilter` (on every handler of the production LOGGING) masks anything that looks
  like a phone number in the message and the traceback text.
- `JsonFormatter` writes each record as one JSON object per line.

Stdlib only: helpdesk/celery.py imports it before Django's settings are loaded. The error
e-mails' POST filter is in helpdesk/error_reports.py.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

request_logger = logging.getLogger("helpdesk.request")
task_logger = logging.getLogger("helpdesk.task")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

PHONE_MASK = "[phone]"
# A phone number, as typed anywhere: 7+ digits in a row; an international number (+… or 00…);
# a mainland mobile with spaces or dashes (139 1234 5678); a landline with its area code
# (021-6234 5678). Dates (2026-12-01) and times are left alone.
PHONE_PATTERN = re.compile(
    r"\+\d[\d \-()]{5,}\d"
    r"|(?<!\d)00\d{1,3}[ \-]?\d[\d \-]{5,}\d"
    r"|(?<!\d)1\d{2}[ \-]\d{4}[ \-]\d{4}(?!\d)"
    r"|(?<!\d)0\d{2,3}[ \-)]*\d{3,4}[ \-]?\d{4}(?!\d)"
    r"|(?<![0-9A-Za-z-])\d{7,}(?![0-9A-Za-z-])"  # not inside an id (a UUID, a host name)
)


def mask_phones(text: str) -> str:
    return PHONE_PATTERN.sub(PHONE_MASK, text)


class MaskPhonesFilter(logging.Filter):
    """Masks phone-like digit runs in the formatted message and the exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the record as it is
            return True
        record.msg, record.args = mask_phones(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
        path = getattr(record, "path", None)
        if isinstance(path, str):
            record.path = mask_phones(path)
        return True


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record logged while it is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id.get()
        return True


# The extra fields that go into a JSON line when a record has them.
EXTRA_FIELDS = (
    "request_id",
    "method",
    "path",
    "status",
    "duration_ms",
    "user_id",
    "task_name",
    "task_id",
    "state",
    "runtime_ms",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value not in (None, ""):
                line[field] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            user = getattr(request, "user", None)
            status = response.status_code
            request_logger.log(
                logging.WARNING if status >= 500 else logging.INFO,
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,  # never the query string
                    "status": status,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
            return response
        finally:
            current_request_id.reset(token)


_task_started: dict[str, float] = {}


def task_started(task_id=None, task=None, **kwargs) -> None:
    _task_started[task_id] = time.monotonic()
    task_logger.info(
        "task %s started",
        getattr(task, "name", "?"),
        extra={"task_name": getattr(task, "name", None), "task_id": task_id, "state": "STARTED"},
    )


def task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _task_started.pop(task_id, None)
    runtime = round((time.monotonic() - started) * 1000, 1) if started is not None else None
    task_logger.info(
        "task %s %s",
        getattr(task, "name", "?"),
        state,
        extra={
            "task_name": getattr(task, "name", None),
            "task_id": task_id,
            "state": state,
            "runtime_ms": runtime,
        },
    )


def connect_task_signals() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(task_started, weak=False, dispatch_uid="helpdesk.logs.task_started")
    task_postrun.connect(task_finished, weak=False, dispatch_uid="helpdesk.logs.task_finished")

"""The sentence of each notification kind, rendered at display time in the active language.

Data keys read per kind (all optional; a missing value shows as "—"):

- reply_overdue: ``to_level`` (0–3), ``due_at`` (the missed reply time)
- progress_report_due: ``due_at`` (when the progress report was due)
- completion_overdue: ``due_at`` (the committed completion date)
- newer_complaint_linked: ``newer_complaint`` (id of the newer complaint; ``newer_complaint_id`` also read)
- moved_up: ``to_level``, ``cause`` (an ``EscalationCause`` value)
- reassigned: nothing
- office_without_supervisor: ``office`` (id), ``office_name``
- information_added: nothing (the complainant added information or photos online or by e-mail)
- complainant_answered: ``accepted`` (a proposed solution) or ``callback`` with ``satisfied``
  (the online questionnaire); ``to_level`` when it moved the complaint up
- message_left: ``caller``, ``taken_by`` (who took the message), ``urgency`` ("normal" or
  "urgent"), ``call_back_by``; ``message`` (id, not shown)
- message_overdue: ``caller``, ``for`` (the colleague it is for), ``call_back_by``; ``message``
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from complaints.choices import EscalationCause, EscalationLevel

from .models import Kind

MISSING = "—"
DATETIME_FORMAT = "Y-m-d H:i"  # as everywhere else in the UI


def _reference(complaint_id: Any) -> str:
    return f"#{complaint_id}" if complaint_id else f"#{MISSING}"


def _datetime(value: Any) -> str:
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, datetime):
        return MISSING
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return format_date(timezone.localtime(value), DATETIME_FORMAT)


def _level(value: Any) -> str:
    try:
        return str(EscalationLevel(int(value)).label)
    except (TypeError, ValueError):
        return MISSING


def _cause(value: Any) -> str:
    try:
        return str(EscalationCause(value).label)
    except ValueError:
        return ""


def render_message(kind: str, *, complaint_id: int | None, data: dict | None) -> str:
    data = data or {}
    ref = _reference(complaint_id)
    if kind == Kind.REPLY_OVERDUE:
        return gettext(
            "Complaint %(ref)s missed its reply deadline (%(due_at)s) and was moved up to level %(level)s."
        ) % {"ref": ref, "due_at": _datetime(data.get("due_at")), "level": _level(data.get("to_level"))}
    if kind == Kind.PROGRESS_REPORT_DUE:
        return gettext("Complaint %(ref)s needs a progress report to the complainant (due %(due_at)s).") % {
            "ref": ref,
            "due_at": _datetime(data.get("due_at")),
        }
    if kind == Kind.COMPLETION_OVERDUE:
        return gettext("Complaint %(ref)s is past its committed completion date (%(due_at)s).") % {
            "ref": ref,
            "due_at": _datetime(data.get("due_at")),
        }
    if kind == Kind.NEWER_COMPLAINT_LINKED:
        newer = data.get("newer_complaint") or data.get("newer_complaint_id")
        return gettext(
            "Complaint %(ref)s was not closed automatically: the same complainant made a newer complaint, %(newer)s."
        ) % {"ref": ref, "newer": _reference(newer)}
    if kind == Kind.MOVED_UP:
        params = {"ref": ref, "level": _level(data.get("to_level")), "cause": _cause(data.get("cause"))}
        if params["cause"]:
            return gettext("Complaint %(ref)s was moved up to you (level %(level)s). Cause: %(cause)s.") % params
        return gettext("Complaint %(ref)s was moved up to you (level %(level)s).") % params
    if kind == Kind.REASSIGNED:
        return gettext("Complaint %(ref)s was assigned to you.") % {"ref": ref}
    if kind == Kind.INFORMATION_ADDED:
        return gettext("The complainant added information to complaint %(ref)s.") % {"ref": ref}
    if kind == Kind.COMPLAINANT_ANSWERED:
        if data.get("callback"):
            if data.get("satisfied"):
                return gettext("The complainant answered the call-back questionnaire of %(ref)s: satisfied.") % {
                    "ref": ref
                }
            return gettext(
                "The complainant of %(ref)s is not satisfied (call-back questionnaire): it was moved up to level"
                " %(level)s."
            ) % {"ref": ref, "level": _level(data.get("to_level"))}
        if data.get("accepted"):
            return gettext("The complainant accepted the proposed solution of %(ref)s.") % {"ref": ref}
        return gettext(
            "The complainant rejected the proposed solution of %(ref)s: it was moved up to level %(level)s."
        ) % {"ref": ref, "level": _level(data.get("to_level"))}
    if kind == Kind.MESSAGE_LEFT:
        params = {
            "taken_by": data.get("taken_by") or MISSING,
            "caller": data.get("caller") or MISSING,
            "call_back_by": _datetime(data.get("call_back_by")),
        }
        if data.get("urgency") == "urgent":
            return (
                gettext(
                    "Urgent: %(taken_by)s took a phone message for you from %(caller)s; call back by %(call_back_by)s."
                )
                % params
            )
        return (
            gettext("%(taken_by)s took a phone message for you from %(caller)s; call back by %(call_back_by)s.")
            % params
        )
    if kind == Kind.MESSAGE_OVERDUE:
        return gettext(
            "The phone message from %(caller)s for %(colleague)s was not called back by %(call_back_by)s."
        ) % {
            "caller": data.get("caller") or MISSING,
            "colleague": data.get("for") or MISSING,
            "call_back_by": _datetime(data.get("call_back_by")),
        }
    if kind == Kind.OFFICE_WITHOUT_SUPERVISOR:
        return gettext(
            "The office %(office)s has no active supervisor: its escalated complaints are sent to the managers"
            " instead. Give the office a supervisor."
        ) % {"office": data.get("office_name") or MISSING}
    return f"{ref} {kind}"

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
- department_assigned: ``department_name`` (the department asked to investigate, R-C6); ``department`` (id)
- department_progress: ``by`` (who reported), ``step`` ("progress" or "findings"; R-C9.3)
- moved_up from R-T1 (a missed reply time) carries ``cause`` "deadline_missed"
- special_incident: ``office_name`` (the complaint flagged a special incident, R-C6.2)
- outside_body_answered: ``outside_body_kind`` (an ``OutsideBodyKind`` value), ``outside_body_name``
- visit_plan_submitted: ``account_manager`` (who submitted it), ``month`` ("YYYY-MM"); ``plan`` (id)
- visit_plan_returned: ``month``, ``by`` (the reviewer), ``comment`` (what must change); ``plan``
- visit_plan_approved: ``month``, ``by``, ``comment`` (if the reviewer wrote one); ``plan``
- visit_missed: ``customer`` (name), ``due_on`` (ISO date), ``visitor`` (name; empty: nobody was
  assigned); ``visit`` (id)

Any kind may carry ``link``: the page it is about when that is not a complaint (a visit plan, a
visit), as ``{"name": URL name, "args": [...]}`` (``services.page_link``; ``Notification.link``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext

from complaints.choices import EscalationCause, EscalationLevel, OutsideBodyKind

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


def _day(value: Any) -> str:
    day = parse_date(value) if isinstance(value, str) else None
    return day.isoformat() if day else MISSING


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
    if kind == Kind.DEPARTMENT_ASSIGNED:
        return gettext("Your department (%(department)s) is asked to investigate complaint %(ref)s.") % {
            "ref": ref,
            # a seeded department's name is in the catalogue (as Department.__str__ reads it)
            "department": gettext(str(data["department_name"])) if data.get("department_name") else MISSING,
        }
    if kind == Kind.DEPARTMENT_PROGRESS:
        params = {"ref": ref, "by": data.get("by") or MISSING}
        if data.get("step") == "findings":
            return gettext("%(by)s recorded the findings of the investigation of complaint %(ref)s.") % params
        return gettext("%(by)s reported progress on complaint %(ref)s.") % params
    if kind == Kind.SPECIAL_INCIDENT:
        return gettext(
            "Special incident at %(office)s: complaint %(ref)s. Contain it first, then report it upward at once."
        ) % {"ref": ref, "office": data.get("office_name") or MISSING}
    if kind == Kind.OUTSIDE_BODY_ANSWERED:
        body_kind = data.get("outside_body_kind")
        return gettext("%(body)s (%(kind)s) answered about complaint %(ref)s, which you follow.") % {
            "ref": ref,
            "body": data.get("outside_body_name") or MISSING,
            "kind": OutsideBodyKind(body_kind).label if body_kind in OutsideBodyKind.values else MISSING,
        }
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
    if kind in _VISIT_KINDS:
        return _visit_message(kind, data)
    return f"{ref} {kind}"


_VISIT_KINDS = (Kind.VISIT_PLAN_SUBMITTED, Kind.VISIT_PLAN_RETURNED, Kind.VISIT_PLAN_APPROVED, Kind.VISIT_MISSED)


def _visit_message(kind: str, data: dict) -> str:
    """The visit plans and visits of R-CU3 / R-T5 (no complaint: the link opens the page)."""
    params = {
        "month": data.get("month") or MISSING,
        "by": data.get("by") or MISSING,
        "comment": data.get("comment") or "",
        "account_manager": data.get("account_manager") or MISSING,
        "customer": data.get("customer") or MISSING,
        "due_on": _day(data.get("due_on")),
        "visitor": data.get("visitor") or "",
    }
    if kind == Kind.VISIT_PLAN_SUBMITTED:
        return gettext("%(account_manager)s submitted the visit plan for %(month)s for your review.") % params
    if kind == Kind.VISIT_PLAN_RETURNED:
        if params["comment"]:
            return gettext("Your visit plan for %(month)s was returned by %(by)s: %(comment)s") % params
        return gettext("Your visit plan for %(month)s was returned by %(by)s.") % params
    if kind == Kind.VISIT_PLAN_APPROVED:
        if params["comment"]:
            return gettext("Your visit plan for %(month)s was approved by %(by)s: %(comment)s") % params
        return gettext("Your visit plan for %(month)s was approved by %(by)s.") % params
    if params["visitor"]:
        return gettext("The visit to %(customer)s due by %(due_on)s was missed (visitor: %(visitor)s).") % params
    return gettext("The visit to %(customer)s due by %(due_on)s was missed (no visitor was assigned).") % params

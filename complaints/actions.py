"""How each action's validated input becomes a call of the lifecycle method: one table used
by the HTML forms and the REST API alike (so both run the very same rule)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from customers.models import DocumentKind

from .models import Complaint
from .selectors import complaint_by_reference, parse_reference

if TYPE_CHECKING:
    from .types import Actor

Data = dict[str, Any]


def _signature(complaint: Complaint, data: Data) -> str:
    """Store the complainant's signature (PNG bytes from the form's pad, or the PNG data URL the
    API takes) and return its stored name for the event, or "" when there is none."""
    value = data.get("signature") or b""
    if isinstance(value, str):  # the API: checked like the form's field
        from helpdesk.signature import SignatureField

        try:
            value = SignatureField(required=False).clean(value)  # type: ignore[no-untyped-call]
        except ValidationError as error:
            raise ValidationError({"signature": error.messages}) from None
    if not value:
        return ""
    from .intake import store_signature

    return store_signature(value, complaint=complaint)


def _merge_target(actor: Actor, data: Data) -> Complaint:
    """The complaint to merge into, from its number ("#123" or 123) among those `actor` may see;
    an unknown number and another office's are the same field error."""
    pk = parse_reference(data.get("target"))
    if pk is None:
        raise ValidationError({"target": _("Enter a complaint number, such as #123.")})
    target = complaint_by_reference(actor, pk) if actor is not None else None
    if target is None:
        raise ValidationError({"target": _("There is no complaint #%(id)s that you can see.") % {"id": pk}})
    return target


# The steps whose signed form is filed in the linked customer's archive (R-CU2).
SIGNED_FORMS = {"resolve_on_the_spot": DocumentKind.COMPLAINT_FORM, "record_callback": DocumentKind.VISIT_FORM}

CALLS: dict[str, Callable[[Complaint, Any, Data], None]] = {
    "claim": lambda c, actor, d: c.claim(actor=actor, note=d.get("note", "")),
    "reply": lambda c, actor, d: c.reply(actor=actor, note=d["note"]),
    "agree_reply_time": lambda c, actor, d: c.agree_reply_time(
        actor=actor, reply_due_at=d["reply_due_at"], note=d.get("note", "")
    ),
    "resolve_on_the_spot": lambda c, actor, d: c.resolve_on_the_spot(
        actor=actor,
        resolution=d["resolution"],
        signoff_name=d["signoff_name"],
        satisfied=d["satisfied"],
        apologised=d.get("apologised", False),
        signature=_signature(c, d),
    ),
    "assign_department": lambda c, actor, d: c.assign_department(
        actor=actor, department=d["department"], note=d.get("note", "")
    ),
    "record_findings": lambda c, actor, d: c.record_findings(
        actor=actor,
        findings=d["findings"],
        apologised_in_person=d.get("apologised_in_person", False),
        attachments=d.get("attachments") or (),
    ),
    "report_progress": lambda c, actor, d: c.report_progress(actor=actor, note=d["note"]),
    "propose_solution": lambda c, actor, d: c.propose_solution(actor=actor, solution=d["solution"]),
    "record_answer": lambda c, actor, d: c.record_answer(
        actor=actor, accepted=d["accepted"], note=d.get("note", ""), to_user=d.get("to_user")
    ),
    "commit_completion": lambda c, actor, d: c.commit_completion(
        actor=actor, completion_at=d["completion_at"], note=d.get("note", "")
    ),
    "mark_handled": lambda c, actor, d: c.mark_handled(
        actor=actor, note=d["note"], attachments=d.get("attachments") or ()
    ),
    "record_callback": lambda c, actor, d: c.record_callback(
        actor=actor,
        method=d["method"],
        satisfied=d["satisfied"],
        note=d.get("note", ""),
        answers={
            k: d[k]
            for k in ("about_process", "about_measures", "about_result", "operation_normal", "suggestions")
            if d.get(k)
        },
        to_user=d.get("to_user"),
        attachments=d.get("attachments") or (),
        signature=_signature(c, d),
    ),
    "decline_callback": lambda c, actor, d: c.decline_callback(actor=actor, note=d.get("note", "")),
    "move_up": lambda c, actor, d: c.move_up(
        actor=actor,
        cause=d["cause"],
        to_user=d.get("to_user"),
        note=d.get("note", ""),
        outside_body_kind=d.get("outside_body_kind") or "",
        outside_body_name=d.get("outside_body_name") or "",
        outside_body_contact=d.get("outside_body_contact") or "",
    ),
    "refer_to_outside_body": lambda c, actor, d: c.refer_to_outside_body(
        actor=actor,
        kind=d["outside_body_kind"],
        name=d["outside_body_name"],
        contact=d["outside_body_contact"],
        note=d.get("note", ""),
    ),
    "record_outside_body_answer": lambda c, actor, d: c.record_outside_body_answer(
        actor=actor, answer=d["answer"], answered_at=d.get("answered_at")
    ),
    "flag_special_incident": lambda c, actor, d: c.flag_special_incident(actor=actor, note=d["note"]),
    "record_incident_containment": lambda c, actor, d: c.record_incident_containment(actor=actor, steps=d["steps"]),
    "record_incident_report": lambda c, actor, d: c.record_incident_report(
        actor=actor, reported_to=d["reported_to"], reported_at=d["reported_at"], note=d.get("note", "")
    ),
    "reassign": lambda c, actor, d: c.reassign(actor=actor, assignee=d["assignee"], note=d.get("note", "")),
    "add_note": lambda c, actor, d: c.add_note(actor=actor, note=d["note"]),
    "mark_training_case": lambda c, actor, d: c.mark_training_case(actor=actor, lesson=d["lesson"]),
    "merge": lambda c, actor, d: c.merge_into(actor, target=_merge_target(actor, d), note=d["note"]),
    "unmerge": lambda c, actor, d: c.unmerge(actor, note=d["note"]),
}


def perform(name: str, complaint: Complaint, actor: Actor, data: Data) -> None:
    """Apply action `name` with validated `data`; raises InvalidTransition / ValidationError."""
    CALLS[name](complaint, actor, data)
    if name in SIGNED_FORMS and data.get("signature"):
        from .intake import file_signed_form_quietly

        file_signed_form_quietly(complaint, kind=SIGNED_FORMS[name], by=actor)

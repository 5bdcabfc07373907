"""Level 3 of R-C8 (服務上移, 原則8.3): the outside bodies — the owners' committee (業委會),
another department of the company, a public agency.

A complaint that goes beyond the service centre's power is "recorded, followed, and the
customer kept informed" (R-C5.3). So at level 3 the complaint records which body it went to,
with the body's name and contact; it keeps an owner in the office who follows it (its
assignee, or whoever referred it when nobody had it); and the referral and the body's answer
count as progress reports, each with a notice to the complainant (complainants/notices.py) that
names the kind of body but never its contact.

`Complaint.move_up()` records the body when the move reaches level 3 (complaints/lifecycle.py,
with `outside_body_of` and `keep_internal_owner` below). The steps here are mixed into
`Complaint` with the rest of the lifecycle and have its shape (one locked transition, one
event): the body of a complaint raised to level 3 without one (the R-T1 sweep, a rejected
solution, an unsatisfied call-back) or a change of body, and the body's answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from . import event_data
from .choices import EventKind, OutsideBodyKind

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from .models import Complaint
    from .types import Actor

NAME_FIELD, CONTACT_FIELD = "outside_body_name", "outside_body_contact"


def _max_length(complaint: Complaint, field: str) -> int:
    return getattr(type(complaint)._meta.get_field(field), "max_length", None) or 0


def outside_body_of(complaint: Complaint, *, kind: str, name: str, contact: str) -> event_data.OutsideBody:
    """The outside body as the event data carries it, checked: one of the kinds of
    `OutsideBodyKind`, a name and a contact (no longer than the complaint's fields hold).
    Every missing or bad field is named in one `ValidationError`."""
    kind, name, contact = (kind or "").strip(), (name or "").strip(), (contact or "").strip()
    errors: dict[str, str] = {}
    if kind not in OutsideBodyKind.values:
        errors[event_data.OUTSIDE_BODY_KIND] = _(
            "Choose the outside body it goes to: the owners' committee, another company department or a public agency."
        )
    for field, value, missing in (
        (NAME_FIELD, name, _("Write the outside body's name.")),
        (CONTACT_FIELD, contact, _("Write how to reach the outside body: a person, a phone number or an address.")),
    ):
        limit = _max_length(complaint, field)
        if not value:
            errors[field] = missing
        elif len(value) > limit:
            errors[field] = _("At most %(limit)d characters.") % {"limit": limit}
    if errors:
        raise ValidationError(errors)
    return {
        event_data.OUTSIDE_BODY_KIND: kind,
        event_data.OUTSIDE_BODY_NAME: name,
        event_data.OUTSIDE_BODY_CONTACT: contact,
    }


def any_outside_body(*values: str) -> bool:
    return any((value or "").strip() for value in values)


def keep_internal_owner(complaint: Complaint, actor: Actor) -> dict[str, Any]:
    """R-C8 level 3: the complaint keeps an owner in the office who follows it — its assignee
    (already set, or the person it was just moved up to), or, when nobody has it, the person
    who takes it to the body. Returns the event keys naming that owner (none if there is none:
    a step of the periodic rules on a complaint nobody has)."""
    if complaint.assignee_id is None and actor is not None:
        complaint.assignee = actor
    owner = complaint.assignee if complaint.assignee_id is not None else None
    if owner is None:
        return {}
    return {"to_user": owner.pk, "to_user_name": str(owner)}


# The complaint's level-3 record, in display order (the admin, the API and `record_outside_body`).
OUTSIDE_BODY_RECORD = (
    "outside_body_kind",
    "outside_body_name",
    "outside_body_contact",
    "outside_body_referred_at",
    "outside_body_answer",
    "outside_body_answered_at",
)


def record_outside_body(complaint: Complaint, body: event_data.OutsideBody, now: datetime) -> list[str]:
    """Set the body's fields on `complaint` (the caller saves); returns the fields set. A new
    body clears the answer of the one before (its answer stays on the timeline)."""
    complaint.outside_body_kind = body["outside_body_kind"]
    complaint.outside_body_name = body["outside_body_name"]
    complaint.outside_body_contact = body["outside_body_contact"]
    complaint.outside_body_referred_at = now
    complaint.outside_body_answer, complaint.outside_body_answered_at = "", None
    return list(OUTSIDE_BODY_RECORD)


class OutsideBodySteps:
    """Mixed into `Complaint` (through `ComplaintLifecycle`, whose helpers these steps use)."""

    if TYPE_CHECKING:  # complaints.lifecycle.ComplaintLifecycle's, which mixes this in

        def _transition(self, action_name: str) -> AbstractContextManager[Complaint]: ...

    def refer_to_outside_body(self, *, actor: Actor, kind: str, name: str, contact: str, note: str = "") -> None:
        """Record (or change) the outside body of a complaint at level 3 — one raised there
        without a body by R-T1, a rejected solution or an unsatisfied call-back, or sent on to
        another body. The complaint keeps its internal owner (the referrer when nobody has it);
        the complainant is told (a progress report, R-C5.3)."""
        with self._transition("refer_to_outside_body") as c:
            body = outside_body_of(c, kind=kind, name=name, contact=contact)
            now = timezone.now()
            current = (c.outside_body_kind, c.outside_body_name, c.outside_body_contact)
            if current == (body["outside_body_kind"], body["outside_body_name"], body["outside_body_contact"]):
                return
            owner = keep_internal_owner(c, actor)
            fields = record_outside_body(c, body, now)
            c.save(update_fields=[*fields, *c._note_reply(now), "assignee", "updated_at"])
            data: event_data.OutsideBodyReferred = {
                "outside_body_kind": body["outside_body_kind"],
                "outside_body_name": body["outside_body_name"],
                "outside_body_contact": body["outside_body_contact"],
            }
            c._log(
                actor=actor,
                kind=EventKind.OUTSIDE_BODY_REFERRED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=(note or "").strip(),
                data={**data, **owner},
            )

    def record_outside_body_answer(self, *, actor: Actor, answer: str, answered_at: datetime | None = None) -> None:
        """The outside body answered (`answered_at`: when, if earlier than now; not before the
        referral). Recorded on the complaint and as the event's note; the internal owner is told
        (unless they record it themselves) and the complainant gets a progress notice."""
        answer = (answer or "").strip()
        if not answer:
            raise ValidationError({"answer": _("Write the outside body's answer.")})
        with self._transition("record_outside_body_answer") as c:
            now = timezone.now()
            at = answered_at or now
            if at > now:
                raise ValidationError({"answered_at": _("The answer cannot come from the future.")})
            if c.outside_body_referred_at is not None and at < c.outside_body_referred_at:
                raise ValidationError(
                    {"answered_at": _("The answer cannot come before the complaint was referred to the body.")}
                )
            if c.outside_body_answer == answer:  # recorded already (a second submission)
                return
            c.outside_body_answer, c.outside_body_answered_at = answer, at
            fields = c._note_reply(now)
            c.save(update_fields=["outside_body_answer", "outside_body_answered_at", *fields, "updated_at"])
            data: event_data.OutsideBodyAnswered = {
                "outside_body_kind": c.outside_body_kind,
                "outside_body_name": c.outside_body_name,
                "answered_at": at.isoformat(),
            }
            c._log(
                actor=actor,
                kind=EventKind.OUTSIDE_BODY_ANSWERED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=answer,
                data=dict(data),
            )
            c._notify(
                kind="outside_body_answered",
                user=c.assignee if c.assignee_id else None,
                actor=actor,
                data={"outside_body_kind": c.outside_body_kind, "outside_body_name": c.outside_body_name},
            )

"""Messages for absent colleagues (R-F6, 同事不在幫接電話時，要有留言).

An agent who takes a call for a colleague who is away records who called, how to reach them,
about what (optionally which complaint or customer), how urgent it is and by when the caller
was promised a call back (`take_message`): the colleague is notified and the message stays on
their desk until it is marked done (`mark_done`) or becomes a complaint in one step through
the one intake method (`convert_to_complaint`). A message still open past its call-back time
is flagged to the office's supervisors once, by the beat sweep `flag_overdue_messages`.

Reads go through `messages_of` / `message_for`, so a message of another office is a 404
everywhere at once; who may act on a message is `may_handle` / `may_convert`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, Case, IntegerField, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.choices import Channel, Outcome
from complaints.models import Complaint
from complaints.selectors import complaints_visible_to
from helpdesk.bounds import NOTE_MAX
from helpdesk.db import advisory_xact_lock
from helpdesk.exceptions import DomainConflict
from helpdesk.phones import normalize_phone
from helpdesk.validators import validate_phone
from notifications.models import Kind
from notifications.services import notify, notify_bulk, supervisors_of

from .frontdesk import VIEW_TEAM_LOGS, require_office
from .models import PhoneMessage, Urgency

logger = logging.getLogger(__name__)

VIEW = "followups.view_phonemessage"
ADD = "followups.add_phonemessage"
CHANGE = "followups.change_phonemessage"
# Who oversees an office's front desk (supervisors, managers): the same permission that opens
# the agents' work logs to them. They may see every open message of the office and act on it.
SUPERVISE = VIEW_TEAM_LOGS
# Making a complaint of a message is an intake (R-C1): the intake pages' permissions.
CONVERT = ("complaints.add_complaint", "complaints.receive_complaint")

CALL_BACK_MAX_AHEAD = timedelta(days=31)  # a promise further ahead is a typo, not a call back
BATCH = 500  # messages per sweep transaction (as complaints/periodic.py)
SWEEP_LOCK = "followups.flag_overdue_messages"
CASE_FIELDS = frozenset({"incident_at", "incident_place", "persons_involved", "subject", "category", "is_sensitive"})


class MessageAlreadyDone(DomainConflict):
    """A message that is done (or already became a complaint) cannot become a complaint (409)."""

    code = "message_done"


# ---------------------------------------------------------------------------- access
def _display_name(first: str, last: str, username: str) -> str:
    """`User.__str__` from its columns (the sweep reads them without loading users)."""
    return f"{first} {last}".strip() or username


def messages_of(office_id: int) -> QuerySet[PhoneMessage]:
    """The office's messages with what every page shows of them (one query, no N+1)."""
    return PhoneMessage.objects.filter(office_id=office_id).select_related(
        "taken_by", "for_user", "customer", "complaint", "done_by"
    )


def message_for(user, pk: int) -> PhoneMessage:
    """A message of the user's office, or 404."""
    return get_object_or_404(messages_of(require_office(user)), pk=pk)


def open_messages(user, *, scope: str = "mine", for_user_id: int | None = None) -> QuerySet[PhoneMessage]:
    """The desk: open messages for `user` (scope "mine"), or, for someone who oversees the
    office, every open message of the office (scope "office", optionally for one colleague).
    Urgent first, then by call-back time; `is_overdue` says the call-back time has passed."""
    qs = messages_of(require_office(user)).filter(done_at__isnull=True)
    if scope == "office" and user.has_perm(SUPERVISE):
        if for_user_id is not None:
            qs = qs.filter(for_user_id=for_user_id)
    else:
        qs = qs.filter(for_user_id=user.pk)
    now = timezone.now()
    return qs.annotate(
        urgency_rank=Case(When(urgency=Urgency.URGENT, then=Value(0)), default=Value(1), output_field=IntegerField()),
        is_overdue=Case(
            When(call_back_by__lt=now, then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    ).order_by("urgency_rank", "call_back_by", "pk")


def may_handle(user, message: PhoneMessage) -> bool:
    """The colleague it is for, the one who took it, or someone who oversees the office."""
    return (
        user.has_perm(CHANGE)
        and user.office_id is not None
        and message.office_id == user.office_id
        and (user.pk in (message.for_user_id, message.taken_by_id) or user.has_perm(SUPERVISE))
    )


def may_convert(user, message: PhoneMessage) -> bool:
    """`may_handle`, and allowed to take complaints in (the intake permissions)."""
    return may_handle(user, message) and all(user.has_perm(p) for p in CONVERT)


# --------------------------------------------------------------------------- take
def call_back_by_error(call_back_by: datetime, *, now: datetime) -> str | None:
    if call_back_by <= now:
        return _("The call-back time must be in the future.")
    if call_back_by > now + CALL_BACK_MAX_AHEAD:
        return _("The call-back time must be within %(days)s days.") % {"days": CALL_BACK_MAX_AHEAD.days}
    return None


def take_message(
    *,
    by,
    for_user,
    caller_name: str,
    about: str,
    call_back_by: datetime,
    contact_phone: str = "",
    contact_other: str = "",
    urgency: str = Urgency.NORMAL,
    complaint: Complaint | None = None,
    customer=None,
    now: datetime | None = None,
) -> PhoneMessage:
    """Record a message taken by `by` for a colleague of the same office and notify the
    colleague (after commit). Raises ValidationError ({field: messages}) before writing
    anything; PermissionDenied if `by` has no office."""
    office_id = require_office(by)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if for_user is None or not for_user.is_active or for_user.office_id != office_id:
        add("for_user", _("Choose an active colleague of your office."))
    elif for_user.pk == by.pk:
        add("for_user", _("A message is for a colleague, not for yourself."))
    caller_name, about, contact_other = (
        (caller_name or "").strip(),
        (about or "").strip(),
        (contact_other or "").strip(),
    )
    if not caller_name:
        add("caller_name", _("Enter who called."))
    if not about:
        add("about", _("Enter what the call was about."))
    contact_phone = normalize_phone((contact_phone or "").strip())
    if contact_phone:
        try:
            validate_phone(contact_phone)
        except ValidationError as error:
            for text in error.messages:
                add("contact_phone", text)
    elif not contact_other and customer is None:
        add("contact_phone", _("Enter a phone number or another way to reach the caller."))
    if urgency not in Urgency.values:
        add("urgency", _("Choose how urgent the message is."))
    if call_back_by is None:
        add("call_back_by", _("Enter the time the caller was promised a call back."))
    elif problem := call_back_by_error(call_back_by, now=now):
        add("call_back_by", problem)
    if complaint is not None and not complaints_visible_to(by).filter(pk=complaint.pk).exists():
        add("complaint", _("No such complaint."))
    if customer is not None and not by.has_perm("customers.view_customer"):
        add("customer", _("No such customer."))
    if errors:
        raise ValidationError(errors)
    message = PhoneMessage(
        office_id=office_id,
        taken_by=by,
        for_user=for_user,
        caller_name=caller_name,
        contact_phone=contact_phone,
        contact_other=contact_other,
        about=about,
        complaint=complaint,
        customer=customer,
        urgency=urgency,
        call_back_by=call_back_by,
        created_at=now,
    )
    message.full_clean()  # the field lengths and the calendar bounds
    with transaction.atomic():
        message.save()
        notify(
            [for_user.pk],
            kind=Kind.MESSAGE_LEFT,
            complaint_id=complaint.pk if complaint is not None else None,
            data={
                "message": message.pk,
                "caller": caller_name,
                "taken_by": str(by),
                "urgency": urgency,
                "call_back_by": call_back_by.isoformat(),
            },
        )
    return message


# --------------------------------------------------------------------------- done
def mark_done(message: PhoneMessage, *, by, note: str = "") -> PhoneMessage:
    """The colleague called back (or someone who may handle it closed it). Idempotent: a done
    message is returned as it is. PermissionDenied for anyone else."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {"note": _("Ensure this value has at most %(limit_value)d characters.") % {"limit_value": NOTE_MAX}}
        )
    with transaction.atomic():
        locked = PhoneMessage.objects.select_for_update().get(pk=message.pk)
        if not may_handle(by, locked):
            raise PermissionDenied(_("Only the colleague it is for, who took it, or a supervisor may do this."))
        if locked.done_at is not None:
            return locked
        locked.done_at, locked.done_by, locked.done_note = timezone.now(), by, note
        locked.save(update_fields=["done_at", "done_by", "done_note"])
    return locked


# ------------------------------------------------------------------------ convert
def convert_to_complaint(
    message: PhoneMessage, *, by, reply_due_at: datetime | None = None, **case_fields: Any
) -> Complaint:
    """Make a complaint of the message in one step, through the one intake method
    (`Complaint.receive`, phone channel): the caller is the complainant, the phone their
    contact, the message its description; the case file (place, event, category, time of the
    incident…) comes from `case_fields`. With `reply_due_at`, the reply time agreed with the
    caller (R-C5); else the reply is due by the deadline. The message is marked done and linked
    to the complaint in the same transaction: both, or nothing."""
    unknown = set(case_fields) - CASE_FIELDS
    if unknown:
        raise TypeError(f"convert_to_complaint() got unexpected case fields: {sorted(unknown)}")
    with transaction.atomic():
        locked = (
            PhoneMessage.objects.select_for_update(of=("self",)).select_related("office", "customer").get(pk=message.pk)
        )
        if not may_convert(by, locked):
            raise PermissionDenied(_("You may not make a complaint of this message."))
        if locked.done_at is not None:
            raise MessageAlreadyDone(_("This message is already done."), action="convert", status="done")
        description = locked.about
        if locked.contact_other:
            other = _("Other contact")  # outside the f-string: xgettext does not look inside one
            description = f"{description}\n\n{other}: {locked.contact_other}"
        complaint = Complaint.receive(
            actor=by,
            office=locked.office,
            channel=Channel.PHONE,
            outcome=Outcome.REPLY_TIME if reply_due_at is not None else None,
            reply_due_at=reply_due_at,
            customer=locked.customer,
            complainant_name=locked.caller_name,
            contact_phone=locked.contact_phone,
            description=description,
            **case_fields,
        )
        locked.done_at, locked.done_by, locked.converted_to = timezone.now(), by, complaint
        locked.save(update_fields=["done_at", "done_by", "converted_to"])
    return complaint


# ------------------------------------------------------------------------- sweep
def overdue_q(now: datetime) -> Q:
    """Open, not flagged yet, past the call-back time: the condition of the partial index
    `message_overdue_due` plus its deadline, and the guard of the UPDATE."""
    return Q(done_at__isnull=True, overdue_flagged_at__isnull=True, call_back_by__lt=now)


def flag_overdue_messages(*, now: datetime | None = None) -> dict[str, int]:
    """R-F6: a message still open past its call-back time is flagged and the office's
    supervisors are told, once. Set-based: per batch of BATCH messages one SELECT … FOR UPDATE
    SKIP LOCKED (call-back order, the partial index), one UPDATE guarded by the same condition,
    one query for the supervisors and one INSERT of notifications, so the number of queries
    depends on the number of batches, never on the number of messages. Idempotent: the flag is
    the guard, a second run flags nothing."""
    now = now or timezone.now()
    counts = {"flagged": 0, "notifications": 0}
    fields = (
        "pk",
        "office_id",
        "complaint_id",
        "caller_name",
        "call_back_by",
        "for_user__first_name",
        "for_user__last_name",
        "for_user__username",
    )
    while True:
        with transaction.atomic():
            if not advisory_xact_lock(SWEEP_LOCK):
                counts["skipped_locked"] = 1
                return counts
            rows = list(
                PhoneMessage.objects.filter(overdue_q(now))
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("call_back_by", "pk")
                .values_list(*fields, named=True)[:BATCH]
            )
            if not rows:
                return counts
            flagged = PhoneMessage.objects.filter(overdue_q(now), pk__in=[r.pk for r in rows]).update(
                overdue_flagged_at=now
            )
            supervisors = supervisors_of({r.office_id for r in rows})
            counts["notifications"] += notify_bulk(
                kind=Kind.MESSAGE_OVERDUE,
                entries=[
                    (
                        r.complaint_id,
                        supervisors.get(r.office_id, []),
                        {
                            "message": r.pk,
                            "caller": r.caller_name,
                            "for": _display_name(r.for_user__first_name, r.for_user__last_name, r.for_user__username),
                            "call_back_by": r.call_back_by.isoformat(),
                        },
                    )
                    for r in rows
                ],
            )
            counts["flagged"] += flagged
        if len(rows) < BATCH:
            return counts

"""Intake: the one way a complaint enters the system (SPEC R-C1 … R-C5).

`Complaint.receive()` is called by every channel — the walk-in and phone forms, the REST
API, the demo seed, and the channels still to come (the public form, e-mail, letters). It
owns the outcome chosen at intake and every rule that applies then:

- R-C1: a valid channel; the complainant is named, a linked customer, or anonymous; the
  incident did not happen in the future; an active category; the case file validates.
- R-C2: a walk-in complainant who is still agitated is moved up to a supervisor at once.
- R-C4: resolved on the spot needs the explanation, the sign-off name and satisfaction.
- R-C5: an agreed reply time lies in the future and no later than the reply deadline
  (`deadlines.reply_deadline`: the tier's window, working calendar, never past 24 h).

Input is checked completely before anything is written (`intake_errors`, which the forms
also call to show every error at once); the complaint, its outcome and their events are
then written in one transaction, or nothing is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers.models import DocumentKind

from . import deadlines, event_data, rules
from .attachments import store_attachments
from .choices import Channel, EscalationCause, EventKind, Outcome, Status
from .signals import events_logged

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from customers.models import Customer

    from .lifecycle import Step
    from .models import Category, Complaint
    from .types import Actor, OfficeT, Staff

logger = logging.getLogger(__name__)

INCIDENT_CLOCK_SKEW = timedelta(minutes=5)  # a device clock a little ahead is not "the future"

# R-C1: the outcomes each channel may choose at intake. A complainant present (walk-in) or on
# the line (phone, or the staff member on a field visit) can be answered at once; a message or
# a letter is answered later, by an agreed time if the complainant gave one, else by the deadline.
CHANNEL_OUTCOMES: dict[str, tuple[str, ...]] = {
    Channel.WALK_IN: (Outcome.REPLY_TIME, Outcome.ON_THE_SPOT, Outcome.MOVE_UP),
    Channel.PHONE: (Outcome.REPLY_TIME, Outcome.ON_THE_SPOT),
    Channel.ONLINE: (Outcome.DEADLINE, Outcome.REPLY_TIME),
    Channel.LETTER: (Outcome.DEADLINE, Outcome.REPLY_TIME),
    Channel.FIELD_VISIT: (Outcome.REPLY_TIME, Outcome.ON_THE_SPOT, Outcome.DEADLINE),
}
# The channels whose complaint may have arrived before it is logged: a letter (its arrival
# or postmark date) and a field visit (noted on site, logged back at the desk). The reply
# deadline counts from that time (R-C5), so a letter that arrived before the weekend may be
# late when it is logged: the complaint shows it at once and R-T1 moves it up.
BACKDATED_CHANNELS = (Channel.LETTER, Channel.FIELD_VISIT)

# R-C1: what a caller sets on a new complaint — the complainant and the case file. The rest is
# the intake's own (office, receiver, channel, arrival, deadlines) or the lifecycle's (status,
# close reason, level, merge, outside body: only through the outcome's step).
INTAKE_FIELDS: tuple[str, ...] = (  # in the order the intake forms show them
    "customer",
    "complainant_name",
    "is_anonymous",
    "contact_phone",
    "contact_email",
    "contact_qq",
    "contact_wechat",
    "incident_at",
    "incident_place",
    "persons_involved",
    "subject",
    "category",
    "description",
    "is_emotional",
    "is_sensitive",
)


def backdate_limit() -> timedelta:
    """How far back a letter or field visit may be dated (HELPDESK_BACKDATE_DAYS, default 14)."""
    return timedelta(days=settings.HELPDESK_BACKDATE_DAYS)


def received_at_error(*, channel: str, received_at: datetime, now: datetime) -> str | None:
    """R-C1: when the complaint arrived — now, or for letters and field visits up to the limit."""
    if received_at > now + INCIDENT_CLOCK_SKEW:
        return _("The time the complaint arrived cannot be in the future.")
    if received_at < now - INCIDENT_CLOCK_SKEW and channel not in BACKDATED_CHANNELS:
        return _("Only a letter or a field visit can be logged with an earlier arrival time.")
    if received_at < now - backdate_limit():
        return _("A complaint that arrived more than %(days)s days ago cannot be logged here; ask a supervisor.") % {
            "days": settings.HELPDESK_BACKDATE_DAYS
        }
    return None


def reply_time_error(*, reply_due_at: datetime, received_at: datetime, tier: str | None, now: datetime) -> str | None:
    """R-C5, the one reply-window rule (intake and `agree_reply_time`): None if allowed."""
    latest = deadlines.reply_deadline(received_at, tier)
    if reply_due_at > latest:
        hours = deadlines.reply_window_for(tier).total_seconds() / 3600
        return _("The reply time must be within %(hours)s hours of receipt, no later than %(latest)s.") % {
            "hours": f"{hours:g}",
            "latest": date_format(timezone.localtime(latest), "DATETIME_FORMAT"),
        }
    if reply_due_at <= now:
        return _("The reply time must be in the future.")
    return None


def _blank(value: Any) -> bool:
    return not (value or "").strip() if isinstance(value, str) or value is None else False


def on_the_spot_errors(*, resolution: str, signoff_name: str, satisfied: bool) -> dict[str, str]:
    """R-C4, the one sign-off rule (intake and `resolve_on_the_spot`): {} if allowed."""
    errors = {}
    if _blank(resolution):
        errors["resolution"] = _("Record the explanation or resolution.")
    if _blank(signoff_name):
        errors["signoff_name"] = _("Enter the name of the person signing off.")
    if not satisfied:
        errors["satisfied"] = _(
            "Only a complainant who confirms satisfaction can close on the spot; otherwise agree a reply time."
        )
    return errors


def signed_off(*, resolution: str, signoff_name: str, satisfied: bool) -> tuple[str, str]:
    """R-C4: the sign-off checked (`on_the_spot_errors`, else ValidationError) and tidied:
    (resolution, signoff_name) without surrounding blanks."""
    errors = on_the_spot_errors(resolution=resolution, signoff_name=signoff_name, satisfied=satisfied)
    if errors:
        raise ValidationError(errors)
    return resolution.strip(), signoff_name.strip()


def received_data(channel: str, received_at: datetime | None) -> event_data.Received:
    data: event_data.Received = {"channel": channel}
    if received_at is not None:
        data["received_at"] = received_at.isoformat()  # arrived before it was logged
    return data


def store_signature(png: bytes, *, complaint: Complaint) -> str:
    from .paper import store_signature as store  # PDF rendering is loaded only when needed

    return store(png, complaint=complaint)


def file_signed_form_quietly(complaint: Complaint, *, kind: str, by: Actor) -> None:
    """File the signed complaint / visit form in the linked customer's archive (R-CU2). The
    step itself is done and kept even if the PDF cannot be made; the failure is logged."""
    from .paper import file_signed_form

    try:
        file_signed_form(complaint, kind=kind, by=by)
    except Exception:  # a filing failure must not undo the complainant's sign-off
        logger.exception("Could not file the signed %s of complaint %s", kind, complaint.pk)


def _read_from_database(complaint: Complaint) -> set[str]:
    """The foreign keys of `complaint` set to rows read from the database (the office, the
    actor, the category and customer the form or serializer looked up): `full_clean` need not
    read each again to see that it exists."""
    names = set()
    for field in complaint._meta.concrete_fields:
        if field.is_relation and field.is_cached(complaint):  # type: ignore[attr-defined]
            related = field.get_cached_value(complaint)  # type: ignore[attr-defined]
            if related is not None and not related._state.adding:
                names.add(field.name)
    return names


class ComplaintIntake:
    """Mixed into `Complaint` (through `ComplaintLifecycle`)."""

    @classmethod
    def intake_errors(
        cls,
        *,
        channel: str,
        outcome: str | None,
        customer: Customer | None = None,
        complainant_name: str = "",
        is_anonymous: bool = False,
        incident_at: datetime | None = None,
        category: Category | None = None,
        reply_due_at: datetime | None = None,
        resolution: str = "",
        signoff_name: str = "",
        satisfied: bool = False,
        supervisor: Staff | None = None,
        received_at: datetime | None = None,
        now: datetime | None = None,
    ) -> dict[str, list[str]]:
        """Every intake rule that is not a plain field check, as {field: [messages]}."""
        now = now or timezone.now()
        received_at = received_at or now
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if not is_anonymous and customer is None and _blank(complainant_name):
            add(
                "complainant_name", _("Enter the complainant's name, link a customer, or mark the complaint anonymous.")
            )
        if incident_at is not None and incident_at > now + INCIDENT_CLOCK_SKEW:
            add("incident_at", _("The time of the incident cannot be in the future."))
        if category is not None and not category.is_active:
            add("category", _("Choose an active category."))
        if received_at != now and (message := received_at_error(channel=channel, received_at=received_at, now=now)):
            add("received_at", message)
        if outcome is not None and outcome not in Outcome.values:
            add("outcome", _("Choose what happens now."))
        elif outcome is not None and channel in CHANNEL_OUTCOMES and outcome not in CHANNEL_OUTCOMES[channel]:
            add(
                "outcome",
                _("“%(outcome)s” is not possible for a complaint received this way.")
                % {"outcome": Outcome(outcome).label},
            )
        elif outcome == Outcome.REPLY_TIME:
            if reply_due_at is None:
                add("reply_due_at", _("Enter the reply time agreed with the complainant."))
            else:
                tier = customer.tier if customer is not None else None
                message = reply_time_error(reply_due_at=reply_due_at, received_at=received_at, tier=tier, now=now)
                if message:
                    add("reply_due_at", message)
        elif outcome == Outcome.ON_THE_SPOT:
            for field, message in on_the_spot_errors(
                resolution=resolution, signoff_name=signoff_name, satisfied=satisfied
            ).items():
                add(field, message)
        elif outcome == Outcome.MOVE_UP:
            if supervisor is None:
                add("supervisor", _("Choose the supervisor who takes over."))
        return errors

    @classmethod
    def receive(
        cls,
        *,
        actor: Actor,
        office: OfficeT | None,
        channel: str,
        outcome: str | None = None,
        reply_due_at: datetime | None = None,
        resolution: str = "",
        signoff_name: str = "",
        satisfied: bool = False,
        apologised: bool = False,
        supervisor: Staff | None = None,
        handover_note: str = "",
        received_at: datetime | None = None,
        attachments: Sequence[UploadedFile] = (),
        signature: bytes = b"",
        intake_data: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> Complaint:
        """R-C1: record a new complaint as received, then apply the outcome chosen at intake:

        - None: received, its reply due by the reply deadline (the API's default);
        - Outcome.REPLY_TIME: the reply time agreed with the complainant (R-C5);
        - Outcome.ON_THE_SPOT: resolved and signed off, closed at once (R-C4);
        - Outcome.MOVE_UP: a walk-in complainant moved up to `supervisor` now (R-C2);
        - Outcome.DEADLINE: as None (a message or a letter with no time agreed).

        `attachments` (photos, documents) belong to the received event; `signature` (PNG bytes
        from the sign-off pad) is kept with an on-the-spot sign-off and the signed complaint
        form is filed in the linked customer's archive.

        `received_at` is when the complaint arrived: now, unless a letter or a field visit
        arrived earlier (within HELPDESK_BACKDATE_DAYS); its deadlines count from then.

        With no `actor` (the complainant's own channels: the public form, e-mail) the complaint
        must be `online`; it has no receiver and no assignee until an agent claims it
        (`claim()`); R-T1 still counts its reply deadline from now. `intake_data` adds to the
        received event's data (`via`, `consent`: event_data.Received).

        Raises ValidationError ({field: messages}) before writing anything if a rule fails. The
        outcome is worked out on the new complaint by its lifecycle step before anything is
        written, so a complaint is one INSERT and its events one more (issue 17).
        """
        if office is None:
            raise ValidationError({"office": _("Your account is not attached to an office; ask a manager.")})
        if actor is None and (channel != Channel.ONLINE or outcome not in (None, Outcome.DEADLINE)):
            raise ValidationError({"channel": _("Only an online complaint can arrive without a receiver.")})
        if unknown := sorted(set(fields).difference(INTAKE_FIELDS)):
            raise TypeError(f"Complaint.receive() got fields that are not set at intake: {unknown}")
        now = timezone.now()
        errors = cls.intake_errors(
            channel=channel,
            outcome=outcome,
            customer=fields.get("customer"),
            complainant_name=fields.get("complainant_name", ""),
            is_anonymous=fields.get("is_anonymous", False),
            incident_at=fields.get("incident_at"),
            category=fields.get("category"),
            reply_due_at=reply_due_at,
            resolution=resolution,
            signoff_name=signoff_name,
            satisfied=satisfied,
            supervisor=supervisor,
            received_at=received_at,
            now=now,
        )
        arrived = received_at or now
        if outcome == Outcome.MOVE_UP:
            fields["is_emotional"] = True
        complaint = cast(
            "Complaint",
            cls(  # type: ignore[call-arg]
                office=office,
                received_by=actor,
                assignee=actor,
                received_at=arrived,
                status=Status.RECEIVED,
                channel=channel,
                **fields,
            ),
        )
        customer = complaint.customer if complaint.customer_id else None
        tier = customer.tier if customer is not None else None
        complaint.reply_due_at = deadlines.reply_deadline(arrived, tier)
        complaint.progress_due_at = deadlines.progress_deadline(arrived)
        # The fields, not the CheckConstraints (a query each): a new complaint meets those by
        # construction and the database still holds them. Its status, close reason, level, merge
        # and outside body are set only here and by the outcome's step (callers set INTAKE_FIELDS);
        # the reply time is capped by `reply_deadline` or checked by `reply_time_error` (24 h);
        # an on-the-spot close needs its sign-off (`signed_off`); the channel is one of the
        # field's choices; and only an online complaint arrives without a receiver (above).
        try:
            complaint.full_clean(exclude=_read_from_database(complaint), validate_constraints=False)
        except ValidationError as error:
            for field, messages in errors.items():  # report the intake rules beside the field errors
                error.error_dict.setdefault(field, []).extend(ValidationError(m) for m in messages)
            raise
        if errors:
            raise ValidationError(errors)
        received = complaint._event(
            actor=actor,
            kind=EventKind.RECEIVED,
            from_status="",
            from_level=None,
            now=now,
            data={**received_data(complaint.channel, received_at), **(intake_data or {})},
        )
        # the outcome through its lifecycle step's gate and rules, worked out before anything is written
        step = complaint._intake_outcome(
            outcome,
            actor=actor,
            reply_due_at=reply_due_at,
            resolution=resolution,
            signoff_name=signoff_name,
            satisfied=satisfied,
            apologised=apologised,
            supervisor=supervisor,
            handover_note=handover_note,
        )
        events = [received] if step is None else [received, step.event]
        with transaction.atomic():
            complaint.save()  # received, with the outcome: one INSERT
            if outcome == Outcome.ON_THE_SPOT and signature and step is not None:
                # stored under the complaint's id, so once it has one
                step.event.data[event_data.SIGNATURE] = store_signature(signature, complaint=complaint)
            type(received).objects.bulk_create(events)  # its events: one INSERT
            events_logged.send(sender=cls, events=events)
            store_attachments(received, attachments, by=actor)
            if step is not None and step.then is not None:
                step.then()
        if outcome == Outcome.ON_THE_SPOT and signature:
            file_signed_form_quietly(complaint, kind=DocumentKind.COMPLAINT_FORM, by=actor)
        return complaint

    def _intake_outcome(
        self,
        outcome: str | None,
        *,
        actor: Actor,
        reply_due_at: datetime | None,
        resolution: str,
        signoff_name: str,
        satisfied: bool,
        apologised: bool,
        supervisor: Staff | None,
        handover_note: str,
    ) -> Step | None:
        """The outcome chosen at intake, worked out on the new complaint (not written yet) by the
        same gate and step as `agree_reply_time`, `resolve_on_the_spot` and `move_up` — without
        their lock: nobody else can see a row that is not written yet."""
        complaint = cast("Complaint", self)
        now = timezone.now()  # after the received event's time, as the step would be
        if outcome == Outcome.REPLY_TIME and reply_due_at is not None:  # checked by intake_errors
            complaint._check_allowed(rules.action("agree_reply_time"))
            return complaint._reply_time_agreed(actor=actor, reply_due_at=reply_due_at, note="", now=now)
        if outcome == Outcome.ON_THE_SPOT:
            resolution, signoff_name = signed_off(resolution=resolution, signoff_name=signoff_name, satisfied=satisfied)
            complaint._check_allowed(rules.action("resolve_on_the_spot"))
            return complaint._resolved_on_the_spot(
                actor=actor,
                resolution=resolution,
                signoff_name=signoff_name,
                apologised=apologised,
                signature="",  # added once stored (receive)
                now=now,
            )
        if outcome == Outcome.MOVE_UP:
            complaint._check_allowed(rules.action("move_up"))
            return complaint._moved_up(
                actor=actor, cause=EscalationCause.EMOTIONAL, to_user=supervisor, note=handover_note, now=now
            )
        return None

    @classmethod
    def log(cls, *, actor: Actor, office: OfficeT | None, **fields: Any) -> Complaint:
        """Received, with the reply due by the reply deadline: `receive()` without an outcome."""
        return cls.receive(actor=actor, office=office, **fields)

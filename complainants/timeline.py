"""What the complainant may see of their complaint (R-P2): the status in plain words, what was
promised and when, and the public part of the timeline — received, replies and progress
reports, the proposed solution and their answer, handled, the call-back, closed, the notices
sent to them and what they added. Never internal notes, findings, departments, escalation
causes, staff names, other complaints or the archive: each entry is built here from a list of
allowed kinds and only the fields named for it (a new event kind stays hidden until added)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.utils.translation import gettext as _

from complaints import event_data
from complaints.choices import MAX_ESCALATION_LEVEL, CloseReason, EventKind, OutsideBodyKind, Status
from complaints.models import Complaint, ComplaintEvent

K = EventKind


@dataclass(frozen=True)
class Entry:
    at: datetime
    title: str
    text: str = ""  # what was said to the complainant, or what they said
    photos: int = 0
    mine: bool = False  # the complainant's own step


def _yes_no(value: object) -> str:
    return _("satisfied") if value else _("not satisfied")


def _body_kind(data: dict) -> str:
    """The kind of outside body, in words (never its name or contact: those stay with staff)."""
    kind = data.get(event_data.OUTSIDE_BODY_KIND)
    return str(OutsideBodyKind(kind).label) if kind in OutsideBodyKind.values else _("an outside body")


def is_outside_body_step(event: ComplaintEvent) -> bool:
    """Level 3 (R-C8, R-C5.3): the complaint went to an outside body, or the body answered."""
    if event.kind in (K.OUTSIDE_BODY_REFERRED, K.OUTSIDE_BODY_ANSWERED):
        return True
    return (
        event.kind == K.MOVED_UP
        and event.to_level == MAX_ESCALATION_LEVEL
        and event_data.OUTSIDE_BODY_KIND in (event.data or {})
    )


def outside_body_entry(event: ComplaintEvent) -> Entry:
    """What the complainant is told of a level-3 step: the kind of body, and that the centre
    keeps following it — not the body's contact, not the staff's note, not the body's answer
    (staff report its outcome in their own words)."""
    body = _body_kind(event.data or {})
    if event.kind == K.OUTSIDE_BODY_ANSWERED:
        return Entry(
            event.created_at,
            _("%(body)s answered about your complaint") % {"body": body},
            _("We are looking at the answer and will tell you what comes next."),
        )
    return Entry(
        event.created_at,
        _("Your complaint was passed on to %(body)s") % {"body": body},
        _("It is beyond what the service centre can decide alone. We keep following it and will keep you informed."),
    )


def _entry(event: ComplaintEvent, photos: int) -> Entry | None:
    kind, data = event.kind, event.data or {}
    via = bool(data.get(event_data.VIA))
    if kind == K.RECEIVED:
        return Entry(event.created_at, _("Your complaint was received"))
    if kind == K.CLAIMED:
        return Entry(event.created_at, _("A member of staff took up your complaint"))
    if kind == K.REPLY_TIME_AGREED:
        return Entry(event.created_at, _("A reply time was agreed"))
    if kind == K.REPLIED:
        return Entry(event.created_at, _("Reply from the service centre"), event.note)
    if kind == K.PROGRESS_REPORTED:
        return Entry(event.created_at, _("Progress report"), event.note)
    if kind == K.COMPLETION_COMMITTED:
        return Entry(event.created_at, _("A completion date was committed"))
    if kind == K.SOLUTION_PROPOSED:
        return Entry(event.created_at, _("Proposed solution"), event.note)
    if kind == K.SOLUTION_ACCEPTED:
        return Entry(event.created_at, _("You accepted the solution"), event.note if via else "", mine=via)
    if kind == K.SOLUTION_REJECTED:
        return Entry(event.created_at, _("You did not accept the solution"), event.note if via else "", mine=via)
    if kind == K.INFORMATION_ADDED:
        return Entry(event.created_at, _("You added information"), event.note, photos=photos, mine=True)
    if kind == K.HANDLED:
        if event.to_status == Status.CLOSED:
            return Entry(event.created_at, _("Your complaint was handled and closed"))
        return Entry(event.created_at, _("Your complaint was handled"))
    if kind == K.CALLBACK_RECORDED:
        title = _("Your answer to the call-back: %(answer)s") % {"answer": _yes_no(data.get(event_data.SATISFIED))}
        return Entry(event.created_at, title, mine=via)
    if kind == K.CALLBACK_DECLINED:
        return Entry(event.created_at, _("You did not want a call-back"), mine=via)
    if kind == K.AUTO_CLOSED:
        return Entry(event.created_at, _("Your complaint was closed"))
    if kind == K.RESOLVED_ON_THE_SPOT:
        return Entry(event.created_at, _("Your complaint was resolved on the spot and closed"))
    if is_outside_body_step(event):
        return outside_body_entry(event)
    if kind == K.NOTICE_SENT:
        channel = data.get("channel")
        to = str(data.get("to") or "")
        if channel == "sms":
            return Entry(event.created_at, _("SMS sent to %(to)s") % {"to": to})
        return Entry(event.created_at, _("E-mail sent to %(to)s") % {"to": to})
    return None  # everything else is internal


def public_timeline(complaint: Complaint) -> list[Entry]:
    """The complainant's timeline, oldest first (one query: events with their photo counts)."""
    events = (
        ComplaintEvent.objects.filter(complaint=complaint)
        .annotate(photos=Count("attachments"))
        .order_by("created_at", "id")
        .only("id", "kind", "note", "data", "created_at", "to_status", "to_level")
    )
    return [entry for event in events if (entry := _entry(event, event.photos)) is not None]


def status_text(complaint: Complaint) -> str:
    s = complaint.status
    if s == Status.RECEIVED:
        if not complaint.is_claimed:
            return _("Received: waiting for a member of staff to take it up")
        return _("Received: a member of staff is looking at it")
    if s == Status.IN_PROGRESS:
        return _("Being looked into")
    if s == Status.SOLUTION_PROPOSED:
        return _("A solution awaits your answer")
    if s == Status.HANDLING:
        return _("The agreed solution is being carried out")
    if s == Status.RESOLVED:
        return _("Handled: please tell us whether you are satisfied")
    if s == Status.CALLBACK_DECLINED:
        return _("Handled: it will be closed in a few days")
    return _("Closed")


def callback_outcome(complaint: Complaint) -> str:
    """What the questionnaire link says once there is nothing (more) to answer."""
    if complaint.status == Status.CLOSED and complaint.close_reason == CloseReason.CALLBACK_SATISFIED:
        return _("The call-back for this complaint is already recorded. Thank you.")
    if complaint.status == Status.CLOSED:
        return _("This complaint is closed. Thank you.")
    if complaint.status == Status.CALLBACK_DECLINED:
        return _("You told us you did not want a call-back. The complaint will be closed in a few days.")
    if complaint.resolved_at is None and complaint.events.filter(kind=K.CALLBACK_RECORDED).exists():
        return _("The call-back for this complaint is already recorded: it is being looked into again.")
    return _("There is no questionnaire to answer yet: we will send you the link when your complaint is handled.")

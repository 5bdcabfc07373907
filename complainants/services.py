"""What the complainant does (R-P1 … R-P3), each through the one intake method or the same
lifecycle methods staff use; the complainant is never an actor (events carry `via`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language

from accounts.models import Office
from complaints.choices import CallbackMethod, Channel
from complaints.models import Complaint

from . import notices, privacy, tokens
from .models import ComplainantAccess, Source


@dataclass(frozen=True)
class Submitted:
    complaint: Complaint
    token: str


def _language() -> str:
    language = (get_language() or "zh-hans").lower()
    return "en" if language.startswith("en") else "zh-hans"


def submit_online(
    *,
    office: Office,
    fields: dict[str, Any],
    attachments: Sequence[Any] = (),
    via: str = Source.WEB,
    language: str | None = None,
    consented: bool,
) -> Submitted:
    """R-P1: an online complaint through `Complaint.receive()` (no receiver yet: it waits in
    the office's queue for an agent to claim it), with the consent recorded on the received
    event and beside the complaint, a private link, and the "received" notice — all in one
    transaction, or nothing (a `ValidationError` names what is wrong)."""
    language = language or _language()
    now = timezone.now()
    consent: dict[str, str] = {}
    if consented:
        consent = {
            "version": privacy.VERSION,
            "sha256": privacy.notice_sha256(office.name),
            "accepted_at": now.isoformat(),
            "language": language,
        }
    with transaction.atomic():
        complaint = Complaint.receive(
            actor=None,
            office=office,
            channel=Channel.ONLINE,
            attachments=attachments,
            intake_data={"via": via, **({"consent": consent} if consent else {})},
            **fields,
        )
        ComplainantAccess.objects.create(
            complaint=complaint,
            source=via,
            language=language,
            consent_version=consent.get("version", ""),
            consent_sha256=consent.get("sha256", ""),
            consented_at=now if consent else None,
        )
        token = tokens.issue(complaint)
        notices.queue_for(complaint, "received", token=token)
    return Submitted(complaint, token)


def add_information(complaint: Complaint, *, note: str, attachments: Sequence[Any] = (), via: str = Source.WEB):
    return complaint.add_information(note=note, attachments=attachments, via=via)


def answer_solution(complaint: Complaint, *, accepted: bool, note: str = "", via: str = Source.WEB) -> None:
    """R-P3 / R-C7: the complainant accepts (→ handling) or rejects (→ moved up, R-C8)."""
    complaint.record_answer(actor=None, accepted=accepted, note=note, via=via)


def answer_questionnaire(
    complaint: Complaint,
    *,
    satisfied: bool,
    rating: int,
    answers: dict[str, str],
    via: str = Source.WEB,
) -> None:
    """R-P3 / R-C10: the online call-back. Satisfied closes; unsatisfied moves it up again."""
    complaint.record_callback(
        actor=None,
        method=CallbackMethod.QUESTIONNAIRE,
        satisfied=satisfied,
        rating=rating,
        answers={k: v for k, v in answers.items() if v},
        note=answers.get("suggestions", ""),
        via=via,
    )


def decline_callback(complaint: Complaint, *, via: str = Source.WEB) -> None:
    """R-C10: "I don't want to be called" — then the 7-day auto-close applies (R-T4)."""
    complaint.decline_callback(actor=None, via=via)


def stop_notices(complaint: Complaint) -> None:
    ComplainantAccess.objects.filter(complaint=complaint, notices_stopped_at__isnull=True).update(
        notices_stopped_at=timezone.now()
    )


def resume_notices(complaint: Complaint) -> None:
    ComplainantAccess.objects.filter(complaint=complaint).update(notices_stopped_at=None)

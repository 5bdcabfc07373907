"""Masking of a complainant's personal data in the training-case library (SPEC R-C11), and
the masked records the library's templates receive.

Masking rule (one place, `Masker`):
- name: the first character, then one "*" per further character ("黄先生" → "黄**",
  "Mr Huang" → "M*******"); an anonymous complainant is shown as "Anonymous";
- phone: the first 3 and the last 2 digits ("139 1234 5678" → "139******78");
- e-mail: the first letter, "***", then "@domain" ("huang@example.com" → "h***@example.com");
- QQ / WeChat ids: the first character and "***";
- the linked customer is shown only by its tier (its name, contact person, phone and e-mail
  are personal data of the complainant's side and are masked wherever they occur).
The same values are masked wherever they occur in the free text (event, place, persons
involved, description, findings, solution, resolution, lesson, timeline notes): verbatim,
case-insensitively, a phone also when written with spaces or dashes, a Latin name also by
its parts ("Huang"). Any other mainland mobile number or e-mail address in the text is
masked too (a third person's data is no less personal).

Templates never receive a `Complaint`: the views hand them `CaseSummary` / `CaseFile`
objects built here (`summarise`, `case_file`) from masked values only, so a raw value cannot
be rendered by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from django.utils.translation import gettext as _

from ..choices import CloseReason, EscalationLevel, EventKind, Status
from ..models import Complaint, ComplaintEvent

_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mx"})
# Linear time on any text (a 100,000-character description masks in milliseconds): the
# separators' repetitions are bounded, and the e-mail pattern, which could otherwise start
# anywhere inside a long run of letters and digits and re-scan the rest of it from each
# position (quadratic), may only start where such a run starts (the look-behind), so each
# run is scanned once; neither part contains "@" and labels contain no ".", so a failed
# attempt backtracks over each character at most once.
_PHONE_SEPARATORS = r"[\s\-()（）.]{0,3}"
_COUNTRY_CODE = r"(?:\+?86[\s\-]{0,3})?"
# Phone alternatives are the digits only: the pass that joins them adds, once for all, the
# start (no digit before; "+" or a digit), the optional +86 and the end (no digit after).
_PHONE_START, _PHONE_END = r"(?<!\d)(?=[+\d])" + _COUNTRY_CODE, r"(?!\d)"
_ANY_MOBILE = r"1[3-9]\d(?:[\s\-]?\d){8}"
_DIGIT, _DIGIT_RE = "<digit>", re.compile(r"\d")
_ANY_EMAIL = r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"


# ------------------------------------------------------------------------- masking
def mask_name(value: str) -> str:
    value = (value or "").strip()
    if len(value) <= 1:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 1)


def mask_phone(value: str) -> str:
    digits = "".join(ch for ch in (value or "") if ch.isdigit())
    if len(digits) == 13 and digits.startswith("861"):  # +86 mainland mobile
        digits = digits[2:]
    if len(digits) <= 5:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


def mask_email(value: str) -> str:
    local, at, domain = (value or "").strip().rpartition("@")
    if not at:
        return mask_other(value)
    return f"{local[:1]}***@{domain}"


def mask_other(value: str) -> str:
    value = (value or "").strip()
    return f"{value[:1]}***" if value else ""


def _latin_bounded(literal: str) -> str:
    """A name as a regex; a Latin name only as a whole word ("Li" is not masked in "Lift")."""
    pattern = re.escape(literal)
    if literal[:1].isascii() and literal[:1].isalpha():
        pattern = r"(?<![A-Za-z])" + pattern
    if literal[-1:].isascii() and literal[-1:].isalpha():
        pattern += r"(?![A-Za-z])"
    return pattern


def _phone_pattern(digits: str) -> str:
    return _PHONE_SEPARATORS.join(digits)


class Masker:
    """Masks one complaint's personal data in any text about it."""

    def __init__(
        self,
        *,
        names: Iterable[str] = (),
        person_names: Iterable[str] = (),
        phones: Iterable[str] = (),
        emails: Iterable[str] = (),
        other_ids: Iterable[str] = (),
    ):
        # (regex source, masking, what the text must contain for it to match: a literal,
        # compared case-folded, or DIGIT)
        alternatives: list[tuple[str, Callable[[str], str], str]] = []
        for email in _distinct(emails):
            alternatives.append((re.escape(email), mask_email, "@"))
        alternatives.append((_ANY_EMAIL, mask_email, "@"))
        for phone in _distinct(phones):
            digits = "".join(ch for ch in phone if ch.isdigit())
            variants = {digits, digits[2:] if digits.startswith("86") and len(digits) == 13 else ""}
            alternatives += [
                (_phone_pattern(d), mask_phone, _DIGIT) for d in sorted(variants, key=len, reverse=True) if len(d) >= 5
            ]
        alternatives.append((_ANY_MOBILE, mask_phone, _DIGIT))
        for other in _distinct(other_ids):
            alternatives.append((r"(?<![\w])" + re.escape(other) + r"(?![\w])", mask_other, other.casefold()))
        person_names = _distinct(person_names)
        whole = sorted({n for n in [*_distinct(names), *person_names] if len(n) >= 2}, key=len, reverse=True)
        alternatives += [(_latin_bounded(n), mask_name, n.casefold()) for n in whole]
        parts = {
            p
            for n in person_names
            if n.isascii()
            for p in re.split(r"[\s.,]+", n)
            if len(p) >= 3 and p.casefold() not in _TITLES
        }
        alternatives += [
            (_latin_bounded(p), mask_name, p.casefold()) for p in sorted(parts - set(whole), key=len, reverse=True)
        ]
        # One regex per run of alternatives with the same masking (e-mails, phones, ids, names),
        # not one alternation of everything, which costs every alternative at every position
        # (100,000 characters: ~50 ms); a pass whose literals are not in the text at all (no
        # "@", no digit, none of the names) is skipped. `text` merges the passes' matches
        # exactly as the one alternation would: leftmost first, and at one position the
        # earlier alternative.
        self._passes: list[tuple[re.Pattern[str], Callable[[str], str], frozenset[str]]] = []
        for masker, grouped in groupby(alternatives, key=lambda alternative: alternative[1]):
            group = list(grouped)
            pattern = "(?:" + "|".join(f"(?:{src})" for src, _m, _t in group) + ")"
            if masker is mask_phone:
                pattern = _PHONE_START + pattern + _PHONE_END
            triggers = frozenset(trigger for _s, _m, trigger in group)
            self._passes.append((re.compile(pattern, re.IGNORECASE), masker, triggers))

    @classmethod
    def for_complaint(cls, complaint: Complaint) -> Masker:
        customer = complaint.customer if complaint.customer_id else None
        return cls(
            names=[customer.name] if customer else [],
            person_names=[
                complaint.complainant_name,
                complaint.signoff_name,
                customer.contact_person if customer else "",
            ],
            phones=[complaint.contact_phone, customer.phone if customer else ""],
            emails=[complaint.contact_email, customer.email if customer else ""],
            other_ids=[complaint.contact_qq, complaint.contact_wechat],
        )

    def text(self, value: str) -> str:
        if not value:
            return ""
        # The next match of each pass at or after `cursor`; a pass is searched again only when
        # its match starts before the cursor (it overlapped a chosen one), so every pass scans
        # the text once: linear in len(value).
        cursor, out = 0, []
        folded = value.casefold()
        has_digit = _DIGIT_RE.search(value) is not None
        upcoming = [
            regex.search(value)
            if any(has_digit if t is _DIGIT else t in folded for t in triggers)
            else None  # cannot match anywhere: never searched
            for regex, _masker, triggers in self._passes
        ]
        while True:
            best = None
            for i, match in enumerate(upcoming):
                if match is not None and match.start() < cursor:
                    match = upcoming[i] = self._passes[i][0].search(value, cursor)
                if match is not None and (best is None or match.start() < upcoming[best].start()):
                    best = i
            if best is None:
                break
            match = upcoming[best]
            out += [value[cursor : match.start()], self._passes[best][1](match.group())]
            cursor = match.end()
        out.append(value[cursor:])
        return "".join(out)


def _distinct(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        v = (v or "").strip()
        if v and v.casefold() not in {s.casefold() for s in seen}:
            seen[v] = None
    return list(seen)


# ------------------------------------------------------- what the templates receive
@dataclass(frozen=True)
class CaseSummary:
    pk: int
    reference: str
    subject: str
    lesson: str
    category: str
    office: str
    outcome: str
    received_at: datetime
    marked_at: datetime | None


@dataclass(frozen=True)
class Step:
    created_at: datetime
    kind: str
    actor: str
    status_change: str
    level_change: str
    to_user: str
    department: str
    note: str


@dataclass(frozen=True)
class CaseFile:
    summary: CaseSummary
    channel: str
    complainant: str
    customer_tier: str
    phone: str
    email: str
    other_contacts: list[tuple[str, str]]
    incident_at: datetime
    place: str
    persons_involved: str
    description: str
    flags: list[str]
    department: str
    escalation_level: str
    findings: str
    solution: str
    resolution: str
    apologised: bool
    signed_off_by: str
    first_replied_at: datetime | None
    closed_at: datetime | None
    steps: list[Step]


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def summarise(complaint: Complaint, masker: Masker | None = None) -> CaseSummary:
    masker = masker or Masker.for_complaint(complaint)
    return CaseSummary(
        pk=complaint.pk,
        reference=complaint.reference,
        subject=masker.text(complaint.subject),
        lesson=masker.text(complaint.training_lesson),
        category=str(complaint.category),
        office=str(complaint.office),
        outcome=_label(CloseReason, complaint.close_reason)
        if complaint.close_reason
        else _label(Status, complaint.status),
        received_at=complaint.received_at,
        marked_at=complaint.training_marked_at,
    )


def _complainant(complaint: Complaint) -> str:
    if complaint.is_anonymous:
        return _("Anonymous")
    if complaint.complainant_name:
        return mask_name(complaint.complainant_name)
    if complaint.customer_id:
        return mask_name(complaint.customer.name)
    return _("Unknown")


def _step(event: ComplaintEvent, masker: Masker) -> Step:
    data = event.data or {}
    status_change = level_change = ""
    if event.from_status and event.from_status != event.to_status:
        status_change = f"{_label(Status, event.from_status)} → {_label(Status, event.to_status)}"
    if event.from_level is not None and event.to_level is not None and event.from_level != event.to_level:
        level_change = f"{event.from_level} → {event.to_level}"
    department = data.get("department_name") or ""
    return Step(
        created_at=event.created_at,
        kind=_label(EventKind, event.kind),
        actor=str(event.actor) if event.actor_id else _("system"),
        status_change=status_change,
        level_change=level_change,
        to_user=data.get("to_user_name") or "",
        department=_(department) if department else "",
        note=masker.text(event.note),
    )


def case_file(complaint: Complaint, events: Iterable[ComplaintEvent]) -> CaseFile:
    m = Masker.for_complaint(complaint)
    others = [
        (label, mask_other(value))
        for label, value in ((_("QQ"), complaint.contact_qq), (_("WeChat"), complaint.contact_wechat))
        if value
    ]
    flags = [
        label
        for label, on in ((_("emotional"), complaint.is_emotional), (_("sensitive"), complaint.is_sensitive))
        if on
    ]
    return CaseFile(
        summary=summarise(complaint, m),
        channel=complaint.get_channel_display(),
        complainant=_complainant(complaint),
        customer_tier=complaint.customer.tier if complaint.customer_id else "",
        phone=mask_phone(complaint.contact_phone),
        email=mask_email(complaint.contact_email) if complaint.contact_email else "",
        other_contacts=others,
        incident_at=complaint.incident_at,
        place=m.text(complaint.incident_place),
        persons_involved=m.text(complaint.persons_involved),
        description=m.text(complaint.description),
        flags=flags,
        department=str(complaint.department) if complaint.department_id else "",
        escalation_level=_label(EscalationLevel, complaint.escalation_level),
        findings=m.text(complaint.findings),
        solution=m.text(complaint.solution),
        resolution=m.text(complaint.resolution),
        apologised=complaint.apologised,
        signed_off_by=mask_name(complaint.signoff_name),
        first_replied_at=complaint.first_replied_at,
        closed_at=complaint.closed_at,
        steps=[_step(e, m) for e in events],
    )

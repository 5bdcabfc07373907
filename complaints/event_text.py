"""The event log in words (R-C11: who, what, when — readable by whoever opens the complaint).

`describe(event)` turns one event's kind and data into facts — "Method: Phone", "satisfied",
"Rating: 4/5" — in the active language, for the timeline of the complaint page; `recorded`
gathers what the complainant and the staff recorded along the way (the apology, the answer to
a solution, the call-backs) for the page's panel of recorded facts. Both read the events the
page has already loaded: no query here.

There is one renderer for every `EventKind` (`RENDERERS`; a test fails when a kind has none).
A renderer reads only the keys that complaints/event_data.py declares for its kind, so a key
outside that contract never reaches the page, and no stored value is shown raw: a choice by its
translated label, a date in the local time zone, a person by name, another complaint as a link.
A value that is not what the contract says (an unknown code, a malformed date) is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from . import event_data
from .choices import CallbackMethod, Channel, EscalationCause, EventKind, OutsideBodyKind
from .paper import CALLBACK_QUESTIONS

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from .models import Complaint, ComplaintEvent

DATETIME = "Y-m-d H:i"  # as everywhere on the complaint page

# `via` (event_data.VIA): the complainant did it themselves, through their private link or the
# public form ("web"), or by e-mail ("email"). complainants.models.Source has the same codes.
VIA: dict[str, _StrPromise] = {
    "web": gettext_lazy("online"),
    "email": gettext_lazy("by e-mail"),
}

# `notice_kind` of notice_sent: the notices of complainants/notices.py (KINDS).
NOTICE_KINDS: dict[str, _StrPromise] = {
    "received": gettext_lazy("complaint received"),
    "replied": gettext_lazy("reply"),
    "progress": gettext_lazy("progress"),
    "solution_proposed": gettext_lazy("solution to answer"),
    "resolved": gettext_lazy("handled, with the questionnaire"),
    "closed": gettext_lazy("complaint closed"),
    "link": gettext_lazy("new private link"),
}

# `channel` of notice_sent (notifications.models.NoticeChannel has the same codes).
NOTICE_CHANNELS: dict[str, _StrPromise] = {
    "sms": gettext_lazy("SMS"),
    "email": gettext_lazy("E-mail"),
}


@dataclass(frozen=True)
class Fact:
    """One thing an event recorded: a value under a label ("Method: Phone"), or a value that
    speaks for itself ("satisfied"); `url` makes the value a link to another complaint, read
    with its label as one phrase ("into #12")."""

    value: str
    label: str = ""
    url: str = ""


Data = Mapping[str, Any]
Renderer = Callable[[Data], list[Fact]]


# ----------------------------------------------------------------------------- values
def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _choice(choices: type[models.TextChoices], value: Any) -> str:
    """The translated label of a stored choice; "" for a code the choice does not know."""
    if not isinstance(value, str) or value not in choices.values:
        return ""
    return str(choices(value).label)


def _when(value: Any) -> str:
    """An ISO 8601 date from the data, in the local time zone; "" when it is not one."""
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        return ""
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return str(dateformat.format(timezone.localtime(parsed), DATETIME))


def _complaint_link(value: Any, label: str) -> list[Fact]:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return []
    return [Fact(f"#{value}", label, reverse("complaints:detail", args=[value]))]


def _named(names: Mapping[str, Any], value: Any) -> str:
    """The label `names` gives a stored code; "" for anything else (not a code, an unknown one)."""
    return str(names[value]) if isinstance(value, str) and value in names else ""


def _labelled(label: str, value: str) -> list[Fact]:
    return [Fact(value, label)] if value else []


def _satisfied(value: Any) -> list[Fact]:
    if value is True:
        return [Fact(_("satisfied"))]
    if value is False:
        return [Fact(_("not satisfied"))]
    return []


def _rating(value: Any) -> list[Fact]:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        return []
    return [Fact(f"{value}/5", _("Rating"))]


def _via(data: Data) -> list[Fact]:
    return _labelled(_("Via"), _named(VIA, data.get(event_data.VIA)))


def _escalation(data: Data, *, owner_label: str = "") -> list[Fact]:
    """The escalation keys (event_data.Escalation): the cause, and who took it over."""
    return [
        *_labelled(_("Cause"), _choice(EscalationCause, data.get(event_data.ESCALATION_CAUSE))),
        *_labelled(owner_label or _("Taken over by"), _text(data.get("to_user_name"))),
    ]


def _outside_body(data: Data) -> list[Fact]:
    """The outside body of level 3 (R-C8, 原則8.3): its kind, name and contact."""
    return [
        *_labelled(_("Outside body"), _choice(OutsideBodyKind, data.get(event_data.OUTSIDE_BODY_KIND))),
        *_labelled(_("Name"), _text(data.get(event_data.OUTSIDE_BODY_NAME))),
        *_labelled(_("Contact"), _text(data.get(event_data.OUTSIDE_BODY_CONTACT))),
    ]


def _signature(data: Data) -> list[Fact]:
    return [Fact(_("signed by the complainant"))] if data.get(event_data.SIGNATURE) else []


def _answers(data: Data) -> list[Fact]:
    """The call-back script's questions (paper.CALLBACK_QUESTIONS), each with its answer."""
    answers = data.get(event_data.ANSWERS)
    if not isinstance(answers, Mapping):
        return []
    return [Fact(_text(answers[key]), _(question)) for key, question in CALLBACK_QUESTIONS if _text(answers.get(key))]


# -------------------------------------------------------------------------- renderers
def _nothing(data: Data) -> list[Fact]:
    """The kind carries no data of its own (its note, if any, is shown under it)."""
    return []


def _received(data: Data) -> list[Fact]:
    consent = data.get("consent")
    version = _text(consent.get("version")) if isinstance(consent, Mapping) else ""
    return [
        *_labelled(_("Channel"), _choice(Channel, data.get("channel"))),
        *_labelled(_("Arrived"), _when(data.get("received_at"))),
        *_via(data),
        *_labelled(_("Privacy notice accepted"), version and _("version %(version)s") % {"version": version}),
    ]


def _on_the_spot(data: Data) -> list[Fact]:
    return [
        *_labelled(_("Signed off by"), _text(data.get("signoff_name"))),
        *([Fact(_("apologised"))] if data.get("apologised") is True else []),
        *_satisfied(data.get(event_data.SATISFIED)),
        *_signature(data),
    ]


def _moved_up(data: Data) -> list[Fact]:
    if data.get(event_data.OUTSIDE_BODY_KIND):  # to level 3: the body, and who keeps following it here
        return [
            *_labelled(_("Cause"), _choice(EscalationCause, data.get(event_data.ESCALATION_CAUSE))),
            *_outside_body(data),
            *_labelled(_("Followed in the office by"), _text(data.get("to_user_name"))),
        ]
    return _escalation(data)


def _department(data: Data) -> list[Fact]:
    name = _text(data.get("department_name"))
    return _labelled(_("Department"), _(name) if name else "")  # department names have msgids


def _findings(data: Data) -> list[Fact]:
    return [Fact(_("apologised in person"))] if data.get("apologised_in_person") is True else []


def _solution_answered(data: Data) -> list[Fact]:
    accepted = data.get("accepted")
    answer = _("accepted") if accepted is True else _("rejected") if accepted is False else ""
    return [*_labelled(_("Complainant's answer"), answer), *_via(data), *_escalation(data)]


def _handled(data: Data) -> list[Fact]:
    needs = data.get("needs_callback")
    if needs is True:
        return [Fact(_("call-back needed"))]
    if needs is False:
        return [Fact(_("no call-back needed"))]
    return []


def _callback(data: Data) -> list[Fact]:
    return [
        *_labelled(_("Method"), _choice(CallbackMethod, data.get(event_data.METHOD))),
        *_satisfied(data.get(event_data.SATISFIED)),
        *_rating(data.get(event_data.RATING)),
        *_via(data),
        *_answers(data),
        *_signature(data),
        *_escalation(data),
    ]


def _notice(data: Data) -> list[Fact]:
    channel = _named(NOTICE_CHANNELS, data.get("channel"))
    to = _text(data.get("to"))  # already masked when recorded (R-P4)
    return [
        *_labelled(_("Sent"), f"{channel} → {to}" if channel and to else ""),
        *_labelled(_("Notice"), _named(NOTICE_KINDS, data.get("notice_kind"))),
    ]


def _recheck(data: Data) -> list[Fact]:
    if data.get("reached") is False:
        return [Fact(_("complainant not reached"))]
    return [*_satisfied(data.get(event_data.SATISFIED)), *_rating(data.get(event_data.RATING))]


def _unmerged(data: Data) -> list[Fact]:
    if event_data.MERGED_INTO in data:  # on the duplicate
        out_of = pgettext("a merge undone: taken out of a complaint", "out of")
        return _complaint_link(data[event_data.MERGED_INTO], out_of)
    return _complaint_link(data.get(event_data.DUPLICATE), _("duplicate"))


def _incident_reported(data: Data) -> list[Fact]:
    return [
        *_labelled(_("Reported to"), _text(data.get("reported_to"))),
        *_labelled(_("Reported at"), _when(data.get("reported_at"))),
    ]


RENDERERS: dict[str, Renderer] = {
    EventKind.RECEIVED: _received,
    EventKind.REPLY_TIME_AGREED: lambda d: _labelled(_("Reply due"), _when(d.get("reply_due_at"))),
    EventKind.REPLIED: _nothing,
    EventKind.PROGRESS_REPORTED: _nothing,
    EventKind.RESOLVED_ON_THE_SPOT: _on_the_spot,
    EventKind.MOVED_UP: _moved_up,
    EventKind.REASSIGNED: lambda d: _labelled(_("New assignee"), _text(d.get("to_user_name"))),
    EventKind.DEPARTMENT_ASSIGNED: _department,
    EventKind.FINDINGS_RECORDED: _findings,
    EventKind.SOLUTION_PROPOSED: _nothing,
    EventKind.SOLUTION_ACCEPTED: _solution_answered,
    EventKind.SOLUTION_REJECTED: _solution_answered,
    EventKind.COMPLETION_COMMITTED: lambda d: _labelled(_("Complete by"), _when(d.get("committed_completion_at"))),
    EventKind.HANDLED: _handled,
    EventKind.CALLBACK_RECORDED: _callback,
    EventKind.CALLBACK_DECLINED: _via,
    EventKind.AUTO_CLOSED: _nothing,
    EventKind.NOTE_ADDED: _nothing,
    EventKind.TRAINING_CASE_MARKED: _nothing,
    EventKind.REPLY_OVERDUE: lambda d: [
        *_labelled(_("Reply was due"), _when(d.get("reply_due_at"))),
        *_escalation(d),
    ],
    EventKind.PROGRESS_REPORT_DUE: lambda d: _labelled(_("Progress report was due"), _when(d.get("progress_due_at"))),
    EventKind.COMPLETION_OVERDUE: lambda d: _labelled(_("Complete by"), _when(d.get("committed_completion_at"))),
    EventKind.NEWER_COMPLAINT_LINKED: lambda d: _complaint_link(d.get("newer_complaint"), _("Newer complaint")),
    EventKind.CLAIMED: lambda d: _labelled(_("Receiver"), _text(d.get("to_user_name"))),
    EventKind.INFORMATION_ADDED: _via,
    EventKind.NOTICE_SENT: _notice,
    EventKind.LINK_REVOKED: _nothing,
    EventKind.MERGED: lambda d: _complaint_link(
        d.get(event_data.MERGED_INTO), pgettext("merged into a complaint", "into")
    ),
    EventKind.DUPLICATE_MERGED_IN: lambda d: _complaint_link(d.get(event_data.DUPLICATE), _("duplicate")),
    EventKind.UNMERGED: _unmerged,
    EventKind.SATISFACTION_RECHECKED: _recheck,
    EventKind.OUTSIDE_BODY_REFERRED: lambda d: [
        *_outside_body(d),
        *_labelled(_("Followed in the office by"), _text(d.get("to_user_name"))),
    ],
    EventKind.OUTSIDE_BODY_ANSWERED: lambda d: [
        *_outside_body(d),
        *_labelled(_("Answered at"), _when(d.get("answered_at"))),
    ],
    EventKind.SPECIAL_INCIDENT_FLAGGED: _nothing,  # the note says what happened
    EventKind.INCIDENT_CONTAINED: _nothing,  # the note holds the containment steps
    EventKind.INCIDENT_REPORTED: _incident_reported,
}


def describe(event: ComplaintEvent) -> list[Fact]:
    """What `event` recorded, in words, in the active language (its note aside)."""
    data = event.data if isinstance(event.data, Mapping) else {}
    return RENDERERS.get(event.kind, _nothing)(data)


def who(event: ComplaintEvent) -> str:
    """Who took the step: a person, the complainant (through their link or an e-mail), or the system."""
    if event.actor_id is not None:
        return str(event.actor)
    if isinstance(event.data, Mapping) and event.data.get(event_data.VIA):
        return _("the complainant")
    return _("system")


# ------------------------------------------------------------------ recorded facts
@dataclass(frozen=True)
class Entry:
    """One recorded step on the panel: what, when, by whom, with its facts and note."""

    title: str
    at: datetime | None = None
    by: str = ""
    facts: list[Fact] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Section:
    key: str  # the panel's anchor: apology, solution-answers, callbacks
    heading: str
    entries: list[Entry]


def _entry(title: str, event: ComplaintEvent, facts: list[Fact] | None = None, *, with_note: bool = True) -> Entry:
    return Entry(
        title=title,
        at=event.created_at,
        by=who(event),
        facts=describe(event) if facts is None else facts,
        note=event.note if with_note else "",
    )


def recorded(complaint: Complaint, events: Iterable[ComplaintEvent]) -> list[Section]:
    """The panel of recorded facts: the apology (R-C4 on the spot, R-C6.1 in person), the
    complainant's answers to the solutions (R-C7) and the call-backs (R-C10: method, the
    script's answers, satisfied, rating). Read from `events`, the timeline already loaded;
    only the sections with something recorded."""
    apology: list[Entry] = []
    answers: list[Entry] = []
    callbacks: list[Entry] = []
    for event in events:
        data = event.data if isinstance(event.data, Mapping) else {}
        if event.kind == EventKind.RESOLVED_ON_THE_SPOT and data.get("apologised") is True:
            apology.append(_entry(_("Apologised on the spot"), event, [], with_note=False))  # note: the resolution
        elif event.kind == EventKind.FINDINGS_RECORDED and data.get("apologised_in_person") is True:
            apology.append(_entry(_("Apologised in person"), event, [], with_note=False))  # note: the findings
        elif event.kind in (EventKind.SOLUTION_ACCEPTED, EventKind.SOLUTION_REJECTED):
            title = _("Solution accepted") if event.kind == EventKind.SOLUTION_ACCEPTED else _("Solution rejected")
            answers.append(_entry(title, event, [*_via(data), *_escalation(data)]))
        elif event.kind == EventKind.CALLBACK_RECORDED:
            callbacks.append(_entry(_("Call-back"), event))
        elif event.kind == EventKind.CALLBACK_DECLINED:
            callbacks.append(_entry(_("Call-back declined"), event))
    if complaint.apologised and not apology:  # recorded before the events carried it
        apology.append(Entry(title=_("Apologised")))
    sections = [
        Section("apology", _("Apology"), apology),
        Section("solution-answers", _("The complainant's answer to the solution"), answers),
        Section("callbacks", _("Call-backs"), callbacks),
    ]
    return [s for s in sections if s.entries]

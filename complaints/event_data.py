"""The declared shape of `ComplaintEvent.data`, one per event kind.

Writers (complaints/lifecycle.py, complaints/sweeps.py) build the dict through these types;
readers (the monthly report, the daily log, the timeline) read the keys named here. A key
that is not declared here is not part of the contract and must not be read by a report.
"""

from __future__ import annotations

from typing import Any, Final, NotRequired, TypedDict

# Keys the reports read (complaints/reports, complaints/daily_log).
ESCALATION_CAUSE: Final = "escalation_cause"  # on every event that raised the level
SATISFIED: Final = "satisfied"  # callback_recorded, resolved_on_the_spot
ANSWERS: Final = "answers"  # callback_recorded: the script's questions and answers
METHOD: Final = "method"  # callback_recorded
SIGNATURE: Final = "signature"  # resolved_on_the_spot, callback_recorded: the stored signature's name
RATING: Final = "rating"  # callback_recorded: the complainant's 1–5 rating (online questionnaire, phone)
VIA: Final = "via"  # a step the complainant took themselves: "web" (private link) or "email"
# Keys the timeline reads (issue 14): the other complaint of a merge, by id.
MERGED_INTO: Final = "merged_into"  # merged, unmerged on the duplicate: the complaint it was merged into
DUPLICATE: Final = "duplicate"  # duplicate_merged_in, unmerged on that complaint: the duplicate
# Level 3 (issue 13): the outside body, on moved_up to level 3, outside_body_referred, outside_body_answered
OUTSIDE_BODY_KIND: Final = "outside_body_kind"  # a complaints.choices.OutsideBodyKind value
OUTSIDE_BODY_NAME: Final = "outside_body_name"
OUTSIDE_BODY_CONTACT: Final = "outside_body_contact"  # staff only: never shown to the complainant


class Received(TypedDict):
    channel: str
    received_at: NotRequired[str]  # a letter or field visit that arrived before it was logged
    via: NotRequired[str]  # an online complaint: "web" (the public form) or "email"
    consent: NotRequired[dict[str, str]]  # the PIPL notice accepted: {"version", "accepted_at", "sha256"}


class Claimed(TypedDict):
    """An agent claimed an online complaint and became its receiver."""

    to_user: int
    to_user_name: str


class InformationAdded(TypedDict):
    via: str  # "web" or "email"


class NoticeSent(TypedDict):
    """A notice to the complainant left the outbox (R-P4): "SMS sent to 139****5678"."""

    channel: str  # "sms" or "email"
    to: str  # masked address
    notice_kind: str


class ReplyTimeAgreed(TypedDict):
    reply_due_at: str  # ISO 8601


class ResolvedOnTheSpot(TypedDict):
    signoff_name: str
    apologised: bool
    satisfied: bool
    signature: NotRequired[str]  # complaints.paper.store_signature


class Escalation(TypedDict):
    """Moved up (R-C8): the cause, and who took it over at the new level (if named)."""

    escalation_cause: str
    to_user: NotRequired[int]
    to_user_name: NotRequired[str]


class OutsideBody(TypedDict):
    """The outside body of level 3 (R-C8, 原則8.3): which kind, its name and contact."""

    outside_body_kind: str
    outside_body_name: str
    outside_body_contact: str


class MovedUpToOutsideBody(Escalation, OutsideBody):
    """moved_up to level 3: the escalation keys, the body, and `to_user`/`to_user_name` naming the
    internal owner who keeps following it (absent only when nobody could be named)."""


class OutsideBodyReferred(OutsideBody):
    """outside_body_referred: the body of a complaint at level 3 recorded or changed; `to_user` /
    `to_user_name` name its internal owner. The note is the staff's note."""

    to_user: NotRequired[int]
    to_user_name: NotRequired[str]


class OutsideBodyAnswered(TypedDict):
    """outside_body_answered: the note is the body's answer; `answered_at` (ISO 8601) when the
    body answered, which may be before the step was recorded."""

    outside_body_kind: str
    outside_body_name: str
    answered_at: NotRequired[str]


class SpecialIncidentFlagged(TypedDict):
    """special_incident_flagged (R-C6.2): the note says what happened; no data."""


class IncidentContained(TypedDict):
    """incident_contained: the note is the containment steps; no data."""


class IncidentReported(TypedDict):
    """incident_reported: reported upward to whom (`reported_to`) and when (`reported_at`,
    ISO 8601); the note is the staff's note."""

    reported_to: str
    reported_at: str


class Reassigned(TypedDict):
    from_user: int | None
    to_user: int
    to_user_name: str


class DepartmentAssigned(TypedDict):
    department: int
    department_name: str


class FindingsRecorded(TypedDict):
    apologised_in_person: bool


class SolutionAnswered(Escalation, total=False):
    """solution_accepted / solution_rejected; a rejection that moved it up adds the escalation keys."""

    accepted: bool


class CompletionCommitted(TypedDict):
    committed_completion_at: str


class Handled(TypedDict):
    needs_callback: bool


class CallbackRecorded(Escalation, total=False):
    """An unsatisfied call-back that moved it up adds the escalation keys."""

    method: str
    satisfied: bool
    rating: int
    via: str
    answers: dict[str, str]
    signature: str  # a door-visit call-back signed on a tablet


class ReplyOverdue(TypedDict):
    """R-T1: written by the sweep; the level raise is caused by the missed deadline. `to_user` /
    `to_user_name`: who it was moved up to and now has it (complaints/duty.py), when someone was."""

    escalation_cause: str
    reply_due_at: str | None
    to_user: NotRequired[int]
    to_user_name: NotRequired[str]


class ProgressReportDue(TypedDict):
    progress_due_at: str | None


class CompletionOverdue(TypedDict):
    committed_completion_at: str | None


class SatisfactionRechecked(TypedDict):
    """R-F5: the manager phoned the complainant of a sampled complaint (a review, not a call-back)."""

    sample_item: int  # followups.KpiSampleItem
    reached: bool
    satisfied: bool | None
    rating: int | None


class Merged(TypedDict):
    """On the duplicate: closed as merged into another complaint (issue 14)."""

    merged_into: int


class DuplicateMergedIn(TypedDict):
    """On the complaint a duplicate was merged into (the same moment, the same note)."""

    duplicate: int


class Unmerged(TypedDict):
    """On the duplicate: the merge was undone; back in progress."""

    merged_into: int  # the complaint it had been merged into


class DuplicateUnmerged(TypedDict):
    """`unmerged` on the complaint the duplicate had been merged into."""

    duplicate: int


class NewerComplaintLinked(TypedDict):
    newer_complaint: int


EventData = dict[str, Any]

"""The single gate of the complaint lifecycle: which status may follow which, and which
action is possible from which status and for which permission.

The `Complaint` methods enforce these tables; templates (and the API) read them to offer
only the actions that are valid now. See SPEC R-C2 … R-C10, and issue 14 for merging
duplicates (the one way out of `closed`, `REOPENED_BY_CLOSE_REASON`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from accounts.access import has_any_perm

from .choices import OPEN_STATUSES, WORKING_STATUSES, CloseReason, Status

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

    from .types import Visitor

S = Status

# status -> statuses it may move to (R-C4 … R-C10). Every open status may be closed: by the
# procedure's own steps, or by merging the complaint into another one as a duplicate (issue 14,
# the only way to close a complaint whose solution awaits the complainant's answer).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.IN_PROGRESS, S.SOLUTION_PROPOSED, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.SOLUTION_PROPOSED, S.CLOSED}),
    S.SOLUTION_PROPOSED: frozenset({S.HANDLING, S.IN_PROGRESS, S.CLOSED}),
    S.HANDLING: frozenset({S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.CLOSED, S.CALLBACK_DECLINED, S.IN_PROGRESS}),
    S.CALLBACK_DECLINED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset(),  # closed is final …
}
# … except for a merged duplicate: `unmerge` takes it back in progress (issue 14). The way out of
# `closed` depends on why it was closed; the four close reasons of R-C10 have none.
REOPENED_BY_CLOSE_REASON: dict[str, frozenset[str]] = {CloseReason.MERGED: frozenset({S.IN_PROGRESS})}

# The close reasons of R-C10: the complaint was handled to its end (not merged into another).
HANDLED_CLOSE_REASONS: tuple[str, ...] = tuple(r for r in CloseReason.values if r != CloseReason.MERGED)

# Permission codenames (created in Complaint.Meta.permissions, granted to role groups).
RECEIVE = "complaints.receive_complaint"
INVESTIGATE = "complaints.investigate_complaint"
MOVE_UP = "complaints.move_up_complaint"
REASSIGN = "complaints.reassign_complaint"
COMMENT = "complaints.comment_on_complaint"
VIEW_ALL_OFFICES = "complaints.view_all_offices"  # the office scope: accounts.access.sees_every_office
MARK_TRAINING = "complaints.mark_training_case"
VIEW_REPORTS = "complaints.view_reports"
MERGE = "complaints.merge_complaint"
DOWNLOAD_SUMMARY = "complaints.download_summary"
HANDLE_SPECIAL_INCIDENT = "complaints.handle_special_incident"  # R-C6.2 (issue 13)

# Facts of a complaint, besides its status, that some actions need or must not have
# (`Action.requires` / `Action.excludes`; `Complaint.facts` says which hold): the outside-body
# steps happen at level 3 only (R-C8, 原則8.3), its answer once a body is recorded, and a
# special incident is flagged once, then contained and reported (R-C6.2).
AT_OUTSIDE_BODIES = "at_outside_bodies"
OUTSIDE_BODY_RECORDED = "outside_body_recorded"
SPECIAL_INCIDENT = "special_incident"
# Why an action is refused when a fact it needs is missing (False) or one it excludes holds (True).
FACT_REFUSALS: dict[tuple[str, bool], _StrOrPromise] = {
    (AT_OUTSIDE_BODIES, False): _(
        "“%(action)s” is only possible at level 3 (outside bodies): move the complaint up first."
    ),
    (OUTSIDE_BODY_RECORDED, False): _(
        "“%(action)s” needs the outside body the complaint was referred to: record it first."
    ),
    (SPECIAL_INCIDENT, False): _("“%(action)s” is only possible for a special incident: flag it first."),
    (SPECIAL_INCIDENT, True): _("This complaint is already flagged as a special incident."),
    (AT_OUTSIDE_BODIES, True): _("The complaint is already at the highest level (outside bodies); it cannot move up."),
}
# The error code of a refusal, where clients rely on one (the API answers 409 with it).
FACT_CODES: dict[tuple[str, bool], str] = {(AT_OUTSIDE_BODIES, True): "max_escalation_level"}


@dataclass(frozen=True)
class Action:
    name: str
    label: _StrOrPromise
    from_statuses: tuple[str, ...]
    permissions: tuple[str, ...]  # any one of them suffices
    to_status: str | None = None  # for the periodic (bulk) actions: the status they set, if any
    # from `closed`: only for a complaint closed for one of these reasons (None: whatever the reason)
    close_reasons: tuple[str, ...] | None = None
    # facts of the complaint (AT_OUTSIDE_BODIES …) it needs, and those it must not have
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    def allowed_in(self, status: str) -> bool:
        return status in self.from_statuses

    def allowed_for(self, status: str, close_reason: str) -> bool:
        """`allowed_in(status)`, and for a closed complaint its close reason is one the action takes."""
        return self.allowed_in(status) and self.takes_close_reason(status, close_reason)

    def takes_close_reason(self, status: str, close_reason: str) -> bool:
        return status != S.CLOSED or self.close_reasons is None or close_reason in self.close_reasons

    def permitted_for(self, user: Visitor) -> bool:
        return has_any_perm(user, self.permissions)

    def refusal(self, facts: Collection[str]) -> str | None:
        """Why the complaint's `facts` do not let this action happen, or None when they do."""
        refused = self.refused_fact(facts)
        return None if refused is None else str(FACT_REFUSALS[refused]) % {"action": self.label}

    def refused_fact(self, facts: Collection[str]) -> tuple[str, bool] | None:
        """The first fact that stops this action: (a fact it needs, False) or (one it excludes, True)."""
        for fact in self.requires:
            if fact not in facts:
                return (fact, False)
        for fact in self.excludes:
            if fact in facts:
                return (fact, True)
        return None

    def refusal_code(self, facts: Collection[str]) -> str | None:
        refused = self.refused_fact(facts)
        return None if refused is None else FACT_CODES.get(refused)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("claim", _("Claim (become its receiver)"), OPEN_STATUSES, (RECEIVE,)),
        Action("reply", _("Reply to complainant"), WORKING_STATUSES, (RECEIVE, INVESTIGATE)),
        Action("agree_reply_time", _("Agree reply time"), (S.RECEIVED, S.IN_PROGRESS), (RECEIVE,)),
        Action("resolve_on_the_spot", _("Resolve on the spot"), (S.RECEIVED, S.IN_PROGRESS), (RECEIVE,)),
        Action("assign_department", _("Ask department to investigate"), WORKING_STATUSES, (RECEIVE, REASSIGN)),
        Action(
            "record_findings",
            _("Record findings"),
            (S.IN_PROGRESS, S.SOLUTION_PROPOSED, S.HANDLING),
            (INVESTIGATE, RECEIVE),
        ),
        Action(
            "report_progress",
            _("Report progress to complainant"),
            (S.IN_PROGRESS, S.SOLUTION_PROPOSED, S.HANDLING),
            (RECEIVE, INVESTIGATE),
        ),
        Action("propose_solution", _("Propose solution"), (S.RECEIVED, S.IN_PROGRESS), (RECEIVE, INVESTIGATE)),
        Action("record_answer", _("Record complainant's answer"), (S.SOLUTION_PROPOSED,), (RECEIVE, INVESTIGATE)),
        Action("commit_completion", _("Commit completion date"), (S.HANDLING,), (RECEIVE, INVESTIGATE)),
        Action("mark_handled", _("Mark handled"), (S.HANDLING,), (RECEIVE, INVESTIGATE)),
        Action("record_callback", _("Record call-back"), (S.RESOLVED,), (RECEIVE,)),
        Action("decline_callback", _("Customer declines call-back"), (S.RESOLVED,), (RECEIVE,)),
        # not past level 3: from there the outside-body steps below follow it (R-C8)
        Action("move_up", _("Move up"), OPEN_STATUSES, (MOVE_UP,), excludes=(AT_OUTSIDE_BODIES,)),
        # level 3 (R-C8, 原則8.3): the outside body a complaint raised there without one (R-T1, a
        # rejected solution, an unsatisfied call-back) is referred to, or another one; its answer
        Action(
            "refer_to_outside_body",
            _("Refer to an outside body"),
            OPEN_STATUSES,
            (MOVE_UP,),
            requires=(AT_OUTSIDE_BODIES,),
        ),
        Action(
            "record_outside_body_answer",
            _("Record the outside body's answer"),
            OPEN_STATUSES,
            (RECEIVE, INVESTIGATE),
            requires=(OUTSIDE_BODY_RECORDED,),
        ),
        # R-C6.2: a special incident is first contained, then reported upward at once
        Action(
            "flag_special_incident",
            _("Flag as a special incident"),
            OPEN_STATUSES,
            (HANDLE_SPECIAL_INCIDENT,),
            excludes=(SPECIAL_INCIDENT,),
        ),
        Action(
            "record_incident_containment",
            _("Record the containment steps"),
            OPEN_STATUSES,
            (HANDLE_SPECIAL_INCIDENT,),
            requires=(SPECIAL_INCIDENT,),
        ),
        Action(
            "record_incident_report",
            _("Record the report upward"),
            OPEN_STATUSES,
            (HANDLE_SPECIAL_INCIDENT,),
            requires=(SPECIAL_INCIDENT,),
        ),
        Action("reassign", _("Reassign"), OPEN_STATUSES, (REASSIGN,)),
        Action("add_note", _("Add note"), tuple(Status.values), (COMMENT,)),
        # a merged duplicate is no case of its own: its story is the complaint it was merged into
        Action(
            "mark_training_case",
            _("Mark as training case"),
            (S.CLOSED,),
            (MARK_TRAINING,),
            close_reasons=HANDLED_CLOSE_REASONS,
        ),
        # issue 14: a duplicate (same complainant, same matter) is closed into the complaint it
        # duplicates; only a merged complaint can be taken back (REOPENED_BY_CLOSE_REASON)
        Action("merge", _("Merge into another complaint (duplicate)"), OPEN_STATUSES, (MERGE,)),
        Action(
            "unmerge",
            _("Undo the merge"),
            (S.CLOSED,),
            (MERGE,),
            close_reasons=(CloseReason.MERGED,),
        ),
    ]
}

# Actions the periodic rules take (R-T1 … R-T4): no user permission, never offered in the UI.
# Each sweep selects only rows in its action's `from_statuses` and applies it in bulk after
# `bulk_action()` has checked it against TRANSITIONS, so periodic changes pass the same gate.
# `auto_close` is also a method for one complaint (Complaint.auto_close()).
SYSTEM_ACTIONS: dict[str, Action] = {
    "auto_close": Action("auto_close", _("Auto-close"), (S.CALLBACK_DECLINED,), (), to_status=S.CLOSED),  # R-T4
}
# What the complainant does through their private link (R-P2, R-P3) or an e-mail, and what the
# notice outbox records: no staff permission (the link is the authority), never offered to staff.
# The complainant's answer to a solution and to the call-back go through `record_answer`,
# `record_callback` and `decline_callback` themselves, with no actor (the complainant).
COMPLAINANT_ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("add_information", _("Add information"), OPEN_STATUSES, ()),
        Action("record_notice", _("Record a notice sent"), tuple(Status.values), ()),
        Action("revoke_link", _("Revoke the complainant's link"), tuple(Status.values), (REASSIGN,)),
    ]
}
# The manager's satisfaction re-check of a sampled closed complaint (R-F5): an event on the
# complaint, no status change; permission checked by the KPI views (followups.view_agent_kpis).
REVIEW_ACTIONS: dict[str, Action] = {
    "record_satisfaction_recheck": Action(
        "record_satisfaction_recheck", _("Record the satisfaction re-check"), (S.CLOSED,), ()
    ),
}
# Flags and links the sweeps set without a status change (bulk only).
PERIODIC_ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("mark_reply_overdue", _("Reply deadline missed"), WORKING_STATUSES, ()),  # R-T1, raises the level
        Action("flag_progress_report", _("Progress report due"), WORKING_STATUSES, ()),  # R-T2
        Action("flag_completion_overdue", _("Committed completion date missed"), (S.HANDLING,), ()),  # R-T3
        Action("link_newer_complaint", _("Newer complaint from the same complainant"), (S.CALLBACK_DECLINED,), ()),
        SYSTEM_ACTIONS["auto_close"],
    ]
}


def action(name: str) -> Action:
    return ACTIONS.get(name) or SYSTEM_ACTIONS.get(name) or COMPLAINANT_ACTIONS.get(name) or REVIEW_ACTIONS[name]


def can_move(from_status: str, to_status: str, *, close_reason: str = "") -> bool:
    """May a complaint in `from_status` (closed for `close_reason`, if closed) move to `to_status`?"""
    if from_status == to_status:
        return True
    if from_status == S.CLOSED:
        return to_status in REOPENED_BY_CLOSE_REASON.get(close_reason, frozenset())
    return to_status in TRANSITIONS[from_status]


def bulk_action(name: str) -> Action:
    """The periodic action `name`, checked against the transition table: every status it
    starts from may move to the status it sets. Raises if the table forbids it (a wrong
    table is a programming error, found by the tests of every sweep)."""
    act = PERIODIC_ACTIONS[name]
    if act.to_status is not None:
        bad = [s for s in act.from_statuses if not can_move(s, act.to_status)]
        if bad:
            raise ValueError(f"{name}: the transition table forbids {bad} -> {act.to_status}")
    return act


def available_actions(
    user: Visitor, status: str, *, close_reason: str, claimed: bool = True, facts: Collection[str] = frozenset()
) -> list[Action]:
    """Actions valid in `status` (for a closed complaint: and its `close_reason`) that `user` may
    take, in display order. `claim` is offered only for a complaint nobody has claimed yet (an
    online complaint, `claimed=False`); `unmerge` only for a merged one; an action that needs a
    fact of the complaint (`Complaint.facts`) only when it holds."""
    return [
        a
        for a in ACTIONS.values()
        if a.allowed_for(status, close_reason)
        and a.permitted_for(user)
        and (a.name != "claim" or not claimed)
        and a.refusal(facts) is None
    ]

"""The single gate of the complaint lifecycle: which status may follow which, and which
action is possible from which status and for which permission.

The `Complaint` methods enforce these tables; templates (and the API) read them to offer
only the actions that are valid now. See SPEC R-C2 … R-C10.
"""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .choices import Status

S = Status

# status -> statuses it may move to (R-C4 … R-C10).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.IN_PROGRESS, S.SOLUTION_PROPOSED, S.CLOSED}),
    S.IN_PROGRESS: frozenset({S.SOLUTION_PROPOSED, S.CLOSED}),
    S.SOLUTION_PROPOSED: frozenset({S.HANDLING, S.IN_PROGRESS}),
    S.HANDLING: frozenset({S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.CLOSED, S.CALLBACK_DECLINED, S.IN_PROGRESS}),
    S.CALLBACK_DECLINED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset(),
}

# Permission codenames (created in Complaint.Meta.permissions, granted to role groups).
RECEIVE = "complaints.receive_complaint"
INVESTIGATE = "complaints.investigate_complaint"
MOVE_UP = "complaints.move_up_complaint"
REASSIGN = "complaints.reassign_complaint"
COMMENT = "complaints.comment_on_complaint"
VIEW_ALL_OFFICES = "complaints.view_all_offices"
MARK_TRAINING = "complaints.mark_training_case"
VIEW_REPORTS = "complaints.view_reports"
DOWNLOAD_SUMMARY = "complaints.download_summary"

_WORKING = (S.RECEIVED, S.IN_PROGRESS, S.SOLUTION_PROPOSED, S.HANDLING)
_OPEN = (*_WORKING, S.RESOLVED, S.CALLBACK_DECLINED)


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    from_statuses: tuple[str, ...]
    permissions: tuple[str, ...]  # any one of them suffices

    def allowed_in(self, status: str) -> bool:
        return status in self.from_statuses

    def permitted_for(self, user) -> bool:
        return any(user.has_perm(p) for p in self.permissions)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("reply", _("Reply to complainant"), _WORKING, (RECEIVE, INVESTIGATE)),
        Action("agree_reply_time", _("Agree reply time"), (S.RECEIVED, S.IN_PROGRESS), (RECEIVE,)),
        Action("resolve_on_the_spot", _("Resolve on the spot"), (S.RECEIVED, S.IN_PROGRESS), (RECEIVE,)),
        Action("assign_department", _("Ask department to investigate"), _WORKING, (RECEIVE, REASSIGN)),
        Action("record_findings", _("Record findings"), (S.IN_PROGRESS, S.SOLUTION_PROPOSED, S.HANDLING),
               (INVESTIGATE, RECEIVE)),
        Action("report_progress", _("Report progress to complainant"), (S.IN_PROGRESS, S.SOLUTION_PROPOSED, S.HANDLING),
               (RECEIVE, INVESTIGATE)),
        Action("propose_solution", _("Propose solution"), (S.RECEIVED, S.IN_PROGRESS), (RECEIVE, INVESTIGATE)),
        Action("record_answer", _("Record complainant's answer"), (S.SOLUTION_PROPOSED,), (RECEIVE, INVESTIGATE)),
        Action("commit_completion", _("Commit completion date"), (S.HANDLING,), (RECEIVE, INVESTIGATE)),
        Action("mark_handled", _("Mark handled"), (S.HANDLING,), (RECEIVE, INVESTIGATE)),
        Action("record_callback", _("Record call-back"), (S.RESOLVED,), (RECEIVE,)),
        Action("decline_callback", _("Customer declines call-back"), (S.RESOLVED,), (RECEIVE,)),
        Action("move_up", _("Move up"), _OPEN, (MOVE_UP,)),
        Action("reassign", _("Reassign"), _OPEN, (REASSIGN,)),
        Action("add_note", _("Add note"), tuple(Status.values), (COMMENT,)),
        Action("mark_training_case", _("Mark as training case"), (S.CLOSED,), (MARK_TRAINING,)),
    ]
}

# Actions the periodic jobs take (no user permission, never offered in the UI).
SYSTEM_ACTIONS: dict[str, Action] = {
    "auto_close": Action("auto_close", _("Auto-close"), (S.CALLBACK_DECLINED,), ()),
}


def action(name: str) -> Action:
    return ACTIONS.get(name) or SYSTEM_ACTIONS[name]


def can_move(from_status: str, to_status: str) -> bool:
    return from_status == to_status or to_status in TRANSITIONS[from_status]


def available_actions(user, status: str) -> list[Action]:
    """Actions valid in `status` that `user` may take, in display order."""
    return [a for a in ACTIONS.values() if a.allowed_in(status) and a.permitted_for(user)]

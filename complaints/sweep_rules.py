"""What each periodic rule (SPEC R-T1 … R-T4) selects, declared once.

A rule is the guard that makes it run exactly once (e.g. "not yet marked overdue") plus
the stored deadline it compares with `now`. The sweeps (complaints/sweeps.py) filter by
`rule.due(now)`; the partial index that serves each sweep (Complaint.Meta.indexes) is
built from the same `rule.guard` and `rule.deadline`, so the two cannot drift apart
(tests/complaints/test_sweep_indexes.py checks it, and on PostgreSQL that the plan uses
the index). The statuses come from the periodic action in the transition table
(rules.PERIODIC_ACTIONS), so a sweep only ever selects rows its action may change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Index, Q

from . import rules
from .choices import Status


@dataclass(frozen=True)
class SweepRule:
    name: str  # the sweep (and Celery task) name
    action: str  # the periodic action in rules.PERIODIC_ACTIONS
    deadline: str  # the stored deadline column compared with now
    lookup: str  # "lt" (strictly past) or "lte" (at the deadline)
    guard: Q  # besides the deadline: what makes a row due (and not yet handled); keep the
    # children in the order of the index's migration (a reordering is a new migration)
    index_name: str

    def due(self, now: datetime) -> Q:
        return self.guard & Q(**{f"{self.deadline}__{self.lookup}": now})

    def index(self) -> Index:
        return Index(fields=[self.deadline], name=self.index_name, condition=self.guard)


def _statuses(action: str) -> Q:
    statuses = rules.PERIODIC_ACTIONS[action].from_statuses
    return Q(status=statuses[0]) if len(statuses) == 1 else Q(status__in=list(statuses))


REPLY_OVERDUE = SweepRule(  # R-T1
    name="enforce_reply_deadlines",
    action="mark_reply_overdue",
    deadline="reply_due_at",
    lookup="lt",
    guard=Q(first_replied_at__isnull=True, reply_overdue_at__isnull=True) & _statuses("mark_reply_overdue"),
    index_name="complaint_sweep_reply_due",
)
PROGRESS_DUE = SweepRule(  # R-T2
    name="flag_missing_progress_reports",
    action="flag_progress_report",
    deadline="progress_due_at",
    lookup="lt",
    guard=Q(progress_flagged_at__isnull=True) & _statuses("flag_progress_report"),
    index_name="complaint_sweep_progress",
)
COMPLETION_OVERDUE = SweepRule(  # R-T3
    name="flag_missed_completion_dates",
    action="flag_completion_overdue",
    deadline="committed_completion_at",
    lookup="lt",
    guard=Q(completion_overdue_at__isnull=True) & _statuses("flag_completion_overdue"),
    index_name="complaint_sweep_completion",
)
AUTO_CLOSE = SweepRule(  # R-T4
    name="auto_close_after_declined_callback",
    action="auto_close",
    deadline="auto_close_due_at",
    lookup="lte",
    guard=Q(newer_complaint__isnull=True) & _statuses("auto_close"),
    index_name="complaint_sweep_autoclose",
)

SWEEP_RULES: tuple[SweepRule, ...] = (REPLY_OVERDUE, PROGRESS_DUE, COMPLETION_OVERDUE, AUTO_CLOSE)

# The open complaints still waiting for their first reply (the overdue list filter).
AWAITING_REPLY = Q(first_replied_at__isnull=True) & ~Q(status=Status.CLOSED)

"""The timing rules that enforce themselves (SPEC R-T1 … R-T4), as plain set-based
functions called by the thin Celery tasks in complaints/tasks.py.

Each sweep: inside one transaction, takes a PostgreSQL advisory lock (two beats never sweep
at once), selects the due rows (`sweep_rules.<RULE>.due(now)`, the condition its partial
index is built from) with `FOR UPDATE SKIP LOCKED` in deadline order (one query), hands
them to the bulk lifecycle transition (complaints/periodic.py: one UPDATE, one INSERT …
SELECT of events) and writes every notification of the batch, whatever its kind, with one
more INSERT … SELECT (notifications.services.notify_many). No model instance is built to
write a row: the rows' values travel as one JSON parameter (helpdesk/bulk.py). The guard
column makes every rule idempotent: a complaint is handled exactly once however often the
sweep runs.

Work is done in batches of `periodic.BATCH` rows, so the number of queries depends on the
number of batches, never on the number of complaints in a batch: per batch 8 at most for
R-T1 (the receivers take two), 5 for R-T2, 6 for R-T3, 10 at most for R-T4 (its newer
complaints are a query of their own, so that an idle sweep only runs the plain due query;
one is the complainants' notices of the closed ones, complainants/notices.py, which writes
one notice per complainant who follows their complaint online), 2 more for R-T1, R-T3 and
R-T4 when an office of the batch has no supervisor (`supervisors_of` tells the managers); an
idle sweep is 2 queries (the lock and the due query), and a full batch is followed by those
2 to find out that nothing is left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from helpdesk.db import advisory_xact_lock

from . import periodic, sweep_rules
from .choices import CloseReason, EscalationCause
from .duty import overdue_receivers
from .models import Complaint
from .periodic import raised_level
from .sweep_rules import SweepRule

logger = logging.getLogger(__name__)

Counts = dict[str, int]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def due(rule: SweepRule, now: datetime) -> QuerySet[Complaint]:
    """The rows `rule` would handle at `now` (its partial index serves this filter)."""
    queryset: QuerySet[Complaint] = Complaint.objects.filter(rule.due(now))
    return queryset


def _sweep(
    rule: SweepRule, queryset: QuerySet[Complaint], fields: Sequence[str], apply: Callable[[list[Any]], Counts]
) -> Counts:
    """Run `apply(rows)` on batches of due rows (named rows of `fields`) until none are left.
    Rows are taken in the order of their deadline, which walks the rule's partial index:
    ordering by id would make PostgreSQL scan the whole table."""
    counts: Counts = {"processed": 0}
    batch = _batch_size()
    while True:
        with transaction.atomic():
            if not advisory_xact_lock(rule.name):
                counts["skipped_locked"] = 1
                return counts
            rows = list(
                queryset.select_for_update(skip_locked=True, of=("self",))
                .order_by(rule.deadline, "pk")
                .values_list(*fields, named=True)[:batch]
            )
            if not rows:
                return counts
            for key, value in apply(rows).items():
                counts[key] = counts.get(key, 0) + value
            counts["processed"] += len(rows)
        if len(rows) < batch:
            return counts


def _batch_size() -> int:
    """`periodic.BATCH`, or fewer where the database takes few parameters per query (SQLite
    as Django knows it: an UPDATE names each row of the batch, R-T1's up to three times)."""
    limit = connection.features.max_query_params
    return periodic.BATCH if limit is None else max(1, min(periodic.BATCH, (limit - 20) // 3))


ROW = ("pk", "status", "escalation_level")


# ---------------------------------------------------------------------- R-T1
def enforce_reply_deadlines(*, now: datetime | None = None) -> Counts:
    """R-T1: past the agreed reply time with no reply → marked overdue, moved up one level
    (at most to 3, R-C8) and the office's supervisors notified. Exactly once.

    The person it is moved up to becomes its receiver (complaints/duty.py: the supervisor on
    duty, or the supervisors in turn, at level 1; the department's head at level 2) and is
    told (`moved_up`); the supervisors' `reply_overdue` notice goes to the others, so nobody
    gets two notifications about one step. Set-based: the receivers are found with at most two
    queries per batch and set by the same UPDATE that marks the rows."""
    from notifications.services import notify_many, supervisors_of

    now = now or timezone.now()
    rule = sweep_rules.REPLY_OVERDUE

    def apply(rows: list[Any]) -> Counts:
        receivers = overdue_receivers(rows)
        Complaint.mark_reply_overdue_many(rows, now=now, deadline=lambda r: r.reply_due_at, receivers=receivers)
        supervisors = supervisors_of({r.office_id for r in rows})

        def moved_up_to(r: Any) -> list[int]:
            return [receivers[r.pk].user_id] if r.pk in receivers else []

        def overdue_data(r: Any) -> dict[str, object]:
            return {"to_level": raised_level(r.escalation_level), "due_at": _iso(r.reply_due_at)}

        def moved_up_data(r: Any) -> dict[str, object]:
            return {"to_level": raised_level(r.escalation_level), "cause": EscalationCause.DEADLINE_MISSED}

        # one INSERT for both kinds, the supervisors' notices first (the order of two INSERTs)
        sent = notify_many(
            [
                *(
                    (
                        "reply_overdue",
                        r.pk,
                        [pk for pk in supervisors.get(r.office_id, []) if pk not in moved_up_to(r)],
                        overdue_data(r),
                    )
                    for r in rows
                ),
                *(("moved_up", r.pk, moved_up_to(r), moved_up_data(r)) for r in rows),
            ]
        )
        return {
            "marked_overdue": len(rows),
            "moved_up": sum(1 for r in rows if raised_level(r.escalation_level) > r.escalation_level),
            "receivers_set": len(receivers),
            "notifications": sent,
        }

    return _sweep(rule, due(rule, now), [*ROW, "office_id", "department_id", "assignee_id", "reply_due_at"], apply)


# ---------------------------------------------------------------------- R-T2
def flag_missing_progress_reports(*, now: datetime | None = None) -> Counts:
    """R-T2: open and no progress report to the customer within the window (24 h by
    default) → flagged for the assignee, once until the next progress report."""
    from notifications.services import notify_bulk

    now = now or timezone.now()
    rule = sweep_rules.PROGRESS_DUE

    def apply(rows: list[Any]) -> Counts:
        Complaint.flag_progress_report_many(rows, now=now, deadline=lambda r: r.progress_due_at)
        sent = notify_bulk(
            kind="progress_report_due",
            entries=[
                (r.pk, [r.assignee_id] if r.assignee_id else [], {"due_at": _iso(r.progress_due_at)}) for r in rows
            ],
        )
        return {"flagged": len(rows), "notifications": sent}

    return _sweep(rule, due(rule, now), [*ROW, "assignee_id", "progress_due_at"], apply)


# ---------------------------------------------------------------------- R-T3
def flag_missed_completion_dates(*, now: datetime | None = None) -> Counts:
    """R-T3: committed completion date passed while still handling → overdue and
    visible to the supervisors (notified), once per committed date."""
    from notifications.services import notify_bulk, supervisors_of

    now = now or timezone.now()
    rule = sweep_rules.COMPLETION_OVERDUE

    def apply(rows: list[Any]) -> Counts:
        Complaint.flag_completion_overdue_many(rows, now=now, deadline=lambda r: r.committed_completion_at)
        supervisors = supervisors_of({r.office_id for r in rows})
        sent = notify_bulk(
            kind="completion_overdue",
            entries=[
                (r.pk, supervisors.get(r.office_id, []), {"due_at": _iso(r.committed_completion_at)}) for r in rows
            ],
        )
        return {"flagged": len(rows), "notifications": sent}

    return _sweep(rule, due(rule, now), [*ROW, "office_id", "committed_completion_at"], apply)


# ---------------------------------------------------------------------- R-T4
def newer_complaint_subquery() -> Coalesce:
    """The first complaint from the same complainant received after this one was handled:
    the same customer, else the same phone, else the same e-mail. A duplicate merged into
    another complaint does not count (issue 14): the pair is one complaint, the one it was
    merged into, and that one's own receipt decides — even when the duplicate was merged into
    the very complaint waiting to close (the supervisor who merged it has seen it; if the
    complainant is not satisfied, they move it up).

    Each branch is its own ordered `LIMIT 1` probe of an index on (column, received_at) —
    one index lookup per complaint. A branch is only evaluated when the outer complaint
    has that contact (CASE), so a complaint without an e-mail never probes the e-mail index
    with '' (that matched every complaint without an e-mail: 676,872 entries at 1M)."""
    since = Coalesce(OuterRef("resolved_at"), OuterRef("callback_declined_at"))
    newer = (
        Complaint.objects.filter(received_at__gt=since)
        .exclude(pk=OuterRef("pk"))
        .exclude(close_reason=CloseReason.MERGED)
        .order_by("received_at", "pk")
    )
    by_customer = Subquery(newer.filter(customer_id=OuterRef("customer_id")).values("pk")[:1])
    by_phone = Subquery(newer.filter(contact_phone=OuterRef("contact_phone")).values("pk")[:1])
    # `<> ''` as the partial index on (contact_email, received_at) says, so that it serves
    by_email = Subquery(
        newer.filter(contact_email=OuterRef("contact_email")).exclude(contact_email="").values("pk")[:1]
    )
    return Coalesce(
        Case(When(customer_id__isnull=False, then=by_customer)),
        Case(When(~Q(contact_phone=""), then=by_phone)),
        Case(When(~Q(contact_email=""), then=by_email)),
    )


def auto_close_after_declined_callback(*, now: datetime | None = None) -> Counts:
    """R-T4 (R-C10): call-back declined and 7 days passed with no newer complaint from the
    same complainant → closed (auto_closed). With a newer complaint, the old one is linked
    to it and left for a person to decide (supervisors notified)."""
    from notifications.services import notify_bulk, supervisors_of

    now = now or timezone.now()
    rule = sweep_rules.AUTO_CLOSE

    def apply(rows: list[Any]) -> Counts:
        # the newer complaints of the locked rows, by a second query: the probes are the same,
        # and an idle sweep (nothing due) plans and runs only the plain due query
        newer = dict(
            Complaint.objects.filter(pk__in=[r.pk for r in rows])
            .order_by()
            .annotate(newer_id=newer_complaint_subquery())
            .values_list("pk", "newer_id")
        )
        close = [r for r in rows if newer[r.pk] is None]
        link = [r for r in rows if newer[r.pk] is not None]
        if close:
            Complaint.auto_close_many(close, now=now)
        sent = 0
        if link:
            Complaint.link_newer_complaint_many([(r, newer[r.pk]) for r in link], now=now)
            supervisors = supervisors_of({r.office_id for r in link})
            sent = notify_bulk(
                kind="newer_complaint_linked",
                entries=[(r.pk, supervisors.get(r.office_id, []), {"newer_complaint": newer[r.pk]}) for r in link],
            )
        return {"closed": len(close), "linked_to_newer": len(link), "notifications": sent}

    return _sweep(rule, due(rule, now), [*ROW, "office_id", "auto_close_due_at"], apply)


SWEEPS: dict[str, Callable[..., Counts]] = {
    "enforce_reply_deadlines": enforce_reply_deadlines,
    "flag_missing_progress_reports": flag_missing_progress_reports,
    "flag_missed_completion_dates": flag_missed_completion_dates,
    "auto_close_after_declined_callback": auto_close_after_declined_callback,
}

"""The transitions the periodic rules apply in bulk (SPEC R-T1 … R-T4).

They are lifecycle methods like the others, only set-based: each takes the rows a sweep
selected (anything with `pk`, `status` and `escalation_level`: named rows or complaints),
checks its action against the transition table (`rules.bulk_action`), changes them with one
UPDATE guarded by the action's statuses and writes their events with one INSERT … SELECT
(no model instance per row: helpdesk/bulk.py). The sweeps (complaints/sweeps.py) choose the
rows, batch them and notify; they change nothing themselves. The level raise and its cap are
the ones `move_up()` uses (`raised_level`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.db import connection
from django.db.models import BigIntegerField, Case, F, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from helpdesk.bulk import insert_rows, rows_table

from . import event_data, rules
from .choices import MAX_ESCALATION_LEVEL, CloseReason, EscalationCause, EventKind, Status
from .signals import events_logged

if TYPE_CHECKING:
    from .types import Actor

# Complaints per sweep transaction (complaints/sweeps.py). Each batch costs a fixed number of
# queries; its rows stay locked until it commits (a person acting on one of them waits that
# long), so it is not one transaction for everything due.
BATCH = 2000


def _updates_from_a_table() -> bool:
    """UPDATE … FROM: PostgreSQL, and SQLite since 3.33 (Django 5.2 still runs on 3.31)."""
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 33)  # type: ignore[attr-defined]


class RowLike(Protocol):
    pk: int
    status: str
    escalation_level: int


def raised_level(level: int) -> int:
    """R-C8: one level up, never past level 3 (outside bodies)."""
    return min(level + 1, int(MAX_ESCALATION_LEVEL))


def raised_level_sql() -> Least:
    """`raised_level` in SQL, for an UPDATE of many rows."""
    return Least(F("escalation_level") + 1, Value(int(MAX_ESCALATION_LEVEL)))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class PeriodicTransitions:
    """Mixed into `Complaint` (through `ComplaintLifecycle`)."""

    @classmethod
    def _guarded(cls, action: str, rows: Sequence[RowLike]) -> tuple[rules.Action, Any]:
        act = rules.bulk_action(action)
        return act, cls.objects.filter(pk__in=[r.pk for r in rows], status__in=act.from_statuses)  # type: ignore[attr-defined]

    @classmethod
    def _log_many(
        cls,
        rows: Sequence[RowLike],
        *,
        kind: str,
        now: datetime,
        to_status: str | None = None,
        to_level: Callable[[RowLike], int] | None = None,
        data: Callable[[RowLike], Mapping[str, object]] | None = None,
        actor: Actor = None,
        note: str = "",
    ) -> None:
        """One event per row with one INSERT … SELECT (helpdesk/bulk.py: the rows' values as
        one JSON parameter, no model instance built to write them), then `events_logged` with
        the events, as their lifecycle methods send it."""
        if not rows:
            return
        ComplaintEvent = cls._meta.get_field("events").related_model  # type: ignore[attr-defined]
        values = [
            (
                r.pk,
                r.status,
                to_status or r.status,
                r.escalation_level,
                to_level(r) if to_level else r.escalation_level,
                data(r) if data else {},
            )
            for r in rows
        ]
        ids = insert_rows(
            ComplaintEvent,
            ["complaint", "from_status", "to_status", "from_level", "to_level", "data"],
            values,
            constants={"actor": getattr(actor, "pk", actor), "created_at": now, "kind": kind, "note": note},
        )
        # the events as bulk_create returns them (saved, with their ids), built positionally
        names = [f.attname for f in ComplaintEvent._meta.concrete_fields]
        fixed = {"actor_id": getattr(actor, "pk", actor), "created_at": now, "kind": kind, "note": note}
        alias = connection.alias
        events = []
        pks: list[int | None] = list(ids) if ids else [None] * len(values)  # none where the database cannot return them
        for pk, (complaint_id, from_status, to, from_level, level, found) in zip(pks, values, strict=True):
            row = {
                **fixed,
                "id": pk,
                "complaint_id": complaint_id,
                "from_status": from_status,
                "to_status": to,
                "from_level": from_level,
                "to_level": level,
                "data": found,
            }
            event = ComplaintEvent.from_db(alias, names, [row[name] for name in names])
            if actor is not None:
                event.actor = actor
            events.append(event)
        events_logged.send(sender=cls, events=events)

    # ------------------------------------------------------------------ R-T1
    @classmethod
    def mark_reply_overdue_many(
        cls,
        rows: Sequence[RowLike],
        *,
        now: datetime,
        deadline: Callable[[Any], datetime | None],
        receivers: Mapping[int, tuple[int, str]] | None = None,
    ) -> None:
        """Past the reply time with no reply: marked overdue and moved up one level. `receivers`
        (complaint id → (user id, name), complaints/duty.py) are the people the complaints are
        moved up to: each becomes its complaint's assignee (R-C8) in the same UPDATE — one CASE
        branch per distinct receiver — and is named in the event. The others keep theirs."""
        receivers = receivers or {}
        _, qs = cls._guarded("mark_reply_overdue", rows)
        changes: dict[str, Any] = {"reply_overdue_at": now, "updated_at": now, "escalation_level": raised_level_sql()}
        if receivers:
            by_user: dict[int, list[int]] = {}
            for complaint_id, (user_id, _name) in receivers.items():
                by_user.setdefault(user_id, []).append(complaint_id)
            changes["assignee_id"] = Case(
                *(When(pk__in=pks, then=Value(user_id)) for user_id, pks in by_user.items()),
                default=F("assignee_id"),
                output_field=BigIntegerField(),
            )
        qs.update(**changes)

        def data(r: RowLike) -> event_data.ReplyOverdue:
            found: event_data.ReplyOverdue = {
                "escalation_cause": EscalationCause.DEADLINE_MISSED,
                "reply_due_at": _iso(deadline(r)),
            }
            if r.pk in receivers:
                found["to_user"], found["to_user_name"] = receivers[r.pk]
            return found

        cls._log_many(
            rows, kind=EventKind.REPLY_OVERDUE, now=now, to_level=lambda r: raised_level(r.escalation_level), data=data
        )

    # ------------------------------------------------------------------ R-T2
    @classmethod
    def flag_progress_report_many(
        cls, rows: Sequence[RowLike], *, now: datetime, deadline: Callable[[Any], datetime | None]
    ) -> None:
        _, qs = cls._guarded("flag_progress_report", rows)
        qs.update(progress_flagged_at=now, updated_at=now)

        def data(r: RowLike) -> event_data.ProgressReportDue:
            return {"progress_due_at": _iso(deadline(r))}

        cls._log_many(rows, kind=EventKind.PROGRESS_REPORT_DUE, now=now, data=data)

    # ------------------------------------------------------------------ R-T3
    @classmethod
    def flag_completion_overdue_many(
        cls, rows: Sequence[RowLike], *, now: datetime, deadline: Callable[[Any], datetime | None]
    ) -> None:
        _, qs = cls._guarded("flag_completion_overdue", rows)
        qs.update(completion_overdue_at=now, updated_at=now)

        def data(r: RowLike) -> event_data.CompletionOverdue:
            return {"committed_completion_at": _iso(deadline(r))}

        cls._log_many(rows, kind=EventKind.COMPLETION_OVERDUE, now=now, data=data)

    # ------------------------------------------------------------------ R-T4
    @classmethod
    def link_newer_complaint_many(cls, links: Sequence[tuple[RowLike, int]], *, now: datetime) -> None:
        """A newer complaint from the same complainant: linked, left for a person to decide.
        One UPDATE … FROM the (complaint, newer complaint) pairs, guarded by the action's
        statuses (a CASE branch per row would make it quadratic in the batch)."""
        act = rules.bulk_action("link_newer_complaint")
        links = [(r, newer) for r, newer in links if r.status in act.from_statuses]
        if not links:
            return
        if _updates_from_a_table():
            opts = cls._meta  # type: ignore[attr-defined]
            quote = connection.ops.quote_name
            pk, newer_field, updated = opts.pk, opts.get_field("newer_complaint"), opts.get_field("updated_at")
            source, params = rows_table([("id", pk), ("newer", newer_field)], [(r.pk, newer) for r, newer in links])
            statuses = ", ".join(["%s"] * len(act.from_statuses))
            table = quote(opts.db_table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {quote(newer_field.column)} = r.newer, {quote(updated.column)} = %s "
                    f"FROM {source} AS r WHERE {table}.{quote(pk.column)} = r.id "
                    f"AND {table}.{quote(opts.get_field('status').column)} IN ({statuses})",
                    [updated.get_db_prep_save(now, connection), *params, *act.from_statuses],
                )
        else:
            cls.objects.bulk_update(  # type: ignore[attr-defined]
                [cls(pk=r.pk, newer_complaint_id=newer, updated_at=now) for r, newer in links],  # type: ignore[call-arg]
                ["newer_complaint", "updated_at"],
                batch_size=BATCH,
            )
        newer_of = {r.pk: newer for r, newer in links}

        def data(r: RowLike) -> event_data.NewerComplaintLinked:
            return {"newer_complaint": newer_of[r.pk]}

        cls._log_many([r for r, _ in links], kind=EventKind.NEWER_COMPLAINT_LINKED, now=now, data=data)

    @classmethod
    def auto_close_many(cls, rows: Sequence[RowLike], *, now: datetime, actor: Actor = None, note: str = "") -> None:
        """R-T4: closed (auto_closed) 7 days after a declined call-back."""
        act, qs = cls._guarded("auto_close", rows)
        qs.update(status=act.to_status, close_reason=CloseReason.AUTO_CLOSED, closed_at=now, updated_at=now)
        cls._log_many(rows, kind=EventKind.AUTO_CLOSED, now=now, to_status=act.to_status, actor=actor, note=note)

    def auto_close(self, *, actor: Actor = None, note: str = "") -> None:
        """R-T4 for one complaint: the same transition as the sweep's, after locking the row."""
        with self._transition("auto_close") as c:  # type: ignore[attr-defined]
            now = timezone.now()
            type(c).auto_close_many([c], now=now, actor=actor, note=note)
            c.status, c.close_reason, c.closed_at, c.updated_at = Status.CLOSED, CloseReason.AUTO_CLOSED, now, now

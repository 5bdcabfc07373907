"""The timing rules that enforce themselves (SPEC R-T1 … R-T4), as set-based class methods
of `Complaint`, called by the thin Celery tasks in complaints/tasks.py.

Each sweep: inside one transaction, takes a PostgreSQL advisory lock (two beats never sweep
at once), selects the due rows with `FOR UPDATE SKIP LOCKED` (one query), changes them with
one UPDATE, writes their `ComplaintEvent`s with one bulk INSERT and their notifications with
another. The guard column (e.g. `reply_overdue_at IS NULL`) makes every rule idempotent: a
complaint is handled exactly once however often the sweep runs. Work is done in batches of
`BATCH` rows, so the number of queries depends on the number of batches, never on the
number of complaints in a batch.
"""
from __future__ import annotations

import logging
import zlib
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from .choices import MAX_ESCALATION_LEVEL, CloseReason, EscalationCause, EventKind, Status

logger = logging.getLogger(__name__)

BATCH = 500
WORKING = [Status.RECEIVED, Status.IN_PROGRESS, Status.SOLUTION_PROPOSED, Status.HANDLING]


def _advisory_lock(name: str) -> bool:
    """Transaction-scoped lock on PostgreSQL so that concurrent beats do not both sweep;
    elsewhere (SQLite: one writer at a time anyway) always granted."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [zlib.crc32(name.encode()) & 0x7FFFFFFF])
        return bool(cursor.fetchone()[0])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class ComplaintSweeps:
    """Mixed into `Complaint`: the periodic rules. Each returns a dict of counts."""

    @classmethod
    def _sweep(cls, name: str, due, fields: list[str], apply) -> dict:
        """Run `apply(rows)` on batches of due rows (as tuples of `fields`) until none are left.
        Rows are taken in the order of their deadline (`fields[4]`), which walks the rule's
        partial index: ordering by id would make PostgreSQL scan the whole table."""
        counts: dict[str, int] = {"processed": 0}
        while True:
            with transaction.atomic():
                if not _advisory_lock(name):
                    counts["skipped_locked"] = 1
                    return counts
                rows = list(due().select_for_update(skip_locked=True, of=("self",))
                            .order_by(fields[4], "pk").values_list(*fields)[:BATCH])
                if not rows:
                    return counts
                for key, value in apply(rows).items():
                    counts[key] = counts.get(key, 0) + value
                counts["processed"] += len(rows)
            if len(rows) < BATCH:
                return counts

    @classmethod
    def _events(cls, rows, *, kind: str, now: datetime, to_status=None, to_level=None, data=None):
        from .models import ComplaintEvent

        ComplaintEvent.objects.bulk_create([
            ComplaintEvent(complaint_id=row[0], actor=None, created_at=now, kind=kind, from_status=row[1],
                           to_status=to_status or row[1], from_level=row[2],
                           to_level=to_level(row) if to_level else row[2], data=data(row) if data else {})
            for row in rows
        ], batch_size=BATCH)

    # ------------------------------------------------------------------ R-T1
    @classmethod
    def enforce_reply_deadlines(cls, *, now: datetime | None = None) -> dict:
        """R-T1: past the agreed reply time with no reply → marked overdue, moved up one
        level (at most to 3, R-C8) and the office's supervisors notified. Exactly once."""
        from notifications.services import notify_bulk, supervisors_of

        now = now or timezone.now()

        def due():
            return cls.objects.filter(status__in=WORKING, first_replied_at__isnull=True,
                                      reply_overdue_at__isnull=True, reply_due_at__lt=now)

        def apply(rows):
            ids = [r[0] for r in rows]
            cls.objects.filter(pk__in=ids).update(
                reply_overdue_at=now, updated_at=now,
                escalation_level=Least(F("escalation_level") + 1, Value(int(MAX_ESCALATION_LEVEL))))
            new_level = {r[0]: min(r[2] + 1, MAX_ESCALATION_LEVEL) for r in rows}
            cls._events(rows, kind=EventKind.REPLY_OVERDUE, now=now, to_level=lambda r: new_level[r[0]],
                        data=lambda r: {"escalation_cause": EscalationCause.DEADLINE_MISSED,
                                        "reply_due_at": _iso(r[4])})
            supervisors = supervisors_of({r[3] for r in rows})
            sent = notify_bulk(kind="reply_overdue", entries=[
                (r[0], supervisors.get(r[3], []), {"to_level": new_level[r[0]], "due_at": _iso(r[4])})
                for r in rows])
            return {"marked_overdue": len(rows), "moved_up": sum(1 for r in rows if r[2] < MAX_ESCALATION_LEVEL),
                    "notifications": sent}

        return cls._sweep("enforce_reply_deadlines", due,
                          ["pk", "status", "escalation_level", "office_id", "reply_due_at"], apply)

    # ------------------------------------------------------------------ R-T2
    @classmethod
    def flag_missing_progress_reports(cls, *, now: datetime | None = None) -> dict:
        """R-T2: open and no progress report to the customer within the window (24 h by
        default) → flagged for the assignee, once until the next progress report."""
        from notifications.services import notify_bulk

        now = now or timezone.now()

        def due():
            return cls.objects.filter(status__in=WORKING, progress_flagged_at__isnull=True,
                                      progress_due_at__lt=now)

        def apply(rows):
            cls.objects.filter(pk__in=[r[0] for r in rows]).update(progress_flagged_at=now, updated_at=now)
            cls._events(rows, kind=EventKind.PROGRESS_REPORT_DUE, now=now,
                        data=lambda r: {"progress_due_at": _iso(r[4])})
            sent = notify_bulk(kind="progress_report_due", entries=[
                (r[0], [r[3]] if r[3] else [], {"due_at": _iso(r[4])}) for r in rows])
            return {"flagged": len(rows), "notifications": sent}

        return cls._sweep("flag_missing_progress_reports", due,
                          ["pk", "status", "escalation_level", "assignee_id", "progress_due_at"], apply)

    # ------------------------------------------------------------------ R-T3
    @classmethod
    def flag_missed_completion_dates(cls, *, now: datetime | None = None) -> dict:
        """R-T3: committed completion date passed while still handling → overdue and
        visible to the supervisors (notified), once per committed date."""
        from notifications.services import notify_bulk, supervisors_of

        now = now or timezone.now()

        def due():
            return cls.objects.filter(status=Status.HANDLING, completion_overdue_at__isnull=True,
                                      committed_completion_at__lt=now)

        def apply(rows):
            cls.objects.filter(pk__in=[r[0] for r in rows]).update(completion_overdue_at=now, updated_at=now)
            cls._events(rows, kind=EventKind.COMPLETION_OVERDUE, now=now,
                        data=lambda r: {"committed_completion_at": _iso(r[4])})
            supervisors = supervisors_of({r[3] for r in rows})
            sent = notify_bulk(kind="completion_overdue", entries=[
                (r[0], supervisors.get(r[3], []), {"due_at": _iso(r[4])}) for r in rows])
            return {"flagged": len(rows), "notifications": sent}

        return cls._sweep("flag_missed_completion_dates", due,
                          ["pk", "status", "escalation_level", "office_id", "committed_completion_at"], apply)

    # ------------------------------------------------------------------ R-T4
    @classmethod
    def newer_complaint_subquery(cls):
        """The first complaint from the same complainant received after this one was handled:
        the same customer, or (for an unlinked complainant) the same phone or e-mail."""
        since = Coalesce(OuterRef("resolved_at"), OuterRef("callback_declined_at"))
        newer = cls.objects.filter(received_at__gt=since).exclude(pk=OuterRef("pk")).order_by("received_at", "pk")
        by_customer = newer.filter(customer_id=OuterRef("customer_id"))
        by_contact = newer.filter(
            (Q(contact_phone=OuterRef("contact_phone")) & ~Q(contact_phone=""))
            | (Q(contact_email=OuterRef("contact_email")) & ~Q(contact_email="")))
        return Coalesce(Subquery(by_customer.values("pk")[:1]), Subquery(by_contact.values("pk")[:1]))

    @classmethod
    def auto_close_after_declined_callback(cls, *, now: datetime | None = None) -> dict:
        """R-T4 (R-C10): call-back declined and 7 days passed with no newer complaint from the
        same complainant → closed (auto_closed). With a newer complaint, the old one is linked
        to it and left for a person to decide (supervisors notified)."""
        from notifications.services import notify_bulk, supervisors_of

        from .models import Complaint

        now = now or timezone.now()

        def due():
            return (cls.objects.filter(status=Status.CALLBACK_DECLINED, newer_complaint__isnull=True,
                                       auto_close_due_at__lte=now)
                    .annotate(newer_id=cls.newer_complaint_subquery()))

        def apply(rows):
            close = [r for r in rows if r[5] is None]
            link = [r for r in rows if r[5] is not None]
            if close:
                cls.objects.filter(pk__in=[r[0] for r in close]).update(
                    status=Status.CLOSED, close_reason=CloseReason.AUTO_CLOSED, closed_at=now, updated_at=now)
                cls._events(close, kind=EventKind.AUTO_CLOSED, now=now, to_status=Status.CLOSED)
            sent = 0
            if link:
                Complaint.objects.bulk_update(
                    [Complaint(pk=r[0], newer_complaint_id=r[5], updated_at=now) for r in link],
                    ["newer_complaint", "updated_at"], batch_size=BATCH)
                cls._events(link, kind=EventKind.NEWER_COMPLAINT_LINKED, now=now,
                            data=lambda r: {"newer_complaint": r[5]})
                supervisors = supervisors_of({r[3] for r in link})
                sent = notify_bulk(kind="newer_complaint_linked", entries=[
                    (r[0], supervisors.get(r[3], []), {"newer_complaint": r[5]}) for r in link])
            return {"closed": len(close), "linked_to_newer": len(link), "notifications": sent}

        return cls._sweep("auto_close_after_declined_callback", due,
                          ["pk", "status", "escalation_level", "office_id", "auto_close_due_at", "newer_id"], apply)

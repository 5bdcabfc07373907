"""Creating notifications (the contract the complaint rules call) and finding who to tell.

`notify` / `notify_bulk` write the rows with one INSERT and, only after the surrounding
transaction commits, hand their ids to the e-mail task. A broker that is down never breaks
the caller, nor slows it: the request waits at most HELPDESK_BROKER_PUBLISH_WAIT for the
broker (publishing runs in a background thread and fails at once on a refused connection: no
connection retries, see the Celery settings), and after a failure this process does not try
again for HELPDESK_BROKER_BACKOFF_SECONDS; the rows stay `pending` and
`deliver_pending_emails` (Celery beat) sends them later. `publish` is that hand-off, shared
with the outbox of notices to complainants (notifications/outbox.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from accounts.models import Office, Role
from helpdesk.bulk import insert_rows

from .models import Kind, Notification

logger = logging.getLogger(__name__)

ENQUEUE_CHUNK = 200  # ids per task message
BROKER_ERRORS = (BrokerOperationalError, ConnectionError, OSError)


class _Task(Protocol):
    """A Celery task that takes a list of ids (what `publish` hands them to)."""

    def delay(self, ids: list[int], /) -> object: ...


# (complaint_id, recipient ids, data) — one complaint's notifications in `notify_bulk`.
Entry = tuple[int | None, Iterable[int], dict | None]
# (kind, complaint_id, recipient ids, data) — the same with its kind, in `notify_many`.
KindEntry = tuple[str, int | None, Iterable[int], dict | None]
KINDS = frozenset(Kind.values)


def notify(
    recipient_ids: Iterable[int], *, kind: str, complaint_id: int | None = None, data: dict | None = None
) -> int:
    """Bulk-create one Notification per recipient (one INSERT, however many recipients), and
    after the surrounding transaction commits, enqueue e-mail delivery. Returns the number created."""
    return notify_bulk(kind=kind, entries=[(complaint_id, recipient_ids, data)])


def page_link(viewname: str, *args: int | str) -> dict:
    """The `link` data key of a notification about a page that is not a complaint's (a visit
    plan, a visit): the URL name and its arguments, reversed when the notification is shown
    (`Notification.link`) and made absolute in its e-mail."""
    return {"name": viewname, "args": list(args)}


def notify_bulk(*, kind: str, entries: Iterable[Entry]) -> int:
    """`notify` for many complaints at once (the periodic sweeps): one INSERT for every
    (complaint, recipient) pair of every entry. A recipient listed twice for the same
    complaint gets one notification. Returns the number created."""
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind: {kind!r}")
    return notify_many((kind, complaint_id, recipient_ids, data) for complaint_id, recipient_ids, data in entries)


def notify_many(entries: Iterable[KindEntry]) -> int:
    """`notify_bulk` with a kind per entry: every notification of a sweep's batch, whatever its
    kind, with ONE INSERT … SELECT (helpdesk/bulk.py: the rows travel as one JSON parameter, no
    model instance per row, so 30,000 rows cost milliseconds of Python, not seconds). Rows
    are written in the order of `entries` and of their recipients. A recipient listed twice
    for the same entry gets one notification. Returns the number created; after the
    surrounding transaction commits, their ids go to the e-mail task."""
    rows: list[tuple[int, int | None, str, dict]] = []
    for kind, complaint_id, recipient_ids, data in entries:
        if kind not in KINDS:
            raise ValueError(f"Unknown notification kind: {kind!r}")
        payload = data or {}
        rows.extend(
            (recipient_id, complaint_id, kind, payload)
            for recipient_id in dict.fromkeys(recipient_ids)
            if recipient_id is not None
        )
    if not rows:
        return 0
    ids = insert_rows(
        Notification, ["recipient", "complaint", "kind", "data"], rows, constants={"created_at": timezone.now()}
    )
    # Without RETURNING (old SQLite) the ids are unknown: the periodic redelivery sends them.
    # robust: even an unexpected error of the broker client is logged, never raised to the
    # caller, whose work is committed by then (the rows stay pending and are sent later).
    if ids:
        transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return len(rows)


class _BrokerBackoff:
    """After a failed publish, this process leaves delivery (staff e-mails and notices) to the
    periodic redelivery for `HELPDESK_BROKER_BACKOFF_SECONDS` (0: always try) instead of asking
    the broker again on every request. Thread-safe; per process (each web worker finds out for itself)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._until = 0.0

    def open(self) -> bool:
        with self._lock:
            return time.monotonic() < self._until

    def failed(self) -> None:
        with self._lock:
            self._until = time.monotonic() + float(getattr(settings, "HELPDESK_BROKER_BACKOFF_SECONDS", 0) or 0)

    def reset(self) -> None:
        with self._lock:
            self._until = 0.0


broker_backoff = _BrokerBackoff()


def _enqueue(notification_ids: list[int]) -> None:
    """Hand the ids to the e-mail task, after commit (see `publish`)."""
    from .tasks import deliver_emails

    publish(deliver_emails, notification_ids, what="notification e-mail(s)")


def publish(task: _Task, ids: list[int], *, what: str) -> None:
    """Hand `ids` to `task` (its `delay`, ENQUEUE_CHUNK ids per message). Runs after commit: a
    broker error is only logged (the rows stay pending and the task's periodic redelivery picks
    them up), never raised. `what` names the rows in the log ("notice(s)").

    The request waits at most HELPDESK_BROKER_PUBLISH_WAIT seconds for the broker: the
    message is published from a background thread, and a broker slower than that (hung,
    unreachable host) counts as down. 0: publish inline (the unit tests)."""
    if broker_backoff.open():
        logger.info("Broker unavailable a moment ago: %d %s left to the periodic redelivery", len(ids), what)
        return
    wait = float(getattr(settings, "HELPDESK_BROKER_PUBLISH_WAIT", 0) or 0)
    if wait <= 0:
        _publish(task, ids, what)
        return
    publisher = threading.Thread(target=_publish_in_background, args=(task, ids, what), daemon=True)
    publisher.start()
    publisher.join(wait)
    if publisher.is_alive():
        broker_backoff.failed()
        logger.warning(
            "The broker did not answer within %.2f s: %d %s left to the periodic redelivery"
            " unless the broker answers after all",
            wait,
            len(ids),
            what,
        )


def _publish_in_background(task: _Task, ids: list[int], what: str) -> None:
    try:
        if _publish(task, ids, what):
            broker_backoff.reset()  # it answered after all (a slow first connection)
    except Exception:
        broker_backoff.failed()
        logger.exception("Could not enqueue %d %s", len(ids), what)


def _publish(task: _Task, ids: list[int], what: str) -> bool:
    """Publish the task messages in chunks; on a broker error the rest stay pending (no second
    attempt on a broker that just failed). True when everything was published."""
    for start in range(0, len(ids), ENQUEUE_CHUNK):
        chunk = ids[start : start + ENQUEUE_CHUNK]
        try:
            task.delay(chunk)
        except BROKER_ERRORS as exc:
            broker_backoff.failed()
            logger.warning(
                "Could not enqueue %d %s, left pending for the periodic redelivery: %s", len(ids) - start, what, exc
            )
            return False
    return True


def supervisors_of(office_ids: Iterable[int], *, flag_gaps: bool = True) -> dict[int, list[int]]:
    """Who to tell about escalations (R-T1, R-T3, R-T4), per office id: its active users in
    the 'supervisor' group, found in ONE query. Every office asked about is a key.

    An office without an active supervisor maps to the active managers instead (found by the
    same query), and the managers get one `office_without_supervisor` notification per such
    office per call (one call per sweep batch), so no escalation notifies nobody and the gap
    is seen. With `flag_gaps=False` such an office maps to an empty list."""
    office_ids = {pk for pk in office_ids if pk is not None}
    if not office_ids:
        return {}
    result: dict[int, list[int]] = {pk: [] for pk in office_ids}
    wanted = Q(groups__name=Role.SUPERVISOR, office_id__in=office_ids)
    if flag_gaps:
        wanted |= Q(groups__name=Role.MANAGER)
    rows = (
        get_user_model()
        .objects.filter(wanted, is_active=True)
        .values_list("office_id", "pk", "groups__name")
        .distinct()
        .order_by("office_id", "pk")
    )
    managers: list[int] = []
    for office_id, user_id, role in rows:
        if role == Role.SUPERVISOR and office_id in result:
            result[office_id].append(user_id)
        elif role == Role.MANAGER and user_id not in managers:
            managers.append(user_id)
    if flag_gaps and (gaps := sorted(pk for pk, users in result.items() if not users)):
        for office_id in gaps:
            result[office_id] = sorted(managers)
        _flag_offices_without_supervisor(gaps, sorted(managers))
    return result


def _flag_offices_without_supervisor(office_ids: list[int], managers: list[int]) -> None:
    if not managers:
        logger.error("Offices %s have no active supervisor and there is no active manager: nobody notified", office_ids)
        return
    names = dict(Office.objects.filter(pk__in=office_ids).values_list("pk", "name"))
    logger.warning("Offices without an active supervisor, escalations sent to the managers: %s", names)
    notify_bulk(
        kind=Kind.OFFICE_WITHOUT_SUPERVISOR,
        entries=[(None, managers, {"office": pk, "office_name": names.get(pk, "")}) for pk in office_ids],
    )

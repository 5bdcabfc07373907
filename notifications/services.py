"""Creating notifications (the contract the complaint rules call) and finding who to tell.

`notify` / `notify_bulk` write the rows with one INSERT and, only after the surrounding
transaction commits, hand their ids to the e-mail task. A broker that is down never breaks
the caller: the rows stay `pending` and `deliver_pending_emails` (Celery beat) sends them later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from accounts.models import Role

from .models import Kind, Notification

logger = logging.getLogger(__name__)

ENQUEUE_CHUNK = 200  # notification ids per e-mail task message
BROKER_ERRORS = (BrokerOperationalError, ConnectionError, OSError)

# (complaint_id, recipient ids, data) — one complaint's notifications in `notify_bulk`.
Entry = tuple[int | None, Iterable[int], dict | None]


def notify(
    recipient_ids: Iterable[int], *, kind: str, complaint_id: int | None = None, data: dict | None = None
) -> int:
    """Bulk-create one Notification per recipient (one INSERT, however many recipients), and
    after the surrounding transaction commits, enqueue e-mail delivery. Returns the number created."""
    return notify_bulk(kind=kind, entries=[(complaint_id, recipient_ids, data)])


def notify_bulk(*, kind: str, entries: Iterable[Entry]) -> int:
    """`notify` for many complaints at once (the periodic sweeps): one INSERT for every
    (complaint, recipient) pair of every entry. A recipient listed twice for the same
    complaint gets one notification. Returns the number created."""
    if kind not in Kind.values:
        raise ValueError(f"Unknown notification kind: {kind!r}")
    now = timezone.now()
    rows = [
        Notification(recipient_id=recipient_id, complaint_id=complaint_id, kind=kind, data=data or {}, created_at=now)
        for complaint_id, recipient_ids, data in entries
        for recipient_id in dict.fromkeys(recipient_ids)
        if recipient_id is not None
    ]
    if not rows:
        return 0
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.pk is not None]
    # Without RETURNING (old SQLite) the ids are unknown: the periodic redelivery sends them.
    # robust: even an unexpected error of the broker client is logged, never raised to the
    # caller, whose work is committed by then (the rows stay pending and are sent later).
    if ids:
        transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return len(created)


def _enqueue(notification_ids: list[int]) -> None:
    """Hand the ids to the e-mail task. Runs after commit: a broker error is only logged
    (the rows stay pending and `deliver_pending_emails` picks them up), never raised."""
    from .tasks import deliver_emails

    for start in range(0, len(notification_ids), ENQUEUE_CHUNK):
        chunk = notification_ids[start : start + ENQUEUE_CHUNK]
        try:
            deliver_emails.delay(chunk)
        except BROKER_ERRORS as exc:
            logger.warning(
                "Could not enqueue e-mail for %d notification(s), left pending for the periodic redelivery: %s",
                len(chunk),
                exc,
            )


def supervisors_of(office_ids: Iterable[int]) -> dict[int, list[int]]:
    """Active users in the 'supervisor' group per office id, in ONE query. Every office asked
    about is a key (an office without a supervisor maps to an empty list)."""
    office_ids = {pk for pk in office_ids if pk is not None}
    if not office_ids:
        return {}
    result: dict[int, list[int]] = {pk: [] for pk in office_ids}
    rows = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.SUPERVISOR, office_id__in=office_ids)
        .values_list("office_id", "pk")
        .distinct()
        .order_by("office_id", "pk")
    )
    for office_id, user_id in rows:
        result[office_id].append(user_id)
    return result

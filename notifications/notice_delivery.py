"""Delivery of the outbox (`Notice`: SMS and e-mail to complainants), the work behind the Celery
tasks in notifications/tasks.py. The same rules as the staff e-mails (notifications/delivery.py):

Each row is locked (`FOR UPDATE SKIP LOCKED`), sent and marked `sent` in its own short
transaction, guarded by `status = 'pending'` and `not_before <= now` (SMS quiet hours): a second
worker, a retried task or the periodic run finds it locked, not yet due or no longer pending
and leaves it alone; a crash can repeat at most the one notice in flight (an e-mail carries the
same Message-ID every time; an SMS has no such id and may arrive twice).

A transient failure (mail server, SMS gateway down or answering an error, network) leaves the
row `pending` with one more attempt and the error recorded; the task retries it with backoff,
and after `MAX_NOTICE_ATTEMPTS` the row is `failed`. Any other error fails it at once. A
channel found unreachable (the mail server refuses the connection, the gateway cannot be
reached or times out) is not tried again in the same run: its other rows get the failure
recorded in one UPDATE per batch, so a dead gateway costs one timeout per run, not one per row.

Once a row is sent and committed, `notifications.signals.notice_sent` announces it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime

from celery.exceptions import SoftTimeLimitExceeded
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from helpdesk.urls_tools import site_host

from . import sms
from .delivery import (
    BATCH,
    EMAIL_MAX_RETRIES,
    ERROR_MAX_LENGTH,
    MAX_EMAIL_ATTEMPTS,
    PENDING_GRACE,
    PENDING_SWEEP_LIMIT,
    TRANSIENT_EMAIL_ERRORS,
)
from .models import Notice, NoticeChannel, NoticeStatus
from .signals import notice_sent

logger = logging.getLogger(__name__)

# The errors worth trying again: the mail server, the SMS gateway or the network, not our data.
TRANSIENT_NOTICE_ERRORS: tuple[type[BaseException], ...] = (*TRANSIENT_EMAIL_ERRORS, sms.SmsTransientError)
NOTICE_MAX_RETRIES = EMAIL_MAX_RETRIES
MAX_NOTICE_ATTEMPTS = MAX_EMAIL_ATTEMPTS  # the first try and five retries


def _counts() -> dict[str, int]:
    return {"sent": 0, "failed": 0, "retry": 0}


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH]


def message_id(notice: Notice) -> str:
    """One Message-ID per notice, the same on every attempt: a repeat (a worker killed after the
    mail server took the message, before the row was marked sent) is recognisable by it, and so
    is a reply or an automatic answer to our own mail (a loop)."""
    return f"<notice-{notice.pk}@{site_host()}>"


class _Senders:
    """The mail connection and the SMS backend of one run, made when first needed. A channel
    found unreachable is remembered in `down` and not tried again in this run."""

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None
        self._sms: sms.BaseSmsBackend | None = None
        self.down: dict[str, BaseException] = {}

    def send(self, notice: Notice) -> None:
        if notice.channel == NoticeChannel.SMS:
            self._send_sms(notice)
        elif notice.channel == NoticeChannel.EMAIL:
            self._send_email(notice)
        else:
            raise ValueError(f"Unknown notice channel: {notice.channel!r}")

    def _send_sms(self, notice: Notice) -> None:
        if self._sms is None:
            self._sms = sms.get_backend()
        parts = sms.split_sms(notice.body)
        notice.parts = len(parts)
        try:
            for part in parts:
                self._sms.send(notice.to, part)
        except sms.SmsGatewayUnreachable as exc:
            self.down[NoticeChannel.SMS] = exc
            raise

    def _send_email(self, notice: Notice) -> None:
        connection = self._connection
        if connection is None:
            connection = get_connection(fail_silently=False)
            try:
                connection.open()
            except TRANSIENT_EMAIL_ERRORS as exc:
                self.down[NoticeChannel.EMAIL] = exc
                raise
            self._connection = connection
        message = EmailMultiAlternatives(
            subject=notice.subject,
            body=notice.body,
            to=[notice.to],
            connection=connection,
            # Auto-Submitted (RFC 3834): automatic answers (out of office) are not sent back to us
            headers={"Message-ID": message_id(notice), "Auto-Submitted": "auto-generated"},
        )
        if notice.body_html:
            message.attach_alternative(notice.body_html, "text/html")
        try:
            message.send()
        except TRANSIENT_EMAIL_ERRORS:
            with suppress(*TRANSIENT_EMAIL_ERRORS):
                connection.close()  # a broken connection is reopened by the next send
            raise

    def close(self) -> None:
        if self._connection is not None:
            with suppress(*TRANSIENT_EMAIL_ERRORS):
                self._connection.close()


def deliver_notices(
    notice_ids: Iterable[int], *, raise_transient: bool = True, now: datetime | None = None
) -> dict[str, int]:
    """Send each notice among `notice_ids` that is pending and due. Returns counts.

    With `raise_transient`, a transient error that left some row pending is raised after
    every row was tried (and the sent ones recorded), so the task can retry with backoff."""
    ids = list(dict.fromkeys(int(pk) for pk in notice_ids))
    now = now or timezone.now()
    counts = _counts()
    senders = _Senders()
    error: BaseException | None = None
    try:
        for start in range(0, len(ids), BATCH):
            error = _deliver_batch(ids[start : start + BATCH], senders, counts, now) or error
    finally:
        senders.close()
    if error is not None and raise_transient:
        raise error
    return counts


def _due(now: datetime):
    return Notice.objects.filter(status=NoticeStatus.PENDING, not_before__lte=now)


def _deliver_batch(ids: list[int], senders: _Senders, counts: dict[str, int], now: datetime) -> BaseException | None:
    rows = list(_due(now).filter(pk__in=ids).order_by("pk").values_list("pk", "channel"))
    error: BaseException | None = None
    not_tried: dict[str, list[int]] = defaultdict(list)
    for pk, channel in rows:
        if channel in senders.down:
            not_tried[channel].append(pk)
        else:
            error = _deliver_one(pk, senders, counts, now) or error
    for channel, pks in not_tried.items():
        down = senders.down[channel]
        logger.warning("%s unreachable, %d notice(s) stay pending: %s", channel, len(pks), down)
        _record_failure_for_all(pks, down, counts, now)
        error = error or down
    return error


def _record_failure_for_all(pks: list[int], exc: BaseException, counts: dict[str, int], now: datetime) -> None:
    """One attempt and the error for rows not tried (their channel is down): one UPDATE."""
    with transaction.atomic():
        locked = list(_due(now).filter(pk__in=pks).select_for_update(skip_locked=True).values_list("pk", "attempts"))
        Notice.objects.filter(pk__in=[pk for pk, _ in locked]).update(
            attempts=F("attempts") + 1,
            last_error=_describe(exc),
            status=Case(
                When(attempts__gte=MAX_NOTICE_ATTEMPTS - 1, then=Value(NoticeStatus.FAILED)),
                default=Value(NoticeStatus.PENDING),
            ),
        )
    failing = sum(1 for _, attempts in locked if attempts + 1 >= MAX_NOTICE_ATTEMPTS)
    counts["failed"] += failing
    counts["retry"] += len(locked) - failing


def _deliver_one(pk: int, senders: _Senders, counts: dict[str, int], now: datetime) -> BaseException | None:
    """Lock, send and mark one notice in one transaction. Returns a transient error that left
    it pending, if any."""
    error = None
    with transaction.atomic():
        notice = _due(now).select_for_update(skip_locked=True).filter(pk=pk).first()
        if notice is None:  # sent, failed or cancelled meanwhile, or another worker has it
            return None
        notice.attempts += 1
        try:
            senders.send(notice)
        except SoftTimeLimitExceeded:  # the task ran out of time: the row stays as it was
            raise
        except TRANSIENT_NOTICE_ERRORS as exc:
            notice.last_error = _describe(exc)
            if notice.attempts >= MAX_NOTICE_ATTEMPTS:
                notice.status = NoticeStatus.FAILED
                counts["failed"] += 1
                logger.error("Notice %s (%s) failed after %d attempts: %s", pk, notice.channel, notice.attempts, exc)
            else:
                counts["retry"] += 1
                error = exc
                logger.warning(
                    "Notice %s (%s) failed (attempt %d), will retry: %s", pk, notice.channel, notice.attempts, exc
                )
        except Exception as exc:  # not transient (bad settings, bad data): retrying cannot help
            logger.exception("Notice %s (%s) failed permanently", pk, notice.channel)
            notice.last_error = _describe(exc)
            notice.status = NoticeStatus.FAILED
            counts["failed"] += 1
        else:
            notice.status = NoticeStatus.SENT
            notice.sent_at = timezone.now()
            counts["sent"] += 1
        notice.save(update_fields=["status", "attempts", "last_error", "sent_at", "parts"])
        if notice.status == NoticeStatus.SENT:
            transaction.on_commit(lambda: _announce(notice), robust=True)
    return error


def _announce(notice: Notice) -> None:
    """`notice_sent`, after the commit. A receiver that fails is logged: the notice stays sent
    and is not sent again, and the other receivers still hear of it."""
    for receiver, response in notice_sent.send_robust(sender=Notice, notice=notice):
        if isinstance(response, Exception):
            logger.error(
                "A receiver of notice_sent (%r) failed for notice %s",
                receiver,
                notice.pk,
                exc_info=(type(response), response, response.__traceback__),
            )


def deliver_pending_notices(now: datetime | None = None) -> dict[str, int]:
    """The periodic run: every pending notice that is due — a minute after it was written (its
    task message was lost, or the broker was down), or at once at its `not_before` when that was
    later than its writing (it waited for the end of the SMS quiet hours, or to be sent again)."""
    now = now or timezone.now()
    ids = list(
        _due(now)
        .filter(Q(created_at__lt=now - PENDING_GRACE) | Q(not_before__gt=F("created_at")))
        .order_by("not_before", "pk")
        .values_list("pk", flat=True)[:PENDING_SWEEP_LIMIT]
    )
    counts = deliver_notices(ids, raise_transient=False, now=now)
    counts["picked_up"] = len(ids)
    return counts

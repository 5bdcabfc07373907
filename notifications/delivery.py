"""E-mail delivery of notifications: the work behind the Celery tasks in notifications/tasks.py.

Every notification is e-mailed at most once. Each row is locked (`FOR UPDATE SKIP LOCKED`),
sent and marked `sent` in its own short transaction, guarded by `email_status = 'pending'`:
a second worker, a retried task or the periodic redelivery finds it locked or no longer
pending and leaves it alone; a crash can repeat at most the one mail in flight.

A transient failure (SMTP error, network down) leaves the row `pending` with one more attempt
and the error recorded; the task retries it with backoff, and after `MAX_EMAIL_ATTEMPTS` the
row is `failed`. A recipient without an e-mail address (or no longer active) is `skipped`.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from contextlib import suppress
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.template.loader import render_to_string
from django.utils import timezone, translation

from helpdesk.urls_tools import absolute_reverse, absolute_url, site_host

from .models import EmailStatus, Notification

logger = logging.getLogger(__name__)

# The errors worth trying again: the mail server or the network, not our data.
TRANSIENT_EMAIL_ERRORS = (smtplib.SMTPException, ConnectionError, OSError)
EMAIL_MAX_RETRIES = 5
MAX_EMAIL_ATTEMPTS = EMAIL_MAX_RETRIES + 1  # the first try and five retries
BATCH = 200
PENDING_GRACE = timedelta(minutes=1)  # younger rows are still on their way through the broker
PENDING_SWEEP_LIMIT = 5000  # rows per periodic run (bounded by the task time limit)
ERROR_MAX_LENGTH = 2000


def _counts() -> dict[str, int]:
    return {"sent": 0, "skipped": 0, "failed": 0, "retry": 0}


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH]


def compose(notification: Notification) -> tuple[str, str]:
    """Subject and body in the recipient's language (`User.language`), else the site's."""
    with translation.override(notification.recipient.language or settings.LANGUAGE_CODE):
        context = {
            "notification": notification,
            "recipient": notification.recipient,
            "message": notification.message,
            "complaint_url": (
                absolute_reverse("complaints:detail", args=[notification.complaint_id])
                if notification.complaint_id
                else ""
            ),
            # a notification about a visit plan or a visit: that page (data["link"])
            "link": absolute_url(notification.link) if notification.link else "",
            "list_url": absolute_reverse("notifications:list"),
        }
        subject = render_to_string("notifications/email/subject.txt", context)
        body = render_to_string("notifications/email/body.txt", context)
    return " ".join(subject.split()), body


def deliver_emails(notification_ids: Iterable[int], *, raise_transient: bool = True) -> dict[str, int]:
    """Send one e-mail per pending notification among `notification_ids`. Returns counts.

    With `raise_transient`, a transient error that left some row pending is raised after
    every row was tried (and the sent ones recorded), so the task can retry with backoff."""
    ids = list(dict.fromkeys(int(pk) for pk in notification_ids))
    counts = _counts()
    error: BaseException | None = None
    for start in range(0, len(ids), BATCH):
        batch_error = _deliver_batch(ids[start : start + BATCH], counts)
        error = batch_error or error
    if error is not None and raise_transient:
        raise error
    return counts


def _deliver_batch(ids: list[int], counts: dict[str, int]) -> BaseException | None:
    pending = Notification.objects.filter(pk__in=ids, email_status=EmailStatus.PENDING)
    # Nobody to write to: one UPDATE.
    counts["skipped"] += pending.filter(
        Q(recipient__email="") | Q(recipient__email__isnull=True) | Q(recipient__is_active=False),
    ).update(email_status=EmailStatus.SKIPPED)
    to_send = list(pending.order_by("pk").values_list("pk", flat=True))
    if not to_send:  # all done already: no mail server connection
        return None

    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except TRANSIENT_EMAIL_ERRORS as exc:  # the mail server is unreachable: one UPDATE for the batch
        logger.warning("E-mail server unreachable, %d notification(s) stay pending: %s", len(to_send), exc)
        _record_failure_for_all(pending, exc, counts)
        return exc

    error = None
    try:
        for pk in to_send:
            error = _deliver_one(pk, connection, counts) or error
    finally:
        with suppress(*TRANSIENT_EMAIL_ERRORS):
            connection.close()
    return error


def _record_failure_for_all(pending, exc: BaseException, counts: dict[str, int]) -> None:
    with transaction.atomic():
        locked = list(pending.select_for_update(skip_locked=True).values_list("pk", "email_attempts"))
        Notification.objects.filter(pk__in=[pk for pk, _ in locked]).update(
            email_attempts=F("email_attempts") + 1,
            email_last_error=_describe(exc),
            email_status=Case(
                When(email_attempts__gte=MAX_EMAIL_ATTEMPTS - 1, then=Value(EmailStatus.FAILED)),
                default=Value(EmailStatus.PENDING),
            ),
        )
    failing = sum(1 for _, attempts in locked if attempts + 1 >= MAX_EMAIL_ATTEMPTS)
    counts["failed"] += failing
    counts["retry"] += len(locked) - failing


def message_id(notification: Notification) -> str:
    """One Message-ID per notification, the same on every attempt. Delivery is at least once:
    a worker killed after the mail server took the message but before the row was marked sent
    sends it again, and mail systems recognise the repeat by this id (RFC 5322 §3.6.4)."""
    return f"<notification-{notification.pk}@{site_host()}>"


class _WithMessageId:
    """The mail connection, stamping each message with its notification's `message_id`."""

    def __init__(self, connection, notification: Notification):
        self._connection, self._message_id = connection, message_id(notification)

    def send_messages(self, messages):
        for message in messages:
            message.extra_headers.setdefault("Message-ID", self._message_id)
        return self._connection.send_messages(messages)

    def __getattr__(self, name):
        if name.startswith("_"):  # copies of a message (the locmem backend) copy this too
            raise AttributeError(name)
        return getattr(self._connection, name)


def _deliver_one(pk: int, connection, counts: dict[str, int]) -> BaseException | None:
    """Lock, send and mark one notification in one transaction. Returns a transient error
    that left it pending, if any."""
    error = None
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=pk, email_status=EmailStatus.PENDING)
            .first()
        )
        if notification is None:  # already sent, skipped or failed, or another worker has it
            return None
        notification.email_attempts += 1
        try:
            subject, body = compose(notification)
            send_mail(
                subject, body, None, [notification.recipient.email], connection=_WithMessageId(connection, notification)
            )
        except TRANSIENT_EMAIL_ERRORS as exc:
            notification.email_last_error = _describe(exc)
            if notification.email_attempts >= MAX_EMAIL_ATTEMPTS:
                notification.email_status = EmailStatus.FAILED
                counts["failed"] += 1
                logger.error(
                    "E-mail for notification %s failed after %d attempts: %s", pk, notification.email_attempts, exc
                )
            else:
                counts["retry"] += 1
                error = exc
                logger.warning(
                    "E-mail for notification %s failed (attempt %d), will retry: %s",
                    pk,
                    notification.email_attempts,
                    exc,
                )
            with suppress(*TRANSIENT_EMAIL_ERRORS):
                connection.close()  # a broken connection is reopened by the next send
        except Exception as exc:  # not transient (bad data, template bug): retrying cannot help
            logger.exception("E-mail for notification %s failed permanently", pk)
            notification.email_last_error = _describe(exc)
            notification.email_status = EmailStatus.FAILED
            counts["failed"] += 1
        else:
            notification.email_status = EmailStatus.SENT
            notification.emailed_at = timezone.now()
            counts["sent"] += 1
        notification.save(update_fields=["email_status", "email_attempts", "email_last_error", "emailed_at"])
    return error


def deliver_pending_emails(*, now=None) -> dict[str, int]:
    """The safety net for a lost or never-sent task message: every notification still pending
    a minute after it was created is delivered here (one query selects the ids, then batches)."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(email_status=EmailStatus.PENDING, created_at__lt=now - PENDING_GRACE)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:PENDING_SWEEP_LIMIT]
    )
    counts = deliver_emails(ids, raise_transient=False)
    counts["picked_up"] = len(ids)
    return counts

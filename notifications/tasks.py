"""Celery tasks of the notifications: thin, they take ids (or nothing), call the delivery
functions (notifications/delivery.py for the staff e-mails, notifications/notice_delivery.py
for the notices to complainants) and return counts. Idempotent (a row is sent only while it
is pending, row-locked), so acks_late, retries and running again a task whose worker died
(reject_on_worker_lost) are safe."""

import logging

from celery import shared_task

from . import delivery, notice_delivery

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="notifications.tasks.deliver_emails",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=delivery.TRANSIENT_EMAIL_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=delivery.EMAIL_MAX_RETRIES,
)
def deliver_emails(self, notification_ids: list[int]) -> dict:
    """E-mail the given notifications; a transient error is retried with exponential backoff.
    On the last try nothing is raised: rows still pending are left to `deliver_pending_emails`."""
    counts = delivery.deliver_emails(notification_ids, raise_transient=self.request.retries < self.max_retries)
    logger.info("deliver_emails: %s", counts)
    return counts


@shared_task(name="notifications.tasks.deliver_pending_emails", acks_late=True, reject_on_worker_lost=True)
def deliver_pending_emails() -> dict:
    """Celery beat: deliver every notification still pending a minute after it was created
    (its task message was lost, or the broker was down when it was created)."""
    counts = delivery.deliver_pending_emails()
    logger.info("deliver_pending_emails: %s", counts)
    return counts


@shared_task(
    bind=True,
    name="notifications.tasks.deliver_notices",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=notice_delivery.TRANSIENT_NOTICE_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=notice_delivery.NOTICE_MAX_RETRIES,
)
def deliver_notices(self, notice_ids: list[int]) -> dict:
    """Send the given notices (SMS or e-mail); a transient error is retried with exponential
    backoff. On the last try nothing is raised: rows still pending are left to
    `deliver_pending_notices`."""
    counts = notice_delivery.deliver_notices(notice_ids, raise_transient=self.request.retries < self.max_retries)
    logger.info("deliver_notices: %s", counts)
    return counts


@shared_task(name="notifications.tasks.deliver_pending_notices", acks_late=True, reject_on_worker_lost=True)
def deliver_pending_notices() -> dict:
    """Celery beat: send every pending notice that is due (its task message was lost, the broker
    was down, or it waited for the end of the SMS quiet hours)."""
    counts = notice_delivery.deliver_pending_notices()
    logger.info("deliver_pending_notices: %s", counts)
    return counts

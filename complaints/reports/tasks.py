"""Celery task of the monthly summary: thin, the work is services.email_monthly_summary.
Celery beat runs it on the 1st at 07:00 (CELERY_BEAT_SCHEDULE["monthly-summary"])."""

import logging

from celery import shared_task

from . import services
from .figures import parse_report_month

logger = logging.getLogger(__name__)


@shared_task(
    name="complaints.reports.tasks.send_monthly_summary",
    acks_late=True,
    autoretry_for=services.TRANSIENT_EMAIL_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=3,
)
def send_monthly_summary(month: str | None = None) -> dict:
    """E-mail the previous month's summary (or `month`, "YYYY-MM") to the managers, when
    settings.HELPDESK_MONTHLY_SUMMARY_EMAIL is on."""
    counts = services.email_monthly_summary(month=parse_report_month(month) if month else None)
    logger.info("send_monthly_summary: %s", counts)
    return counts

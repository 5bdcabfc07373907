"""Celery tasks of the monthly summary, thin: the e-mail (services.email_monthly_summary),
which Celery beat runs on the 1st at 07:00 (CELERY_BEAT_SCHEDULE["monthly-summary"]), and
the tidying of the kept summary (summary.tidy), to run every hour or so."""

import logging

from celery import shared_task

from . import services, summary
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


@shared_task(name="complaints.reports.tasks.tidy_monthly_summary", acks_late=True)
def tidy_monthly_summary() -> dict:
    """Compact the kept summary's change log and drop parts long unused (summary.tidy):
    idempotent, safe to run at any time and again."""
    counts = summary.tidy()
    logger.info("tidy_monthly_summary: %s", counts)
    return counts

"""The monthly summary e-mailed to the managers (R-C11): the work behind the Celery beat task
complaints.reports.tasks.send_monthly_summary."""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Role
from helpdesk.dates import last_complete_month, month_label

from . import exports
from .summary import monthly_summary

logger = logging.getLogger(__name__)

TRANSIENT_EMAIL_ERRORS = (smtplib.SMTPException, ConnectionError, OSError)


def manager_addresses() -> list[str]:
    """Active members of the manager group with an e-mail address."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.MANAGER)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )


def email_monthly_summary(
    *, month: date | None = None, now: datetime | None = None, language: str | None = None
) -> dict:
    """E-mail the summary of `month` (default: the previous month) as an XLSX attachment to the
    managers, in one message, when settings.HELPDESK_MONTHLY_SUMMARY_EMAIL is on. It only
    reads, so it may run again safely. Returns the counts."""
    if not settings.HELPDESK_MONTHLY_SUMMARY_EMAIL:
        return {"enabled": False, "month": None, "recipients": 0, "sent": 0}
    month = month or last_complete_month(now)
    recipients = manager_addresses()
    counts = {"enabled": True, "month": month_label(month), "recipients": len(recipients), "sent": 0}
    if not recipients:
        logger.warning("monthly summary %s: no active manager with an e-mail address", counts["month"])
        return counts
    with translation.override(language or settings.LANGUAGE_CODE):
        figures = monthly_summary(month=month, now=now, include_complaints=True)  # head office: every office
        content = exports.build_xlsx(figures)
        subject = _("Monthly complaint summary %(month)s") % {"month": figures["month_label"]}
        body = _(
            "Attached: the complaint classification record table of %(month)s for all offices "
            "(%(received)s complaints received, %(closed)s closed by the end of the month)."
        ) % {
            "month": figures["month_label"],
            "received": figures["current"]["received"],
            "closed": figures["current"]["closed"],
        }
    message = EmailMessage(
        subject,
        body,
        to=recipients,
        attachments=[(exports.filename(figures, "xlsx"), content, exports.CONTENT_TYPES["xlsx"])],
    )
    counts["sent"] = message.send(fail_silently=False)
    return counts

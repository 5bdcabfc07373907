"""Deadlines of the procedure, computed once when they are set and stored on the complaint.

- R-C5 reply: at most 24 hours after receipt; a tier may have a shorter window
  (HELPDESK_REPLY_WINDOW_HOURS_BY_TIER, e.g. A=4), never a longer one.
- R-T2 progress: a progress report is due this long after the last one (or receipt).
- R-T4 auto-close: this long after a declined call-back.

Time is plain calendar time unless the optional working calendar is switched on
(HELPDESK_WORKING_CALENDAR), in which case `add_working_time` counts only working hours.
The reply deadline is capped at 24 calendar hours after receipt in every case (R-C5).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

MAX_REPLY_WINDOW = timedelta(hours=24)


def reply_window_for(tier: str | None = None) -> timedelta:
    hours = settings.HELPDESK_REPLY_WINDOW_HOURS
    if tier:
        hours = min(hours, settings.HELPDESK_REPLY_WINDOW_HOURS_BY_TIER.get(tier, hours))
    return min(timedelta(hours=float(hours)), MAX_REPLY_WINDOW)


def add_working_time(start: datetime, delta: timedelta) -> datetime:
    """`start` plus `delta`, counted in working time when the working calendar is on."""
    if not settings.HELPDESK_WORKING_CALENDAR:
        return start + delta
    from .calendar import add_working_time as add_on_calendar

    return add_on_calendar(start, delta)


def reply_deadline(received_at: datetime, tier: str | None = None) -> datetime:
    """R-C5: the latest allowed reply time for a complaint received at `received_at`."""
    return min(add_working_time(received_at, reply_window_for(tier)), received_at + MAX_REPLY_WINDOW)


def progress_deadline(since: datetime) -> datetime:
    """R-T2: when the next progress report to the complainant is due."""
    return add_working_time(since, timedelta(hours=settings.HELPDESK_PROGRESS_REPORT_HOURS))


def auto_close_deadline(declined_at: datetime) -> datetime:
    """R-T4: when a complaint whose call-back was declined closes by itself."""
    return declined_at + timedelta(days=settings.HELPDESK_AUTO_CLOSE_DAYS)

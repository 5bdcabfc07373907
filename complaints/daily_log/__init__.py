"""The daily log (SPEC R-C11): for one local day, what the user's offices received, first
replied to, escalated, flagged as special incidents (R-C6.2) and closed.

A day is the calendar day in settings.TIME_ZONE (Asia/Shanghai): [00:00, next 00:00) local,
whatever the database stores (UTC) — see helpdesk.dates. Each section is one query
(`selectors`: rows with their relations and the section's total, counted by a window function
over the same filter), so the page costs the same number of queries for 2 complaints or
2,000. Scoping goes through `complaints_visible_to(user)`: a supervisor sees their office, a
manager every office. A duplicate merged into another complaint (issue 14) is in no section:
the pair counts once, as the complaint it was merged into (its steps stay on its own timeline).
This module puts the sections together; `views` is the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext as _

# The day helpers are re-exported under their old names (parse_day = iso_day_or_404): the
# follow-ups' front desk and the tests still import them from here.
from helpdesk.dates import FIRST_DAY, LAST_DAY, day_bounds, local_today
from helpdesk.dates import iso_day_or_404 as parse_day

from ..choices import CloseReason, EscalationCause, EscalationLevel, EventKind
from ..event_data import ESCALATION_CAUSE
from ..selectors import complaints_visible_to
from .selectors import closed_on, escalations_on, first_replied_on, received_on, special_incidents_on

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "SECTION_LIMIT",
    "Section",
    "daily_log_for",
    "day_bounds",
    "local_today",
    "parse_day",
]

# A section never renders more rows than this; its count at the top is still exact.
SECTION_LIMIT = 500


@dataclass
class Section:
    key: str
    title: str
    rows: list
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def _section(key: str, title: str, qs: QuerySet) -> Section:
    rows = list(qs[:SECTION_LIMIT])
    return Section(key=key, title=title, rows=rows, total=rows[0].section_total if rows else 0)


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def daily_log_for(user, day: date) -> list[Section]:
    """The five sections of the day's log, scoped to what `user` may see."""
    visible = complaints_visible_to(user).exclude(close_reason=CloseReason.MERGED)
    start, end = day_bounds(day)
    received = _section("received", _("Received"), received_on(visible, start, end))
    replied = _section("replied", _("Replied"), first_replied_on(visible, start, end))
    for c in replied.rows:
        c.first_reply_label = _label(EventKind, c.first_reply_kind) if c.first_reply_kind else ""
        c.replied_in_time = c.first_replied_at <= c.reply_due_at
    escalated = _section("escalated", _("Escalated"), escalations_on(visible, start, end))
    for e in escalated.rows:
        cause = (e.data or {}).get(ESCALATION_CAUSE, "")
        e.cause_label = _label(EscalationCause, cause) if cause else ""
        e.to_level_label = _label(EscalationLevel, e.to_level)
    special = _section("special_incidents", _("Special incidents"), special_incidents_on(visible, start, end))
    closed = _section("closed", _("Closed"), closed_on(visible, start, end))
    return [received, replied, escalated, special, closed]

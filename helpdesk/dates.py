"""Days and months in local time: the one place the helpdesk turns "today", "2026-10-05" or
"2026-10" into dates and into the aware datetimes the database is filtered with.

Local time is settings.TIME_ZONE (Asia/Shanghai) everywhere, whatever the database stores
(UTC) and whatever time zone may be active: a day is [local 00:00, next local 00:00), a month
is [local midnight of its first day, local midnight of the next month's first day).

A *month* is always represented by the `date` of its first day (date(2026, 10, 1)); the month
helpers accept any day of the month and return first days. Parsers come in two kinds: those
that raise ValueError (for forms and commands, with a message for the user) and the
`*_or_404` ones, for values taken from a URL or a query string.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

# The calendar the pages handle: outside it a day or month is refused, so no date arithmetic
# (a day's bounds, the next month) can overflow near date.min / date.max.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH_TEXT = re.compile(r"^(\d{4})-(\d{1,2})$")


def local_zone() -> tzinfo:
    """settings.TIME_ZONE as a tzinfo (not the currently active time zone)."""
    return timezone.get_default_timezone()


# ---------------------------------------------------------------------------- days
def local_today(now: datetime | None = None) -> date:
    """The local date (settings.TIME_ZONE) of `now`, by default of this moment."""
    return timezone.localdate(now if now is not None else timezone.now(), timezone=local_zone())


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as a half-open interval of aware datetimes: [local 00:00, next local 00:00)."""
    tz = local_zone()
    return (datetime.combine(day, time.min, tzinfo=tz), datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz))


def parse_iso_day(text: str) -> date:
    """'2026-10-05' -> date(2026, 10, 5). ValueError for anything else: another format (no
    padding, spaces, other digits), a day that does not exist (2026-02-30), or one outside
    FIRST_DAY … LAST_DAY."""
    if not _ISO_DAY.fullmatch(text or ""):
        raise ValueError(f"Not a YYYY-MM-DD day: {text!r}")
    day = date.fromisoformat(text)  # ValueError for 2026-02-30
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"Day out of range: {text!r}")
    return day


def iso_day_or_404(text: str) -> date:
    """`parse_iso_day` for a day taken from a URL or a query string: Http404 instead of ValueError."""
    try:
        return parse_iso_day(text)
    except ValueError:
        raise Http404(_("No such day.")) from None


# -------------------------------------------------------------------------- months
def month_start(day: date) -> date:
    """The month of `day`: the date of its first day."""
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after the month of `month` (n < 0: before)."""
    year, index = divmod(month.year * 12 + month.month - 1 + n, 12)
    return date(year, index + 1, 1)


def previous_month_of(month: date) -> date:
    """The first day of the month before the month of `month`."""
    return add_months(month, -1)


def last_complete_month(now: datetime | None = None) -> date:
    """The last month that has ended in local time at `now` (by default this moment): on
    local 2026-11-01 00:00 that is October 2026."""
    return add_months(local_today(now), -1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month of `month` as a half-open interval of aware datetimes: [local midnight of its
    first day, local midnight of the next month's first day)."""
    tz = local_zone()
    first = month_start(month)
    following = add_months(first, 1)
    return (datetime(first.year, first.month, 1, tzinfo=tz), datetime(following.year, following.month, 1, tzinfo=tz))


def month_label(month: date) -> str:
    """'2026-10': how a month is written in URLs, file names and the report's headings."""
    return f"{month:%Y-%m}"


def parse_month_text(text: str, *, earliest: date = FIRST_DAY) -> date:
    """'2026-10' (or ' 2026-1 ') -> date(2026, 10, 1). ValueError, with a message for the user,
    for anything else or a year before `earliest`'s."""
    match = _MONTH_TEXT.match((text or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < earliest.year:
        raise ValueError(_("“%(value)s” is not a month: write it as YYYY-MM, for example 2026-10.") % {"value": text})
    return date(int(match[1]), int(match[2]), 1)


def month_or_404(year: int, month: int) -> date:
    """The first day of `year`-`month` taken from a URL; Http404 outside FIRST_DAY … LAST_DAY."""
    if not (FIRST_DAY.year <= year <= LAST_DAY.year and 1 <= month <= 12):
        raise Http404(_("No such month."))
    return date(year, month, 1)

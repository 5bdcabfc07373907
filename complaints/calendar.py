"""The optional working calendar: working hours per weekday, holidays and make-up working days.

Switched on by settings.HELPDESK_WORKING_CALENDAR; `complaints.deadlines` then calls
`add_working_time()` to count the procedure's deadlines in working time only. The reply
deadline stays capped at 24 calendar hours after receipt whatever the calendar says (R-C5).

Rules of the calendar
- `WorkingHours`: the working periods of each weekday, in local time (settings.TIME_ZONE).
  A weekday may have several periods (e.g. 09:00–12:00 and 13:30–18:00 around lunch); a
  weekday without rows is not worked. Periods never span midnight (end > start, held by the
  database); overlapping periods of the same weekday are refused by the form and, should
  some exist anyway, merged when counting (no time is counted twice).
- `CalendarHoliday`: a date that is not worked, whatever its weekday — unless `is_working_day` is
  set: then it is a make-up working day (调休), worked with the hours of the weekday named by
  `works_like_weekday` (Monday when left empty) instead of the hours of its own weekday.
- No `WorkingHours` rows at all: the calendar is switched on but empty, and time is counted
  as plain calendar time (start + delta), so that deadlines are still set.

`WorkingHours.create_default_week()` adds the usual office week (Monday to Friday,
09:00–12:00 and 13:30–18:00), e.g. from `manage.py shell`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.bounds import validate_day_in_range

MAX_DAYS = 3 * 366  # the day-by-day search gives up (ImproperlyConfigured) after about 3 years
DEFAULT_WEEK = [(time(9, 0), time(12, 0)), (time(13, 30), time(18, 0))]  # Monday to Friday


class Weekday(models.IntegerChoices):
    """Python's numbering: date.weekday()."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    """One working period of one weekday, in local time (settings.TIME_ZONE)."""

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start time"))
    end = models.TimeField(_("end time"))

    class Meta:
        app_label = "complaints"
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="workinghours_end_after_start"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="workinghours_weekday_valid"),
            models.UniqueConstraint(fields=["weekday", "start"], name="workinghours_unique_weekday_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        super().clean()
        if self.weekday is None or self.start is None or self.end is None:
            return  # the field errors are reported already
        if self.end <= self.start:
            raise ValidationError({"end": _("The end time must be after the start time.")})
        overlapping = (
            WorkingHours.objects.filter(weekday=self.weekday, start__lt=self.end, end__gt=self.start)
            .exclude(pk=self.pk)
            .first()
        )
        if overlapping is not None:
            raise ValidationError(_("These hours overlap with %(other)s.") % {"other": overlapping})

    @classmethod
    def create_default_week(cls) -> list[WorkingHours]:
        """Add Monday to Friday 09:00–12:00 and 13:30–18:00; periods that already exist
        (same weekday and start) are left as they are. Returns the rows added."""
        added = []
        with transaction.atomic():
            for weekday in range(Weekday.MONDAY, Weekday.FRIDAY + 1):
                for start, end in DEFAULT_WEEK:
                    row, created = cls.objects.get_or_create(weekday=weekday, start=start, defaults={"end": end})
                    if created:
                        added.append(row)
        return added


class CalendarHoliday(models.Model):
    """A date off work (`is_working_day` unset) or a make-up working day (调休) that is worked
    although it falls on a weekend or holiday week, with the hours of `works_like_weekday`
    (Monday when empty). Not the visit-holiday list (`followups.VisitHoliday`)."""

    date = models.DateField(_("date"), unique=True, validators=[validate_day_in_range])
    name = models.CharField(_("name"), max_length=120)
    is_working_day = models.BooleanField(
        _("make-up working day"),
        default=False,
        help_text=_("Worked although it falls on a weekend or in a holiday week, with the hours of the weekday below."),
    )
    works_like_weekday = models.PositiveSmallIntegerField(
        _("works like"),
        choices=Weekday.choices,
        null=True,
        blank=True,
        help_text=_("The weekday whose working hours apply on a make-up working day; Monday if empty."),
    )

    class Meta:
        app_label = "complaints"
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(works_like_weekday__isnull=True) | Q(is_working_day=True, works_like_weekday__lte=6),
                name="holiday_works_like_only_on_working_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"

    def clean(self) -> None:
        super().clean()
        if self.works_like_weekday is not None and not self.is_working_day:
            raise ValidationError({"works_like_weekday": _("Only a make-up working day works like another weekday.")})

    @property
    def hours_weekday(self) -> int | None:
        """The weekday whose hours apply on this date, or None when the date is not worked."""
        if not self.is_working_day:
            return None
        return Weekday.MONDAY if self.works_like_weekday is None else self.works_like_weekday


# ------------------------------------------------------------------------ counting
Period = tuple[time, time]


def _merged(periods: Iterable[Period]) -> list[Period]:
    merged: list[Period] = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _week() -> dict[int, list[Period]]:
    """All working hours in one query: weekday -> sorted, merged periods."""
    week: dict[int, list[Period]] = {}
    for weekday, start, end in WorkingHours.objects.values_list("weekday", "start", "end"):
        week.setdefault(weekday, []).append((start, end))
    return {weekday: _merged(periods) for weekday, periods in week.items()}


def _holidays(first: date, days: int) -> dict[date, int | None]:
    """The holidays of [first, first + days) in one query: date -> weekday whose hours apply
    (None for a day off)."""
    rows = CalendarHoliday.objects.filter(date__gte=first, date__lt=first + timedelta(days=days))
    return {h.date: h.hours_weekday for h in rows.only("date", "is_working_day", "works_like_weekday")}


def _since_midnight(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _window_days(delta: timedelta, week: dict[int, list[Period]]) -> int:
    """How many days of holidays to load at first: about twice the calendar days the
    delta needs in a normal week, plus a margin for holiday weeks; at least a month."""
    weekly = sum(
        (_since_midnight(end) - _since_midnight(start) for periods in week.values() for start, end in periods),
        timedelta(),
    )
    weeks = delta / weekly if weekly else 0
    return min(max(math.ceil(weeks * 7 * 2) + 14, 31), MAX_DAYS)


def _working_periods(
    start_day: date, delta: timedelta, week: dict[int, list[Period]], tz
) -> Iterator[tuple[datetime, datetime]]:
    """The working periods from `start_day` on, as UTC instants, day by day; holidays are
    loaded a window at a time (one query per window)."""
    window = _window_days(delta, week)
    loaded_until = start_day
    holidays: dict[date, int | None] = {}
    for offset in range(MAX_DAYS):
        day = start_day + timedelta(days=offset)
        if day >= loaded_until:
            holidays = _holidays(day, window)
            loaded_until = day + timedelta(days=window)
        weekday = holidays[day] if day in holidays else day.weekday()
        for start, end in week.get(weekday, []) if weekday is not None else []:
            yield (
                datetime.combine(day, start, tzinfo=tz).astimezone(UTC),
                datetime.combine(day, end, tzinfo=tz).astimezone(UTC),
            )
    raise ImproperlyConfigured(
        f"The working calendar has no working time left for {delta} within {MAX_DAYS} days of {start_day}: "
        "check the working hours and holidays (complaints.WorkingHours, complaints.CalendarHoliday)."
    )


def add_working_time(start: datetime, delta: timedelta) -> datetime:
    """`start` plus `delta` of working time, in the local time of settings.TIME_ZONE.

    Only time inside working periods counts; holidays are skipped and make-up working days
    worked. A start outside working hours begins counting at the next working period. A
    deadline that uses up a period exactly ends at that period's end (e.g. 12:00, not 13:30).
    `delta` of zero returns `start` if it is inside working hours (a period is [start, end):
    12:00 is outside 09:00–12:00), else the start of the next working period. Time inside a
    period is elapsed time (a period across a DST change counts its real length). Without any
    working hours, returns `start + delta` (calendar time).

    `start` must be aware; the result is aware, in `start`'s time zone. Two queries: all working
    hours, and the holidays of a window of at least a month (about twice the days the delta
    needs in a normal week); one more query per further window, should holidays outrun it.
    """
    if timezone.is_naive(start):
        raise ValueError("add_working_time() needs an aware datetime.")
    if delta < timedelta(0):
        raise ValueError("add_working_time() counts forward only; delta must not be negative.")
    week = _week()
    if not week:
        return start + delta  # switched on but empty: calendar time rather than no deadline
    tz = timezone.get_default_timezone()
    cursor = start.astimezone(UTC)
    remaining = delta
    for period_start, period_end in _working_periods(start.astimezone(tz).date(), delta, week, tz):
        if period_end <= cursor:
            continue
        begin = max(period_start, cursor)
        available = period_end - begin
        if remaining <= available:
            return (begin + remaining).astimezone(start.tzinfo)
        remaining -= available
        cursor = period_end
    raise AssertionError("unreachable: _working_periods() raises when it runs out of days")  # pragma: no cover

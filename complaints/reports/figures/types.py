"""The shape of what `monthly_figures` returns: a plain dict at run time (the templates,
exports and tests read it as figures["headline"]), declared here for readers and type
checkers. Labels are translatable (lazy) strings; "pct" figures are None when there is
nothing to measure, "hours" figures when there is no duration, "rating" figures (an average
1–5 rating) when no call-back was rated."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeAlias, TypedDict

from django.utils.functional import Promise

Label: TypeAlias = "str | Promise"  # a translatable (usually lazy) string
Counts = dict[str, Any]
"""A row of figures: the keys of labels.BREAKDOWN_COLUMNS (a breakdown row or total) or of
labels.HEADLINE (the headline of a month), with "key" and "label" on a breakdown row and
"user_id" (None: the complaints not claimed yet) and "label" on an agent's."""


class Period(TypedDict):
    start: datetime  # local midnight of the month's first day
    end: datetime  # local midnight of the next month's first day (excluded)


class Filters(TypedDict):
    """What the figures cover, named for the files' title (None: not narrowed)."""

    office: str | None
    department: str | None
    channel: str | None
    tier: str | None


class HeadlineRow(TypedDict):
    key: str
    label: Label
    kind: str  # "count", "pct", "hours" or "rating"
    current: int | float | None
    previous: int | float | None


class ChannelColumn(TypedDict):
    code: str
    label: Label


class CategoryRow(TypedDict):
    category_id: int
    label: Label
    name: str
    counts: dict[str, int]  # channel code -> complaints received
    total: int


class CategoryChannelTable(TypedDict):
    channels: list[ChannelColumn]
    rows: list[CategoryRow]
    totals: dict[str, int]  # channel code -> complaints received
    total: int


class TopCategory(TypedDict):
    category_id: int
    label: Label
    received: int


class ChannelCount(TypedDict):
    code: str
    label: Label
    received: int


class Breakdown(TypedDict):
    rows: list[Counts]
    total: Counts


class LevelCount(TypedDict):
    level: int
    label: Label
    count: int


class CauseCount(TypedDict):
    cause: str | None  # None: no cause recorded
    label: Label
    count: int


class LevelCauseCount(TypedDict):
    level: int
    level_label: Label
    cause: str | None
    cause_label: Label
    count: int


class Escalations(TypedDict):
    total: int
    by_level: list[LevelCount]
    by_cause: list[CauseCount]
    by_level_cause: list[LevelCauseCount]


class Callbacks(TypedDict):
    total: int
    satisfied: int
    satisfaction_pct: float | None


class RatingCount(TypedDict):
    rating: int  # 1 … 5, 5 is best
    count: int  # call-backs of the month rated so
    previous: int  # … of the month before


class Ratings(TypedDict):
    """The call-backs of the month: answered online by the complainant (event data "via") or
    recorded by staff, and the complainants' 1–5 ratings (from either)."""

    online: int
    by_staff: int
    rated: int
    average: float | None  # one decimal; None when none was rated
    distribution: list[RatingCount]  # 1 … 5


class Repeat(TypedDict):
    complainants: int
    complaints: int


class TrendMonth(TypedDict):
    month: date
    label: Label
    received: int
    closed: int
    replied_in_time: int
    reply_measured: int
    reply_compliance_pct: float | None


class ComplaintRow(TypedDict):
    id: int
    reference: str
    received_at: datetime  # local time
    channel: str
    channel_label: Label
    category: Label
    office: str
    department: Label
    status: str
    status_label: Label
    close_reason: str
    close_reason_label: Label
    level: int


class MonthlyFigures(TypedDict):
    """Every figure of the monthly summary of one month (see monthly_figures)."""

    month: date  # its first day
    month_label: str  # "2026-10"
    previous_month: date
    previous_month_label: str
    period: Period
    generated_at: datetime
    filters: Filters
    current: Counts  # the headline figures of the month, by HEADLINE key
    previous: Counts  # … and of the month before
    headline: list[HeadlineRow]
    by_category_channel: CategoryChannelTable
    top_categories: list[TopCategory]
    by_channel: list[ChannelCount]
    by_office: Breakdown
    by_department: Breakdown
    by_tier: Breakdown
    by_level: Breakdown
    escalations: Escalations
    callbacks: Callbacks
    ratings: Ratings
    repeat: Repeat
    agents: list[Counts]
    trend: list[TrendMonth]
    complaints: list[ComplaintRow] | None  # None with include_complaints=False

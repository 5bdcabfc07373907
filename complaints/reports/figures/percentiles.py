"""Median and 90th percentile of the time to first reply and to close. On PostgreSQL the
ordered-set aggregate percentile_cont runs inside the headline query; elsewhere the database
numbers each period's durations in order (ROW_NUMBER) and only the rows either side of each
percentile are fetched, interpolated as percentile_cont does."""

from __future__ import annotations

import math
from datetime import timedelta

from django.db.models import Aggregate, DurationField, ExpressionWrapper, F, FloatField, Func, Window
from django.db.models.functions import RowNumber

from .counts import CURRENT, PREVIOUS

PERCENTILES = (0.5, 0.9)
SUFFIXES = ("median", "p90")  # the headline keys' suffixes, one per PERCENTILES


class EpochSeconds(Func):
    """PostgreSQL: the seconds of an interval."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    output_field = FloatField()


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate percentile_cont(fraction) WITHIN GROUP (ORDER BY x)."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "percentile_cont(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=f"{float(fraction):.4f}", **extra)


def duration_since_received(field: str):
    return ExpressionWrapper(F(field) - F("received_at"), output_field=DurationField())


def hours(value) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return round(seconds / 3600, 2)


def _percentile_positions(n: int, fraction: float) -> tuple[int, int, float]:
    """1-based row numbers either side of percentile_cont's position, and the weight."""
    h = fraction * (n - 1)
    return math.floor(h) + 1, math.ceil(h) + 1, h - math.floor(h)


def _interpolate(values: dict[int, float], n: int, fraction: float) -> float | None:
    if n <= 0:
        return None
    lo, hi, weight = _percentile_positions(n, fraction)
    if lo not in values or hi not in values:
        return None
    return values[lo] + weight * (values[hi] - values[lo])


def percentiles_by_sorting(qs, *, field, period, prefix, headline, count_key) -> None:
    """Percentiles without percentile_cont: the database numbers each period's durations in
    order (ROW_NUMBER) and returns only the rows either side of each percentile."""
    n_by_period = {p: headline[p].get(count_key, 0) for p in (CURRENT, PREVIOUS)}
    positions = {1}  # never an empty IN (): the query runs whatever the numbers
    for n in n_by_period.values():
        for fraction in PERCENTILES:
            if n:
                lo, hi, _weight = _percentile_positions(n, fraction)
                positions.update((lo, hi))
    rows = (
        qs.annotate(period=period, d=duration_since_received(field))
        .annotate(rn=Window(RowNumber(), partition_by=[F("period")], order_by=[F("d").asc(), F("id").asc()]))
        .filter(rn__in=sorted(positions))
        .values_list("period", "rn", "d")
    )
    values: dict[int, dict[int, float]] = {CURRENT: {}, PREVIOUS: {}}
    for p, rn, d in rows:
        values[p][rn] = d.total_seconds() if isinstance(d, timedelta) else float(d) / 1e6
    for p, n in n_by_period.items():
        for fraction, suffix in zip(PERCENTILES, SUFFIXES, strict=True):
            headline[p][f"{prefix}_hours_{suffix}"] = hours(_interpolate(values[p], n, fraction))

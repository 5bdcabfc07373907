"""A month's part (figures.parts) added up from its days, for the kept summary on PostgreSQL
(complaints.reports.summary).

A month's part is computed again whenever anything in the month changes, and every intake
changes the current month: at a million complaints that was ten queries and ~0.3 s for a
whole month (41,000 complaints, 19,000 counted events), so on the last days of a month its
dashboard took that long after any write. Most of a part is sums — the counts of the headline,
of every breakdown and of the agents over the month's complaints, and the groups of counted
events — and sums add up by day. A *day piece* holds them for the complaints received and the
events made on one local day; the triggers log changes by day (migration 0026), so a piece is
kept under its day's version and only the days changed since are computed again: one query
with GROUPING SETS over the complaints and one over the events, whatever the number of days.
What does not add up by day — the percentiles and the repeat complainants — is computed over
the whole month each time (two queries), and the names of agents with call-backs only (one).

A piece is JSON: "headline" (the counts, "reply_given", "closed_in_month",
"duplicates_merged"), "measured" (parts.measured_window), the rows of each breakdown
("categories", "offices", "departments", "tiers", "levels", "agents"), each a list of the
values of its BREAKDOWNS fields (~10 KB a day at a million complaints), and "events" (the
day's counted events folded by queries.fold_events). `compose` adds pieces up into the part that
`compute_parts(..., with_previous=False)` gives, which tests/reports/test_summary_store.py
checks figure by figure against `monthly_figures` computed from scratch."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    Field,
    ForeignKey,
    IntegerField,
    Max,
    Min,
    Model,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from helpdesk.dates import month_bounds

from ...choices import CloseReason
from .counts import count_aggregates, empty_callbacks, empty_counts, unreplied_due_aggregates
from .parts import (
    PERCENTILE_KEYS,
    MonthPart,
    agent_names,
    intersect,
    measured_window,
    percentile_aggregates,
    repeat_complainants,
)
from .percentiles import hours
from .queries import event_rows, fold_events

DayPiece = dict[str, Any]

# The counts summed: those of every breakdown, and two more of the headline
COUNT_KEYS = [key for key in empty_counts() if key not in ("still_open", "reply_compliance_pct")]
HEADLINE_KEYS = [*COUNT_KEYS, "reply_given", "closed_in_month"]
# The rows of each breakdown as the part has them: key in the part -> (the fields grouped,
# the names looked up for them, the counts); in a piece each row is a list of those values.
# The grouping sets of the day query are the fields grouped, besides the day and the merged
# duplicates (the first field tells a set's rows apart, with GROUPING()).
BREAKDOWNS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "categories": (["category_id", "channel"], ["category__name"], ["n"]),
    "offices": (["office_id"], ["office__name"], COUNT_KEYS),
    "departments": (["department_id"], ["department__name"], COUNT_KEYS),
    "tiers": (["customer__tier"], [], COUNT_KEYS),
    "levels": (["escalation_level"], [], COUNT_KEYS),
    "agents": (
        ["received_by_id"],
        ["received_by__username", "received_by__first_name", "received_by__last_name"],
        COUNT_KEYS,
    ),
}
GROUPED = list(dict.fromkeys(field for grouped, _named, _counts in BREAKDOWNS.values() for field in grouped))
# the names looked up for the grouped ids (a relation's field, as "relation__field")
NAMED = [name for _grouped, named, _counts in BREAKDOWNS.values() for name in named]


def _name_joins() -> dict[str, tuple[str, str, str, str]]:
    """For each name of NAMED: the complaint's foreign key column, and the related table, its
    key and the name's column."""
    from ...models import Complaint

    joins = {}
    for name in NAMED:
        relation, field = name.split("__")
        foreign_key = Complaint._meta.get_field(relation)
        model = foreign_key.related_model
        assert isinstance(foreign_key, ForeignKey) and isinstance(model, type) and issubclass(model, Model), name
        column = model._meta.get_field(field)
        assert isinstance(column, Field) and column.column is not None, name
        joins[name] = (foreign_key.column, model._meta.db_table, model._meta.pk.column, column.column)
    return joins


def day_bounds(day: date, tz) -> tuple[datetime, datetime]:
    """The local day `day` in `tz` as [start, end)."""
    start = timezone.make_aware(datetime.combine(day, time()), tz)
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time()), tz)


def month_days(month: date) -> list[date]:
    """Every day of `month`."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def empty_piece() -> DayPiece:
    return {
        "headline": {**dict.fromkeys(HEADLINE_KEYS, 0), "duplicates_merged": 0},
        "measured": [None, None],
        **{key: [] for key in BREAKDOWNS},
        "events": fold_events([]),
    }


def _per_row(aggregate: Aggregate):
    """What `aggregate` (a Count of ids, a Max or Min of a field, with or without a filter)
    aggregates, row by row: 1 or 0 for a count, the field or NULL for a Max or Min — so that
    the day query sums them in each grouping set."""
    condition = aggregate.filter
    if isinstance(aggregate, Count):
        if condition is None:
            return Value(1)
        return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())
    assert isinstance(aggregate, Max | Min) and condition is not None, aggregate
    return Case(When(condition, then=aggregate.get_source_expressions()[0]))


def _day_query(complaints: QuerySet) -> tuple[str, tuple]:
    """The SQL of the day query around `complaints` (one row per complaint: the day, merged or
    not, every grouped field and what each count counts, per row): GROUPING SETS summing them,
    and the names joined to the few rows left."""
    inner, params = complaints.query.sql_with_params()
    name = connection.ops.quote_name
    markers = [grouped[0] for grouped, _named, _counts in BREAKDOWNS.values()]
    sets = ", ".join(
        "(" + ", ".join(name(f) for f in ["day", "merged", *grouped]) + ")"
        for grouped in ([], *(grouped for grouped, _named, _counts in BREAKDOWNS.values()))
    )
    summed = (
        f"SELECT GROUPING({', '.join(name(f) for f in markers)}) AS grouping_set, "
        + ", ".join(name(f) for f in ["day", "merged", *GROUPED])
        + ", "
        + ", ".join(f"SUM({name(k)})::bigint AS {name(k)}" for k in HEADLINE_KEYS)
        + f", MAX({name('due_before')}) AS due_before, MIN({name('due_from')}) AS due_from "
        f"FROM ({inner}) AS day_complaints GROUP BY GROUPING SETS ({sets})"
    )
    name_joins = _name_joins()
    tables = sorted({(fk, table, pk) for fk, table, pk, _column in name_joins.values()})
    alias = {key: f"n{i}" for i, key in enumerate(tables)}
    joins = " ".join(
        f"LEFT JOIN {name(t)} {alias[(fk, t, pk)]} ON {alias[(fk, t, pk)]}.{name(pk)} = s.{name(fk)}"
        for fk, t, pk in tables
    )
    names = ", ".join(f"{alias[(fk, t, pk)]}.{name(column)}" for fk, t, pk, column in name_joins.values())
    return f"SELECT s.*, {names} FROM ({summed}) AS s {joins}", params


def compute_days(scoped: QuerySet, *, days: list[date], month: date, now: datetime, tz) -> dict[date, DayPiece]:
    """The pieces of `days` (local days of `month` in `tz`, in order) from the complaints of
    `scoped`: two queries, each over the time from the first day to the last, kept to those
    days."""
    start, end = month_bounds(month)
    lo, _ = day_bounds(days[0], tz)
    _, hi = day_bounds(days[-1], tz)
    pieces = {day: empty_piece() for day in days}

    # 1. the complaints
    merged = Case(When(close_reason=CloseReason.MERGED, then=Value(1)), default=Value(0), output_field=IntegerField())
    aggregates = {
        **count_aggregates(closed_q=Q(closed_at__lt=end), now=now),
        "reply_given": Count("id", filter=Q(first_replied_at__isnull=False)),
        "closed_in_month": Count("id", filter=Q(closed_at__gte=start, closed_at__lt=end)),
        **unreplied_due_aggregates(now),
    }
    complaints = (
        scoped.filter(received_at__gte=lo, received_at__lt=hi)
        .alias(local_day=TruncDate("received_at", tzinfo=tz))
        .filter(local_day__in=days)
        .order_by()
        .values(
            *GROUPED,
            day=TruncDate("received_at", tzinfo=tz),
            merged=merged,
            **{key: _per_row(aggregate) for key, aggregate in aggregates.items()},
        )
    )
    sql, params = _day_query(complaints)
    markers = [grouped[0] for grouped, _named, _counts in BREAKDOWNS.values()]
    full = (1 << len(markers)) - 1
    set_of = {full - (1 << (len(markers) - 1 - i)): key for i, key in enumerate(BREAKDOWNS)}
    columns = ["grouping", "day", "merged", *GROUPED, *HEADLINE_KEYS, "due_before", "due_from", *NAMED]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for values in cursor.fetchall():
            row = dict(zip(columns, values, strict=True))
            piece = pieces[row["day"]]
            if row["grouping"] == full:  # the day's own counts
                if row["merged"]:
                    piece["headline"]["duplicates_merged"] = row["received"]
                else:
                    piece["headline"].update({k: row[k] for k in HEADLINE_KEYS})
                    piece["measured"] = measured_window(row["due_before"], row["due_from"])
            elif not row["merged"]:  # a merged duplicate counts as the complaint it was merged into
                key = set_of[row["grouping"]]
                grouped, named, counts = BREAKDOWNS[key]
                row["n"] = row["received"]
                piece[key].append([row[f] for f in (*grouped, *named, *counts)])

    # 2. the counted events of those days
    base = scoped.exclude(close_reason=CloseReason.MERGED)
    rows: dict[date, list[dict]] = {day: [] for day in days}
    for row in event_rows(base, prev_start=lo, start=lo, end=hi, day_tz=tz, days=days):
        rows[row.pop("day")].append(row)
    for day, day_rows in rows.items():
        pieces[day]["events"] = fold_events(day_rows)
    return pieces


def month_wide(current: QuerySet, *, end: datetime) -> dict:
    """What does not add up by day, over the month's complaints `current` (merged duplicates
    left out) that end at `end`: the percentiles (parts.PERCENTILE_KEYS, in hours) and the
    repeat complainants. Two queries."""
    figures = current.aggregate(**percentile_aggregates(closed_q=Q(closed_at__lt=end)))
    # every complaint of `current` is of the month: the "previous" counts are 0
    repeat = repeat_complainants(current, in_current=Q(received_at__lt=end), in_previous=Q(received_at__gte=end))
    return {
        **{key: hours(figures.get(key)) for key in PERCENTILE_KEYS},
        "repeat_complainants": repeat["cur_people"],
        "repeat_complaints": repeat["cur_complaints"],
    }


def add_events(total: dict, events: dict) -> None:
    """Add one period's folded events (queries.fold_events) to `total`, in the same form."""
    total["special_incidents"] += events["special_incidents"]
    escalations = {(level, cause): n for level, cause, n in total["escalations"]}
    for level, cause, n in events["escalations"]:
        escalations[(level, cause)] = escalations.get((level, cause), 0) + n
    total["escalations"] = [[level, cause, n] for (level, cause), n in escalations.items()]
    for key, n in events["callbacks"].items():
        total["callbacks"][key] += n
    agents = dict((agent, counts) for agent, counts in total["agent_callbacks"])
    for agent, counts in events["agent_callbacks"]:
        entry = agents.setdefault(agent, empty_callbacks())
        for key, n in counts.items():
            entry[key] += n
    total["agent_callbacks"] = [[agent, counts] for agent, counts in agents.items()]


def compose(pieces: Iterable[DayPiece], *, wide: dict) -> MonthPart:
    """The part of a month from the pieces of all its days and its month_wide figures, with
    the names of the agents with call-backs only (one query)."""
    headline = {**dict.fromkeys(HEADLINE_KEYS, 0), "duplicates_merged": 0}
    windows = []
    sums: dict[str, dict[tuple, list]] = {key: {} for key in BREAKDOWNS}
    events = fold_events([])
    for piece in pieces:
        for key in headline:
            headline[key] += piece["headline"][key]
        windows.append(piece["measured"])
        for key, rows in sums.items():
            grouped, named, counts = BREAKDOWNS[key]
            keys = len(grouped) + len(named)
            for row in piece[key]:
                ident = tuple(row[:keys])
                if ident in rows:
                    total = rows[ident]
                    for i in range(keys, keys + len(counts)):
                        total[i] += row[i]
                else:
                    rows[ident] = list(row)
        add_events(events, piece["events"])
    part: MonthPart = {"headline": {**headline, **wide}, "events": events, "measured": intersect(*windows)}
    for key, rows in sums.items():
        grouped, named, counts = BREAKDOWNS[key]
        part[key] = [dict(zip((*grouped, *named, *counts), row, strict=True)) for row in rows.values()]
    part["agent_names"] = agent_names(part["agents"], events)
    return part

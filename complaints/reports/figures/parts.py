"""A month's own figures as plain data — a *part*: what the database returned for the
complaints received in that month and the events made in it, before any label is put on it.

`monthly_figures` computes the part of the month and the headline part of the month before
in one pass (each query groups by the two periods); the stored summary
(complaints.reports.summary) adds up the part of one month from its days with the same
aggregates (figures.days) and keeps it. Either way `assemble` (figures.assemble) turns parts
into the figures, so both say the same by construction. Every figure of a month depends only
on its own part: the previous month's column of the headline is that month's own headline,
and each line of the trend is its month's own received, closed-in-the-month and reply
counts.

A part is JSON (numbers, texts, ids, lists, dicts with text keys):
- "headline": the month's counts (labels.HEADLINE's count keys that come from the
  complaints, the percentiles in hours, "reply_given", "duplicates_merged", the repeat
  complainants, "closed_in_month" for the trend);
- "events": the month's escalation, call-back and special-incident events added up
  (queries.fold_events);
- only in a full part: "categories", "offices", "departments", "tiers", "levels", "agents"
  (the GROUP BY rows of the month's complaints) and "agent_names" (the agents with call-backs
  but no complaint received in the month);
- "measured": the `now` for which the reply counts hold (see `measured_window`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Case, CharField, Count, F, IntegerField, Q, QuerySet, Sum, Value, When

from helpdesk.dates import add_months, month_bounds

from ...choices import CloseReason
from .counts import CURRENT, PREVIOUS, count_aggregates, empty_counts, unreplied_due_aggregates
from .percentiles import (
    PERCENTILES,
    SUFFIXES,
    EpochSeconds,
    PercentileCont,
    duration_since_received,
    hours,
    percentiles_by_sorting,
)
from .queries import event_rows, fold_events

MonthPart = dict[str, Any]
PERCENTILE_KEYS = ("reply_hours_median", "reply_hours_p90", "close_hours_median", "close_hours_p90")
# The breakdowns of a full part: (key in the part, the GROUP BY fields)
BREAKDOWN_FIELDS = {
    "offices": ["office_id", "office__name"],
    "departments": ["department_id", "department__name"],
    "tiers": ["customer__tier"],
    "levels": ["escalation_level"],
}
AGENT_FIELDS = ["received_by_id", "received_by__username", "received_by__first_name", "received_by__last_name"]


def measured_window(due_before: datetime | None, due_from: datetime | None) -> list[str | None]:
    """[after, until]: the reply counts computed at `now` (reply_due_at < now) are the same for
    every moment t with after < t <= until — no unreplied complaint's reply time falls in
    between. None: unbounded on that side. ISO texts, for JSON."""
    return [
        due_before.isoformat() if due_before is not None else None,
        due_from.isoformat() if due_from is not None else None,
    ]


def holds_at(window, now: datetime) -> bool:
    """Whether figures measured within `window` (measured_window, or several intersected) are
    the ones `now` would give."""
    after, until = window
    return (after is None or datetime.fromisoformat(after) < now) and (
        until is None or now <= datetime.fromisoformat(until)
    )


def intersect(*windows) -> list[str | None]:
    """The moments every window holds for (their afters' latest, their untils' earliest)."""
    afters = [datetime.fromisoformat(w[0]) for w in windows if w[0] is not None]
    untils = [datetime.fromisoformat(w[1]) for w in windows if w[1] is not None]
    return measured_window(max(afters) if afters else None, min(untils) if untils else None)


def compute_parts(scoped: QuerySet, *, month: date, now: datetime, with_previous: bool) -> dict[int, MonthPart]:
    """The full part of `month` (CURRENT) and, `with_previous`, the headline part of the month
    before (PREVIOUS: "headline", "events", "measured"), from the complaints of `scoped`.
    Ten queries on PostgreSQL (twelve elsewhere: the percentiles), whatever the number of
    complaints: the headline, the repeat complainants, the events, the category × channel
    table, four breakdowns, the agents and the names of agents with call-backs only."""
    start, end = month_bounds(month)
    prev_start, _prev_end = month_bounds(add_months(month, -1)) if with_previous else (start, end)
    is_merged = Q(close_reason=CloseReason.MERGED)
    base = scoped.exclude(is_merged)  # a merged duplicate counts as the complaint it was merged into
    current = base.filter(received_at__gte=start, received_at__lt=end)
    both = base.filter(received_at__gte=prev_start, received_at__lt=end)
    in_current = Q(received_at__gte=start)
    in_previous = Q(received_at__lt=start)
    # closed by the end of the month it was received in (closed_at >= received_at)
    closed_both = (in_current & Q(closed_at__lt=end)) | (in_previous & Q(closed_at__lt=start))
    # closed within the month it was received in: the trend's "closed"
    closed_in_month = (in_current & Q(closed_at__gte=start, closed_at__lt=end)) | (
        in_previous & Q(closed_at__gte=prev_start, closed_at__lt=start)
    )
    period = Case(When(in_current, then=Value(CURRENT)), default=Value(PREVIOUS), output_field=IntegerField())
    postgres = connection.vendor == "postgresql"
    periods = (CURRENT, PREVIOUS) if with_previous else (CURRENT,)

    # 1. headline counts of each period (+ percentiles on PostgreSQL)
    aggregates = {
        **count_aggregates(closed_q=closed_both, now=now),
        "reply_given": Count("id", filter=Q(first_replied_at__isnull=False)),
        "closed_in_month": Count("id", filter=closed_in_month),
        **unreplied_due_aggregates(now),
    }
    if postgres:
        aggregates.update(percentile_aggregates(closed_q=closed_both))
    # the merged duplicates in a group of their own (merged=1), counted but kept out of every figure
    merged = Case(When(is_merged, then=Value(1)), default=Value(0), output_field=IntegerField())
    headline: dict[int, dict] = {p: {**empty_counts(), "reply_given": 0, "closed_in_month": 0} for p in periods}
    windows: dict[int, list] = {p: [None, None] for p in periods}
    duplicates_merged = dict.fromkeys(periods, 0)
    rows = scoped.filter(received_at__gte=prev_start, received_at__lt=end).values(period=period, merged=merged)
    for row in rows.annotate(**aggregates):
        p = row.pop("period")
        due_before, due_from = row.pop("due_before"), row.pop("due_from")
        if row.pop("merged"):
            duplicates_merged[p] = row["received"]
        else:
            headline[p] = row
            windows[p] = measured_window(due_before, due_from)
    for p in periods:
        headline[p]["duplicates_merged"] = duplicates_merged[p]
        for key in PERCENTILE_KEYS:
            headline[p][key] = hours(headline[p].get(key))

    # 2-3. percentiles elsewhere: the durations sorted by the database, only the rows either
    # side of each percentile fetched (a window query per duration)
    if not postgres:
        for prefix, field, condition, count_key in (
            ("reply", "first_replied_at", Q(first_replied_at__isnull=False), "reply_given"),
            ("close", "closed_at", closed_both, "closed"),
        ):
            percentiles_by_sorting(
                both.filter(condition),
                field=field,
                period=period,
                prefix=prefix,
                headline={**{p: {} for p in (CURRENT, PREVIOUS)}, **headline},
                count_key=count_key,
            )

    # 4. repeat complainants (a GROUP BY complainant … HAVING, counted in an outer query)
    repeat = repeat_complainants(both, in_current=in_current, in_previous=in_previous)
    headline[CURRENT].update(repeat_complainants=repeat["cur_people"], repeat_complaints=repeat["cur_complaints"])
    if with_previous:
        headline[PREVIOUS].update(
            repeat_complainants=repeat["prev_people"], repeat_complaints=repeat["prev_complaints"]
        )

    # 5. escalations, call-backs and special incidents from the event log, by period
    event_groups: dict[int, list[dict]] = {p: [] for p in periods}
    for row in event_rows(base, prev_start=prev_start, start=start, end=end):
        event_groups[row.pop("period")].append(row)
    events = {p: fold_events(event_groups[p]) for p in periods}

    parts: dict[int, MonthPart] = {
        p: {"headline": headline[p], "events": events[p], "measured": windows[p]} for p in periods
    }
    parts[CURRENT].update(_complaint_rows(current, end=end, now=now, events=events[CURRENT]))
    return parts


def _complaint_rows(current: QuerySet, *, end: datetime, now: datetime, events: dict) -> MonthPart:
    """The GROUP BYs over the month's complaints (6. category × channel, 7-10. the breakdowns,
    11. the agents) and 12. the names of the agents with call-backs this month but no complaint
    received in it (always run, so that the number of queries does not depend on the data)."""
    counts = count_aggregates(closed_q=Q(closed_at__lt=end), now=now)
    out: MonthPart = {
        "categories": list(current.values("category_id", "category__name", "channel").annotate(n=Count("id")))
    }
    for key, fields in BREAKDOWN_FIELDS.items():
        out[key] = list(current.values(*fields).annotate(**counts))
    out["agents"] = list(current.values(*AGENT_FIELDS).annotate(**counts))
    out["agent_names"] = agent_names(out["agents"], events)
    return out


def percentile_aggregates(*, closed_q: Q) -> dict:
    """The median and 90th percentile of the hours to the first reply and to the closing
    (closed_q: the closings counted), as PostgreSQL's percentile_cont (parts' PERCENTILE_KEYS,
    in seconds: `hours` turns them into hours)."""
    aggregates = {}
    for prefix, field, condition in (
        ("reply", "first_replied_at", Q(first_replied_at__isnull=False)),
        ("close", "closed_at", closed_q),
    ):
        seconds = EpochSeconds(duration_since_received(field))
        for fraction, suffix in zip(PERCENTILES, SUFFIXES, strict=True):
            aggregates[f"{prefix}_hours_{suffix}"] = PercentileCont(seconds, fraction, filter=condition)
    return aggregates


def repeat_complainants(complaints: QuerySet, *, in_current: Q, in_previous: Q) -> dict:
    """The complainants (a customer, or else a phone number; anonymous complaints left out)
    with two complaints or more in each period, and those complaints: one GROUP BY
    complainant, counted in an outer query. Keys cur_people, cur_complaints, prev_people,
    prev_complaints."""
    # the complainant: (customer, NULL), or (NULL, phone) — two columns, no text built per row
    phone = Case(When(customer_id__isnull=True, then=F("contact_phone")), output_field=CharField())
    return (
        complaints.filter(is_anonymous=False)
        .filter(Q(customer_id__isnull=False) | ~Q(contact_phone=""))
        .values("customer_id", phone=phone)
        .annotate(n_cur=Count("id", filter=in_current), n_prev=Count("id", filter=in_previous))
        .aggregate(
            cur_people=Count("n_cur", filter=Q(n_cur__gte=2)),
            cur_complaints=Sum("n_cur", filter=Q(n_cur__gte=2), default=0),
            prev_people=Count("n_prev", filter=Q(n_prev__gte=2)),
            prev_complaints=Sum("n_prev", filter=Q(n_prev__gte=2), default=0),
        )
    )


def agent_names(agents: list[dict], events: dict) -> list[list]:
    """The names of the agents with call-backs in a month's `events` (fold_events) but no
    complaint received in it (`agents`: the part's rows per receiver): one query, always run,
    so that the number of queries does not depend on the data."""
    received = {row["received_by_id"] for row in agents}
    with_callbacks = {agent for agent, _counts in events["agent_callbacks"] if agent is not None}
    missing = sorted(with_callbacks - received) or [0]
    return [
        list(row)
        for row in get_user_model()
        .objects.filter(pk__in=missing)
        .order_by("pk")
        .values_list("pk", "username", "first_name", "last_name")
    ]

"""The monthly complaint summary (R-C11, 顧客投訴分類記錄表): every figure of a month, computed
by the database (GROUP BY and conditional aggregates) in a fixed number of queries, whatever
the number of complaints. The dashboard, the XLSX and the CSV only present what
`monthly_figures` returns.

Definitions (all in settings.TIME_ZONE local time):
- The complaints of a month are those received from local midnight of its first day to local
  midnight of the next month's first day.
- *Closed* means closed by the end of that month (for the current month: so far); *still
  open* is the rest, so received = closed + still open, and the figure does not change when
  the report is produced later.
- Reply-deadline compliance (R-C5) is the share replied by the agreed reply time among the
  month's complaints that were replied to, or whose reply time has passed by `now`.
- Escalations, call-backs and special incidents are counted from the event log, by the time
  of the event: an escalation is any event whose level rises (to_level > from_level), its
  cause in data["escalation_cause"]; a special incident (R-C6.2) is a
  `special_incident_flagged` event; a call-back is a `callback_recorded` event, data["satisfied"];
  it was answered online by the complainant when data["via"] is present (by staff
  otherwise), and rated when data["rating"] is 1–5 (the average is that of the rated ones,
  to one decimal).
- Per agent: the complaints they received (`received_by`) and the call-backs of those
  complaints; complaints nobody has claimed yet (online, `received_by` NULL) are one row,
  "Not claimed yet".
- A repeat complainant has two or more complaints in the month: the same linked customer or,
  for complaints not linked to a customer, the same phone number (anonymous ones left out).
- Merged duplicates (issue 14): a pair counts once, as the complaint the duplicate was merged
  into. A complaint closed as `merged` is left out of every figure — received, closed, the
  breakdowns, the agents, the trend, repeat complainants, the list — and so are its events
  (its escalations and call-backs stay on its own timeline, but count for nothing here). The
  headline says how many of the month's complaints were merged ("duplicates_merged"). A merge
  corrects the record: merging (or un-merging) a complaint of a past month changes that month's
  figures, as the duplicate was never a complaint of its own.

The package: `types` (MonthlyFigures, the declared result), `labels` (the figures' names and
order), `counts` (the shared conditional aggregates and the breakdowns), `percentiles`,
`queries` (event log, trend, the list of complaints); months and their local bounds are
helpdesk.dates.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Case, CharField, Count, F, IntegerField, Max, Q, Sum, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import sees_every_office
from accounts.models import Office
from customers.models import Tier

# add_months, month_bounds, month_label and previous_month (= last_complete_month) are
# re-exported under their old names: the tests and the benchmark import them from here.
from helpdesk.dates import add_months, local_today, month_bounds, month_label, month_start, parse_month_text
from helpdesk.dates import last_complete_month as previous_month

from ...choices import Channel, CloseReason
from ...models import Complaint, Department
from ...selectors import complaints_visible_to
from .counts import (
    CURRENT,
    PREVIOUS,
    RATINGS,
    breakdown,
    callback_figures,
    count_aggregates,
    empty_callbacks,
    empty_counts,
    finish_counts,
)
from .labels import (
    AGENT_COLUMNS,
    BREAKDOWN_COLUMNS,
    HEADLINE,
    UNCLAIMED,
    agent_label,
    catalogue_name,
    cause_label,
    channel_label,
    level_label,
    person_label,
    tier_label,
)
from .percentiles import (
    PERCENTILES,
    SUFFIXES,
    EpochSeconds,
    PercentileCont,
    duration_since_received,
    hours,
    percentiles_by_sorting,
)
from .queries import complaint_list, event_figures, trend_of
from .types import CategoryRow, Filters, MonthlyFigures

__all__ = [
    "AGENT_COLUMNS",
    "BREAKDOWN_COLUMNS",
    "HEADLINE",
    "MonthlyFigures",
    "add_months",
    "latest_month_with_data",
    "month_bounds",
    "month_label",
    "monthly_figures",
    "parse_month",
    "parse_report_month",
    "previous_month",
]

TOP_CATEGORIES = 5
FIRST_MONTH = date(2000, 1, 1)
REPORT_WORK_MEM = "32MB"  # PostgreSQL work_mem for the summary's queries (the default 4MB spills to disk)


def parse_report_month(text: str) -> date:
    """A month of the summary: "2026-10" -> date(2026, 10, 1), from FIRST_MONTH on; ValueError
    with a message for the user otherwise."""
    return parse_month_text(text, earliest=FIRST_MONTH)


parse_month = parse_report_month  # the old name, which the tests and the benchmark import


# ----------------------------------------------------------------- scoping
def _base_queryset(*, user, office, department, channel, tier):
    qs = complaints_visible_to(user) if user is not None else Complaint.objects.all()
    if office is not None:
        qs = qs.filter(office_id=getattr(office, "pk", office))
    if department is not None:
        qs = qs.filter(department_id=getattr(department, "pk", department))
    if channel:
        if channel not in Channel.values:
            raise ValueError(f"Unknown channel {channel!r}")
        qs = qs.filter(channel=channel)
    if tier:
        if tier not in Tier.values:
            raise ValueError(f"Unknown tier {tier!r}")
        qs = qs.filter(customer__tier=tier)
    return qs.order_by()


def latest_month_with_data(
    *, user=None, office=None, department=None, channel=None, tier=None, now: datetime | None = None
) -> date:
    """The month of the newest complaint the summary would count for these filters and this
    user, so that the dashboard opens on figures rather than on an empty month (a quiet office,
    a demo database); this month when there is none. One aggregate query (the newest
    received_at, read from the received_at indexes)."""
    this_month = month_start(local_today(now))
    newest = (
        _base_queryset(user=user, office=office, department=department, channel=channel, tier=tier)
        .exclude(close_reason=CloseReason.MERGED)
        .aggregate(newest=Max("received_at"))["newest"]
    )
    if newest is None:
        return this_month
    return max(FIRST_MONTH, min(month_start(local_today(newest)), this_month))


def _filters_description(*, office, department, channel, tier, user=None) -> Filters:
    """What the figures cover, for the title of the files and the page. A user who may not
    see every office gets the figures of their own office."""
    if office is None and user is not None and user.office_id and not sees_every_office(user):
        office = user.office_id

    def name(obj, model):
        if obj is None:
            return None
        if not isinstance(obj, model):
            obj = model.objects.filter(pk=obj).first()
        return str(obj) if obj is not None else None

    return {
        "office": name(office, Office),
        "department": name(department, Department),
        "channel": channel_label(channel) if channel else None,
        "tier": tier_label(tier) if tier else None,
    }


# -------------------------------------------------------------- the figures
def monthly_figures(
    *,
    month: date,
    office=None,
    department=None,
    channel=None,
    tier=None,
    user=None,
    now: datetime | None = None,
    include_complaints: bool = True,
) -> MonthlyFigures:
    """Every figure of the monthly summary of `month` (any day of it), optionally narrowed
    to an office, department, channel or customer tier. With `user`, only the complaints
    that user may see (complaints_visible_to). `now` is the moment the report is made
    (injected by tests); `include_complaints=False` leaves out the list of complaints (the
    only part that grows with the number of complaints), for the dashboard.

    A fixed number of queries, whatever the number of complaints: 12 (11 without the list);
    on PostgreSQL inside a transaction that raises work_mem (BEGIN, SET LOCAL, COMMIT), elsewhere
    2 more for the percentiles; 1 more to name an office or department given by id (or the
    office of a user who sees only theirs)."""
    with _reporting_transaction():
        return _monthly_figures(
            month=month,
            office=office,
            department=department,
            channel=channel,
            tier=tier,
            user=user,
            now=now,
            include_complaints=include_complaints,
        )


@contextmanager
def _reporting_transaction():
    """PostgreSQL: one transaction with more sort/hash memory (SET LOCAL ends with it), so the
    GROUP BYs of a month in a large database sort in memory instead of on disk."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        yield


def _monthly_figures(
    *, month: date, office, department, channel, tier, user, now: datetime | None, include_complaints: bool
) -> MonthlyFigures:
    now = now or timezone.now()
    month = month.replace(day=1)
    prev = add_months(month, -1)
    start, end = month_bounds(month)
    prev_start, _prev_end = month_bounds(prev)
    tz = timezone.get_default_timezone()

    scoped = _base_queryset(user=user, office=office, department=department, channel=channel, tier=tier)
    is_merged = Q(close_reason=CloseReason.MERGED)
    base = scoped.exclude(is_merged)  # a merged duplicate counts as the complaint it was merged into
    current = base.filter(received_at__gte=start, received_at__lt=end)
    both = base.filter(received_at__gte=prev_start, received_at__lt=end)
    in_current = Q(received_at__gte=start)
    in_previous = Q(received_at__lt=start)
    # closed by the end of the month it was received in (closed_at >= received_at)
    closed_both = (in_current & Q(closed_at__lt=end)) | (in_previous & Q(closed_at__lt=start))
    closed_current = Q(closed_at__lt=end)
    period = Case(When(in_current, then=Value(CURRENT)), default=Value(PREVIOUS), output_field=IntegerField())
    postgres = connection.vendor == "postgresql"

    # 1. headline counts of this month and the previous one (+ percentiles on PostgreSQL)
    aggregates = {
        **count_aggregates(closed_q=closed_both, now=now),
        "reply_given": Count("id", filter=Q(first_replied_at__isnull=False)),
    }
    if postgres:
        for prefix, field, condition in (
            ("reply", "first_replied_at", Q(first_replied_at__isnull=False)),
            ("close", "closed_at", closed_both),
        ):
            seconds = EpochSeconds(duration_since_received(field))
            for fraction, suffix in zip(PERCENTILES, SUFFIXES, strict=True):
                aggregates[f"{prefix}_hours_{suffix}"] = PercentileCont(seconds, fraction, filter=condition)
    # the merged duplicates in a group of their own (merged=1), counted but kept out of every figure
    merged = Case(When(is_merged, then=Value(1)), default=Value(0), output_field=IntegerField())
    headline = {CURRENT: empty_counts(), PREVIOUS: empty_counts()}
    duplicates_merged = {CURRENT: 0, PREVIOUS: 0}
    rows = scoped.filter(received_at__gte=prev_start, received_at__lt=end).values(period=period, merged=merged)
    for row in rows.annotate(**aggregates):
        p = row.pop("period")
        if row.pop("merged"):
            duplicates_merged[p] = row["received"]
        else:
            headline[p] = finish_counts(row)
    for p, n in duplicates_merged.items():
        headline[p]["duplicates_merged"] = n
    for figures in headline.values():
        for key in ("reply_hours_median", "reply_hours_p90", "close_hours_median", "close_hours_p90"):
            figures[key] = hours(figures.get(key))

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
                headline=headline,
                count_key=count_key,
            )

    # 4. repeat complainants (a GROUP BY complainant … HAVING, counted in an outer query)
    who = Case(
        When(customer_id__isnull=False, then=Concat(Value("c:"), Cast("customer_id", CharField()))),
        default=Concat(Value("p:"), F("contact_phone")),
        output_field=CharField(),
    )
    repeat = (
        both.filter(is_anonymous=False)
        .filter(Q(customer_id__isnull=False) | ~Q(contact_phone=""))
        .values(who=who)
        .annotate(n_cur=Count("id", filter=in_current), n_prev=Count("id", filter=in_previous))
        .aggregate(
            cur_people=Count("who", filter=Q(n_cur__gte=2)),
            cur_complaints=Sum("n_cur", filter=Q(n_cur__gte=2), default=0),
            prev_people=Count("who", filter=Q(n_prev__gte=2)),
            prev_complaints=Sum("n_prev", filter=Q(n_prev__gte=2), default=0),
        )
    )
    headline[CURRENT].update(repeat_complainants=repeat["cur_people"], repeat_complaints=repeat["cur_complaints"])
    headline[PREVIOUS].update(repeat_complainants=repeat["prev_people"], repeat_complaints=repeat["prev_complaints"])

    # 5. escalations, call-backs (answered online or by staff, ratings) and special incidents
    # from the event log, both months, per level/cause/agent
    escalations, callbacks, agent_callbacks, special_incidents = event_figures(
        base, prev_start=prev_start, start=start, end=end
    )
    for p in (CURRENT, PREVIOUS):
        headline[p].update(
            escalations=sum(escalations[p]["by_level"].values()),
            special_incidents=special_incidents[p],
            **callback_figures(callbacks[p]),
        )

    counts = count_aggregates(closed_q=closed_current, now=now)

    # 6. category × channel
    cat_rows: dict[int, CategoryRow] = {}
    for row in current.values("category_id", "category__name", "channel").annotate(n=Count("id")):
        cat_row = cat_rows.setdefault(
            row["category_id"],
            {
                "category_id": row["category_id"],
                "label": catalogue_name(row["category__name"]),
                "name": row["category__name"],
                "counts": {code: 0 for code in Channel.values},
                "total": 0,
            },
        )
        cat_row["counts"][row["channel"]] = row["n"]
        cat_row["total"] += row["n"]
    categories = sorted(cat_rows.values(), key=lambda r: (-r["total"], r["name"]))
    channel_totals = {code: sum(r["counts"][code] for r in categories) for code in Channel.values}

    # 7-10. breakdowns by office, department, tier and current escalation level
    by_office = breakdown(
        current,
        counts,
        fields=["office_id", "office__name"],
        label=lambda r: r["office__name"],
        order=lambda r: r["office__name"],
    )
    by_department = breakdown(
        current,
        counts,
        fields=["department_id", "department__name"],
        label=lambda r: catalogue_name(r["department__name"]) if r["department_id"] else _("No department assigned"),
        order=lambda r: (r["department_id"] is None, r["department__name"] or ""),
    )
    by_tier = breakdown(
        current,
        counts,
        fields=["customer__tier"],
        label=lambda r: tier_label(r["customer__tier"]),
        order=lambda r: (r["customer__tier"] is None, r["customer__tier"] or ""),
    )
    by_level = breakdown(
        current,
        counts,
        fields=["escalation_level"],
        label=lambda r: level_label(r["escalation_level"]),
        order=lambda r: r["escalation_level"],
    )

    # 11. per agent (received_by), with the call-backs of their complaints; the complaints
    # nobody has claimed yet (received_by NULL) are one row of their own
    agents: dict[int | None, dict] = {}
    agent_rows = current.values(
        "received_by_id", "received_by__username", "received_by__first_name", "received_by__last_name"
    ).annotate(**counts)
    for row in agent_rows:
        agents[row["received_by_id"]] = {
            "user_id": row["received_by_id"],
            "label": agent_label(
                row["received_by_id"],
                row["received_by__first_name"],
                row["received_by__last_name"],
                row["received_by__username"],
            ),
            **finish_counts({k: row[k] for k in counts}),
        }
    # 12. the names of agents with call-backs this month but no complaint received in it (always
    # run, so that the number of queries does not depend on the data)
    missing = sorted({pk for pk in agent_callbacks if pk is not None} - set(agents)) or [0]
    names = {
        pk: person_label(first, last, username)
        for pk, username, first, last in get_user_model()
        .objects.filter(pk__in=missing)
        .values_list("pk", "username", "first_name", "last_name")
    }
    for user_id in agent_callbacks:
        agents.setdefault(
            user_id,
            {
                "user_id": user_id,
                "label": UNCLAIMED if user_id is None else names.get(user_id, f"#{user_id}"),
                **empty_counts(),
            },
        )
    for user_id, entry in agents.items():
        entry.update(callback_figures(agent_callbacks.get(user_id) or empty_callbacks()))
    # the agents by complaints received, then name; the complaints not claimed yet last
    agent_list = sorted(agents.values(), key=lambda r: (r["user_id"] is None, -r["received"], str(r["label"])))

    # 13. the trend of the last 12 months, one GROUP BY local month
    trend = trend_of(base, month=month, now=now, tz=tz)

    # 14. the complaints of the month with their outcome (the only row-proportional part)
    complaints = complaint_list(current, tz=tz) if include_complaints else None

    esc = escalations[CURRENT]
    return {
        "month": month,
        "month_label": month_label(month),
        "previous_month": prev,
        "previous_month_label": month_label(prev),
        "period": {"start": start, "end": end},
        "generated_at": now,
        "filters": _filters_description(office=office, department=department, channel=channel, tier=tier, user=user),
        "current": headline[CURRENT],
        "previous": headline[PREVIOUS],
        "headline": [
            {
                "key": key,
                "label": label,
                "kind": kind,
                "current": headline[CURRENT][key],
                "previous": headline[PREVIOUS][key],
            }
            for key, label, kind in HEADLINE
        ],
        "by_category_channel": {
            "channels": [{"code": code, "label": label} for code, label in Channel.choices],
            "rows": categories,
            "totals": channel_totals,
            "total": sum(channel_totals.values()),
        },
        "top_categories": [
            {"category_id": r["category_id"], "label": r["label"], "received": r["total"]}
            for r in categories[:TOP_CATEGORIES]
        ],
        "by_channel": [
            {"code": code, "label": label, "received": channel_totals[code]} for code, label in Channel.choices
        ],
        "by_office": by_office,
        "by_department": by_department,
        "by_tier": by_tier,
        "by_level": by_level,
        "escalations": {
            "total": headline[CURRENT]["escalations"],
            "by_level": [
                {"level": level, "label": level_label(level), "count": n}
                for level, n in sorted(esc["by_level"].items())
            ],
            "by_cause": [
                {"cause": cause, "label": cause_label(cause), "count": n}
                for cause, n in sorted(esc["by_cause"].items(), key=lambda kv: (-kv[1], kv[0] or ""))
            ],
            "by_level_cause": [
                {
                    "level": level,
                    "level_label": level_label(level),
                    "cause": cause,
                    "cause_label": cause_label(cause),
                    "count": n,
                }
                for (level, cause), n in sorted(
                    esc["by_level_cause"].items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
                )
            ],
        },
        "callbacks": {
            "total": headline[CURRENT]["callbacks"],
            "satisfied": headline[CURRENT]["callbacks_satisfied"],
            "satisfaction_pct": headline[CURRENT]["callback_satisfaction_pct"],
        },
        "ratings": {
            "online": headline[CURRENT]["callbacks_online"],
            "by_staff": headline[CURRENT]["callbacks_by_staff"],
            "rated": headline[CURRENT]["callbacks_rated"],
            "average": headline[CURRENT]["rating_average"],
            "distribution": [
                {
                    "rating": r,
                    "count": headline[CURRENT][f"rated_{r}"],
                    "previous": headline[PREVIOUS][f"rated_{r}"],
                }
                for r in RATINGS
            ],
        },
        "repeat": {
            "complainants": headline[CURRENT]["repeat_complainants"],
            "complaints": headline[CURRENT]["repeat_complaints"],
        },
        "agents": agent_list,
        "trend": trend,
        "complaints": complaints,
    }

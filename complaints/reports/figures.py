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
- Escalations and call-backs are counted from the event log, by the time of the event: an
  escalation is any event whose level rises (to_level > from_level), its cause in
  data["escalation_cause"]; a call-back is a `callback_recorded` event, data["satisfied"].
- A repeat complainant has two or more complaints in the month: the same linked customer or,
  for complaints not linked to a customer, the same phone number (anonymous ones left out).
"""
from __future__ import annotations

import math
import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Concat, RowNumber, TruncMonth
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Office
from customers.models import Tier

from .. import rules
from ..choices import Channel, CloseReason, EscalationCause, EscalationLevel, EventKind, Status
from ..models import Complaint, Department
from ..selectors import complaints_visible_to

TREND_MONTHS = 12
TOP_CATEGORIES = 5
PERCENTILES = (0.5, 0.9)
FIRST_MONTH = date(2000, 1, 1)
REPORT_WORK_MEM = "32MB"  # PostgreSQL work_mem for the summary's queries (the default 4MB spills to disk)

# (key, label, kind): the headline figures, in the order every presenter shows them.
# kind: "count", "pct" (a percentage, None when there is nothing to measure) or "hours".
HEADLINE = [
    ("received", _("Complaints received"), "count"),
    ("closed", _("Closed by the end of the month"), "count"),
    ("still_open", _("Still open at the end of the month"), "count"),
    ("closed_on_the_spot", _("Closed on the spot with sign-off"), "count"),
    ("closed_after_callback", _("Closed after a satisfied call-back"), "count"),
    ("auto_closed", _("Auto-closed after a declined call-back"), "count"),
    ("closed_no_callback_needed", _("Closed, no call-back needed"), "count"),
    ("reply_measured", _("Replies given or due"), "count"),
    ("replied_in_time", _("Replied within the agreed time"), "count"),
    ("reply_compliance_pct", _("Reply-deadline compliance (%)"), "pct"),
    ("reply_hours_median", _("Time to first reply, median (hours)"), "hours"),
    ("reply_hours_p90", _("Time to first reply, 90th percentile (hours)"), "hours"),
    ("close_hours_median", _("Time to close, median (hours)"), "hours"),
    ("close_hours_p90", _("Time to close, 90th percentile (hours)"), "hours"),
    ("escalated_complaints", _("Complaints moved up at least once"), "count"),
    ("escalations", _("Escalations (moves up) in the month"), "count"),
    ("callbacks", _("Call-backs recorded"), "count"),
    ("callbacks_satisfied", _("Call-backs with a satisfied complainant"), "count"),
    ("callback_satisfaction_pct", _("Call-back satisfaction (%)"), "pct"),
    ("repeat_complainants", _("Repeat complainants (two or more complaints)"), "count"),
    ("repeat_complaints", _("Complaints from repeat complainants"), "count"),
]
HEADLINE_KINDS = {key: kind for key, _label, kind in HEADLINE}

# (key, label): the columns of each breakdown (by office, department, tier, level).
BREAKDOWN_COLUMNS = [
    ("received", _("Received")),
    ("closed", _("Closed")),
    ("still_open", _("Still open")),
    ("closed_on_the_spot", _("On the spot")),
    ("closed_after_callback", _("After call-back")),
    ("auto_closed", _("Auto-closed")),
    ("closed_no_callback_needed", _("No call-back needed")),
    ("escalated_complaints", _("Moved up")),
    ("replied_in_time", _("Replied in time")),
    ("reply_measured", _("Replies given or due")),
    ("reply_compliance_pct", _("Compliance (%)")),
]

# (key, label): the per-agent columns (R-F5: the manager's performance review).
AGENT_COLUMNS = [
    ("received", _("Received")),
    ("replied_in_time", _("Replied in time")),
    ("reply_measured", _("Replies given or due")),
    ("reply_compliance_pct", _("Compliance (%)")),
    ("escalated_complaints", _("Moved up")),
    ("closed", _("Closed")),
    ("callbacks", _("Call-backs")),
    ("callbacks_satisfied", _("Satisfied")),
    ("callback_satisfaction_pct", _("Satisfaction (%)")),
]

_CLOSE_REASON_KEYS = {
    CloseReason.ON_THE_SPOT: "closed_on_the_spot",
    CloseReason.CALLBACK_SATISFIED: "closed_after_callback",
    CloseReason.AUTO_CLOSED: "auto_closed",
    CloseReason.NO_CALLBACK_NEEDED: "closed_no_callback_needed",
}
CURRENT, PREVIOUS = 0, 1

_lazy_gettext = lazy(gettext, str)  # seeded category/department names are in the catalogue


# ------------------------------------------------------------------------ months
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(text: str) -> date:
    """"2026-10" -> date(2026, 10, 1); ValueError with a message for the user otherwise."""
    match = _MONTH_RE.match((text or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < FIRST_MONTH.year:
        raise ValueError(gettext("“%(value)s” is not a month: write it as YYYY-MM, for example 2026-10.")
                         % {"value": text})
    return date(int(match[1]), int(match[2]), 1)


def add_months(month: date, n: int) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 + n, 12)
    return date(year, index + 1, 1)


def local_today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now()).date()


def previous_month(now: datetime | None = None) -> date:
    """The last complete month (the default of the dashboard, the command and the e-mail)."""
    return add_months(local_today(now).replace(day=1), -1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """Local midnight of the first day of `month` and of the next month, as aware datetimes."""
    tz = timezone.get_default_timezone()
    month = month.replace(day=1)
    following = add_months(month, 1)
    return (datetime(month.year, month.month, 1, tzinfo=tz),
            datetime(following.year, following.month, 1, tzinfo=tz))


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


# -------------------------------------------------------------- SQL helpers
class _EpochSeconds(Func):
    """PostgreSQL: the seconds of an interval."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    output_field = FloatField()


class _PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate percentile_cont(fraction) WITHIN GROUP (ORDER BY x)."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "percentile_cont(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=f"{float(fraction):.4f}", **extra)


def _duration(field: str):
    return ExpressionWrapper(F(field) - F("received_at"), output_field=DurationField())


def _pct(part, whole) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _hours(value) -> float | None:
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


# ------------------------------------------------------------------ counts
def _counts(*, closed_q: Q, now: datetime) -> dict:
    """The conditional aggregates shared by the headline, every breakdown and the agents."""
    replied_in_time = Q(first_replied_at__isnull=False, first_replied_at__lte=F("reply_due_at"))
    measured = Q(first_replied_at__isnull=False) | Q(reply_due_at__lt=now)
    counts = {
        "received": Count("id"),
        "closed": Count("id", filter=closed_q),
        "escalated_complaints": Count("id", filter=Q(escalation_level__gt=0)),
        "replied_in_time": Count("id", filter=replied_in_time),
        "reply_measured": Count("id", filter=measured),
    }
    for reason, key in _CLOSE_REASON_KEYS.items():
        counts[key] = Count("id", filter=closed_q & Q(close_reason=reason))
    return counts


def _finish(row: dict) -> dict:
    """Derived figures of a row of counts (plain arithmetic on aggregated numbers)."""
    row["still_open"] = row["received"] - row["closed"]
    row["reply_compliance_pct"] = _pct(row["replied_in_time"], row["reply_measured"])
    return row


def _empty_counts() -> dict:
    row = {key: 0 for key in ("received", "closed", "escalated_complaints", "replied_in_time", "reply_measured",
                              *_CLOSE_REASON_KEYS.values())}
    return _finish(row)


def _sum_rows(rows: list[dict]) -> dict:
    total = _empty_counts()
    for row in rows:
        for key in total:
            if key not in ("still_open", "reply_compliance_pct"):
                total[key] += row[key]
    return _finish(total)


# ------------------------------------------------------------------ labels
def _channel_label(code):
    return Channel(code).label if code in Channel.values else code


def _level_label(level):
    return EscalationLevel(level).label if level in EscalationLevel.values else str(level)


def _cause_label(cause):
    if cause in EscalationCause.values:
        return EscalationCause(cause).label
    return pgettext_lazy("escalation cause", "Not recorded")


def _tier_label(tier):
    return Tier(tier).label if tier in Tier.values else _("No linked customer")


def _person_label(first: str, last: str, username: str) -> str:
    full = f"{first} {last}".strip()
    return full or username


# ----------------------------------------------------------------- scoping
def _sees_all_offices(user) -> bool:
    return user.is_superuser or user.has_perm(rules.VIEW_ALL_OFFICES)


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


def _filters_description(*, office, department, channel, tier, user=None) -> dict:
    """What the figures cover, for the title of the files and the page. A user who may not
    see every office gets the figures of their own office."""
    if office is None and user is not None and user.office_id and not _sees_all_offices(user):
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
        "channel": _channel_label(channel) if channel else None,
        "tier": _tier_label(tier) if tier else None,
    }


# -------------------------------------------------------------- the figures
def monthly_figures(*, month: date, office=None, department=None, channel=None, tier=None, user=None,
                    now: datetime | None = None, include_complaints: bool = True) -> dict:
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
        return _monthly_figures(month=month, office=office, department=department, channel=channel, tier=tier,
                                user=user, now=now, include_complaints=include_complaints)


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


def _monthly_figures(*, month: date, office, department, channel, tier, user, now: datetime | None,
                     include_complaints: bool) -> dict:
    now = now or timezone.now()
    month = month.replace(day=1)
    prev = add_months(month, -1)
    start, end = month_bounds(month)
    prev_start, _prev_end = month_bounds(prev)
    tz = timezone.get_default_timezone()

    base = _base_queryset(user=user, office=office, department=department, channel=channel, tier=tier)
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
    aggregates = {**_counts(closed_q=closed_both, now=now),
                  "reply_given": Count("id", filter=Q(first_replied_at__isnull=False))}
    if postgres:
        for prefix, field, condition in (("reply", "first_replied_at", Q(first_replied_at__isnull=False)),
                                         ("close", "closed_at", closed_both)):
            seconds = _EpochSeconds(_duration(field))
            for fraction, suffix in zip(PERCENTILES, ("median", "p90"), strict=True):
                aggregates[f"{prefix}_hours_{suffix}"] = _PercentileCont(seconds, fraction, filter=condition)
    headline = {CURRENT: _empty_counts(), PREVIOUS: _empty_counts()}
    for row in both.values(period=period).annotate(**aggregates):
        headline[row.pop("period")] = _finish(row)
    for figures in headline.values():
        for key in ("reply_hours_median", "reply_hours_p90", "close_hours_median", "close_hours_p90"):
            figures[key] = _hours(figures.get(key))

    # 2-3. percentiles elsewhere: the durations sorted by the database, only the rows either
    # side of each percentile fetched (a window query per duration)
    if not postgres:
        for prefix, field, condition, count_key in (
                ("reply", "first_replied_at", Q(first_replied_at__isnull=False), "reply_given"),
                ("close", "closed_at", closed_both, "closed")):
            _percentiles_by_sorting(both.filter(condition), field=field, period=period, prefix=prefix,
                                    headline=headline, count_key=count_key)

    # 4. repeat complainants (a GROUP BY complainant … HAVING, counted in an outer query)
    who = Case(
        When(customer_id__isnull=False, then=Concat(Value("c:"), Cast("customer_id", CharField()))),
        default=Concat(Value("p:"), F("contact_phone")), output_field=CharField())
    repeat = (both.filter(is_anonymous=False).filter(Q(customer_id__isnull=False) | ~Q(contact_phone=""))
              .values(who=who)
              .annotate(n_cur=Count("id", filter=in_current), n_prev=Count("id", filter=in_previous))
              .aggregate(cur_people=Count("who", filter=Q(n_cur__gte=2)),
                         cur_complaints=Sum("n_cur", filter=Q(n_cur__gte=2), default=0),
                         prev_people=Count("who", filter=Q(n_prev__gte=2)),
                         prev_complaints=Sum("n_prev", filter=Q(n_prev__gte=2), default=0)))
    headline[CURRENT].update(repeat_complainants=repeat["cur_people"], repeat_complaints=repeat["cur_complaints"])
    headline[PREVIOUS].update(repeat_complainants=repeat["prev_people"], repeat_complaints=repeat["prev_complaints"])

    # 5. escalations and call-backs from the event log, both months, per level/cause/agent
    escalations, callbacks, agent_callbacks = _event_figures(base, prev_start=prev_start, start=start, end=end)
    for key in (CURRENT, PREVIOUS):
        esc = escalations[key]
        cb = callbacks[key]
        headline[key].update(escalations=sum(esc["by_level"].values()), callbacks=cb["total"],
                             callbacks_satisfied=cb["satisfied"],
                             callback_satisfaction_pct=_pct(cb["satisfied"], cb["total"]))

    counts = _counts(closed_q=closed_current, now=now)

    # 6. category × channel
    cat_rows: dict[int, dict] = {}
    for row in current.values("category_id", "category__name", "channel").annotate(n=Count("id")):
        entry = cat_rows.setdefault(row["category_id"], {
            "category_id": row["category_id"], "label": _lazy_gettext(row["category__name"]),
            "name": row["category__name"], "counts": {code: 0 for code in Channel.values}, "total": 0})
        entry["counts"][row["channel"]] = row["n"]
        entry["total"] += row["n"]
    categories = sorted(cat_rows.values(), key=lambda r: (-r["total"], r["name"]))
    channel_totals = {code: sum(r["counts"][code] for r in categories) for code in Channel.values}

    # 7-10. breakdowns by office, department, tier and current escalation level
    by_office = _breakdown(current, counts, fields=["office_id", "office__name"],
                           label=lambda r: r["office__name"], order=lambda r: r["office__name"])
    by_department = _breakdown(current, counts, fields=["department_id", "department__name"],
                               label=lambda r: _lazy_gettext(r["department__name"]) if r["department_id"]
                               else _("No department assigned"),
                               order=lambda r: (r["department_id"] is None, r["department__name"] or ""))
    by_tier = _breakdown(current, counts, fields=["customer__tier"], label=lambda r: _tier_label(r["customer__tier"]),
                         order=lambda r: (r["customer__tier"] is None, r["customer__tier"] or ""))
    by_level = _breakdown(current, counts, fields=["escalation_level"],
                          label=lambda r: _level_label(r["escalation_level"]), order=lambda r: r["escalation_level"])

    # 11. per agent (received_by), with the call-backs of their complaints
    agents: dict[int, dict] = {}
    agent_rows = current.values("received_by_id", "received_by__username", "received_by__first_name",
                                "received_by__last_name").annotate(**counts)
    for row in agent_rows:
        agents[row["received_by_id"]] = {
            "user_id": row["received_by_id"],
            "label": _person_label(row["received_by__first_name"], row["received_by__last_name"],
                                   row["received_by__username"]),
            **_finish({k: row[k] for k in counts}), "callbacks": 0, "callbacks_satisfied": 0}
    # 12. the names of agents with call-backs this month but no complaint received in it (always
    # run, so that the number of queries does not depend on the data)
    missing = sorted(set(agent_callbacks) - set(agents)) or [0]
    names = {pk: _person_label(first, last, username) for pk, username, first, last in
             get_user_model().objects.filter(pk__in=missing).values_list("pk", "username", "first_name", "last_name")}
    for user_id, cb in agent_callbacks.items():
        entry = agents.setdefault(user_id, {"user_id": user_id, "label": names.get(user_id, f"#{user_id}"),
                                            **_empty_counts(), "callbacks": 0, "callbacks_satisfied": 0})
        entry["callbacks"], entry["callbacks_satisfied"] = cb["total"], cb["satisfied"]
    for entry in agents.values():
        entry["callback_satisfaction_pct"] = _pct(entry["callbacks_satisfied"], entry["callbacks"])
    agent_list = sorted(agents.values(), key=lambda r: (-r["received"], str(r["label"])))

    # 13. the trend of the last 12 months, one GROUP BY local month
    trend = _trend(base, month=month, now=now, tz=tz)

    # 14. the complaints of the month with their outcome (the only row-proportional part)
    complaints = _complaint_list(current, tz=tz) if include_complaints else None

    esc = escalations[CURRENT]
    return {
        "month": month,
        "month_label": month_label(month),
        "previous_month": prev,
        "previous_month_label": month_label(prev),
        "period": {"start": start, "end": end},
        "generated_at": now,
        "filters": _filters_description(office=office, department=department, channel=channel, tier=tier,
                                        user=user),
        "current": headline[CURRENT],
        "previous": headline[PREVIOUS],
        "headline": [{"key": key, "label": label, "kind": kind, "current": headline[CURRENT][key],
                      "previous": headline[PREVIOUS][key]} for key, label, kind in HEADLINE],
        "by_category_channel": {
            "channels": [{"code": code, "label": label} for code, label in Channel.choices],
            "rows": categories, "totals": channel_totals, "total": sum(channel_totals.values())},
        "top_categories": [{"category_id": r["category_id"], "label": r["label"], "received": r["total"]}
                           for r in categories[:TOP_CATEGORIES]],
        "by_channel": [{"code": code, "label": label, "received": channel_totals[code]}
                       for code, label in Channel.choices],
        "by_office": by_office,
        "by_department": by_department,
        "by_tier": by_tier,
        "by_level": by_level,
        "escalations": {
            "total": headline[CURRENT]["escalations"],
            "by_level": [{"level": level, "label": _level_label(level), "count": n}
                         for level, n in sorted(esc["by_level"].items())],
            "by_cause": [{"cause": cause, "label": _cause_label(cause), "count": n}
                         for cause, n in sorted(esc["by_cause"].items(), key=lambda kv: (-kv[1], kv[0] or ""))],
            "by_level_cause": [{"level": level, "level_label": _level_label(level), "cause": cause,
                                "cause_label": _cause_label(cause), "count": n}
                               for (level, cause), n in sorted(esc["by_level_cause"].items(),
                                                               key=lambda kv: (kv[0][0], kv[0][1] or ""))],
        },
        "callbacks": {"total": headline[CURRENT]["callbacks"], "satisfied": headline[CURRENT]["callbacks_satisfied"],
                      "satisfaction_pct": headline[CURRENT]["callback_satisfaction_pct"]},
        "repeat": {"complainants": headline[CURRENT]["repeat_complainants"],
                   "complaints": headline[CURRENT]["repeat_complaints"]},
        "agents": agent_list,
        "trend": trend,
        "complaints": complaints,
    }


def _breakdown(qs, counts: dict, *, fields: list[str], label, order) -> dict:
    """One GROUP BY `fields` with the shared counts; rows, and their total."""
    rows = sorted(qs.values(*fields).annotate(**counts), key=order)
    out = [{"key": r[fields[0]], "label": label(r), **_finish({k: r[k] for k in counts})} for r in rows]
    return {"rows": out, "total": _sum_rows(out)}


def _percentiles_by_sorting(qs, *, field, period, prefix, headline, count_key) -> None:
    """Percentiles without percentile_cont: the database numbers each period's durations in
    order (ROW_NUMBER) and returns only the rows either side of each percentile."""
    n_by_period = {p: headline[p].get(count_key, 0) for p in (CURRENT, PREVIOUS)}
    positions = {1}  # never an empty IN (): the query runs whatever the numbers
    for n in n_by_period.values():
        for fraction in PERCENTILES:
            if n:
                lo, hi, _weight = _percentile_positions(n, fraction)
                positions.update((lo, hi))
    rows = (qs.annotate(period=period, d=_duration(field))
            .annotate(rn=Window(RowNumber(), partition_by=[F("period")], order_by=[F("d").asc(), F("id").asc()]))
            .filter(rn__in=sorted(positions))
            .values_list("period", "rn", "d"))
    values: dict[int, dict[int, float]] = {CURRENT: {}, PREVIOUS: {}}
    for p, rn, d in rows:
        values[p][rn] = d.total_seconds() if isinstance(d, timedelta) else float(d) / 1e6
    for p, n in n_by_period.items():
        for fraction, suffix in zip(PERCENTILES, ("median", "p90"), strict=True):
            headline[p][f"{prefix}_hours_{suffix}"] = _hours(_interpolate(values[p], n, fraction))


def _event_figures(base, *, prev_start, start, end):
    """One GROUP BY over the events of both months that raise the level or record a
    call-back, joined to the (scoped) complaints."""
    cb_kind = EventKind.CALLBACK_RECORDED
    is_callback = Q(events__kind=cb_kind)
    is_escalation = Q(events__to_level__gt=F("events__from_level"))
    rows = (
        base.filter(Q(events__created_at__gte=prev_start, events__created_at__lt=end,
                      events__kind__in=EventKind.values)  # every kind: lets the (kind, created_at) index serve
                    & (is_callback | is_escalation))
        .values(
            period=Case(When(events__created_at__gte=start, then=Value(CURRENT)), default=Value(PREVIOUS),
                        output_field=IntegerField()),
            callback=Case(When(is_callback, then=Value(1)), default=Value(0), output_field=IntegerField()),
            escalation=Case(When(is_escalation, then=Value(1)), default=Value(0), output_field=IntegerField()),
            level=F("events__to_level"),
            cause=KeyTextTransform("escalation_cause", "events__data"),
            agent=F("received_by_id"),  # named afterwards: narrow GROUP BY keys keep the sort in memory
        )
        .annotate(n=Count("events__id"), satisfied=Count("events__id", filter=Q(events__data__satisfied=True)))
    )
    escalations = {p: {"by_level": {}, "by_cause": {}, "by_level_cause": {}} for p in (CURRENT, PREVIOUS)}
    callbacks = {p: {"total": 0, "satisfied": 0} for p in (CURRENT, PREVIOUS)}
    agent_callbacks: dict[int, dict] = {}
    for row in rows:
        p = row["period"]
        if row["escalation"]:
            esc = escalations[p]
            level, cause = row["level"], row["cause"] or None
            esc["by_level"][level] = esc["by_level"].get(level, 0) + row["n"]
            esc["by_cause"][cause] = esc["by_cause"].get(cause, 0) + row["n"]
            esc["by_level_cause"][(level, cause)] = esc["by_level_cause"].get((level, cause), 0) + row["n"]
        if row["callback"]:
            callbacks[p]["total"] += row["n"]
            callbacks[p]["satisfied"] += row["satisfied"]
            if p == CURRENT:
                entry = agent_callbacks.setdefault(row["agent"], {"total": 0, "satisfied": 0})
                entry["total"] += row["n"]
                entry["satisfied"] += row["satisfied"]
    return escalations, callbacks, agent_callbacks


def _trend(base, *, month: date, now: datetime, tz) -> list[dict]:
    first = add_months(month, -(TREND_MONTHS - 1))
    start, _ = month_bounds(first)
    _, end = month_bounds(month)
    received_month = TruncMonth("received_at", tzinfo=tz)
    rows = (base.filter(received_at__gte=start, received_at__lt=end)
            .annotate(m=received_month, closed_m=TruncMonth("closed_at", tzinfo=tz))
            .values("m")
            .annotate(received=Count("id"),
                      closed=Count("id", filter=Q(closed_at__isnull=False, closed_m=F("m"))),
                      replied_in_time=Count("id", filter=Q(first_replied_at__isnull=False,
                                                           first_replied_at__lte=F("reply_due_at"))),
                      reply_measured=Count("id", filter=Q(first_replied_at__isnull=False) | Q(reply_due_at__lt=now))))
    found = {}
    for row in rows:
        m = row["m"]
        key = (timezone.localtime(m, tz) if timezone.is_aware(m) else m).date().replace(day=1)
        found[key] = row
    trend = []
    for i in range(TREND_MONTHS):
        m = add_months(first, i)
        row = found.get(m, {"received": 0, "closed": 0, "replied_in_time": 0, "reply_measured": 0})
        trend.append({"month": m, "label": month_label(m), "received": row["received"], "closed": row["closed"],
                      "replied_in_time": row["replied_in_time"], "reply_measured": row["reply_measured"],
                      "reply_compliance_pct": _pct(row["replied_in_time"], row["reply_measured"])})
    return trend


def _complaint_list(qs, *, tz) -> list[dict]:
    """ONE query (values_list with the joins), in order of receipt."""
    rows = qs.order_by("received_at", "id").values_list(
        "id", "received_at", "channel", "category__name", "office__name", "department__name", "status",
        "close_reason", "escalation_level")
    channel_labels = {code: label for code, label in Channel.choices}
    status_labels = {code: label for code, label in Status.choices}
    reason_labels = {code: label for code, label in CloseReason.choices}
    names: dict[str, object] = {}

    def name(value):
        if value is None:
            return ""
        if value not in names:
            names[value] = _lazy_gettext(value)
        return names[value]

    return [{
        "id": pk, "reference": f"#{pk}", "received_at": received_at.astimezone(tz),
        "channel": channel, "channel_label": channel_labels.get(channel, channel),
        "category": name(category), "office": office, "department": name(department),
        "status": status, "status_label": status_labels.get(status, status),
        "close_reason": reason, "close_reason_label": reason_labels.get(reason, "") if reason else "",
        "level": level,
    } for pk, received_at, channel, category, office, department, status, reason, level in rows]

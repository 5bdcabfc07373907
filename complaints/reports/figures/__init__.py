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

Every figure of a month depends only on that month's own data — its complaints and the events
made in it — so the figures are computed in *parts* (one month's raw numbers, `parts`) and put
together by `assemble`: the month's part, the previous month's part (the headline's second
column) and a trend line per month. `monthly_figures` computes them from scratch; the
dashboard, the files and the e-mail read them through complaints.reports.summary, which keeps
each month's part with an exact version of the data it was computed from (issue 17).

The package: `types` (MonthlyFigures, the declared result), `labels` (the figures' names and
order), `counts` (the shared conditional aggregates), `percentiles`, `queries` (event log,
trend, the list of complaints), `parts` (a month's numbers), `assemble` (the figures from the
parts); months and their local bounds are helpdesk.dates.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

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
from .assemble import TOP_CATEGORIES, assemble
from .counts import CURRENT, PREVIOUS
from .labels import AGENT_COLUMNS, BREAKDOWN_COLUMNS, HEADLINE, channel_label, tier_label
from .parts import compute_parts
from .queries import TREND_MONTHS, complaint_list, trend_line, trend_rows
from .types import Filters, MonthlyFigures

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
    "TOP_CATEGORIES",
]

FIRST_MONTH = date(2000, 1, 1)
REPORT_WORK_MEM = "32MB"  # PostgreSQL work_mem for the summary's queries (the default 4MB spills to disk)


def parse_report_month(text: str) -> date:
    """A month of the summary: "2026-10" -> date(2026, 10, 1), from FIRST_MONTH on; ValueError
    with a message for the user otherwise."""
    return parse_month_text(text, earliest=FIRST_MONTH)


parse_month = parse_report_month  # the old name, which the tests and the benchmark import


# ----------------------------------------------------------------- scoping
def scoped_complaints(*, user, office, department, channel, tier):
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
        scoped_complaints(user=user, office=office, department=department, channel=channel, tier=tier)
        .exclude(close_reason=CloseReason.MERGED)
        .aggregate(newest=Max("received_at"))["newest"]
    )
    if newest is None:
        return this_month
    return max(FIRST_MONTH, min(month_start(local_today(newest)), this_month))


def filters_description(*, office, department, channel, tier, user=None) -> Filters:
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
    with reporting_transaction():
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
def reporting_transaction():
    """PostgreSQL: one transaction with more sort/hash memory, so the GROUP BYs of a month in a
    large database sort in memory instead of on disk, and without JIT compilation, which
    costs these one-off queries more than it saves (90 ms of the 360 ms event query at 1M
    complaints). Both settings end with the transaction (set_config(…, true) is SET LOCAL)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [REPORT_WORK_MEM])
        yield


def _monthly_figures(
    *, month: date, office, department, channel, tier, user, now: datetime | None, include_complaints: bool
) -> MonthlyFigures:
    now = now or timezone.now()
    month = month.replace(day=1)
    tz = timezone.get_default_timezone()
    scoped = scoped_complaints(user=user, office=office, department=department, channel=channel, tier=tier)
    # 1-12. the month's part and the previous month's headline part, each query over both months
    parts = compute_parts(scoped, month=month, now=now, with_previous=True)
    # 13. the trend of the last 12 months, one GROUP BY local month
    base = scoped.exclude(close_reason=CloseReason.MERGED)
    first = add_months(month, -(TREND_MONTHS - 1))
    rows = trend_rows(base, first=first, last=month, now=now, tz=tz)
    trend = [trend_line(m, rows.get(m)) for m in (add_months(first, i) for i in range(TREND_MONTHS))]
    # 14. the complaints of the month with their outcome (the only row-proportional part)
    complaints = complaint_list(month_complaints(base, month), tz=tz) if include_complaints else None
    return assemble(
        month=month,
        current=parts[CURRENT],
        previous=parts[PREVIOUS],
        trend=trend,
        filters=filters_description(office=office, department=department, channel=channel, tier=tier, user=user),
        now=now,
        complaints=complaints,
    )


def month_complaints(base, month: date):
    """The complaints of `base` received in `month`."""
    start, end = month_bounds(month)
    return base.filter(received_at__gte=start, received_at__lt=end)

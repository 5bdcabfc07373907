"""The monthly summary, each month's figures computed once and kept (issue 17: the dashboard
in ≤ 150 ms at a million complaints, where computing a month takes the database ~0.3 s and
the twelve-month trend another ~0.4 s).

Every figure of a month depends only on that month's own *part* (figures.parts): its
complaints and the events made in it. `monthly_summary` gives what `monthly_figures` gives,
assembled by the same `assemble` from the part of the month, the part of the month before
and the trend lines of the ten before those — each taken from complaints_summary_part when
it still holds, otherwise computed for that one month and kept. A month's part is added up
from the *pieces* of its days (figures.days: the sums of the complaints received and the
events made that day), each kept under its day's version, so a change computes again only
the days it touched, plus what does not add up by day (the percentiles and the repeat
complainants, over the month): on the last day of a month at a million complaints, ~90 ms
instead of ~310 ms for the whole month.

When a kept part holds (migration 0019 keeps the versions):
- the version of its month (or day) is what it was when the part was computed. Triggers add
  to a day's version, in the writing transaction, whenever something the day's figures read
  changes: a complaint received on it (any column but those no figure reads), an event made
  on it, a complaint with events on it, the tier of a customer with complaints on it; a
  month's version is the sum of its days'. The versions are read before anything is
  computed, so a part may include changes committed meanwhile but is then kept under an older
  version, and never used;
- the version of the names (offices, departments, categories, agents) is what it was;
- `now` is within the part's measured window: the reply counts include the complaints not
  replied to whose reply time has passed, so they change with time alone
  (parts.measured_window).
So a merge, an event, a closing or a tier change shows at once, in every month it touches.

Parts are kept for the complaints of every office (managers, the monthly e-mail) and of one
office (supervisors), under each set of filters — the scopes whose complaints the versions
follow. A department handler's lane (assignments, departments they head, events naming them)
is computed every time, as is everything on a database other than PostgreSQL (SQLite for
`make run`: no triggers, nothing kept)."""

from __future__ import annotations

import json
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils import timezone

from helpdesk.dates import add_months, month_bounds

from ..choices import CloseReason
from ..models import Complaint
from ..selectors import complaints_visible_to
from .figures import (
    filters_description,
    month_complaints,
    monthly_figures,
    reporting_transaction,
    scoped_complaints,
)
from .figures.assemble import assemble, trend_counts
from .figures.days import compose, compute_days, month_days, month_wide
from .figures.parts import MonthPart, holds_at, measured_window
from .figures.queries import TREND_MONTHS, complaint_list, trend_line, trend_rows
from .figures.types import MonthlyFigures

GLOBAL = date(1, 1, 1)  # the version of the names every month shows (migration 0019's GLOBAL_MONTH)
PART, TREND, DAY = "month", "trend", "day"  # a month's whole part; its line of the trend; a day piece
COMPACT_AFTER = 200  # a month's rows in the change log before they are summed into one per day
COMPACT_LOCK = 1_70_19  # pg_try_advisory_xact_lock key: one compaction at a time
KEEP_DAYS = 90  # a kept part not computed again for this long is dropped (tidy)


# ----------------------------------------------------------------- scope
def store_scope(*, user=None, office=None, department=None, channel=None, tier=None) -> str | None:
    """The key of the kept parts for these filters and this user's complaints, or None when
    nothing is kept for them: not PostgreSQL, or a user who sees neither every office nor
    exactly one whole office (complaints_visible_to decides, compared as SQL, so that a
    change of that rule stops the keeping rather than shares figures wrongly)."""
    if connection.vendor != "postgresql":
        return None
    if user is None:
        who = "all"
    else:
        try:
            visible = str(complaints_visible_to(user).query)
            if visible == str(Complaint.objects.all().query):
                who = "all"
            elif user.office_id is not None and visible == str(
                Complaint.objects.filter(office_id=user.office_id).query
            ):
                who = f"office:{user.office_id}"
            else:
                return None
        except EmptyResultSet:  # sees nothing: nothing to keep
            return None

    def pk(value) -> str:
        return "" if value is None else str(getattr(value, "pk", value))

    return f"{who}|office={pk(office)}|department={pk(department)}|channel={channel or ''}|tier={tier or ''}"


# -------------------------------------------------------------- versions
# The change log is by day (migration 0026): a month's version is the sum of its days' rows
# (GLOBAL's month holds no day but GLOBAL itself)
_VERSIONS = (
    "SELECT m.month, coalesce(sum(c.n), 0)::bigint AS version, count(c.n) AS n "
    "FROM unnest(%s::date[]) AS m(month) "
    "LEFT JOIN complaints_summary_change c "
    "ON c.month >= m.month AND c.month < (m.month + interval '1 month')::date GROUP BY m.month"
)
_DAYS = (
    "WITH v AS (SELECT d.day::date AS day, coalesce(sum(c.n), 0)::bigint AS version "
    "FROM generate_series(%s::date, %s::date, interval '1 day') AS d(day) "
    "LEFT JOIN complaints_summary_change c ON c.month = d.day::date GROUP BY d.day) "
    "SELECT v.day, v.version, p.global_version, p.data FROM v LEFT JOIN complaints_summary_part p "
    "ON p.scope = %s AND p.kind = %s AND p.month = v.day AND p.version = v.version"
)


def month_versions(months: list[date]) -> dict[date, int]:
    """The version of each month, and of the names (GLOBAL): one query."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSIONS, [[*months, GLOBAL]])
        return {month: version for month, version, _n in cursor.fetchall()}


def day_versions(first: date, last: date) -> dict[date, int]:
    """The version of each day from `first` to `last`: one query."""
    with connection.cursor() as cursor:
        cursor.execute(_DAYS, [first, last, "", DAY])
        return {day: version for day, version, _global, _data in cursor.fetchall()}


def _versions_and_kept(scope: str, months: list[date]):
    """The versions of `months` and of the names, and the parts kept for `scope` under their
    month's version (kind, month) -> (global version, data), in one query; None when the
    triggers cut months in another time zone than settings.TIME_ZONE (changed since
    migration 0019): then nothing kept can be trusted, and nothing is kept. A month whose
    change log has grown long is compacted (compact_changes)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v AS ({_VERSIONS}) "
            "SELECT complaints_summary_zone(), v.month, v.version, v.n, p.kind, p.global_version, p.data "
            "FROM v LEFT JOIN complaints_summary_part p "
            "ON p.scope = %s AND p.month = v.month AND p.version = v.version",
            [[*months, GLOBAL], scope],
        )
        rows = cursor.fetchall()
    if not rows or rows[0][0] != settings.TIME_ZONE:
        return None
    versions, counts, kept = {}, {}, {}
    for _zone, month, version, n, kind, global_version, data in rows:
        versions[month], counts[month] = version, n
        if kind is not None:
            kept[(kind, month)] = (global_version, data)
    crowded = [month for month, n in counts.items() if n > COMPACT_AFTER]
    if crowded:
        compact_changes(crowded)
    return versions, kept


def compact_changes(months: list[date] | None = None) -> int:
    """Replace the change-log rows of the days of `months` (default: every month) by one row
    per day holding their sum: the versions of the days and the months stay what they are.
    Writers only ever append, so they never wait for this; a second compaction at the same
    time does nothing. Returns the number of rows removed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH lock AS (SELECT pg_try_advisory_xact_lock(%s) AS got), "
            "gone AS (DELETE FROM complaints_summary_change WHERE (SELECT got FROM lock) "
            "AND (%s::date[] IS NULL OR date_trunc('month', month)::date = ANY(%s::date[])) RETURNING month, n), "
            "kept AS (INSERT INTO complaints_summary_change (month, n) "
            "SELECT month, sum(n) FROM gone GROUP BY month RETURNING 1) "
            "SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept)",
            [COMPACT_LOCK, months, months],
        )
        return cursor.fetchone()[0]


def tidy(*, keep_days: int = KEEP_DAYS) -> dict:
    """Compact the whole change log (each month's rows summed into one: the versions stay what
    they are) and drop the parts not computed for `keep_days` (a part dropped is computed again
    when asked for). Nothing off PostgreSQL. The periodic task
    complaints.reports.tasks.tidy_monthly_summary; the dashboard compacts a crowded month it
    reads in any case."""
    if connection.vendor != "postgresql":
        return {"changes_compacted": 0, "parts_dropped": 0}
    compacted = compact_changes()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM complaints_summary_part WHERE computed_at < now() - make_interval(days => %s)", [keep_days]
        )
        dropped = cursor.rowcount
    return {"changes_compacted": compacted, "parts_dropped": dropped}


# -------------------------------------------------------------- the store
def _keep(scope: str, rows: list[tuple[str, date, int, dict]], names: int) -> None:
    """Store the parts computed (kind, month or day, version, data) under the versions read
    before computing them (`names`: GLOBAL's); a part kept meanwhile under a newer version
    stays."""
    if not rows:
        return
    values = ", ".join(["(%s, %s, %s, %s, %s, %s::jsonb, now())"] * len(rows))
    params: list = []
    for kind, month, version, data in rows:
        params += [scope, kind, month, version, names, json.dumps(data, separators=(",", ":"))]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO complaints_summary_part (scope, kind, month, version, global_version, data, computed_at) "
            f"VALUES {values} ON CONFLICT (scope, kind, month) DO UPDATE SET version = excluded.version, "
            "global_version = excluded.global_version, data = excluded.data, computed_at = excluded.computed_at "
            "WHERE complaints_summary_part.version <= excluded.version "
            "AND complaints_summary_part.global_version <= excluded.global_version",
            params,
        )


def _month_from_days(scope: str, scoped, *, month: date, now: datetime, tz, names: int):
    """The part of `month` added up from its day pieces (figures.days): those kept that still
    hold, the others computed; with the month-wide figures. Returns the part and the pieces
    computed, (DAY, day, version, piece), to keep. 6 queries (4 when every day is kept): the
    days' versions and kept pieces, the stale days' complaints and events, the percentiles,
    the repeat complainants, the agents with call-backs only."""
    days = month_days(month)
    with connection.cursor() as cursor:
        cursor.execute(_DAYS, [days[0], days[-1], scope, DAY])
        rows = cursor.fetchall()
    pieces: dict[date, dict] = {}
    versions: dict[date, int] = {}
    for day, version, kept_names, data in rows:
        versions[day] = version
        if data is not None and kept_names == names:
            data = json.loads(data) if isinstance(data, str) else data
            if holds_at(data["measured"], now):
                pieces[day] = data
    stale = [day for day in days if day not in pieces]
    computed = []
    if stale:
        for day, piece in compute_days(scoped, days=stale, month=month, now=now, tz=tz).items():
            pieces[day] = piece
            computed.append((DAY, day, versions[day], piece))
    start, end = month_bounds(month)
    current = scoped.exclude(close_reason=CloseReason.MERGED).filter(received_at__gte=start, received_at__lt=end)
    return compose((pieces[day] for day in days), wide=month_wide(current, end=end)), computed


# ------------------------------------------------------------ the figures
def monthly_summary(
    *,
    month: date,
    office=None,
    department=None,
    channel=None,
    tier=None,
    user=None,
    now: datetime | None = None,
    include_complaints: bool = False,
) -> MonthlyFigures:
    """`monthly_figures` (same arguments, same result), from the kept parts where they hold.
    With every part kept: 1 query (the versions and the parts that hold), and 1 to name an
    office or department given by id. Otherwise, in a transaction (BEGIN, SET LOCAL, COMMIT):
    the queries of each of the two parts to compute (_month_from_days: 4 to 6), 1 for the
    trend lines to compute, 1 to keep what was computed; and 1 for the list of complaints."""
    filters = {"office": office, "department": department, "channel": channel, "tier": tier}
    scope = store_scope(user=user, **filters)
    if scope is None:
        return monthly_figures(month=month, user=user, now=now, include_complaints=include_complaints, **filters)
    now = now or timezone.now()
    month = month.replace(day=1)
    first = add_months(month, -(TREND_MONTHS - 1))
    months = [add_months(first, i) for i in range(TREND_MONTHS)]
    found = _versions_and_kept(scope, months)
    if found is None:
        return monthly_figures(month=month, user=user, now=now, include_complaints=include_complaints, **filters)
    versions, kept = found

    def holding(kind: str, m: date) -> dict | None:
        """What is kept for month `m` if it still holds (the month's version was checked by
        the query)."""
        entry = kept.get((kind, m))
        if entry is None:
            return None
        global_version, data = entry
        # Django has psycopg hand jsonb over as text (JSONField decodes it)
        data = json.loads(data) if isinstance(data, str) else data
        if global_version != versions[GLOBAL] or not holds_at(data["measured"], now):
            return None
        return data

    previous = add_months(month, -1)
    parts: dict[date, MonthPart | None] = {m: holding(PART, m) for m in (month, previous)}
    lines: dict[date, dict] = {m: trend_counts(part) for m, part in parts.items() if part is not None}
    for m in months:
        if m not in lines and m not in parts:
            held = holding(PART, m) or holding(TREND, m)
            if held is not None:
                lines[m] = trend_counts(held) if "headline" in held else held
    missing = [m for m in months if m not in lines]
    tz = timezone.get_default_timezone()
    if missing or include_complaints:
        with reporting_transaction():
            scoped = scoped_complaints(user=user, **filters)  # ValueError for an unknown channel or tier
            computed: list[tuple[str, date, int, dict]] = []
            for m in (month, previous):
                if parts[m] is None:
                    part, pieces = _month_from_days(scope, scoped, month=m, now=now, tz=tz, names=versions[GLOBAL])
                    computed += [(PART, m, versions[m], part), *pieces]
                    parts[m] = part
                    lines[m] = trend_counts(part)
            missing = [m for m in months if m not in lines]
            if missing:
                base = scoped.exclude(close_reason=CloseReason.MERGED)
                rows = trend_rows(base, first=missing[0], last=missing[-1], now=now, tz=tz)
                for m in missing:
                    row = rows.get(m)
                    lines[m] = {
                        "received": row["received"] if row else 0,
                        "closed": row["closed"] if row else 0,
                        "replied_in_time": row["replied_in_time"] if row else 0,
                        "reply_measured": row["reply_measured"] if row else 0,
                        "measured": measured_window(row["due_before"], row["due_from"]) if row else [None, None],
                    }
                    computed.append((TREND, m, versions[m], lines[m]))
            _keep(scope, computed, versions[GLOBAL])
            complaints = (
                complaint_list(month_complaints(scoped.exclude(close_reason=CloseReason.MERGED), month), tz=tz)
                if include_complaints
                else None
            )
    else:
        scoped_complaints(user=user, **filters)  # the same ValueError for an unknown channel or tier
        complaints = None
    current, before = parts[month], parts[previous]
    assert current is not None and before is not None  # kept or computed above
    return assemble(
        month=month,
        current=current,
        previous=before,
        trend=[trend_line(m, lines[m]) for m in months],
        filters=filters_description(user=user, **filters),
        now=now,
        complaints=complaints,
    )

"""The monthly summary's queries over the event log, over the last twelve months and over
the month's complaints (the list, the only part that grows with their number)."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from helpdesk.dates import month_bounds, month_label

from ...choices import Channel, CloseReason, EventKind, Status
from ...event_data import ESCALATION_CAUSE, RATING, SATISFIED, VIA
from ...models import ComplaintEvent
from .counts import CURRENT, PREVIOUS, RATINGS, empty_callbacks, pct, unreplied_due_aggregates
from .labels import catalogue_name
from .types import ComplaintRow, TrendMonth

TREND_MONTHS = 12


# The events the figures count: those that record a call-back, raise the level or flag a
# special incident. The same three conditions, in this order, are the predicate of the partial
# index event_report_time (migration 0019) that serves event_rows.
IS_CALLBACK = Q(kind=EventKind.CALLBACK_RECORDED)
IS_ESCALATION = Q(to_level__gt=F("from_level"))
IS_SPECIAL_INCIDENT = Q(kind=EventKind.SPECIAL_INCIDENT_FLAGGED)
UNCLAIMED_AGENT = 0  # the `member` of an event whose complaint nobody has claimed yet


def event_rows(base, *, prev_start, start, end, day_tz=None, days=None) -> list[dict]:
    """One GROUP BY over the events of both months (prev_start … start … end; one month when
    prev_start == start) that raise the level, record a call-back or flag a special incident
    (R-C6.2), with the period of each (CURRENT, PREVIOUS), whose complaint is one of `base`.
    Each call-back group also counts, by conditional aggregates, the call-backs the
    complainant answered online (data["via"] present) and those rated 1, 2 … 5
    (data["rating"], a JSON number compared exactly: a value outside 1–5 is not a rating);
    the average is derived from that distribution (fold_events).

    The month's events are read through the partial index event_report_time, and each one's
    complaint looked up by its key (a subquery per event): joined the usual way, PostgreSQL
    hashed every complaint of the database to find those of some 30,000 events. The subquery
    gives the complaint's receiver (UNCLAIMED_AGENT for none), or NULL when the complaint is
    not one of `base`: that group is dropped.

    With `day_tz`, each group is also of one local day (the key "day", a date in that time
    zone), and `days` keeps only the events of those days: the day pieces of the kept summary
    (figures.days)."""
    member = base.filter(pk=OuterRef("complaint_id")).values(
        agent=Coalesce("received_by_id", Value(UNCLAIMED_AGENT), output_field=IntegerField())
    )[:1]
    # read only on the call-back rows (callback=1): every event of such a group is a call-back
    callback_counts = {
        "satisfied": Count("id", filter=Q(**{f"data__{SATISFIED}": True})),
        "online": Count("id", filter=Q(data__has_key=VIA)),
        **{f"rated_{r}": Count("id", filter=Q(**{f"data__{RATING}": r})) for r in RATINGS},
    }
    events = ComplaintEvent.objects.filter(
        IS_CALLBACK | IS_ESCALATION | IS_SPECIAL_INCIDENT, created_at__gte=prev_start, created_at__lt=end
    )
    by_day = {}
    if day_tz is not None:
        by_day = {"day": TruncDate("created_at", tzinfo=day_tz)}
        if days is not None:
            events = events.alias(local_day=TruncDate("created_at", tzinfo=day_tz)).filter(local_day__in=days)
    rows = (
        events.order_by()
        .values(
            **by_day,
            period=Case(
                When(created_at__gte=start, then=Value(CURRENT)), default=Value(PREVIOUS), output_field=IntegerField()
            ),
            callback=Case(When(IS_CALLBACK, then=Value(1)), default=Value(0), output_field=IntegerField()),
            escalation=Case(When(IS_ESCALATION, then=Value(1)), default=Value(0), output_field=IntegerField()),
            special=Case(When(IS_SPECIAL_INCIDENT, then=Value(1)), default=Value(0), output_field=IntegerField()),
            level=F("to_level"),
            cause=KeyTextTransform(ESCALATION_CAUSE, "data"),
            member=Subquery(member),  # named afterwards: narrow GROUP BY keys keep the sort in memory
        )
        .annotate(n=Count("id"), **callback_counts)
    )
    out = []
    for row in rows:
        member_of = row.pop("member")
        if member_of is not None:
            row["agent"] = None if member_of == UNCLAIMED_AGENT else member_of
            out.append(row)
    return out


def fold_events(rows: list[dict]) -> dict:
    """ONE period's event_rows added up, as JSON (a part's "events"): the special incidents,
    the escalations per (level, cause), the call-backs of the month and per agent (None: the
    complaints nobody has claimed yet)."""
    escalations: dict[tuple, int] = {}
    callbacks = empty_callbacks()
    agent_callbacks: dict[int | None, dict] = {}
    special_incidents = 0
    for row in rows:
        if row["special"]:
            special_incidents += row["n"]
        if row["escalation"]:
            key = (row["level"], row["cause"] or None)
            escalations[key] = escalations.get(key, 0) + row["n"]
        if row["callback"]:
            for entry in (callbacks, agent_callbacks.setdefault(row["agent"], empty_callbacks())):
                entry["total"] += row["n"]
                for name in ("satisfied", "online", *(f"rated_{r}" for r in RATINGS)):
                    entry[name] += row[name]
    return {
        "special_incidents": special_incidents,
        "escalations": [[level, cause, n] for (level, cause), n in escalations.items()],
        "callbacks": callbacks,
        "agent_callbacks": [[agent, counts] for agent, counts in agent_callbacks.items()],
    }


def event_figures(events: dict):
    """A part's "events" (fold_events) as the figures use them: the escalations by level, by
    cause and by both, the call-backs, the call-backs per agent, the special incidents."""
    escalations: dict[str, dict] = {"by_level": {}, "by_cause": {}, "by_level_cause": {}}
    for level, cause, n in events["escalations"]:
        escalations["by_level"][level] = escalations["by_level"].get(level, 0) + n
        escalations["by_cause"][cause] = escalations["by_cause"].get(cause, 0) + n
        escalations["by_level_cause"][(level, cause)] = escalations["by_level_cause"].get((level, cause), 0) + n
    agent_callbacks = {agent: counts for agent, counts in events["agent_callbacks"]}
    return escalations, events["callbacks"], agent_callbacks, events["special_incidents"]


def trend_rows(base, *, first: date, last: date, now: datetime, tz) -> dict[date, dict]:
    """The trend's counts of each month from `first` to `last`, one GROUP BY local month:
    received, closed within the month, replied in time, replies given or due; and the reply
    times that bound the `now` the counts hold for (parts.unreplied_due_aggregates)."""
    start, _ = month_bounds(first)
    _, end = month_bounds(last)
    received_month = TruncMonth("received_at", tzinfo=tz)
    rows = (
        base.filter(received_at__gte=start, received_at__lt=end)
        .annotate(m=received_month, closed_m=TruncMonth("closed_at", tzinfo=tz))
        .values("m")
        .annotate(
            received=Count("id"),
            closed=Count("id", filter=Q(closed_at__isnull=False, closed_m=F("m"))),
            replied_in_time=Count(
                "id", filter=Q(first_replied_at__isnull=False, first_replied_at__lte=F("reply_due_at"))
            ),
            reply_measured=Count("id", filter=Q(first_replied_at__isnull=False) | Q(reply_due_at__lt=now)),
            **unreplied_due_aggregates(now),
        )
    )
    found = {}
    for row in rows:
        m = row.pop("m")
        found[(timezone.localtime(m, tz) if timezone.is_aware(m) else m).date().replace(day=1)] = row
    return found


def trend_line(month: date, row: dict | None) -> TrendMonth:
    """One month of the trend from its counts (trend_rows, or a part's headline)."""
    row = row or {"received": 0, "closed": 0, "replied_in_time": 0, "reply_measured": 0}
    return {
        "month": month,
        "label": month_label(month),
        "received": row["received"],
        "closed": row["closed"],
        "replied_in_time": row["replied_in_time"],
        "reply_measured": row["reply_measured"],
        "reply_compliance_pct": pct(row["replied_in_time"], row["reply_measured"]),
    }


def complaint_list(qs, *, tz) -> list[ComplaintRow]:
    """ONE query (values_list with the joins), in order of receipt."""
    rows = qs.order_by("received_at", "id").values_list(
        "id",
        "received_at",
        "channel",
        "category__name",
        "office__name",
        "department__name",
        "status",
        "close_reason",
        "escalation_level",
    )
    channel_labels = {code: label for code, label in Channel.choices}
    status_labels = {code: label for code, label in Status.choices}
    reason_labels = {code: label for code, label in CloseReason.choices}
    names: dict[str, object] = {}

    def name(value):
        if value is None:
            return ""
        if value not in names:
            names[value] = catalogue_name(value)
        return names[value]

    return [
        {
            "id": pk,
            "reference": f"#{pk}",
            "received_at": received_at.astimezone(tz),
            "channel": channel,
            "channel_label": channel_labels.get(channel, channel),
            "category": name(category),
            "office": office,
            "department": name(department),
            "status": status,
            "status_label": status_labels.get(status, status),
            "close_reason": reason,
            "close_reason_label": reason_labels.get(reason, "") if reason else "",
            "level": level,
        }
        for pk, received_at, channel, category, office, department, status, reason, level in rows
    ]

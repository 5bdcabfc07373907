"""The monthly summary's queries over the event log, over the last twelve months and over
the month's complaints (the list, the only part that grows with their number)."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncMonth
from django.utils import timezone

from helpdesk.dates import add_months, month_bounds, month_label

from ...choices import Channel, CloseReason, EventKind, Status
from ...event_data import ESCALATION_CAUSE, RATING, SATISFIED, VIA
from .counts import CURRENT, PREVIOUS, RATINGS, empty_callbacks, pct
from .labels import catalogue_name
from .types import ComplaintRow, TrendMonth

TREND_MONTHS = 12


def event_figures(base, *, prev_start, start, end):
    """One GROUP BY over the events of both months that raise the level, record a call-back
    or flag a special incident (R-C6.2), joined to the (scoped) complaints. Each call-back group also counts, by
    conditional aggregates, the call-backs the complainant answered online (data["via"]
    present) and those rated 1, 2 … 5 (data["rating"], a JSON number compared exactly: a
    value outside 1–5 is not a rating); the average is derived from that distribution."""
    cb_kind = EventKind.CALLBACK_RECORDED
    is_callback = Q(events__kind=cb_kind)
    is_escalation = Q(events__to_level__gt=F("events__from_level"))
    is_special_incident = Q(events__kind=EventKind.SPECIAL_INCIDENT_FLAGGED)
    # read only on the call-back rows (callback=1): every event of such a group is a call-back
    callback_counts = {
        "satisfied": Count("events__id", filter=Q(**{f"events__data__{SATISFIED}": True})),
        "online": Count("events__id", filter=Q(events__data__has_key=VIA)),
        **{f"rated_{r}": Count("events__id", filter=Q(**{f"events__data__{RATING}": r})) for r in RATINGS},
    }
    rows = (
        base.filter(
            Q(
                events__created_at__gte=prev_start, events__created_at__lt=end, events__kind__in=EventKind.values
            )  # every kind: lets the (kind, created_at) index serve
            & (is_callback | is_escalation | is_special_incident)
        )
        .values(
            period=Case(
                When(events__created_at__gte=start, then=Value(CURRENT)),
                default=Value(PREVIOUS),
                output_field=IntegerField(),
            ),
            callback=Case(When(is_callback, then=Value(1)), default=Value(0), output_field=IntegerField()),
            escalation=Case(When(is_escalation, then=Value(1)), default=Value(0), output_field=IntegerField()),
            special=Case(When(is_special_incident, then=Value(1)), default=Value(0), output_field=IntegerField()),
            level=F("events__to_level"),
            cause=KeyTextTransform(ESCALATION_CAUSE, "events__data"),
            agent=F("received_by_id"),  # named afterwards: narrow GROUP BY keys keep the sort in memory
        )
        .annotate(n=Count("events__id"), **callback_counts)
    )
    escalations: dict[int, dict[str, dict]] = {
        p: {"by_level": {}, "by_cause": {}, "by_level_cause": {}} for p in (CURRENT, PREVIOUS)
    }
    callbacks = {p: empty_callbacks() for p in (CURRENT, PREVIOUS)}
    agent_callbacks: dict[int | None, dict] = {}  # None: complaints nobody has claimed yet
    special_incidents = {CURRENT: 0, PREVIOUS: 0}
    for row in rows:
        p = row["period"]
        if row["special"]:
            special_incidents[p] += row["n"]
        if row["escalation"]:
            esc = escalations[p]
            level, cause = row["level"], row["cause"] or None
            esc["by_level"][level] = esc["by_level"].get(level, 0) + row["n"]
            esc["by_cause"][cause] = esc["by_cause"].get(cause, 0) + row["n"]
            esc["by_level_cause"][(level, cause)] = esc["by_level_cause"].get((level, cause), 0) + row["n"]
        if row["callback"]:
            entries = [callbacks[p]]
            if p == CURRENT:
                entries.append(agent_callbacks.setdefault(row["agent"], empty_callbacks()))
            for entry in entries:
                entry["total"] += row["n"]
                for key in ("satisfied", "online", *(f"rated_{r}" for r in RATINGS)):
                    entry[key] += row[key]
    return escalations, callbacks, agent_callbacks, special_incidents


def trend_of(base, *, month: date, now: datetime, tz) -> list[TrendMonth]:
    """The last TREND_MONTHS months up to `month`, one GROUP BY local month."""
    first = add_months(month, -(TREND_MONTHS - 1))
    start, _ = month_bounds(first)
    _, end = month_bounds(month)
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
        )
    )
    found = {}
    for row in rows:
        m = row["m"]
        key = (timezone.localtime(m, tz) if timezone.is_aware(m) else m).date().replace(day=1)
        found[key] = row
    trend: list[TrendMonth] = []
    for i in range(TREND_MONTHS):
        m = add_months(first, i)
        row = found.get(m, {"received": 0, "closed": 0, "replied_in_time": 0, "reply_measured": 0})
        trend.append(
            {
                "month": m,
                "label": month_label(m),
                "received": row["received"],
                "closed": row["closed"],
                "replied_in_time": row["replied_in_time"],
                "reply_measured": row["reply_measured"],
                "reply_compliance_pct": pct(row["replied_in_time"], row["reply_measured"]),
            }
        )
    return trend


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

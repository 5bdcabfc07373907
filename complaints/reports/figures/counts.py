"""The conditional aggregates shared by the headline, every breakdown and the agents, and the
figures derived from them."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Max, Min, Q

from ...choices import CloseReason

CURRENT, PREVIOUS = 0, 1  # the periods of a query over both months
RATINGS = (1, 2, 3, 4, 5)  # the complainant's rating of a call-back (event_data.RATING), 5 is best

CLOSE_REASON_KEYS = {
    CloseReason.ON_THE_SPOT: "closed_on_the_spot",
    CloseReason.CALLBACK_SATISFIED: "closed_after_callback",
    CloseReason.AUTO_CLOSED: "auto_closed",
    CloseReason.NO_CALLBACK_NEEDED: "closed_no_callback_needed",
}


def pct(part, whole) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def average(total: int, n: int) -> float | None:
    """total / n to one decimal, halves rounded up (13 / 4 = 3.25 → 3.3); None when n is 0."""
    if not n:
        return None
    return float((Decimal(total) / Decimal(n)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def empty_callbacks() -> dict:
    """The call-back counts of a month or an agent, as queries.fold_events adds them up."""
    return {"total": 0, "satisfied": 0, "online": 0, **{f"rated_{r}": 0 for r in RATINGS}}


def callback_figures(cb: dict) -> dict:
    """The call-back figures (headline and agent keys) from the counts of empty_callbacks():
    plain arithmetic on the aggregated numbers, the average rating from its distribution."""
    rated = sum(cb[f"rated_{r}"] for r in RATINGS)
    return {
        "callbacks": cb["total"],
        "callbacks_satisfied": cb["satisfied"],
        "callback_satisfaction_pct": pct(cb["satisfied"], cb["total"]),
        "callbacks_online": cb["online"],
        "callbacks_by_staff": cb["total"] - cb["online"],
        "callbacks_rated": rated,
        "rating_average": average(sum(r * cb[f"rated_{r}"] for r in RATINGS), rated),
        **{f"rated_{r}": cb[f"rated_{r}"] for r in RATINGS},
    }


def count_aggregates(*, closed_q: Q, now: datetime) -> dict:
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
    for reason, key in CLOSE_REASON_KEYS.items():
        counts[key] = Count("id", filter=closed_q & Q(close_reason=reason))
    return counts


def unreplied_due_aggregates(now: datetime) -> dict:
    """The reply counts depend on `now` through the complaints not replied to yet (measured once
    their reply time has passed): the latest such reply time before `now` and the first one
    from `now` on bound the moments for which the counts stay what they are
    (parts.measured_window)."""
    unreplied = Q(first_replied_at__isnull=True)
    return {
        "due_before": Max("reply_due_at", filter=unreplied & Q(reply_due_at__lt=now)),
        "due_from": Min("reply_due_at", filter=unreplied & Q(reply_due_at__gte=now)),
    }


def finish_counts(row: dict) -> dict:
    """Derived figures of a row of counts (plain arithmetic on aggregated numbers)."""
    row["still_open"] = row["received"] - row["closed"]
    row["reply_compliance_pct"] = pct(row["replied_in_time"], row["reply_measured"])
    return row


def empty_counts() -> dict:
    row = {
        key: 0
        for key in (
            "received",
            "closed",
            "escalated_complaints",
            "replied_in_time",
            "reply_measured",
            *CLOSE_REASON_KEYS.values(),
        )
    }
    return finish_counts(row)


def sum_rows(rows: list[dict]) -> dict:
    total = empty_counts()
    for row in rows:
        for key in total:
            if key not in ("still_open", "reply_compliance_pct"):
                total[key] += row[key]
    return finish_counts(total)

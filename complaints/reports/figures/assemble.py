"""The figures from the parts (figures.parts): labels, orders, totals and derived figures put
on the numbers the database returned. No query: the one place that decides how a part reads,
for `monthly_figures` and for the stored summary alike."""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext_lazy as _

from helpdesk.dates import add_months, month_bounds, month_label

from ...choices import Channel
from .counts import CURRENT, PREVIOUS, RATINGS, callback_figures, empty_callbacks, empty_counts, finish_counts, sum_rows
from .labels import HEADLINE, UNCLAIMED, agent_label, catalogue_name, cause_label, level_label, person_label, tier_label
from .parts import BREAKDOWN_FIELDS, MonthPart
from .queries import event_figures
from .types import Breakdown, CategoryRow, ComplaintRow, Filters, MonthlyFigures, TrendMonth

TOP_CATEGORIES = 5


def headline_of(part: MonthPart) -> dict:
    """The headline figures of a month (labels.HEADLINE's keys) from its part."""
    figures = finish_counts(dict(part["headline"]))
    del figures["closed_in_month"]  # the trend's (trend_counts)
    escalations, callbacks, _agents, special_incidents = event_figures(part["events"])
    figures.update(
        escalations=sum(escalations["by_level"].values()),
        special_incidents=special_incidents,
        **callback_figures(callbacks),
    )
    return figures


def trend_counts(part: MonthPart) -> dict:
    """A month's line of the trend from its part (what queries.trend_rows counts)."""
    h = part["headline"]
    return {
        "received": h["received"],
        "closed": h["closed_in_month"],
        "replied_in_time": h["replied_in_time"],
        "reply_measured": h["reply_measured"],
    }


def _breakdown(rows: list[dict], *, field: str, label, order) -> Breakdown:
    """The rows of one breakdown (a GROUP BY `field` with the shared counts), and their total."""
    counts = [k for k in empty_counts() if k not in ("still_open", "reply_compliance_pct")]
    out = [
        {"key": r[field], "label": label(r), **finish_counts({k: r[k] for k in counts})}
        # the key breaks a tie (two offices of one name): the same order whatever the database's
        for r in sorted(rows, key=lambda r: (order(r), r[field] is None, str(r[field])))
    ]
    return {"rows": out, "total": sum_rows(out)}


def _categories(rows: list[dict]) -> list[CategoryRow]:
    cat_rows: dict[int, CategoryRow] = {}
    for row in rows:
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
    return sorted(cat_rows.values(), key=lambda r: (-r["total"], r["name"], r["category_id"]))


def _agents(part: MonthPart, agent_callbacks: dict) -> list[dict]:
    """Per agent (received_by), with the call-backs of their complaints; the complaints nobody
    has claimed yet (received_by NULL) are one row of their own, last."""
    counts = [k for k in empty_counts() if k not in ("still_open", "reply_compliance_pct")]
    agents: dict[int | None, dict] = {}
    for row in part["agents"]:
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
    names = {pk: person_label(first, last, username) for pk, username, first, last in part["agent_names"]}
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
    # the id breaks a tie (two agents of one name): the same order whatever the database's
    return sorted(
        agents.values(), key=lambda r: (r["user_id"] is None, -r["received"], str(r["label"]), r["user_id"] or 0)
    )


def assemble(
    *,
    month: date,
    current: MonthPart,
    previous: MonthPart,
    trend: list[TrendMonth],
    filters: Filters,
    now: datetime,
    complaints: list[ComplaintRow] | None,
) -> MonthlyFigures:
    """Every figure of the monthly summary of `month` from the full part of the month, the
    part of the month before (its headline) and the trend."""
    month = month.replace(day=1)
    prev = add_months(month, -1)
    start, end = month_bounds(month)
    headline = {CURRENT: headline_of(current), PREVIOUS: headline_of(previous)}
    esc, _callbacks, agent_callbacks, _special = event_figures(current["events"])

    categories = _categories(current["categories"])
    channel_totals = {code: sum(r["counts"][code] for r in categories) for code in Channel.values}
    office_fields, department_fields = BREAKDOWN_FIELDS["offices"], BREAKDOWN_FIELDS["departments"]
    by_office = _breakdown(
        current["offices"], field=office_fields[0], label=lambda r: r["office__name"], order=lambda r: r["office__name"]
    )
    by_department = _breakdown(
        current["departments"],
        field=department_fields[0],
        label=lambda r: catalogue_name(r["department__name"]) if r["department_id"] else _("No department assigned"),
        order=lambda r: (r["department_id"] is None, r["department__name"] or ""),
    )
    by_tier = _breakdown(
        current["tiers"],
        field="customer__tier",
        label=lambda r: tier_label(r["customer__tier"]),
        order=lambda r: (r["customer__tier"] is None, r["customer__tier"] or ""),
    )
    by_level = _breakdown(
        current["levels"],
        field="escalation_level",
        label=lambda r: level_label(r["escalation_level"]),
        order=lambda r: r["escalation_level"],
    )
    cur = headline[CURRENT]
    return {
        "month": month,
        "month_label": month_label(month),
        "previous_month": prev,
        "previous_month_label": month_label(prev),
        "period": {"start": start, "end": end},
        "generated_at": now,
        "filters": filters,
        "current": cur,
        "previous": headline[PREVIOUS],
        "headline": [
            {"key": key, "label": label, "kind": kind, "current": cur[key], "previous": headline[PREVIOUS][key]}
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
            "total": cur["escalations"],
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
            "total": cur["callbacks"],
            "satisfied": cur["callbacks_satisfied"],
            "satisfaction_pct": cur["callback_satisfaction_pct"],
        },
        "ratings": {
            "online": cur["callbacks_online"],
            "by_staff": cur["callbacks_by_staff"],
            "rated": cur["callbacks_rated"],
            "average": cur["rating_average"],
            "distribution": [
                {"rating": r, "count": cur[f"rated_{r}"], "previous": headline[PREVIOUS][f"rated_{r}"]} for r in RATINGS
            ],
        },
        "repeat": {"complainants": cur["repeat_complainants"], "complaints": cur["repeat_complaints"]},
        "agents": _agents(current, agent_callbacks),
        "trend": trend,
        "complaints": complaints,
    }

"""monthly_figures against the hand-built October 2026 of conftest.py (known answers), its
month boundaries in local time, scoping and filters, and a fixed number of queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.choices import CallbackMethod, Channel, EscalationCause, EventKind, Status
from complaints.reports.figures import add_months, month_bounds, monthly_figures, parse_month, previous_month
from tests.factories import ComplaintFactory, department

from .october import NOW, OCTOBER, SEPTEMBER, event, local, make_complaint

pytestmark = pytest.mark.django_db


def figures(**kwargs):
    kwargs.setdefault("month", OCTOBER)
    kwargs.setdefault("now", NOW)
    return monthly_figures(**kwargs)


def by_key(rows, key="key"):
    return {row[key]: row for row in rows}


# ------------------------------------------------------------------------- months
def test_month_bounds_are_local_midnights():
    start, end = month_bounds(OCTOBER)
    assert (start, end) == (local(2026, 10, 1), local(2026, 11, 1))
    assert start.utcoffset() == timedelta(hours=8)
    assert timezone.localtime(start).day == 1 and start.astimezone(timezone.get_fixed_timezone(0)).day == 30


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-10", "2026/10", "october", "", "1999-12", "2026-10-01"])
def test_parse_month_refuses_what_is_not_a_month(text):
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(text)


def test_parse_month_and_previous_month():
    assert parse_month("2026-10") == OCTOBER
    assert parse_month(" 2026-1 ") == date(2026, 1, 1)
    assert previous_month(local(2026, 11, 1, 0, 0, 0)) == OCTOBER
    assert previous_month(local(2026, 10, 31, 23, 59, 59)) == SEPTEMBER  # 15:59:59 UTC, still October locally
    assert previous_month(local(2026, 1, 15)) == date(2025, 12, 1)
    assert add_months(date(2026, 1, 1), -13) == date(2024, 12, 1)


# ------------------------------------------------------------------ known answers
def test_headline_figures_of_the_hand_built_month(october):
    current = figures()["current"]

    assert current["received"] == 7  # c1 … c7: Oct 1 00:00:00 and Oct 31 23:59:59 local are in
    assert current["closed"] == 4  # c6 closed on Nov 1 08:00: still open at the end of October
    assert current["still_open"] == 3
    assert (
        current["closed_on_the_spot"],
        current["closed_after_callback"],
        current["auto_closed"],
        current["closed_no_callback_needed"],
    ) == (1, 2, 1, 0)
    # replied or due by NOW: c1 c2 c3 c6 c7 replied, c4 overdue; c5's reply time has not come yet
    assert current["reply_measured"] == 6
    assert current["replied_in_time"] == 4
    assert current["reply_compliance_pct"] == 66.7
    # replies after 0.5, 1, 1, 2, 10 h; closed after 1, 24, 72, 240 h (percentile_cont interpolation)
    assert current["reply_hours_median"] == 1.0
    assert current["reply_hours_p90"] == 6.8
    assert current["close_hours_median"] == 48.0
    assert current["close_hours_p90"] == 189.6
    assert current["escalated_complaints"] == 2


def test_month_boundaries_in_local_time(october):
    ids = {row["id"] for row in figures()["complaints"]}
    c = october.c
    assert c[1].pk in ids  # Oct 1 00:00:00 local = Sep 30 16:00 UTC
    assert c[5].pk in ids  # Oct 31 23:59:59 local = Oct 31 15:59:59 UTC
    assert c["n1"].pk not in ids  # Nov 1 00:00:00 local = Oct 31 16:00 UTC: November's
    assert c["p1"].pk not in ids  # Sep 30 23:59:59 local: September's
    assert c["n1"].received_at.astimezone(timezone.get_fixed_timezone(0)).date() == date(2026, 10, 31)

    november = figures(month=date(2026, 11, 1), now=NOW)
    assert [row["id"] for row in november["complaints"]] == [c["n1"].pk]
    assert november["escalations"]["total"] == 1  # the event at Nov 1 00:00:00 local


def test_escalations_and_callbacks_come_from_the_events_of_the_month(october):
    f = figures()
    assert f["escalations"]["total"] == 4  # the reassignment (no rise) and November's move are not counted
    assert [(r["level"], r["count"]) for r in f["escalations"]["by_level"]] == [(1, 3), (2, 1)]
    assert str(f["escalations"]["by_level"][0]["label"]) == "1 — service-centre supervisor"
    assert {row["cause"]: row["count"] for row in f["escalations"]["by_cause"]} == {
        EscalationCause.EMOTIONAL: 1,
        EscalationCause.DEADLINE_MISSED: 1,
        EscalationCause.BEYOND_AUTHORITY: 1,
        EscalationCause.CALLBACK_UNSATISFIED: 1,
    }
    assert {(r["level"], r["cause"]): r["count"] for r in f["escalations"]["by_level_cause"]} == {
        (1, "emotional"): 1,
        (1, "deadline_missed"): 1,
        (2, "beyond_authority"): 1,
        (1, "callback_unsatisfied"): 1,
    }
    # c2, c7 satisfied; p1 (a September complaint) unsatisfied then satisfied — by event time
    assert f["callbacks"] == {"total": 4, "satisfied": 3, "satisfaction_pct": 75.0}


def test_repeat_complainants_by_customer_or_phone(october):
    f = figures()
    # customer X (c1, c2) and phone 13900000001 (c3, c4, not linked); the anonymous c7 is left out
    assert f["repeat"] == {"complainants": 2, "complaints": 4}


def test_previous_month_beside_the_current_one(october):
    f = figures()
    previous = f["previous"]
    assert f["previous_month"] == SEPTEMBER and f["previous_month_label"] == "2026-09"
    assert (previous["received"], previous["closed"], previous["still_open"]) == (2, 1, 1)
    assert previous["reply_compliance_pct"] == 100.0
    assert (previous["reply_hours_median"], previous["reply_hours_p90"]) == (1.25, 1.85)
    assert (previous["close_hours_median"], previous["close_hours_p90"]) == (0.5, 0.5)
    assert previous["escalations"] == 1 and previous["callbacks"] == 0
    assert previous["callback_satisfaction_pct"] is None
    assert previous["repeat_complainants"] == 0
    headline = by_key(f["headline"])
    assert headline["received"]["current"] == 7 and headline["received"]["previous"] == 2
    assert headline["callback_satisfaction_pct"]["current"] == 75.0
    assert [row["key"] for row in f["headline"]][:3] == ["received", "closed", "still_open"]


def test_per_agent_figures(october):
    agents = {row["user_id"]: row for row in figures()["agents"]}
    one, two = agents[october.agent1.pk], agents[october.agent2.pk]
    assert one["label"] == "Li Na"
    assert (
        one["received"],
        one["replied_in_time"],
        one["reply_measured"],
        one["escalated_complaints"],
        one["closed"],
    ) == (6, 3, 5, 2, 3)
    assert (one["callbacks"], one["callbacks_satisfied"], one["callback_satisfaction_pct"]) == (3, 2, 66.7)
    assert (
        two["received"],
        two["replied_in_time"],
        two["escalated_complaints"],
        two["closed"],
        two["callbacks"],
        two["callback_satisfaction_pct"],
    ) == (1, 1, 0, 1, 1, 100.0)


def test_an_agent_with_call_backs_but_no_complaint_this_month_is_listed(october, make_user):
    agent3 = make_user("agent", username="agent-three", first_name="Sun", last_name="Li")
    older = make_complaint(october.office, agent3, at=local(2026, 8, 20, 9), phone="13900000099")
    event(older, at=local(2026, 10, 3, 9), kind=EventKind.CALLBACK_RECORDED, satisfied=True)

    row = {r["user_id"]: r for r in figures()["agents"]}[agent3.pk]
    assert (row["label"], row["received"], row["callbacks"], row["callback_satisfaction_pct"]) == (
        "Sun Li",
        0,
        1,
        100.0,
    )


def test_breakdowns(october):
    f = figures()
    offices = by_key(f["by_office"]["rows"])
    assert offices[october.office.pk]["received"] == 6 and offices[october.office.pk]["closed"] == 3
    assert offices[october.other_office.pk]["received"] == 1
    assert f["by_office"]["total"]["received"] == 7 and f["by_office"]["total"]["still_open"] == 3
    assert f["by_office"]["total"]["reply_compliance_pct"] == 66.7

    cats = {row["name"]: row for row in f["by_category_channel"]["rows"]}
    assert cats["Repairs"]["counts"] == {"walk_in": 1, "phone": 3, "online": 0, "letter": 0, "field_visit": 1}
    assert cats["噪音扰民"]["counts"] == {"walk_in": 0, "phone": 0, "online": 1, "letter": 1, "field_visit": 0}
    assert f["by_category_channel"]["total"] == 7
    assert [(r["label"], r["received"]) for r in f["top_categories"]] == [("Repairs", 5), ("噪音扰民", 2)]
    assert {r["code"]: r["received"] for r in f["by_channel"]}[Channel.PHONE] == 3

    assert {r["key"]: r["received"] for r in f["by_tier"]["rows"]} == {"A": 1, "B": 2, None: 4}
    assert {r["key"]: r["received"] for r in f["by_level"]["rows"]} == {0: 5, 1: 1, 2: 1}
    departments = f["by_department"]["rows"]
    assert [(str(r["label"]), r["received"]) for r in departments] == [
        ("Engineering and repairs", 1),
        ("No department assigned", 6),
    ]


def test_trend_of_the_last_twelve_months(october):
    f = figures()
    trend = f["trend"]
    assert len(trend) == 12 and trend[0]["month"] == date(2025, 11, 1) and trend[-1]["month"] == OCTOBER
    assert (trend[-1]["received"], trend[-1]["closed"], trend[-1]["reply_compliance_pct"]) == (7, 4, 66.7)
    assert (trend[-2]["received"], trend[-2]["closed"], trend[-2]["reply_compliance_pct"]) == (2, 1, 100.0)
    assert all(t["received"] == 0 and t["reply_compliance_pct"] is None for t in trend[:-2])
    # the same numbers as the headline
    assert trend[-1]["received"] == f["current"]["received"] and trend[-1]["closed"] == f["current"]["closed"]


def test_complaint_list_with_outcomes(october):
    rows = figures()["complaints"]
    assert [r["id"] for r in rows] == [october.c[i].pk for i in (1, 2, 3, 7, 4, 6, 5)]  # in order of receipt
    first = rows[0]
    assert first["received_at"] == local(2026, 10, 1) and first["received_at"].utcoffset() == timedelta(hours=8)
    assert (first["channel"], first["status"], first["close_reason"], first["level"]) == (
        "phone",
        "closed",
        "on_the_spot",
        0,
    )
    assert str(first["category"]) == "Repairs" and first["office"] == october.office.name
    assert figures(include_complaints=False)["complaints"] is None


# -------------------------------------------------------------- scoping, filters
def test_a_supervisor_only_gets_the_figures_of_their_office(october, make_user):
    supervisor = make_user("supervisor", username="sup")
    manager = make_user("manager", username="mgr", office_=october.other_office)
    assert figures(user=supervisor)["current"]["received"] == 6
    assert [r["key"] for r in figures(user=supervisor)["by_office"]["rows"]] == [october.office.pk]
    assert figures(user=supervisor)["callbacks"]["total"] == 3  # c2 and p1's two
    assert figures(user=supervisor)["filters"]["office"] == october.office.name  # named in the files' title
    assert figures(user=manager)["current"]["received"] == 7
    assert figures(user=manager)["filters"]["office"] is None


def test_someone_who_sees_no_complaints_gets_zeros(october, make_user):
    nobody = make_user(None, username="nobody")
    f = figures(user=nobody)
    assert f["current"]["received"] == 0 and f["callbacks"]["total"] == 0 and f["repeat"]["complainants"] == 0
    assert f["complaints"] == [] and f["agents"] == []


def test_filters(october):
    assert figures(channel=Channel.PHONE)["current"]["received"] == 3
    assert figures(tier="B")["current"]["received"] == 2
    assert figures(office=october.other_office)["current"]["received"] == 1
    assert figures(office=october.other_office.pk)["callbacks"]["total"] == 1
    only = figures(department=department())
    assert only["current"]["received"] == 1 and only["escalations"]["total"] == 2
    assert only["filters"]["department"] == "Engineering and repairs"
    with pytest.raises(ValueError):
        figures(channel="pigeon")


def test_an_empty_month_has_zeros_and_no_percentages(db):
    f = figures(month=date(2020, 2, 1))
    assert f["current"]["received"] == 0 and f["current"]["reply_compliance_pct"] is None
    assert f["current"]["reply_hours_median"] is None and f["complaints"] == []
    assert f["by_office"] == {"rows": [], "total": f["by_office"]["total"]}


# ---------------------------------------------------------------- the real lifecycle
def test_events_written_by_the_lifecycle_are_counted(agent, supervisor):
    complaint = ComplaintFactory(office=agent.office, received_by=agent)
    complaint.propose_solution(actor=agent, solution="Repair the lift today.")
    complaint.record_answer(actor=agent, accepted=True)
    complaint.mark_handled(actor=agent, note="Repaired.")
    complaint.record_callback(actor=agent, method=CallbackMethod.PHONE, satisfied=False, to_user=supervisor)
    complaint.propose_solution(actor=supervisor, solution="Replace the motor.")
    complaint.record_answer(actor=supervisor, accepted=True)
    complaint.mark_handled(actor=supervisor, note="Replaced.")
    complaint.record_callback(actor=supervisor, method=CallbackMethod.PHONE, satisfied=True)

    f = monthly_figures(month=timezone.localdate())
    assert f["callbacks"] == {"total": 2, "satisfied": 1, "satisfaction_pct": 50.0}
    assert f["escalations"]["by_cause"][0]["cause"] == EscalationCause.CALLBACK_UNSATISFIED
    assert f["current"]["closed_after_callback"] == 1 and f["current"]["reply_measured"] == 1
    assert f["complaints"][0]["status"] == Status.CLOSED


# ------------------------------------------------------------------ query count
def _month_of(n, office, agent):
    for i in range(n):
        at = local(2026, 10, 1 + i % 28, 9)
        ComplaintFactory(
            office=office,
            received_by=agent,
            received_at=at,
            contact_phone=f"1390000{i % 7:04d}",
            first_replied_at=at + timedelta(hours=i % 5) if i % 3 else None,
        )


def _queries(**kwargs):
    with CaptureQueriesContext(connection) as ctx:
        f = figures(**kwargs)
    return len(ctx.captured_queries), f


def test_the_number_of_queries_is_fixed(agent, make_user):
    manager = make_user("manager", username="mgr")
    manager.has_perm("complaints.view_all_offices")  # permission cache warmed, as in a request
    _month_of(3, agent.office, agent)
    small, f3 = _queries()
    small_user, _ = _queries(user=manager)
    _month_of(27, agent.office, agent)
    large, f30 = _queries()
    large_user, _ = _queries(user=manager)

    assert (f3["current"]["received"], f30["current"]["received"]) == (3, 30)
    assert small == large == small_user == large_user
    # PostgreSQL: 12 queries in a transaction that raises work_mem (BEGIN or SAVEPOINT, SET LOCAL,
    # COMMIT or RELEASE are recorded too); elsewhere 12 + 2 for the percentiles
    assert small == (15 if connection.vendor == "postgresql" else 14)

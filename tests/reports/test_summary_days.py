"""A month's kept figures added up from its days (complaints.reports.figures.days, migration
0026): the triggers log changes by day, each day's sums are kept under that day's version, and
a change computes again only the days it touched — the same figures as computed from scratch."""

import importlib
import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from complaints.choices import EventKind
from complaints.models import Complaint
from complaints.reports import summary
from complaints.reports.figures import reporting_transaction, scoped_complaints
from complaints.reports.figures.counts import CURRENT
from complaints.reports.figures.days import BREAKDOWNS, compose, compute_days, month_days, month_wide
from complaints.reports.figures.parts import AGENT_FIELDS, BREAKDOWN_FIELDS, compute_parts
from complaints.reports.summary import day_versions
from helpdesk.dates import month_bounds
from tests.factories import ComplaintFactory

from .october import NOW, OCTOBER, event, local, make_complaint
from .test_summary_store import same

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the summary is kept on PostgreSQL only"),
]
DAY_MIGRATION = importlib.import_module("complaints.migrations.0026_summary_changes_by_day")


def scoped(**filters):
    defaults = {"user": None, "office": None, "department": None, "channel": None, "tier": None}
    return scoped_complaints(**{**defaults, **filters})


def ordered(part: dict) -> dict:
    """A part with its lists in one order (the database's GROUP BY has none), as JSON."""

    def order(value):
        if isinstance(value, dict):
            return {key: order(v) for key, v in value.items()}
        if isinstance(value, list):
            return sorted((order(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str))
        return value

    return order(json.loads(json.dumps(part, default=str)))


@pytest.fixture
def computed_days(monkeypatch):
    """The days each call of compute_days was asked for."""
    calls: list[list[date]] = []

    def spy(*args, days, **kwargs):
        calls.append(list(days))
        return compute_days(*args, days=days, **kwargs)

    monkeypatch.setattr(summary, "compute_days", spy)
    return calls


def test_the_breakdowns_have_the_parts_fields():
    expected = {**BREAKDOWN_FIELDS, "agents": AGENT_FIELDS, "categories": ["category_id", "category__name", "channel"]}
    for key, (grouped, named, _counts) in BREAKDOWNS.items():
        assert sorted([*grouped, *named]) == sorted(expected[key]), key


@pytest.mark.parametrize("narrowed", ["nothing", "channel", "tier", "office"])
def test_the_days_add_up_to_the_months_part(october, narrowed):
    """compose(every day's piece) is compute_parts' part of the month, key for key."""
    filters = {
        "nothing": {},
        "channel": {"channel": "phone"},
        "tier": {"tier": "B"},
        "office": {"office": october.other_office},
    }[narrowed]
    tz = timezone.get_default_timezone()
    _start, end = month_bounds(OCTOBER)
    with reporting_transaction():
        complaints = scoped(**filters)
        pieces = compute_days(complaints, days=month_days(OCTOBER), month=OCTOBER, now=NOW, tz=tz)
        current = complaints.exclude(close_reason="merged").filter(
            received_at__gte=local(2026, 10, 1), received_at__lt=end
        )
        added = compose([pieces[day] for day in month_days(OCTOBER)], wide=month_wide(current, end=end))
        whole = compute_parts(complaints, month=OCTOBER, now=NOW, with_previous=False)[CURRENT]
    assert len(pieces) == 31
    whole["headline"].pop("still_open", None), whole["headline"].pop("reply_compliance_pct", None)
    assert ordered(added) == ordered(whole)
    assert added["headline"]["received"] > 0 and added["events"]["callbacks"]["total"] > 0


def test_a_change_computes_again_only_the_days_it_touched(october, computed_days):
    same(month=OCTOBER)  # cold: every day of October and of September
    assert [len(days) for days in computed_days] == [31, 30]
    computed_days.clear()
    same(month=OCTOBER)
    assert computed_days == []  # kept
    ComplaintFactory(office=october.office, received_at=local(2026, 10, 3, 9))
    same(month=OCTOBER)
    assert computed_days == [[date(2026, 10, 3)]]
    computed_days.clear()
    # an event made on October 20 about a complaint received on October 5
    c = make_complaint(october.office, october.agent1, at=local(2026, 10, 5, 9), phone="13900000099")
    event(c, at=local(2026, 10, 20, 10), kind=EventKind.CALLBACK_RECORDED, satisfied=True, rating=4)
    assert same(month=OCTOBER)["callbacks"]["total"] > 0
    assert computed_days == [[date(2026, 10, 5), date(2026, 10, 20)]]


def test_a_reply_deadline_passing_computes_again_only_its_day(october, computed_days):
    make_complaint(october.office, october.agent1, at=local(2026, 10, 31, 20), phone="13900000098")  # due Nov 1 20:00
    same(month=OCTOBER)
    computed_days.clear()
    same(month=OCTOBER, now=NOW + timedelta(hours=12))  # past the reply time: measured now
    assert computed_days == [[date(2026, 10, 31)]]


def test_a_day_version_moves_with_its_own_changes_only(october):
    before = day_versions(date(2026, 10, 1), date(2026, 10, 31))
    assert len(before) == 31
    c = october.c[1]
    Complaint.objects.filter(pk=c.pk).update(escalation_level=3)
    after = day_versions(date(2026, 10, 1), date(2026, 10, 31))
    day = timezone.localtime(c.received_at).date()
    assert after[day] > before[day]
    assert {d: v for d, v in after.items() if d != day} == {d: v for d, v in before.items() if d != day}


def test_the_month_version_is_the_sum_of_its_days(october):
    days = day_versions(date(2026, 10, 1), date(2026, 10, 31))
    assert summary.month_versions([OCTOBER])[OCTOBER] == sum(days.values())


def test_a_month_logged_before_the_days_still_counts(october):
    """A row logged by month before migration 0026 (dated the 1st) counts for the month and
    its first day."""
    before = summary.month_versions([OCTOBER])[OCTOBER]
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO complaints_summary_change (month) VALUES (%s)", [OCTOBER])
    assert summary.month_versions([OCTOBER])[OCTOBER] == before + 1
    same(month=OCTOBER)


def test_the_triggers_log_the_local_day(october):
    with connection.cursor() as cursor:
        cursor.execute("SELECT complaints_summary_month(%s)", [local(2026, 10, 31, 23, 59)])
        assert cursor.fetchone()[0] == date(2026, 10, 31)  # Oct 31 15:59 UTC
        cursor.execute("SELECT complaints_summary_month(%s)", [local(2026, 11, 1, 0, 0)])
        assert cursor.fetchone()[0] == date(2026, 11, 1)
    assert DAY_MIGRATION.KEPT_DAY == summary.DAY


def test_the_figures_order_ties_the_same_whatever_the_rows_order():
    """Two agents (or offices) of one name with the same counts: the kept summary adds rows up
    in its own order, the database groups in another — the figures must not depend on it."""
    from complaints.reports.figures.assemble import _agents, _breakdown
    from complaints.reports.figures.counts import empty_counts

    counts = {k: 1 if k == "received" else 0 for k in empty_counts() if k not in ("still_open", "reply_compliance_pct")}

    def agent(pk):
        names = {"received_by__username": f"u{pk}", "received_by__first_name": "Na", "received_by__last_name": "Li"}
        return {"received_by_id": pk, **names, **counts}

    rows = [agent(7), agent(3), agent(5)]
    orders = [_agents({"agents": r, "agent_names": []}, {}) for r in (rows, rows[::-1])]
    assert orders[0] == orders[1] and [a["user_id"] for a in orders[0]] == [3, 5, 7]
    offices = [{"office_id": pk, "office__name": "河畔", **counts} for pk in (9, 2)]
    by_office = [
        _breakdown(r, field="office_id", label=lambda r: r["office__name"], order=lambda r: r["office__name"])
        for r in (offices, offices[::-1])
    ]
    assert by_office[0] == by_office[1] and [r["key"] for r in by_office[0]["rows"]] == [2, 9]

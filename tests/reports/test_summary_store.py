"""The kept monthly summary (complaints.reports.summary, migration 0019): the dashboard and the
files read each month's figures computed once, and show a change the moment it is committed —
a merge, a closing, a move up, an event, a customer's new tier, a renamed office, or only the
time passing a reply deadline. Each test warms the summary, changes one thing, and compares
with `monthly_figures` computed from scratch."""

import importlib
import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.functional import Promise
from openpyxl import load_workbook

from complaints.choices import EscalationCause, EventKind
from complaints.models import Complaint
from complaints.reports import summary
from complaints.reports.figures import monthly_figures, scoped_complaints
from complaints.reports.figures.parts import compute_parts
from complaints.reports.summary import GLOBAL, month_versions, monthly_summary, store_scope
from customers.models import Customer
from tests.factories import ComplaintFactory

from .october import NOW, OCTOBER, SEPTEMBER, event, local, make_complaint

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the summary is kept on PostgreSQL only (triggers)"
)
migration = importlib.import_module("complaints.migrations.0019_monthly_summary")
events_migration = importlib.import_module("complaints.migrations.0023_summary_trigger_reads_fewer_events")
NOVEMBER = date(2026, 11, 1)


def plain(value):
    """Lazy labels as text, so that two figures compare as data."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {key: plain(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def same(*, now=NOW, include_complaints=False, **kwargs):
    """The kept summary, checked against the figures computed from scratch."""
    kept = monthly_summary(now=now, include_complaints=include_complaints, **kwargs)
    fresh = monthly_figures(now=now, include_complaints=include_complaints, **kwargs)
    assert plain(kept) == plain(fresh)
    return kept


def headline(figures, key):
    return figures["current"][key], figures["previous"][key]


# ------------------------------------------------------------ the same figures
@pytest.mark.parametrize("narrowed", ["nothing", "channel", "tier", "department", "office"])
def test_the_summary_is_monthly_figures_cold_and_kept(october, narrowed):
    filters: dict[str, Any] = {
        "nothing": {},
        "channel": {"channel": "phone"},
        "tier": {"tier": "B"},
        "department": {"department": october.c[4].department},
        "office": {"office": october.other_office},
    }[narrowed]
    for _ in range(2):  # computed, then read back
        same(month=OCTOBER, **filters)
        same(month=SEPTEMBER, **filters)
    same(month=OCTOBER, include_complaints=True, **filters)


def test_the_summary_is_monthly_figures_for_each_user(october, make_user):
    manager = make_user("manager", username="boss")
    supervisor = make_user("supervisor", username="sup")
    handler = make_user("department_handler", username="hand", department=october.c[4].department)
    for user in (manager, supervisor, handler, manager, supervisor):
        same(month=OCTOBER, user=user)
    assert same(month=OCTOBER, user=supervisor)["current"]["received"] == 6


def test_an_unknown_channel_or_tier_is_refused(october):
    monthly_summary(month=OCTOBER, now=NOW)
    with pytest.raises(ValueError):
        monthly_summary(month=OCTOBER, now=NOW, channel="fax")
    with pytest.raises(ValueError):
        monthly_summary(month=OCTOBER, now=NOW, tier="Z")


@postgres_only
def test_kept_figures_cost_one_query(october):
    monthly_summary(month=OCTOBER, now=NOW)
    with CaptureQueriesContext(connection) as ctx:
        kept = monthly_summary(month=OCTOBER, now=NOW)
    assert len(ctx.captured_queries) == 1  # the versions and the parts that hold
    assert plain(kept) == plain(monthly_figures(month=OCTOBER, now=NOW, include_complaints=False))


@postgres_only
def test_whom_the_parts_are_kept_for(october, make_user, handler):
    manager, supervisor = make_user("manager", username="boss"), make_user("supervisor", username="sup")
    assert store_scope() == "all|office=|department=|channel=|tier="
    assert store_scope(user=manager, tier="A") == "all|office=|department=|channel=|tier=A"
    assert (
        store_scope(user=supervisor, channel="phone")
        == f"office:{supervisor.office_id}|office=|department=|channel=phone|tier="
    )
    assert store_scope(user=handler) is None  # a lane: computed every time
    assert store_scope(user=make_user(None, username="nobody")) is None


# ------------------------------------------------- a change shows at once
@postgres_only
def test_a_merge_in_a_past_month_shows_at_once(october, supervisor):
    before = same(month=OCTOBER)
    october.c[5].merge_into(supervisor, target=october.c[4], note="The same leak.")
    after = same(month=OCTOBER)
    assert headline(after, "received")[0] == headline(before, "received")[0] - 1
    assert after["current"]["duplicates_merged"] == before["current"]["duplicates_merged"] + 1
    Complaint.objects.get(pk=october.c[5].pk).unmerge(supervisor, note="Not the same after all.")
    assert same(month=OCTOBER)["current"]["received"] == before["current"]["received"]


@postgres_only
def test_merging_an_earlier_complaint_takes_its_events_out_of_this_month(october, supervisor):
    # a complaint received in September, still open, with a call-back made in October
    earlier = make_complaint(october.office, october.agent1, at=local(2026, 9, 20, 9), phone="13900000077")
    event(earlier, at=local(2026, 10, 5, 10), kind=EventKind.CALLBACK_RECORDED, satisfied=False)
    before = same(month=OCTOBER)
    same(month=SEPTEMBER)
    earlier.merge_into(supervisor, target=october.c[4], note="Duplicate.")
    after = same(month=OCTOBER)
    assert after["callbacks"]["total"] == before["callbacks"]["total"] - 1
    assert same(month=SEPTEMBER)["current"]["duplicates_merged"] == 1


@postgres_only
def test_moving_up_a_complaint_of_a_past_month(october, supervisor):
    before = same(month=OCTOBER)
    complaint = october.c[5]
    complaint.move_up(actor=supervisor, cause=EscalationCause.EMOTIONAL, to_user=supervisor, note="Upset.")
    after = same(month=OCTOBER)
    # October: one more complaint moved up at least once (its level now), by level
    assert after["current"]["escalated_complaints"] == before["current"]["escalated_complaints"] + 1
    assert after["by_level"] != before["by_level"]
    # the escalation itself counts in the month it happened (this one)
    same(month=complaint.events.order_by("-created_at").first().created_at.date())


@postgres_only
def test_an_event_dated_in_a_past_month(october):
    before = same(month=OCTOBER)
    event(october.c[1], at=local(2026, 10, 20, 10), kind=EventKind.CALLBACK_RECORDED, satisfied=True, rating=5)
    after = same(month=OCTOBER)
    assert after["callbacks"]["total"] == before["callbacks"]["total"] + 1
    assert after["ratings"]["rated"] == before["ratings"]["rated"] + 1


@postgres_only
def test_a_complaint_moved_to_another_office_moves_its_events(october):
    # p1 (September) made its call-backs in October: they follow it to the other office
    before = same(month=OCTOBER, office=october.other_office)
    Complaint.objects.filter(pk=october.c["p1"].pk).update(office=october.other_office)
    after = same(month=OCTOBER, office=october.other_office)
    assert after["callbacks"]["total"] == before["callbacks"]["total"] + 2


@postgres_only
def test_a_closing_now_changes_the_list_of_a_past_month(october):
    before = same(month=OCTOBER, include_complaints=True)
    Complaint.objects.filter(pk=october.c[4].pk).update(
        status="closed", close_reason="no_callback_needed", closed_at=local(2026, 12, 1, 9)
    )
    after = same(month=OCTOBER, include_complaints=True)
    assert after["current"]["closed"] == before["current"]["closed"]  # closed after October's end
    row = next(c for c in after["complaints"] if c["id"] == october.c[4].pk)
    assert row["status"] == "closed"


@postgres_only
def test_a_customer_tier_change(october):
    before = same(month=OCTOBER, tier="B")
    assert before["current"]["received"] == 2  # customer X's two
    Customer.objects.filter(name="Customer X").update(tier="A")
    assert same(month=OCTOBER, tier="B")["current"]["received"] == 0
    by_tier = {row["key"]: row["received"] for row in same(month=OCTOBER)["by_tier"]["rows"]}
    assert by_tier["A"] == 3


@postgres_only
def test_a_renamed_office_or_agent(october):
    same(month=OCTOBER)
    october.office.name = "Riverside (renamed)"
    october.office.save()
    october.agent1.first_name = "Lina"
    october.agent1.save()
    after = same(month=OCTOBER)
    assert "Riverside (renamed)" in [row["label"] for row in after["by_office"]["rows"]]
    assert "Lina Na" in [row["label"] for row in after["agents"]]


@postgres_only
def test_a_reply_deadline_passing_is_counted_without_any_write(october):
    # c5 (Oct 31 23:59:59) has not been replied to; its reply time is Nov 1 23:59:59
    at_noon = same(month=OCTOBER, now=NOW)
    next_day = same(month=OCTOBER, now=NOW + timedelta(days=1))
    assert next_day["current"]["reply_measured"] == at_noon["current"]["reply_measured"] + 1
    same(month=OCTOBER, now=NOW)  # and back: kept figures hold only for their moments
    same(month=OCTOBER, now=NOW + timedelta(days=1))


@postgres_only
def test_the_dashboard_and_the_xlsx_show_a_merge_at_once(client, october, manager, supervisor):
    client.force_login(manager)
    url = reverse("reports:monthly")
    download = reverse("reports:monthly_download", args=["2026-10", "xlsx"])
    assert client.get(url, {"month": "2026-10"}).context["figures"]["current"]["received"] == 7
    client.get(download)
    october.c[5].merge_into(supervisor, target=october.c[4], note="The same leak.")
    assert client.get(url, {"month": "2026-10"}).context["figures"]["current"]["received"] == 6
    wb = load_workbook(io.BytesIO(client.get(download).content))
    rows = {r[0]: r[1:] for r in wb["Headline figures"].iter_rows(min_row=4, values_only=True)}
    assert rows["Complaints received"][0] == 6
    assert wb["Complaints of the month"].max_row == 3 + 6


# ------------------------------------------------------------ the versions
@postgres_only
def test_what_moves_a_month_version(october, supervisor):
    def versions():
        return month_versions([SEPTEMBER, OCTOBER])

    start = versions()
    ComplaintFactory(office=october.office, received_at=local(2026, 10, 3, 9))  # a new complaint
    grown = versions()
    assert grown[OCTOBER] > start[OCTOBER] and grown[SEPTEMBER] == start[SEPTEMBER]
    # columns no figure reads: no change
    Complaint.objects.filter(pk=october.c[4].pk).update(findings="Pipe.", subject="Leak")
    assert versions() == grown
    # a login (last_login) is no name change; a name is
    october.agent1.last_login = NOW
    october.agent1.save()
    assert versions() == grown
    october.agent1.last_name = "Na-Li"
    october.agent1.save()
    assert versions()[GLOBAL] > grown[GLOBAL]


@postgres_only
def test_a_status_change_does_not_move_the_months_of_the_complaints_events(october, supervisor):
    """What the sweeps write (status, level, deadlines, assignee) moves the month the complaint
    was received in, not those of its events (migration 0023); a column the event figures
    read moves them too, and the figures stay those computed from scratch either way."""
    earlier = make_complaint(october.office, october.agent1, at=local(2026, 9, 20, 9), phone="13900000078")
    event(earlier, at=local(2026, 10, 5, 10), kind=EventKind.CALLBACK_RECORDED, satisfied=False)
    same(month=OCTOBER)
    start = month_versions([SEPTEMBER, OCTOBER])
    Complaint.objects.filter(pk=earlier.pk).update(status="handling", escalation_level=2, assignee=supervisor)
    moved = month_versions([SEPTEMBER, OCTOBER])
    assert moved[SEPTEMBER] > start[SEPTEMBER] and moved[OCTOBER] == start[OCTOBER]
    same(month=OCTOBER)
    for change in (
        {"office": october.other_office},
        {"received_by": october.agent2},
        {"channel": "letter"},
        {"department": october.c[4].department},
        {"customer": Customer.objects.create(name="新客户", tier="A")},
    ):
        before = month_versions([OCTOBER])[OCTOBER]
        Complaint.objects.filter(pk=earlier.pk).update(**change)
        assert month_versions([OCTOBER])[OCTOBER] > before, change
        same(month=OCTOBER)
        same(month=OCTOBER, office=october.other_office)


@postgres_only
def test_the_event_figures_read_no_complaint_column_the_trigger_does_not_watch(october):
    """The complaint columns whose change re-dates the complaint's events (migration 0023)
    are all the event figures' queries read of the complaints, whatever the filters."""
    with CaptureQueriesContext(connection) as ctx:
        for filters in (
            {},
            {"office": october.office, "department": october.c[4].department, "channel": "phone", "tier": "B"},
        ):
            monthly_figures(month=OCTOBER, now=NOW, **filters)
            monthly_summary(month=OCTOBER, now=NOW, **filters)  # the day pieces' queries
    assert any("GROUPING SETS" in q["sql"] for q in ctx.captured_queries)
    events = " ".join(q["sql"] for q in ctx.captured_queries if "complaints_complaintevent" in q["sql"])
    aliases = ["complaints_complaint", *re.findall(r'"complaints_complaint" (U\d+)', events)]
    read = {column for alias in aliases for column in re.findall(rf'"?{alias}"?\."(\w+)"', events)}
    assert "received_by_id" in read
    assert read <= {*events_migration.EVENT_COLUMNS, "id", "close_reason"}, read


@postgres_only
def test_the_update_trigger_compares_every_column_but_the_ignored_ones():
    """Migration 0023 lists the compared columns in the trigger's function: a column added to
    complaints later must be compared (the function made again) or ignored (0019's list)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'complaints_summary_complaints_updated'")
        source = cursor.fetchone()[0]
    changed_when = source.split("WHERE", 1)[1].split(")", 1)[0]
    compared = set(re.findall(r"\bo\.(\w+)", changed_when))
    columns = {f.column for f in Complaint._meta.concrete_fields}
    assert compared == columns - set(migration.COMPLAINT_COLUMNS_IGNORED)
    assert "received_at" in compared and "progress_flagged_at" not in compared


def rows_per_day(first, until) -> dict:
    """The rows of the change log of each day from `first` to before `until` (migration 0026)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT month, count(*) FROM complaints_summary_change WHERE month >= %s AND month < %s GROUP BY month",
            [first, until],
        )
        return dict(cursor.fetchall())


@postgres_only
def test_compaction_keeps_the_versions(october):
    for i in range(summary.COMPACT_AFTER + 5):
        ComplaintFactory(office=october.office, received_at=local(2026, 10, 2, 9) + timedelta(minutes=i))
    before = month_versions([SEPTEMBER, OCTOBER])
    assert rows_per_day(OCTOBER, NOVEMBER)[local(2026, 10, 2, 9).date()] > summary.COMPACT_AFTER
    same(month=OCTOBER)  # finds the crowded month and compacts it
    assert set(rows_per_day(OCTOBER, NOVEMBER).values()) == {1}  # one row per day of October
    assert month_versions([SEPTEMBER, OCTOBER]) == before
    ComplaintFactory(office=october.office, received_at=local(2026, 10, 2, 8))
    assert month_versions([OCTOBER])[OCTOBER] == before[OCTOBER] + 1
    same(month=OCTOBER)


@postgres_only
def test_no_figure_reads_a_column_the_triggers_ignore(october):
    """The complaint columns whose changes leave the versions alone (migration 0019) are read
    by none of the summary's queries, whatever the filters, nor by the list."""
    with CaptureQueriesContext(connection) as ctx:
        for filters in ({}, {"office": october.office, "department": october.c[4].department, "channel": "phone"}):
            monthly_figures(month=OCTOBER, now=NOW, tier="B", **filters)
            monthly_summary(month=OCTOBER, now=NOW, tier="B", **filters)  # the day pieces' queries
        compute_parts(
            scoped_complaints(user=None, office=None, department=None, channel=None, tier=None),
            month=OCTOBER,
            now=NOW,
            with_previous=False,
        )
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    read = set(re.findall(r'"complaints_complaint"\."(\w+)"', sql))
    assert {"received_at", "close_reason", "escalation_level", "reply_due_at"} <= read
    assert not read & set(migration.COMPLAINT_COLUMNS_IGNORED)
    assert set(re.findall(r'"customers_customer"\."(\w+)"', sql)) <= {"id", "tier"}


@postgres_only
def test_the_tidying_task_keeps_the_versions_and_drops_old_parts(october):
    from complaints.reports.tasks import tidy_monthly_summary

    same(month=OCTOBER)
    before = month_versions([SEPTEMBER, OCTOBER])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE complaints_summary_part SET computed_at = now() - interval '100 days' WHERE month = %s",
            [SEPTEMBER],
        )
    counts = tidy_monthly_summary()
    assert counts["changes_compacted"] > 0 and counts["parts_dropped"] >= 1
    assert month_versions([SEPTEMBER, OCTOBER]) == before
    assert set(rows_per_day(SEPTEMBER, NOVEMBER).values()) == {1}  # one row per day left
    same(month=OCTOBER)  # September's part computed again


@postgres_only
def test_nothing_is_kept_when_the_time_zone_is_not_the_triggers(october, settings):
    """The triggers cut months in the time zone of migration 0019: under another TIME_ZONE the
    summary is computed every time, and kept parts are neither read nor written."""
    settings.TIME_ZONE = "UTC"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM complaints_summary_part")
        before = cursor.fetchone()[0]
        same(month=OCTOBER)
        cursor.execute("SELECT count(*) FROM complaints_summary_part")
        assert cursor.fetchone()[0] == before

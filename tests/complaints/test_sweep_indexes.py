"""Each periodic rule selects exactly what its partial index holds, passes the transition
table, and the status groups are defined once (R-T1 … R-T4)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from complaints import rules, sweep_rules, sweeps
from complaints.choices import OPEN_STATUSES, WORKING_STATUSES, CloseReason, Status
from complaints.models import Complaint
from complaints.periodic import raised_level
from tests.factories import ComplaintFactory

INDEXES = {index.name: index for index in Complaint._meta.indexes}


def test_the_status_groups_cover_every_status_once():
    assert set(OPEN_STATUSES) == set(Status.values) - {Status.CLOSED}
    assert len(set(OPEN_STATUSES)) == len(OPEN_STATUSES)
    assert set(WORKING_STATUSES) < set(OPEN_STATUSES)
    assert rules.ACTIONS["reply"].from_statuses == WORKING_STATUSES
    assert rules.ACTIONS["move_up"].from_statuses == OPEN_STATUSES


@pytest.mark.parametrize("rule", sweep_rules.SWEEP_RULES, ids=lambda r: r.name)
def test_each_sweep_filters_by_the_condition_of_its_index(rule):
    index = INDEXES[rule.index_name]
    assert index.condition == rule.guard
    assert index.fields == [rule.deadline]
    now = timezone.now()
    where = sweeps.due(rule, now).query.where
    expected = Complaint.objects.filter(rule.guard, **{f"{rule.deadline}__{rule.lookup}": now}).query.where
    assert str(where) == str(expected)


@pytest.mark.parametrize("rule", sweep_rules.SWEEP_RULES, ids=lambda r: r.name)
def test_each_sweep_selects_only_statuses_its_action_may_change(rule):
    act = rules.PERIODIC_ACTIONS[rule.action]
    statuses = {s for s in Status.values if _matches_status(rule, s)}
    assert statuses == set(act.from_statuses)
    rules.bulk_action(rule.action)  # the table allows the change


def _matches_status(rule, status):
    for child in rule.guard.children:
        key, value = child
        if key == "status":
            return status == value
        if key == "status__in":
            return status in value
    raise AssertionError(f"{rule.name} does not filter by status")


def test_a_bulk_action_the_table_forbids_is_refused(monkeypatch):
    broken = rules.Action("auto_close", "x", (Status.RECEIVED,), (), to_status=Status.RESOLVED)
    monkeypatch.setitem(rules.PERIODIC_ACTIONS, "auto_close", broken)
    with pytest.raises(ValueError, match="forbids"):
        rules.bulk_action("auto_close")


def test_the_level_raise_is_capped_like_move_up():
    assert [raised_level(level) for level in range(4)] == [1, 2, 3, 3]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="partial indexes are planned on PostgreSQL only")
@pytest.mark.parametrize("rule", sweep_rules.SWEEP_RULES, ids=lambda r: r.name)
def test_postgresql_walks_the_rules_index(rule, office):
    # enough rows that a sequential scan is not the cheapest plan, and as in a real table most
    # of them closed: the rule's partial index is then clearly the narrowest (with only a few
    # rows, all open, the planner may as well pick the (level, status) index)
    ComplaintFactory.create_batch(5, office=office, received_by__office=office)
    closed = ComplaintFactory.create_batch(40, office=office, received_by__office=office)
    Complaint.objects.filter(pk__in=[c.pk for c in closed]).update(
        status=Status.CLOSED, close_reason=CloseReason.AUTO_CLOSED, closed_at=timezone.now()
    )
    with connection.cursor() as cursor:
        # earlier tests of the session may have grown the indexes' files (rolled-back rows leave
        # their pages behind) and the planner costs an index by its size on disk: rebuild them
        # for this table as it is now (rolled back with the test's transaction)
        cursor.execute("REINDEX TABLE complaints_complaint")
        cursor.execute("ANALYZE complaints_complaint")
        cursor.execute("SET LOCAL enable_seqscan = off")
        # the overdue list's index also covers R-T1's rows: without it, only the rule's own
        # partial index can serve the sweep (rolled back with the test's transaction)
        cursor.execute("DROP INDEX complaint_reply_due_open")
    queryset = sweeps.due(rule, timezone.now() + timedelta(days=30)).order_by(rule.deadline, "pk")
    plan = queryset.only("pk").explain()
    assert rule.index_name in plan, plan


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="partial indexes are planned on PostgreSQL only")
@pytest.mark.parametrize(
    "contact, index",
    [
        ({"contact_email": "wang@example.com", "contact_phone": ""}, "complaint_email_received"),
        ({"customer": True, "contact_phone": ""}, "complaint_customer_received"),
    ],
)
def test_r_t4_probes_the_partial_contact_indexes(contact, index, office):
    """The partial indexes on (contact, received_at) (migration 0024) serve R-T4's ordered
    probe for a newer complaint: the e-mail probe says `<> ''` as the index does."""
    if contact.get("customer"):
        from tests.factories import CustomerFactory

        contact = {**contact, "customer": CustomerFactory()}
    complaint = ComplaintFactory(office=office, received_by__office=office, **contact)
    with connection.cursor() as cursor:
        # a tiny table: ask whether the index can serve the probe, without the walk of all
        # complaints by time (rolled back with the test's transaction)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("DROP INDEX complaint_recent")
    plan = (
        Complaint.objects.filter(pk=complaint.pk)
        .annotate(newer=sweeps.newer_complaint_subquery())
        .values("newer")
        .explain()
    )
    assert index in plan, plan

"""seed_bench's data (issue 17): deterministic for a seed, in time order, the fixed points the
bench looks for, exactly the due rows asked for; and it refuses a database that holds data."""

import random
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from benchmarks import data
from benchmarks.generate import Generator, People, customers
from tests.factories import ComplaintFactory

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)
PEOPLE = People(
    offices=[1, 2],
    office_weights=[2.0, 1.0],
    agents={1: [10, 11], 2: [20]},
    supervisors={1: [12], 2: [21]},
    handlers=[30],
    categories={
        name: i
        for i, name in enumerate(
            [
                "Repairs",
                "Cleaning",
                "Security",
                "Fees and billing",
                "Service attitude",
                "Delivery",
                "Product quality",
                "Noise and neighbours",
                "Other",
            ],
            start=1,
        )
    },
    departments={
        "Engineering and repairs": 2,
        "Cleaning": 3,
        "Security": 4,
        "Finance and fees": 5,
        "Customer service centre": 1,
        "Logistics and delivery": 7,
    },
    department_heads={2: 30},
    staff=[10, 11, 12, 20, 21, 30],
)


def stories(seed: int = 17, n: int = 2_000, due: int = 5):
    rows = customers(random.Random(seed), 40, 1)
    gen = Generator(seed=seed, complaints=n, first_id=100, now=NOW, months=24, people=PEOPLE, customers=rows, due=due)
    return list(gen.stories())


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    first, again, other = stories(), stories(), stories(seed=18)
    assert [s.row for s in first] == [s.row for s in again]
    assert [s.events for s in first] == [s.events for s in again]
    assert [s.row for s in first] != [s.row for s in other]


def test_complaints_come_in_time_order_with_their_fixed_points():
    rows = [s.row for s in stories()]
    received = [r["received_at"] for r in rows]
    assert received == sorted(received) and [r["id"] for r in rows] == list(range(100, 2_100))
    assert sum(r.get("contact_phone") == data.PHONE_WITH_FOUR for r in rows) == 4
    texts = " ".join(
        f"{r['subject']} {r['description']} {r.get('complainant_name', '')} {r['incident_place']}" for r in rows
    )
    assert data.SEARCH_2CHAR_NO_MATCH not in texts
    for word in (data.SEARCH_2CHAR, data.SEARCH_4CHAR, data.SEARCH_LATIN):
        assert word in texts


def test_exactly_the_due_rows_asked_for_each_rule_and_closed_rows_are_closed():
    now = NOW.timestamp()
    rows = [s.row for s in stories(due=5)]
    working = ("received", "in_progress", "solution_proposed", "handling")
    reply_due = [
        r
        for r in rows
        if r["status"] in working
        and "first_replied_at" not in r
        and "reply_overdue_at" not in r
        and r["reply_due_at"] < now
    ]
    progress_due = [
        r
        for r in rows
        if r["status"] in working
        and "progress_flagged_at" not in r
        and r.get("progress_due_at") is not None
        and r["progress_due_at"] < now
    ]
    completion_due = [r for r in rows if r["status"] == "handling" and r.get("committed_completion_at", now) < now]
    auto_close_due = [r for r in rows if r["status"] == "callback_declined" and r["auto_close_due_at"] < now]
    assert [len(reply_due), len(progress_due), len(completion_due), len(auto_close_due)] == [5, 5, 5, 5]
    for r in rows:
        assert (r["status"] == "closed") == bool(r.get("close_reason")), r
        assert r["reply_due_at"] <= r["received_at"] + 24 * 3600
        if r.get("close_reason") == "on_the_spot":
            assert r["signoff_name"]


@pytest.mark.django_db
def test_seed_bench_refuses_a_database_that_holds_complaints():
    ComplaintFactory()
    message = "fills only a fresh" if connection.vendor == "postgresql" else "needs PostgreSQL"
    with pytest.raises(CommandError, match=message):
        call_command("seed_bench", complaints=1000, stdout=StringIO())

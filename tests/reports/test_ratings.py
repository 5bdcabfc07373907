"""Call-back ratings and answers given online in the monthly summary (issue 12): the figures of
a month built through the lifecycle (known answers), the previous month beside them, the
per-agent averages with the complaints nobody has claimed yet as one row, the dashboard and
the files, and a fixed number of queries.

October 2026 (Asia/Shanghai), the report made on Nov 1 at noon, as in october.py:

    complaint  receiver           call-back                                  rating  via
    a          agent1 (claimed)   Oct 8, satisfied, questionnaire            5       web
    b          agent1             Oct 9, satisfied, phone (staff)            4       —
    c          agent2             Oct 10, unsatisfied, questionnaire         2       email
    d          agent2             Oct 11, satisfied, phone (staff)           —       —
    u          not claimed yet    —
    f          agent1             Nov 1 00:30 (November's), questionnaire    1       web
    s          agent1 (Sep 10)    Sep 15, satisfied, questionnaire           3       web

October: 4 call-backs, 2 online and 2 by staff, 3 rated, average (5 + 4 + 2) / 3 = 3.7.
September: 1 call-back, online, rated 3.
"""

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext, override
from openpyxl import load_workbook

from complainants.models import Source
from complaints.choices import CallbackMethod, Channel, EscalationCause
from complaints.models import Category, Complaint
from complaints.reports import exports
from complaints.reports.figures import AGENT_COLUMNS, monthly_figures
from complaints.reports.figures.counts import average, callback_figures, empty_callbacks

from .october import NOW, OCTOBER, local

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
HEADER, FIRST = exports.HEADER_ROW, exports.HEADER_ROW + 1


# ------------------------------------------------------------- the lifecycle at a time
@contextmanager
def clock(moment: datetime) -> Iterator[None]:
    """The lifecycle methods take the time from timezone.now(): let it be `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def receive(*, at: datetime, office, actor=None, channel=Channel.PHONE, phone="13900000001") -> Complaint:
    """Received at `at` through Complaint.receive (no actor: online, nobody has claimed it)."""
    with clock(at):
        return Complaint.receive(
            actor=actor,
            office=office,
            channel=Channel.ONLINE if actor is None else channel,
            complainant_name="王芳",
            contact_phone=phone,
            incident_at=at - 2 * H,
            incident_place="5号楼车库",
            subject="闸门坏了",
            description="住户卡打不开车库闸门。",
            category=Category.objects.get(code="repairs"),
        )


def handle(complaint: Complaint, *, at: datetime, actor) -> None:
    """A solution proposed, accepted and carried out: the complaint awaits its call-back."""
    with clock(at):
        complaint.propose_solution(actor=actor, solution="Repair the gate.")
        complaint.record_answer(actor=actor, accepted=True)
        complaint.mark_handled(actor=actor, note="Repaired.")


def call_back(
    complaint: Complaint, *, at: datetime, actor=None, satisfied=True, rating: int | None = None, via: str = ""
) -> None:
    """The complainant's online questionnaire (`via`, no actor) or a call-back by staff."""
    with clock(at):
        complaint.record_callback(
            actor=None if via else actor,
            method=CallbackMethod.QUESTIONNAIRE if via else CallbackMethod.PHONE,
            satisfied=satisfied,
            rating=rating,
            via=via,
        )


@dataclass
class Rated:
    agent1: object
    agent2: object
    c: dict


@pytest.fixture
def rated(office, make_user) -> Rated:
    agent1 = make_user("agent", username="agent-one", first_name="Li", last_name="Na")
    agent2 = make_user("agent", username="agent-two", first_name="Zhao", last_name="Lei")
    c = {}
    # ---- September (the previous month)
    c["s"] = receive(at=local(2026, 9, 10, 9), office=office, actor=agent1)
    handle(c["s"], at=local(2026, 9, 12, 9), actor=agent1)
    call_back(c["s"], at=local(2026, 9, 15, 9), rating=3, via=Source.WEB)
    # ---- October
    c["a"] = receive(at=local(2026, 10, 1, 0, 0, 0), office=office)  # online, claimed the same morning
    with clock(local(2026, 10, 1, 8)):
        c["a"].claim(actor=agent1)
    handle(c["a"], at=local(2026, 10, 2, 9), actor=agent1)
    call_back(c["a"], at=local(2026, 10, 8, 9), rating=5, via=Source.WEB)

    c["b"] = receive(at=local(2026, 10, 3, 9), office=office, actor=agent1)
    handle(c["b"], at=local(2026, 10, 4, 9), actor=agent1)
    call_back(c["b"], at=local(2026, 10, 9, 9), actor=agent1, rating=4)  # a rating taken on the phone

    c["c"] = receive(at=local(2026, 10, 5, 9), office=office, actor=agent2, phone="13900000002")
    handle(c["c"], at=local(2026, 10, 6, 9), actor=agent2)
    call_back(c["c"], at=local(2026, 10, 10, 9), satisfied=False, rating=2, via=Source.EMAIL)  # moved up

    c["d"] = receive(at=local(2026, 10, 7, 9), office=office, actor=agent2, phone="13900000003")
    handle(c["d"], at=local(2026, 10, 8, 9), actor=agent2)
    call_back(c["d"], at=local(2026, 10, 11, 9), actor=agent2)  # no rating

    c["u"] = receive(at=local(2026, 10, 20, 9), office=office, phone="13900000004")  # nobody claims it

    c["f"] = receive(at=local(2026, 10, 30, 9), office=office, actor=agent1, phone="13900000005")
    handle(c["f"], at=local(2026, 10, 31, 9), actor=agent1)
    call_back(c["f"], at=local(2026, 11, 1, 0, 30), rating=1, via=Source.WEB)  # November's
    return Rated(agent1=agent1, agent2=agent2, c=c)


def figures(**kwargs):
    kwargs.setdefault("month", OCTOBER)
    kwargs.setdefault("now", NOW)
    return monthly_figures(**kwargs)


def headline(f) -> dict:
    return {row["key"]: (row["current"], row["previous"]) for row in f["headline"]}


# ------------------------------------------------------------------ known answers
def test_ratings_and_online_answers_of_the_month(rated):
    f = figures()

    assert f["ratings"] == {
        "online": 2,  # a (web), c (e-mail)
        "by_staff": 2,  # b, d
        "rated": 3,
        "average": 3.7,  # (5 + 4 + 2) / 3 = 3.67
        "distribution": [
            {"rating": 1, "count": 0, "previous": 0},  # f's 1 is November's
            {"rating": 2, "count": 1, "previous": 0},
            {"rating": 3, "count": 0, "previous": 1},
            {"rating": 4, "count": 1, "previous": 0},
            {"rating": 5, "count": 1, "previous": 0},
        ],
    }
    # the call-back figures there were before, unchanged: c's unsatisfied answer moved it up
    assert f["callbacks"] == {"total": 4, "satisfied": 3, "satisfaction_pct": 75.0}
    assert [(r["cause"], r["count"]) for r in f["escalations"]["by_cause"]] == [
        (EscalationCause.CALLBACK_UNSATISFIED, 1)
    ]


def test_the_previous_month_beside_them(rated):
    h = headline(figures())
    assert h["callbacks"] == (4, 1)
    assert h["callbacks_online"] == (2, 1)
    assert h["callbacks_by_staff"] == (2, 0)
    assert h["callbacks_rated"] == (3, 1)
    assert h["rating_average"] == (3.7, 3.0)
    assert [h[f"rated_{r}"] for r in (5, 4, 3, 2, 1)] == [(1, 0), (1, 0), (0, 1), (1, 0), (0, 0)]
    # the new figures follow the call-back satisfaction, in the order the questionnaire asks (5 first)
    keys = [row["key"] for row in figures()["headline"]]
    start = keys.index("callback_satisfaction_pct") + 1
    assert keys[start : start + 9] == [
        "callbacks_online",
        "callbacks_by_staff",
        "callbacks_rated",
        "rating_average",
        "rated_5",
        "rated_4",
        "rated_3",
        "rated_2",
        "rated_1",
    ]


def test_a_month_without_ratings_has_no_average(rated):
    november = figures(month=NOW.date().replace(day=1))
    assert (november["ratings"]["rated"], november["ratings"]["average"]) == (1, 1.0)  # f
    empty = figures(month=OCTOBER.replace(year=2025))
    assert empty["ratings"]["rated"] == 0 and empty["ratings"]["average"] is None
    assert empty["ratings"]["online"] == empty["ratings"]["by_staff"] == 0


def test_per_agent_ratings_credited_to_the_receiver(rated):
    agents = figures()["agents"]
    by_id = {row["user_id"]: row for row in agents}
    one, two = by_id[rated.agent1.pk], by_id[rated.agent2.pk]
    # agent1 received a (claimed), b and f; a's online answer counts for the agent who claimed it
    assert (one["received"], one["callbacks"], one["callbacks_rated"], one["rating_average"]) == (3, 2, 2, 4.5)
    assert (one["callbacks_online"], one["callbacks_by_staff"]) == (1, 1)
    assert (two["received"], two["callbacks"], two["callbacks_rated"], two["rating_average"]) == (2, 2, 1, 2.0)
    assert two["callback_satisfaction_pct"] == 50.0


def test_complaints_not_claimed_yet_are_one_row_of_their_own(rated):
    agents = figures()["agents"]
    unclaimed = agents[-1]  # after the agents
    assert unclaimed["user_id"] is None
    assert str(unclaimed["label"]) == "Not claimed yet"
    assert (unclaimed["received"], unclaimed["closed"], unclaimed["callbacks"]) == (1, 0, 0)
    assert unclaimed["rating_average"] is None and unclaimed["callback_satisfaction_pct"] is None
    assert [row["user_id"] for row in agents].count(None) == 1
    with override("zh-hans"):
        assert str(unclaimed["label"]) == gettext("Not claimed yet")  # translated when shown


def test_call_backs_of_an_unclaimed_complaint_from_an_earlier_month(rated, other_office, make_user):
    """Only call-backs (no complaint received in the month) of a complaint nobody claimed: one
    "Not claimed yet" row, not a crash or a "#None" agent."""
    supervisor = make_user("supervisor", username="sup-two", office_=other_office)
    older = receive(at=local(2026, 9, 20, 9), office=other_office, phone="13900000009")
    handle(older, at=local(2026, 9, 21, 9), actor=supervisor)  # handled without being claimed
    call_back(older, at=local(2026, 10, 2, 9), rating=1, via=Source.WEB)

    f = figures(office=other_office)
    assert len(f["agents"]) == 1
    row = f["agents"][0]
    assert (row["user_id"], str(row["label"])) == (None, "Not claimed yet")
    assert (row["received"], row["callbacks"], row["callbacks_online"], row["rating_average"]) == (0, 1, 1, 1.0)
    # in the whole organisation's figures it joins October's unclaimed complaint u in the same row
    everyone = [r for r in figures()["agents"] if r["user_id"] is None]
    assert [(r["received"], r["callbacks"]) for r in everyone] == [(1, 1)]


@pytest.mark.parametrize(
    ("total", "n", "expected"), [(11, 3, 3.7), (13, 4, 3.3), (9, 2, 4.5), (5, 1, 5.0), (0, 0, None)]
)
def test_the_average_has_one_decimal_halves_rounded_up(total, n, expected):
    assert average(total, n) == expected


def test_call_back_figures_without_call_backs():
    assert callback_figures(empty_callbacks()) == {
        "callbacks": 0,
        "callbacks_satisfied": 0,
        "callback_satisfaction_pct": None,
        "callbacks_online": 0,
        "callbacks_by_staff": 0,
        "callbacks_rated": 0,
        "rating_average": None,
        "rated_1": 0,
        "rated_2": 0,
        "rated_3": 0,
        "rated_4": 0,
        "rated_5": 0,
    }


# ------------------------------------------------------------------------ the files
def test_xlsx_has_the_ratings_with_the_previous_month(rated):
    wb = load_workbook(io.BytesIO(exports.build_xlsx(figures(), language="en")))
    ws = wb["Headline figures"]
    rows = {row[0]: list(row[1:]) for row in ws.iter_rows(min_row=FIRST, values_only=True)}
    assert rows["Call-backs answered online by the complainant"] == [2, 1, 1]
    assert rows["Call-backs recorded by staff"] == [2, 0, 2]
    assert rows["Call-backs with a rating"] == [3, 1, 2]
    assert rows["Average rating (1–5, 5 is best)"] == [3.7, 3.0, 0.7]
    assert rows["Rated 5 (best)"] == [1, 0, 1] and rows["Rated 1 (worst)"] == [0, 0, 0]
    average_row = next(r for r in ws.iter_rows(min_row=FIRST) if r[0].value.startswith("Average rating"))
    assert [cell.number_format for cell in average_row[1:]] == [exports.RATING_FORMAT] * 3  # 4.0 shows as 4.0

    agents = [list(r) for r in wb["Per agent"].iter_rows(min_row=HEADER, values_only=True)]
    header = agents[0]
    assert header[-2:] == ["Ratings", "Average rating"]
    body = {r[0]: r[1:] for r in agents[1:]}
    assert body["Li Na"][-2:] == [2, 4.5]
    assert body["Zhao Lei"][-2:] == [1, 2.0]
    assert body["Not claimed yet"][-2:] == [0, None]
    assert list(body) == ["Li Na", "Zhao Lei", "Not claimed yet"]
    assert [key for key, _label in AGENT_COLUMNS][-2:] == ["callbacks_rated", "rating_average"]


def test_csv_has_the_ratings(rated):
    content = exports.build_csv(figures(), language="en").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert ["Call-backs answered online by the complainant", "2", "1", "1"] in rows
    assert ["Call-backs recorded by staff", "2", "0", "2"] in rows
    assert ["Call-backs with a rating", "3", "1", "2"] in rows
    assert ["Average rating (1–5, 5 is best)", "3.7", "3.0", "0.7"] in rows
    assert ["Rated 2", "1", "0", "1"] in rows
    agents = rows.index(["Per agent"])
    assert rows[agents + 1][-2:] == ["Ratings", "Average rating"]
    assert rows[agents + 2][0] == "Li Na" and rows[agents + 2][-2:] == ["2", "4.5"]
    assert rows[agents + 4][0] == "Not claimed yet" and rows[agents + 4][-2:] == ["0", ""]


def test_the_files_headers_are_in_the_language_asked_for(rated):
    """Every new header and label goes through the catalogue (the zh-hans text as it is now)."""
    content = exports.build_csv(figures(), language="zh-hans").decode("utf-8-sig")
    with override("zh-hans"):
        expected = [
            gettext(text)
            for text in ("Average rating (1–5, 5 is best)", "Ratings", "Average rating", "Not claimed yet")
        ]
    assert all(text in content for text in expected)


def test_the_dashboard_shows_the_ratings(client, rated, make_user):
    client.force_login(make_user("manager", username="boss"))
    response = client.get(reverse("reports:monthly"), {"month": "2026-10"})
    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["figures"]["ratings"]["average"] == 3.7
    assert "Average rating (1–5, 5 is best)" in page and "Call-backs answered online by the complainant" in page
    cells = {row[0]["value"]: [c["value"] for c in row[1:]] for row in response.context["tables"]["headline"]["rows"]}
    assert [str(k) for k in cells if str(k).startswith("Average rating")] == ["Average rating (1–5, 5 is best)"]
    agents = response.context["tables"]["agents"]
    assert [str(h["label"]) for h in agents["header"]][-2:] == ["Ratings", "Average rating"]
    assert str(agents["rows"][-1][0]["value"]) == "Not claimed yet" and "Not claimed yet" in page
    assert agents["rows"][0][-1] == {"value": 4.5, "kind": "rating", "num": True}
    # one decimal, the month, the one before and the difference
    average_row = r'Average rating \(1–5, 5 is best\)</td><td class="num">3\.7\s*</td><td class="num">3\.0\s*</td>'
    assert re.search(average_row + r'<td class="num">\+0\.7</td>', page)
    assert re.search(r'<td class="num">4\.5\s*</td>', page)


# ------------------------------------------------------------------ query count
def _call_backs(n: int, office, agents) -> None:
    """n more complaints of October with call-backs, rated or not, online or by staff, and one
    more unclaimed complaint: the rows of every GROUP BY grow with n."""
    for i in range(n):
        agent = agents[i % len(agents)]
        complaint = receive(at=local(2026, 10, 1 + i % 28, 9), office=office, actor=agent, phone=f"1390000{i:04d}")
        handle(complaint, at=local(2026, 10, 1 + i % 28, 12), actor=agent)
        online = i % 2 == 0
        call_back(
            complaint,
            at=local(2026, 10, 1 + i % 28, 18),
            actor=agent,
            satisfied=i % 3 != 0,
            rating=1 + i % 5 if i % 4 else None,
            via=Source.WEB if online else "",
        )
    receive(at=local(2026, 10, 28, 9), office=office, phone="13900009999")


def test_the_number_of_queries_is_fixed_whatever_the_ratings(office, make_user):
    agents = [make_user("agent", username=f"qa-{i}") for i in range(3)]
    _call_backs(2, office, agents[:1])
    with CaptureQueriesContext(connection) as few:
        small = figures()
    _call_backs(10, office, agents)
    with CaptureQueriesContext(connection) as many:
        large = figures()

    assert (small["callbacks"]["total"], large["callbacks"]["total"]) == (2, 12)
    assert large["ratings"]["rated"] > small["ratings"]["rated"] > 0
    assert len(large["agents"]) == 4  # three agents and "Not claimed yet"
    assert len(few.captured_queries) == len(many.captured_queries)
    # as test_figures.test_the_number_of_queries_is_fixed: the ratings add no query
    assert len(few.captured_queries) == (15 if connection.vendor == "postgresql" else 14)

"""Special incidents (R-C6.2; issue 13) as a line of the monthly summary: counted from the event
log by the time they were flagged (like escalations), this month beside the previous one, the
merged duplicates and the offices the user may not see left out, in the same fixed number of
queries; on the dashboard and in the downloads, in English and in Chinese."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.choices import CloseReason, EventKind
from complaints.reports.figures import monthly_figures
from tests.factories import UserFactory

from .october import NOW, OCTOBER, event, local, make_complaint

pytestmark = pytest.mark.django_db


def flagged(office, agent, *, at, received=None, **extra):
    """A complaint (received an hour before, unless `received`) flagged a special incident at `at`:
    the flag and its event, as the lifecycle writes them."""
    complaint = make_complaint(
        office, agent, at=received or at - timedelta(hours=1), is_special_incident=True, special_incident_at=at, **extra
    )
    event(complaint, at=at, kind=EventKind.SPECIAL_INCIDENT_FLAGGED)
    return complaint


@pytest.fixture
def incidents(office, other_office):
    agent = UserFactory(role="agent", office=office)
    far = UserFactory(role="agent", office=other_office)
    flagged(office, agent, at=local(2026, 10, 3, 9))
    flagged(office, agent, at=local(2026, 10, 31, 23, 30))
    flagged(other_office, far, at=local(2026, 10, 12, 14))
    flagged(office, agent, at=local(2026, 9, 20, 10))  # the previous month
    flagged(office, agent, at=local(2026, 11, 1, 0, 30))  # the next month: not in October
    # a complaint received in September, flagged in October: counted in October (the flag's time)
    flagged(office, agent, at=local(2026, 10, 2, 8), received=local(2026, 9, 29, 8))
    # a merged duplicate counts as the complaint it was merged into: not at all
    target = make_complaint(office, agent, at=local(2026, 10, 5, 8))
    flagged(
        office,
        agent,
        at=local(2026, 10, 5, 9),
        closed_after=timedelta(hours=3),
        reason=CloseReason.MERGED,
        merged_into=target,
    )
    return agent


def headline(f) -> dict:
    return {row["key"]: (row["current"], row["previous"]) for row in f["headline"]}


def test_the_special_incidents_of_the_month_and_the_previous_one(incidents):
    f = monthly_figures(month=OCTOBER, now=NOW)

    assert headline(f)["special_incidents"] == (4, 1)
    assert f["current"]["special_incidents"] == 4
    keys = [row["key"] for row in f["headline"]]
    assert keys.index("special_incidents") == keys.index("escalations") + 1  # beside the escalations


def test_only_the_offices_the_user_may_see(incidents, office, make_user):
    supervisor = make_user("supervisor", username="sup-incidents")
    assert supervisor.office == office
    assert monthly_figures(month=OCTOBER, now=NOW, user=supervisor)["current"]["special_incidents"] == 3
    assert monthly_figures(month=OCTOBER, now=NOW, office=office)["current"]["special_incidents"] == 3


def test_counting_them_costs_no_query_more(incidents):
    with CaptureQueriesContext(connection) as ctx:
        monthly_figures(month=OCTOBER, now=NOW)
    # the same fixed number as tests/reports/test_figures.py::test_the_number_of_queries_is_fixed
    assert len(ctx.captured_queries) == (15 if connection.vendor == "postgresql" else 14)


def test_the_dashboard_and_the_csv_show_the_line_in_both_languages(client, incidents, manager):
    client.force_login(manager)

    en = client.get(reverse("reports:monthly"), {"month": "2026-10"}, HTTP_ACCEPT_LANGUAGE="en")
    rows = {r[0]["value"]: [c["value"] for c in r[1:]] for r in en.context["tables"]["headline"]["rows"]}
    assert rows["Special incidents flagged in the month"][:2] == [4, 1]
    assert "Special incidents flagged in the month" in en.content.decode()
    zh = client.get(reverse("reports:monthly"), {"month": "2026-10"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "本月标记的特殊事件" in zh.content.decode()

    download = client.get(reverse("reports:monthly_download", args=["2026-10", "csv"]), HTTP_ACCEPT_LANGUAGE="en")
    assert download.status_code == 200
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert ["Special incidents flagged in the month", "4", "1", "3"] in lines

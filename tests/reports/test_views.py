"""The dashboard and the downloads through HTTP: a permission matrix (each denial followed by
the same request from a role that may), bad months, filters, files, language, query counts."""

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from complaints.reports.figures import latest_month_with_data, month_label
from complaints.reports.forms import SummaryFilterForm
from helpdesk.dates import add_months, local_today, month_start
from tests.factories import ComplaintFactory

from .october import OCTOBER, local

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("reports:monthly")
OCTOBER_NOON = local(2026, 10, 15, 12)


def download(month="2026-10", fmt="xlsx"):
    return reverse("reports:monthly_download", args=[month, fmt])


ROLES = ["agent", "supervisor", "department_handler", "manager", "customer_info", "no_role", "anonymous"]
OK, DENIED, LOGIN = 200, 403, 302
MATRIX = {
    DASHBOARD: dict(
        agent=DENIED,
        supervisor=OK,
        department_handler=DENIED,
        manager=OK,
        customer_info=DENIED,
        no_role=DENIED,
        anonymous=LOGIN,
    ),
    download(fmt="xlsx"): dict(
        agent=DENIED,
        supervisor=DENIED,
        department_handler=DENIED,
        manager=OK,
        customer_info=DENIED,
        no_role=DENIED,
        anonymous=LOGIN,
    ),
    download(fmt="csv"): dict(
        agent=DENIED,
        supervisor=DENIED,
        department_handler=DENIED,
        manager=OK,
        customer_info=DENIED,
        no_role=DENIED,
        anonymous=LOGIN,
    ),
}
PROVER = {DASHBOARD: "supervisor"}


@pytest.fixture
def users(make_user):
    return {
        role: make_user(None if role == "no_role" else role, username=f"r-{role}")
        for role in ROLES
        if role != "anonymous"
    }


@pytest.mark.parametrize("url", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, users, url, role):
    if role != "anonymous":
        client.force_login(users[role])
    response = client.get(url)
    expected = MATRIX[url][role]
    assert response.status_code == expected
    if expected == LOGIN:
        assert response["Location"].startswith(reverse("login"))
    if expected != OK:  # the same request by a role that may: the denial was the permission
        client.force_login(users[PROVER.get(url, "manager")])
        assert client.get(url).status_code == OK


def test_nav_link_only_for_those_who_may_see_reports(client, agent, supervisor):
    client.force_login(agent)
    assert DASHBOARD.encode() not in client.get(reverse("complaints:list")).content
    client.force_login(supervisor)
    assert DASHBOARD.encode() in client.get(reverse("complaints:list")).content


# ------------------------------------------------------------------------ the page
def test_dashboard_without_complaints_opens_on_this_month(client, supervisor):
    # issue 13: it opened on the last complete month; now on the latest month with complaints
    client.force_login(supervisor)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    this_month = month_start(local_today())
    assert response.context["figures"]["month"] == this_month
    assert f'value="{month_label(this_month)}"'.encode() in response.content
    assert response.context["next_link"] is None


def _received_in(office, months_ago: int, **extra):
    """A complaint received in the middle of the month `months_ago` months before this one."""
    month = add_months(local_today(), -months_ago)
    return ComplaintFactory(office=office, received_at=local(month.year, month.month, 15, 12), **extra)


def test_dashboard_opens_on_the_latest_month_with_complaints(client, manager, other_office):
    _received_in(manager.office, 5)
    _received_in(other_office, 3)
    _received_in(other_office, 3)
    client.force_login(manager)
    response = client.get(DASHBOARD)
    latest = add_months(local_today(), -3)
    assert response.context["figures"]["month"] == latest
    assert response.context["figures"]["current"]["received"] == 2
    assert f'value="{month_label(latest)}"'.encode() in response.content
    assert response.context["next_link"].startswith(f"?month={month_label(add_months(latest, 1))}")
    # the filters narrow it: the manager's own office last had complaints five months ago
    response = client.get(DASHBOARD, {"office": manager.office.code})
    assert response.context["figures"]["month"] == add_months(local_today(), -5)


def test_the_latest_month_is_among_the_complaints_the_user_may_see(client, make_user, other_office):
    supervisor = make_user("supervisor", username="sup-latest")
    _received_in(supervisor.office, 4)
    _received_in(other_office, 1)  # newer, but another office's
    client.force_login(supervisor)
    response = client.get(DASHBOARD)
    assert response.context["figures"]["month"] == add_months(local_today(), -4)
    assert response.context["figures"]["current"]["received"] == 1


def test_the_latest_month_costs_one_query(client, manager, django_assert_num_queries):
    _received_in(manager.office, 2)
    latest = month_label(add_months(local_today(), -2))
    client.force_login(manager)
    client.get(DASHBOARD, {"month": latest})  # warm the caches (content types, translations)
    with CaptureQueriesContext(connection) as given:
        client.get(DASHBOARD, {"month": latest})
    with django_assert_num_queries(len(given) + 1):
        assert client.get(DASHBOARD).context["figures"]["month"] == add_months(local_today(), -2)


def test_the_latest_month_is_local_and_never_after_this_one(manager):
    # local midnight on 1 October is still 30 September in UTC: October, the local month
    ComplaintFactory(office=manager.office, received_at=local(2026, 10, 1, 0, 0))
    assert latest_month_with_data(user=manager, now=local(2026, 12, 6)) == OCTOBER
    form = SummaryFilterForm({}, user=manager, now=local(2026, 12, 6))
    assert form.is_valid() and form.cleaned_data["month"] == OCTOBER
    # a complaint dated after `now` does not send the page into a month that has not begun
    assert latest_month_with_data(user=manager, now=local(2026, 9, 20)) == date(2026, 9, 1)
    # nothing under the filters: this month
    assert latest_month_with_data(user=manager, channel="letter", now=local(2026, 12, 6)) == date(2026, 12, 1)


def test_dashboard_shows_the_figures_and_embeds_the_chart_data(client, october, make_user):
    manager = make_user("manager", username="boss")
    client.force_login(manager)
    response = client.get(DASHBOARD, {"month": "2026-10"})
    page = response.content.decode()
    figures = response.context["figures"]
    assert figures["current"]["received"] == 7 and figures["complaints"] is None
    assert 'id="report-charts"' in page and "vendor/chartjs/chart.umd.js" in page
    charts = response.context["charts"]
    assert charts["trend"]["received"][-2:] == [2, 7]
    assert charts["channels"]["values"] == [1, 3, 1, 1, 1]
    # made now (not on Nov 1 at noon): c5's reply time has passed too, so 4 of 7 were in time
    assert charts["compliance"]["values"][-1] == 57.1
    assert "噪音扰民" in page and "Complaints received" in page and "57.1%" in page
    assert download("2026-10", "xlsx") in page  # a manager may download
    assert "cdn" not in page.lower()


def test_supervisor_sees_own_office_read_only(client, october, make_user):
    supervisor = make_user("supervisor", username="sup")
    client.force_login(supervisor)
    response = client.get(DASHBOARD, {"month": "2026-10"})
    assert response.context["figures"]["current"]["received"] == 6
    assert download("2026-10", "xlsx") not in response.content.decode()
    assert [o.pk for o in response.context["form"].fields["office"].queryset] == [october.office.pk]
    # another office is not a choice for them
    assert client.get(DASHBOARD, {"month": "2026-10", "office": october.other_office.code}).status_code == 400


def test_dashboard_filters(client, october, manager):
    client.force_login(manager)
    query = {"month": "2026-10", "office": october.other_office.code, "channel": "field_visit"}
    response = client.get(DASHBOARD, query)
    assert response.context["figures"]["current"]["received"] == 1
    assert f"office={october.other_office.code}" in response.context["downloads"][0][1]


@pytest.mark.parametrize("month", ["2026-13", "october", "2026-00", "9999-01", "1999-12"])
def test_bad_month_on_the_dashboard_is_a_400_with_a_message(client, manager, month):
    client.force_login(manager)
    response = client.get(DASHBOARD, {"month": month})
    assert response.status_code == 400
    assert b"YYYY-MM" in response.content or b"has not begun" in response.content


@pytest.mark.parametrize("month", ["2026-13", "oct-2026", "2026-00", "9999-01"])
def test_bad_month_in_a_download_url_is_a_400_with_a_message(client, manager, month):
    client.force_login(manager)
    response = client.get(download(month, "csv"))
    assert response.status_code == 400
    assert b"Cannot produce the summary" in response.content


def test_unknown_format_or_filter(client, manager):
    client.force_login(manager)
    assert client.get("/reports/monthly/2026-10/summary.pdf").status_code == 404
    assert client.get(download(), {"tier": "Z"}).status_code == 400
    assert client.get(download(), {"office": "nowhere"}).status_code == 400


# ------------------------------------------------------------------------ the files
def test_manager_downloads_the_xlsx(client, october, manager):
    client.force_login(manager)
    response = client.get(download("2026-10", "xlsx"), {"tier": "B"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="complaint-summary-2026-10.xlsx"'
    wb = load_workbook(io.BytesIO(response.content))
    headline = {r[0]: r[1:] for r in wb["Headline figures"].iter_rows(min_row=4, values_only=True)}
    assert headline["Complaints received"][:2] == (2, 0)  # customer X's two; none in September
    assert "Customer tier: B" in wb["Headline figures"].cell(2, 1).value


def test_manager_downloads_the_csv_in_chinese(client, october, manager):
    client.force_login(manager)
    response = client.get(download("2026-10", "csv"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="complaint-summary-2026-10.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert any("噪音扰民" in row for row in rows)
    assert any("电话" in row for row in rows)  # the channel heading "Phone", translated by the catalogue


def test_dashboard_query_count_does_not_grow_with_complaints(client, manager, django_assert_max_num_queries):
    client.force_login(manager)
    client.get(DASHBOARD, {"month": month_label(OCTOBER)})
    for _ in range(10):
        ComplaintFactory(office=manager.office, received_by=manager, received_at=OCTOBER_NOON)
    with django_assert_max_num_queries(40) as captured:
        client.get(DASHBOARD, {"month": "2026-10"})
    few = len(captured)
    for _ in range(20):
        ComplaintFactory(office=manager.office, received_by=manager, received_at=OCTOBER_NOON)
    with django_assert_max_num_queries(few):
        assert client.get(DASHBOARD, {"month": "2026-10"}).context["figures"]["current"]["received"] == 30

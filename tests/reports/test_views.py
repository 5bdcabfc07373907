"""The dashboard and the downloads through HTTP: a permission matrix (each denial followed by
the same request from a role that may), bad months, filters, files, language, query counts."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from complaints.reports.figures import month_label, previous_month
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
def test_dashboard_defaults_to_the_previous_month(client, supervisor):
    client.force_login(supervisor)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["figures"]["month"] == previous_month()
    assert f'value="{month_label(previous_month())}"'.encode() in response.content


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

"""The dashboard page at scale (issue 17): its cells are rendered in Python as the shared
cell template renders them, its filter choices cost one plain query each, and once the month's
figures are kept the page costs the same few queries whatever the number of complaints."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext_lazy, override

from complaints.reports.views import cell_html
from tests.factories import ComplaintFactory

from .october import OCTOBER, local

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("reports:monthly")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, None),
        (None, "pct"),
        (0, None),
        (41234, None),
        (-3, None),
        (66.66666, "pct"),
        (100.0, "pct"),
        (0.05, "pct"),
        (6.8, "hours"),
        (1234.567, "hours"),
        (4.25, "rating"),
        (3.0, "rating"),
        (2.5, None),
        ("噪音扰民 <b>&", None),
        (gettext_lazy("Not claimed yet"), None),
    ],
)
def test_a_cell_reads_as_the_cell_template_renders_it(value, kind, language):
    with override(language):
        template = render_to_string("reports/_cell.html", {"cell": {"value": value, "kind": kind}})
        assert str(cell_html(value, kind)) == template.strip()


def test_the_filter_choices_are_read_without_a_server_side_cursor(client, manager):
    client.force_login(manager)
    client.get(DASHBOARD, {"month": "2026-10"})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(DASHBOARD, {"month": "2026-10"})
    assert response.status_code == 200
    assert not [q for q in ctx.captured_queries if "DECLARE" in q["sql"] or "FETCH" in q["sql"]]
    assert manager.office.name in response.content.decode()  # the office choices are there


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the summary is kept on PostgreSQL only")
def test_a_kept_month_costs_the_page_a_few_queries_whatever_its_size(client, october, make_user):
    manager = make_user("manager", username="boss")
    client.force_login(manager)
    client.get(DASHBOARD, {"month": "2026-10"})
    with CaptureQueriesContext(connection) as small:
        client.get(DASHBOARD, {"month": "2026-10"})
    for i in range(30):
        ComplaintFactory(office=october.office, received_by=october.agent1, received_at=local(2026, 10, 2 + i % 27, 9))
    client.get(DASHBOARD, {"month": "2026-10"})  # October computed again, once
    with CaptureQueriesContext(connection) as large:
        response = client.get(DASHBOARD, {"month": "2026-10"})
    assert response.context["figures"]["current"]["received"] == 37 and response.context["figures"]["month"] == OCTOBER
    assert len(large) == len(small)
    summary_queries = [q for q in large.captured_queries if "complaints_summary" in q["sql"]]
    assert len(summary_queries) == 1 and not [q for q in large.captured_queries if 'complaints_complaint"' in q["sql"]]

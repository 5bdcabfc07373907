"""The Content-Security-Policy in a real browser (headless Chromium, issue 15): the pages whose
JavaScript matters — the monthly report's Chart.js charts, the Swagger UI, the language
switcher — still work, and the browser reports no CSP violation on them."""

from datetime import datetime

import pytest
from django.utils import timezone

from complaints.reports.figures import previous_month
from tests.e2e.conftest import browser_page  # noqa: F401 (the shared Chromium fixture)
from tests.factories import PASSWORD, ComplaintFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WATCH_CSP = """() => {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
  });
}"""


def _violations(page):
    return page.evaluate("() => window.__cspViolations || []")


def login(page, base, user):
    page.goto(f"{base}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/complaints/")


def test_charts_swagger_ui_and_language_switch_work_under_the_csp(live_server, browser_page, make_user, office):  # noqa: F811
    page, base = browser_page, live_server.url
    manager = make_user("manager", username="csp-manager")
    month = previous_month()
    received = datetime(month.year, month.month, 10, 10, 0, tzinfo=timezone.get_current_timezone())
    ComplaintFactory(office=office, received_by=manager, received_at=received)
    page.add_init_script(f"({WATCH_CSP})()")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)

    login(page, base, manager)

    # the monthly report: Chart.js draws every canvas
    page.goto(f"{base}/reports/monthly/")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-trend'))")
    drawn = "() => ['chart-trend', 'chart-channels'].every(id => Chart.getChart(document.getElementById(id)))"
    assert page.evaluate(drawn)
    assert _violations(page) == []

    # the Swagger UI renders the schema
    page.goto(f"{base}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Helpdesk API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag")
    assert _violations(page) == []

    # the language switcher submits without an inline handler
    page.goto(f"{base}/complaints/")
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert _violations(page) == []
    assert errors == []

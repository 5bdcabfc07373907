"""The executive role (分管領導 / 總裁, SPEC roles; issue 13): read-only dashboards and monthly
summaries across offices, their own visits, and nothing they could change.

Executives do not open complaints (no complaints.view_complaint): the dashboards give them the
figures, the complaint pages would give them the complainants' personal data. Every page × the
executive: the expected status per cell; each denial is followed by the same request from a
role that may, to prove the denial was the permission."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ExecutivePost
from complaints.models import Complaint
from helpdesk.dates import local_today, month_label
from tests.factories import ComplaintFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def executive(db):
    return UserFactory(role="executive", executive_post=ExecutivePost.DIVISION_HEAD, office=None, username="exec")


@pytest.fixture
def world(office, other_office, agent, make_user):
    """A complaint in each of two offices this month, and a customer."""
    other_agent = make_user("agent", office_=other_office)
    now = timezone.now()
    ours = ComplaintFactory(office=office, received_by=agent, received_at=now - timedelta(minutes=5))
    theirs = ComplaintFactory(office=other_office, received_by=other_agent, received_at=now - timedelta(minutes=5))
    return {"ours": ours, "theirs": theirs, "customer": CustomerFactory(account_manager=agent)}


def this_month() -> str:
    return month_label(local_today().replace(day=1))


# ----------------------------------------------------------------------- what they read
def readable(world) -> dict[str, str]:
    month = this_month()
    return {
        "monthly dashboard": reverse("reports:monthly") + f"?month={month}",
        "summary xlsx": reverse("reports:monthly_download", args=[month, "xlsx"]),
        "summary csv": reverse("reports:monthly_download", args=[month, "csv"]),
        "daily log": reverse("complaints:daily_log"),
        "daily log of a day": reverse("complaints:daily_log_day", args=[local_today().isoformat()]),
        "visit agenda": reverse("followups:agenda"),
        "customer list": reverse("customers:list"),
        "customer page": reverse("customers:detail", args=[world["customer"].pk]),
        "notifications": reverse("notifications:list"),
        "password change": reverse("accounts:password_change"),
        "customers API": "/api/v1/customers/",
    }


def test_every_report_dashboard_and_summary_opens(client, executive, world):
    client.force_login(executive)
    for name, url in readable(world).items():
        assert client.get(url).status_code == 200, name


def test_the_dashboards_cover_every_office(client, executive, world, office, other_office):
    client.force_login(executive)
    dashboard = client.get(reverse("reports:monthly"), {"month": this_month()})
    by_office = dashboard.context["figures"]["by_office"]
    assert {row["key"] for row in by_office["rows"]} == {office.pk, other_office.pk}
    assert by_office["total"]["received"] == 2
    assert dashboard.context["downloads"]  # the summary files are offered
    daily = client.get(reverse("complaints:daily_log"))
    received = next(s for s in daily.context["sections"] if s.key == "received")
    assert {c.pk for c in received.rows} == {world["ours"].pk, world["theirs"].pk}
    # the subjects as text, not as links to complaint pages they may not open
    page = daily.content.decode()
    assert world["theirs"].subject in page
    assert reverse("complaints:detail", args=[world["theirs"].pk]) not in page


def test_the_daily_log_links_the_complaints_for_those_who_may_open_them(client, supervisor, world):
    client.force_login(supervisor)
    page = client.get(reverse("complaints:daily_log")).content.decode()
    assert f'href="{reverse("complaints:detail", args=[world["ours"].pk])}"' in page


def test_the_start_page_is_the_monthly_dashboard(client, executive, agent):
    client.force_login(executive)
    assert client.get(reverse("home"))["Location"] == reverse("reports:monthly")
    client.force_login(agent)
    assert client.get(reverse("home"))["Location"] == reverse("complaints:list")
    client.logout()
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_the_login_lands_on_a_page_they_may_open(client, executive):
    response = client.post(reverse("login"), {"username": executive.username, "password": "helpdesk-test"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("reports:monthly")


def test_the_navigation_shows_only_what_they_may_open(client, executive):
    client.force_login(executive)
    nav = client.get(reverse("reports:monthly"), {"month": this_month()}).content.decode()
    nav = nav[nav.index('class="mainnav"') : nav.index("</nav>")]
    for shown in ("reports:monthly", "complaints:daily_log", "followups:agenda", "customers:list"):
        assert f'href="{reverse(shown)}"' in nav, shown
    for hidden in (
        "complaints:list",
        "complaints:intake_walk_in",
        "complaints:intake_phone",
        "complaints:callbacks",
        "complaints:training_list",
        "followups:kpis",
        "followups:survey_list",
        "followups:reception_list",
        "followups:worklog",
        "followups:message_list",
        "admin:index",
    ):
        assert f'href="{reverse(hidden)}"' not in nav, hidden


# ----------------------------------------------------------------------- what they may not
def denied_pages(world) -> list[tuple[str, str, str, dict | None, str]]:
    """(what, method, url, POST data, a role that may) — the executive gets 403 on each."""
    ours = world["ours"].pk
    customer = world["customer"].pk
    month = this_month()
    return [
        ("complaint list", "get", reverse("complaints:list"), None, "agent"),
        ("complaint page", "get", reverse("complaints:detail", args=[ours]), None, "agent"),
        ("call-back queue", "get", reverse("complaints:callbacks"), None, "agent"),
        ("walk-in intake", "get", reverse("complaints:intake_walk_in"), None, "agent"),
        ("phone intake", "get", reverse("complaints:intake_phone"), None, "agent"),
        ("online intake", "get", reverse("complaints:intake_online"), None, "agent"),
        ("letter intake", "get", reverse("complaints:intake_letter"), None, "agent"),
        ("field-visit intake", "get", reverse("complaints:intake_field_visit"), None, "agent"),
        ("logging a complaint", "post", reverse("complaints:intake_phone"), {}, "agent"),
        ("repeat check", "get", reverse("complaints:repeat_check") + "?phone=13800138000", None, "agent"),
        ("paper form", "get", reverse("complaints:paper_form", args=[ours, "complaint-form"]), None, "agent"),
        ("training cases", "get", reverse("complaints:training_list"), None, "agent"),
        ("a complaint action", "post", reverse("complaints:action", args=[ours, "reply"]), {"note": "x"}, "agent"),
        ("moving up", "post", reverse("complaints:action", args=[ours, "move-up"]), {"note": "x"}, "agent"),
        ("a new private link", "post", reverse("complainants:staff_new_link", args=[ours]), {}, "agent"),
        ("revoking the links", "post", reverse("complainants:staff_revoke_link", args=[ours]), {}, "supervisor"),
        ("new customer", "get", reverse("customers:new"), None, "manager"),
        ("changing a tier", "post", reverse("customers:change_tier", args=[customer]), {}, "manager"),
        ("editing contacts", "post", reverse("customers:edit_contacts", args=[customer]), {}, "manager"),
        ("credit evaluation", "post", reverse("customers:evaluate_credit", args=[customer]), {}, "manager"),
        ("the archive", "post", reverse("customers:edit_archive", args=[customer]), {}, "manager"),
        ("churn analysis", "get", reverse("customers:churn"), None, "manager"),
        ("visit plans", "get", reverse("followups:plans"), None, "agent"),
        ("my visit plan", "get", reverse("followups:my_plan", args=[month]), None, "agent"),
        ("agent KPIs", "get", reverse("followups:kpis"), None, "manager"),
        ("surveys", "get", reverse("followups:survey_list"), None, "supervisor"),
        ("reception log", "get", reverse("followups:reception_list"), None, "agent"),
        ("field trips", "get", reverse("followups:trip_list"), None, "agent"),
        ("work log", "get", reverse("followups:worklog"), None, "agent"),
        ("phone messages", "get", reverse("followups:message_list"), None, "agent"),
        ("complaints API", "get", "/api/v1/complaints/", None, "agent"),
        ("complaint API", "get", f"/api/v1/complaints/{ours}/", None, "agent"),
        ("logging by API", "post", "/api/v1/complaints/", {}, "agent"),
        ("events API", "get", "/api/v1/events/", None, "agent"),
        ("customer by API", "post", "/api/v1/customers/", {}, "manager"),
    ]


def test_every_complaint_intake_action_and_change_is_refused(client, executive, world, make_user):
    users = {role: make_user(role) for role in ("agent", "supervisor", "manager")}
    for what, method, url, data, prover in denied_pages(world):
        client.force_login(executive)
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 403, what
        client.force_login(users[prover])
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code not in (403, 404), what
    assert Complaint.objects.count() == 2 and not Complaint.objects.filter(status="in_progress").exists()


def test_the_admin_is_closed_to_them(client, executive, world, manager):
    client.force_login(executive)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    executive.is_staff = True  # even if someone made them staff: no model to change
    executive.save(update_fields=["is_staff"])
    client.force_login(executive)
    for url in (
        reverse("admin:complaints_complaint_changelist"),
        reverse("admin:complaints_complaint_change", args=[world["ours"].pk]),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_office_add"),
        reverse("admin:customers_customer_add"),
    ):
        assert client.get(url).status_code == 403, url
        client.force_login(manager)
        assert client.get(url).status_code in (200, 302), url
        client.force_login(executive)
    customer = world["customer"]
    change = reverse("admin:customers_customer_change", args=[customer.pk])
    assert client.post(change, {"name": "Renamed", "tier": customer.tier}).status_code == 403
    customer.refresh_from_db()
    assert customer.name != "Renamed"


def test_the_executive_role_holds_no_change_permission(executive):
    perms = executive.get_all_permissions()
    assert {"complaints.view_all_offices", "complaints.view_reports", "complaints.download_summary"} <= perms
    changing = {p for p in perms if p.split(".")[1].split("_")[0] in ("add", "change", "delete")}
    assert changing == set()
    assert "complaints.view_complaint" not in perms
    assert {p for p in perms if not p.split(".")[1].startswith("view")} == {
        "complaints.download_summary",
        "followups.record_visit",  # the senior visits on their own agenda
    }

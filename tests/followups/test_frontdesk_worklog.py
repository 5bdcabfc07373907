"""The daily work log and monthly summary (R-F4) through their pages: write and update a day,
write a month's summary, and who may read whose log."""

from datetime import date, timedelta

import factory
import pytest
from django.urls import reverse

from complaints.daily_log import local_today
from followups.models import WorkLog, WorkSummary
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("followups:worklog")
TEAM_URL = reverse("followups:worklog_team")
JANUARY = date(2026, 1, 1)


class WorkLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkLog

    agent = factory.SubFactory(UserFactory)
    office = factory.SelfAttribute("agent.office")
    day = factory.LazyFunction(local_today)
    work_done = factory.Sequence(lambda n: f"Answered {n} calls; logged two complaints.")


class WorkSummaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkSummary

    agent = factory.SubFactory(UserFactory)
    office = factory.SelfAttribute("agent.office")
    month = JANUARY
    summary = "A quiet month; three call-backs done."


def summary_url(agent, month: date = JANUARY) -> str:
    return reverse("followups:work_summary", args=[agent.pk, month.year, month.month])


def log_data(log_day: date, **overrides) -> dict:
    data = {
        "day": log_day.isoformat(),
        "work_done": "Took 12 calls, one walk-in complaint.",
        "lessons": "Restate the complaint before agreeing a reply time.",
        "special_situations": "Customer Blue River is unhappy with the invoice.",
    }
    data.update(overrides)
    return data


# -------------------------------------------------------------------- my work log
def test_my_work_log_opens_on_today(client, agent):
    client.force_login(agent)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["form"].initial["day"] == local_today()
    assert response.context["editing"] is False


def test_agent_writes_the_days_log(client, agent):
    client.force_login(agent)
    today = local_today()
    response = client.post(URL, log_data(today))
    assert response.status_code == 302 and response["Location"] == f"{URL}?day={today.isoformat()}"
    entry = WorkLog.objects.get()
    assert (entry.agent, entry.office, entry.day) == (agent, agent.office, today)
    assert entry.special_situations.startswith("Customer Blue River")
    page = client.get(response["Location"])
    assert f"Work log for {today.isoformat()} saved." in page.content.decode()
    assert page.context["editing"] is True and list(page.context["entries"]) == [entry]


def test_writing_the_same_day_again_updates_the_entry(client, agent):
    day = local_today() - timedelta(days=1)
    WorkLogFactory(agent=agent, day=day, work_done="First draft.")
    client.force_login(agent)
    form = client.get(URL, {"day": day.isoformat()}).context["form"]
    assert form["work_done"].value() == "First draft."
    response = client.post(URL, log_data(day, work_done="Final version."))
    assert response.status_code == 302
    entry = WorkLog.objects.get()  # still one entry for the day
    assert entry.work_done == "Final version."
    assert "updated" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "overrides",
    [
        {"work_done": ""},
        {"day": "not-a-day"},
        {"day": "9999-12-31"},
    ],
)
def test_bad_log_is_a_400_and_nothing_is_saved(client, agent, overrides):
    client.force_login(agent)
    response = client.post(URL, log_data(local_today(), **overrides))
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not WorkLog.objects.exists()


def test_a_day_that_has_not_happened_is_refused(client, agent):
    client.force_login(agent)
    response = client.post(URL, log_data(local_today() + timedelta(days=1)))
    assert response.status_code == 400
    assert "day" in response.context["form"].errors
    assert not WorkLog.objects.exists()


def test_a_bad_day_in_the_address_is_a_404(client, agent):
    client.force_login(agent)
    assert client.get(URL, {"day": "2026-02-30"}).status_code == 404


def test_my_month_lists_only_my_entries_of_that_month(client, agent, make_user):
    colleague = make_user("agent")
    mine = [WorkLogFactory(agent=agent, day=date(2026, 1, d)) for d in (2, 15, 31)]
    WorkLogFactory(agent=agent, day=date(2026, 2, 1))
    WorkLogFactory(agent=agent, day=date(2025, 12, 31))
    WorkLogFactory(agent=colleague, day=date(2026, 1, 15))
    client.force_login(agent)
    response = client.get(URL, {"day": "2026-01-15"})
    assert response.context["entries"] == mine
    assert response.context["form"]["work_done"].value() == mine[1].work_done


# --------------------------------------------------------------- monthly summary
def test_summary_page_shows_the_months_entries(client, agent):
    entries = [WorkLogFactory(agent=agent, day=date(2026, 1, d), special_situations=f"Situation {d}") for d in (5, 6)]
    WorkLogFactory(agent=agent, day=date(2026, 2, 2), work_done="February work")
    client.force_login(agent)
    response = client.get(summary_url(agent))
    assert response.status_code == 200
    assert list(response.context["entries"]) == entries
    html = response.content.decode()
    assert "Situation 5" in html and "Situation 6" in html and "February work" not in html
    assert response.context["form"] is not None and response.context["summary"] is None


def test_agent_writes_then_updates_the_months_summary(client, agent):
    client.force_login(agent)
    response = client.post(summary_url(agent), {"summary": "Busy month.", "special_situations": ""})
    assert response.status_code == 302 and response["Location"] == summary_url(agent)
    assert "Summary of 2026-01 saved." in client.get(summary_url(agent)).content.decode()
    client.post(summary_url(agent), {"summary": "Busy month, 40 calls.", "special_situations": "Tannery smell."})
    summary = WorkSummary.objects.get()
    assert (summary.agent, summary.office, summary.month) == (agent, agent.office, JANUARY)
    assert summary.summary == "Busy month, 40 calls." and summary.special_situations == "Tannery smell."


def test_bad_summary_is_a_400_and_nothing_is_saved(client, agent):
    client.force_login(agent)
    response = client.post(summary_url(agent), {"summary": "  ", "special_situations": "x"})
    assert response.status_code == 400
    assert "summary" in response.context["form"].errors
    next_month = (local_today().replace(day=28) + timedelta(days=5)).replace(day=1)
    response = client.post(summary_url(agent, next_month), {"summary": "Not yet."})
    assert response.status_code == 400
    assert not WorkSummary.objects.exists()


@pytest.mark.parametrize("year, month", [(2026, 13), (2026, 0), (1899, 5), (9999, 1)])
def test_a_month_out_of_the_calendar_is_a_404(client, agent, year, month):
    client.force_login(agent)
    assert client.get(reverse("followups:work_summary", args=[agent.pk, year, month])).status_code == 404


def test_summary_page_query_count_does_not_grow_with_entries(client, agent, django_assert_max_num_queries):
    # session, user, 2 × permissions, summary, entries, office of the top bar, notification bell
    client.force_login(agent)
    WorkLogFactory(agent=agent, day=JANUARY)
    with django_assert_max_num_queries(8):
        assert client.get(summary_url(agent)).status_code == 200
    for d in range(2, 32):
        WorkLogFactory(agent=agent, day=date(2026, 1, d))
    with django_assert_max_num_queries(8):
        response = client.get(summary_url(agent))
    assert len(response.context["entries"]) == 31


def test_my_work_log_query_count_does_not_grow_with_entries(client, agent, django_assert_max_num_queries):
    client.force_login(agent)
    WorkLogFactory(agent=agent, day=JANUARY)
    with django_assert_max_num_queries(8):
        assert client.get(URL, {"day": "2026-01-31"}).status_code == 200
    for d in range(2, 31):
        WorkLogFactory(agent=agent, day=date(2026, 1, d))
    with django_assert_max_num_queries(8):
        response = client.get(URL, {"day": "2026-01-31"})
    assert len(response.context["entries"]) == 30


# ---------------------------------------------------------------- who reads whom
def test_supervisor_reads_an_agents_log_and_summary_but_does_not_write_it(client, agent, supervisor):
    WorkLogFactory(agent=agent, day=date(2026, 1, 9), work_done="Visited the tannery.")
    WorkSummaryFactory(agent=agent, summary="Agent's own words.")
    client.force_login(supervisor)
    response = client.get(summary_url(agent))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Visited the tannery." in html and "Agent&#x27;s own words." in html
    assert response.context["form"] is None
    assert client.post(summary_url(agent), {"summary": "Overwritten."}).status_code == 403
    assert WorkSummary.objects.get().summary == "Agent's own words."


def test_agent_cannot_read_another_agents_log(client, agent, make_user):
    colleague = make_user("agent")
    WorkLogFactory(agent=colleague, day=date(2026, 1, 9))
    client.force_login(agent)
    response = client.get(summary_url(colleague))
    assert response.status_code == 403
    assert "your own work log" in response.content.decode()


def test_supervisor_of_another_office_gets_404_and_a_head_office_manager_reads_it(client, agent, other_office):
    WorkLogFactory(agent=agent, day=date(2026, 1, 9), work_done="Visited the tannery.")
    client.force_login(UserFactory(role="supervisor", office=other_office))
    assert client.get(summary_url(agent)).status_code == 404
    # managers hold complaints.view_all_offices (the head office sees every office)
    client.force_login(UserFactory(role="manager", office=other_office))
    response = client.get(summary_url(agent))
    assert response.status_code == 200 and "Visited the tannery." in response.content.decode()


def test_an_unknown_agent_is_a_404_for_a_supervisor(client, supervisor):
    client.force_login(supervisor)
    assert client.get(reverse("followups:work_summary", args=[999999, 2026, 1])).status_code == 404


# ------------------------------------------------------------------------ team
def test_team_page_lists_the_offices_agents_with_their_month(client, agent, supervisor, handler, other_office):
    for d in (5, 6, 7):
        WorkLogFactory(agent=agent, day=date(2026, 1, d))
    WorkLogFactory(agent=agent, day=date(2026, 2, 1))
    WorkSummaryFactory(agent=agent)
    stranger = UserFactory(role="agent", office=other_office)
    client.force_login(supervisor)
    response = client.get(TEAM_URL, {"month": "2026-01"})
    rows = {u.pk: u for u in response.context["page"].object_list}
    assert set(rows) == {agent.pk, supervisor.pk}  # not the handler, nor another office's agent
    assert rows[agent.pk].days_logged == 3 and rows[agent.pk].has_summary
    assert rows[supervisor.pk].days_logged == 0 and not rows[supervisor.pk].has_summary
    assert summary_url(agent) in response.content.decode()
    assert stranger.pk not in rows and handler.pk not in rows


def test_team_page_query_count_does_not_grow_with_agents(client, supervisor, make_user, django_assert_max_num_queries):
    client.force_login(supervisor)
    with django_assert_max_num_queries(8):
        assert client.get(TEAM_URL).status_code == 200
    for _ in range(30):
        WorkLogFactory(agent=make_user("agent"))
    with django_assert_max_num_queries(8):
        response = client.get(TEAM_URL)
    assert len(response.context["page"].object_list) == 25


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "yesterday"])
def test_team_page_bad_month_is_a_404(client, supervisor, month):
    client.force_login(supervisor)
    assert client.get(TEAM_URL, {"month": month}).status_code == 404


# ----------------------------------------------------------------------- permissions
def test_agent_cannot_open_the_team_page(client, agent, supervisor):
    client.force_login(agent)
    assert client.get(TEAM_URL).status_code == 403
    client.force_login(supervisor)
    assert client.get(TEAM_URL).status_code == 200


@pytest.mark.parametrize("role", ["department_handler", "customer_info"])
def test_roles_without_work_logs_get_403(client, make_user, agent, role):
    user = make_user(role)
    client.force_login(user)
    for url in (URL, TEAM_URL, summary_url(user), summary_url(agent)):
        assert client.get(url).status_code == 403
    assert client.post(URL, log_data(local_today())).status_code == 403
    assert client.post(summary_url(user), {"summary": "x"}).status_code == 403
    assert not WorkLog.objects.exists() and not WorkSummary.objects.exists()
    # the same requests by an agent are allowed: the denial was the permission
    client.force_login(agent)
    assert client.get(URL).status_code == 200
    assert client.post(URL, log_data(local_today())).status_code == 302
    assert client.post(summary_url(agent), {"summary": "x"}).status_code == 302


def test_a_user_without_an_office_gets_403(client):
    homeless = UserFactory(role="agent", office=None)
    client.force_login(homeless)
    for url in (URL, summary_url(homeless)):
        response = client.get(url)
        assert response.status_code == 403 and "not attached to an office" in response.content.decode()

"""Visit pages: the agenda per person and per customer, recording a visit, the monthly visit
plan submitted by the account manager and approved or returned by the manager."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups import planning
from followups.models import PlanStatus, Visit, VisitPlan, VisitStatus
from tests.factories import CustomerFactory

AGENDA = reverse("followups:agenda")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def my_customer(agent, today):
    customer = CustomerFactory(name="Eastern Dyeworks", tier="A", account_manager=agent)
    planning.plan_visits(today=today)
    return customer


def test_agenda_shows_my_visits_grouped_by_day(client, agent, my_customer, make_user):
    someone_else = CustomerFactory(name="Not Mine", account_manager=make_user("agent"))
    planning.plan_visits()
    client.force_login(agent)
    response = client.get(AGENDA)
    assert response.status_code == 200
    visits = [v for _day, day_visits in response.context["days"] for v in day_visits]
    assert visits and {v.customer_id for v in visits} == {my_customer.pk}
    assert all(v.visitor_id == agent.pk for v in visits)
    assert "Not Mine" not in response.content.decode()
    assert someone_else.visits.exists()


def test_agent_cannot_open_someone_elses_visit(client, agent, make_user, today):
    other = CustomerFactory(account_manager=make_user("agent"))
    planning.plan_visits(today=today)
    client.force_login(agent)
    visit = other.visits.first()
    assert client.get(reverse("followups:visit", args=[visit.pk])).status_code == 404


def test_supervisor_sees_the_agenda_of_a_customer_and_of_any_person(client, supervisor, agent, my_customer):
    client.force_login(supervisor)
    by_customer = client.get(AGENDA, {"customer": my_customer.pk})
    roles = {v.visitor_role for _d, vs in by_customer.context["days"] for v in vs}
    assert roles == {"account_manager", "department_manager", "division_head"} | (
        {"president"}
        if my_customer.visits.filter(
            visitor_role="president", due_on__lte=timezone.localdate() + timedelta(days=90)
        ).exists()
        else set()
    )
    by_person = client.get(AGENDA, {"person": agent.pk})
    assert {v.visitor_id for _d, vs in by_person.context["days"] for v in vs} == {agent.pk}


@pytest.mark.parametrize(
    "params", [{"start": "someday"}, {"start": "2027-02-01", "end": "2027-01-01"}, {"status": "lost"}]
)
def test_agenda_bad_filters_are_400(client, agent, params):
    client.force_login(agent)
    assert client.get(AGENDA, params).status_code == 400


def test_agenda_unknown_customer_is_404(client, supervisor):
    client.force_login(supervisor)
    assert client.get(AGENDA, {"customer": 999999}).status_code == 404


@pytest.mark.parametrize("role", ["department_handler"])
def test_roles_without_visits_are_denied(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(AGENDA).status_code == 403
    assert client.get(reverse("followups:plans")).status_code == 403


@pytest.mark.parametrize("customers", [1, 12])
def test_agenda_query_count_is_fixed(client, agent, today, customers, django_assert_max_num_queries):
    for _ in range(customers):
        CustomerFactory(tier="A", account_manager=agent)
    planning.plan_visits(today=today)
    client.force_login(agent)
    with django_assert_max_num_queries(8):
        response = client.get(AGENDA)
    assert response.context["page"].paginator.count >= 5 * customers


def _month(d: date) -> str:
    return d.strftime("%Y-%m")


def test_the_plan_workflow_through_the_pages(client, agent, manager, my_customer, today):
    visit = my_customer.visits.filter(visitor_role="account_manager").order_by("due_on").first()
    record_url = reverse("followups:record_visit", args=[visit.pk])
    client.force_login(agent)
    data = {"method": "door_visit", "items": ["policy_notice", "lecture_or_trip"], "feedback": "Asked for a lecture"}
    response = client.post(record_url, data)
    assert response.status_code == 400
    assert "has not been approved yet" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED

    plan_url = reverse("followups:my_plan", args=[_month(visit.due_on)])
    assert client.get(plan_url).status_code == 200
    assert client.post(plan_url, {"route": "", "appointments": ""}).status_code == 400
    assert not VisitPlan.objects.exists()  # a failed submit leaves no draft behind
    submitted = client.post(plan_url, {"route": "North district, then the plant", "appointments": "Mon 9:00"})
    assert submitted.status_code == 302
    plan = VisitPlan.objects.get()
    assert plan.status == PlanStatus.SUBMITTED
    review_url = reverse("followups:plan", args=[plan.pk])
    assert client.post(review_url, {"decision": "approve"}).status_code == 403  # not the manager

    client.force_login(manager)
    assert plan in client.get(reverse("followups:plans")).context["waiting"]
    assert client.post(review_url, {"decision": "return", "comment": ""}).status_code == 400
    assert client.post(review_url, {"decision": "return", "comment": "Visit the plant first"}).status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.manager_comment) == (PlanStatus.RETURNED, "Visit the plant first")

    client.force_login(agent)
    assert client.post(plan_url, {"route": "The plant, then north district", "appointments": ""}).status_code == 302
    client.force_login(manager)
    assert client.post(review_url, {"decision": "approve", "comment": "Go ahead"}).status_code == 302
    assert client.post(review_url, {"decision": "approve"}).status_code == 400  # already decided

    client.force_login(agent)
    assert client.post(record_url, data).status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE
    assert visit.checklist == {"policy_notice": True, "company_news": False, "magazine": False, "lecture_or_trip": True}
    assert client.post(record_url, data).status_code == 400  # recorded once


def test_someone_elses_plan_is_forbidden(client, agent, make_user, today):
    plan = VisitPlan.objects.create(account_manager=make_user("agent"), month=today.replace(day=1))
    client.force_login(agent)
    assert client.get(reverse("followups:plan", args=[plan.pk])).status_code == 403


def test_bad_month_is_404(client, agent):
    client.force_login(agent)
    assert client.get(reverse("followups:my_plan", args=["2026-13"])).status_code == 404
    assert client.get(reverse("followups:my_plan", args=["soon"])).status_code == 404


def test_supervisor_assigns_and_cancels_a_visit(client, supervisor, agent, my_customer):
    visit = my_customer.visits.filter(visitor_role="department_manager").first()
    client.force_login(agent)
    assert client.post(reverse("followups:cancel_visit", args=[visit.pk]), {"reason": "x"}).status_code in (403, 404)
    client.force_login(supervisor)
    assigned = client.post(reverse("followups:assign_visit", args=[visit.pk]), {"visitor": supervisor.pk})
    assert assigned.status_code == 302
    assert client.post(reverse("followups:cancel_visit", args=[visit.pk]), {"reason": ""}).status_code == 400
    assert (
        client.post(
            reverse("followups:cancel_visit", args=[visit.pk]), {"reason": "Customer closed for renovation"}
        ).status_code
        == 302
    )
    visit.refresh_from_db()
    assert (visit.visitor, visit.status) == (supervisor, VisitStatus.CANCELLED)
    assert Visit.objects.filter(pk=visit.pk, cancelled_reason="Customer closed for renovation").exists()

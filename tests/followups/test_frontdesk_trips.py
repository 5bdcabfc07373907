"""Field trips (R-F3) through their pages: plan, list (mine / office), report once."""

from datetime import timedelta

import factory
import pytest
from django.urls import reverse

from complaints.daily_log import local_today
from followups.models import FieldTrip, TripStatus
from tests.factories import CustomerFactory, OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("followups:trip_list")
PLAN_URL = reverse("followups:trip_plan")


class FieldTripFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FieldTrip

    office = factory.SubFactory(OfficeFactory)
    agent = factory.SubFactory(UserFactory, office=factory.SelfAttribute("..office"))
    customer = factory.SubFactory(CustomerFactory)
    planned_on = factory.LazyFunction(local_today)
    route = "Office → Xinhua Road plant → Riverside plant"
    appointment = "Mr Lin, plant manager, 10:00"


def detail_url(trip) -> str:
    return reverse("followups:trip_detail", args=[trip.pk])


def report_url(trip) -> str:
    return reverse("followups:trip_report", args=[trip.pk])


def report_data(**overrides) -> dict:
    data = {
        "feedback": "The aeration pump is noisy again.",
        "second_contract_potential": "on",
        "next_appointment": (local_today() + timedelta(days=14)).isoformat(),
        "report": "Inspected both plants; sewage operation normal; pump to be serviced.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ---------------------------------------------------------------------------- plan
def test_agent_plans_a_trip(client, agent):
    customer = CustomerFactory()
    client.force_login(agent)
    assert client.get(PLAN_URL).context["form"]["planned_on"].initial == local_today()
    day = local_today() + timedelta(days=2)
    response = client.post(
        PLAN_URL,
        {
            "customer": customer.pk,
            "planned_on": day.isoformat(),
            "route": "Office → Riverside plant",
            "appointment": "Mr Lin at 10:00",
        },
    )
    trip = FieldTrip.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(trip)
    assert (trip.office, trip.agent, trip.customer, trip.planned_on) == (agent.office, agent, customer, day)
    assert trip.status == TripStatus.PLANNED and trip.reported_at is None
    page = client.get(detail_url(trip)).content.decode()
    assert "planned for" in page and "Report the trip" in page


@pytest.mark.parametrize(
    "overrides",
    [
        {"route": ""},
        {"customer": ""},
        {"customer": "999999"},
        {"planned_on": "2026-02-30"},
        {"planned_on": "9999-12-31"},
    ],
)
def test_bad_plan_is_a_400_and_nothing_is_saved(client, agent, overrides):
    customer = CustomerFactory()
    client.force_login(agent)
    data = {
        "customer": customer.pk,
        "planned_on": local_today().isoformat(),
        "route": "Office → plant",
        "appointment": "",
    }
    data.update(overrides)
    response = client.post(PLAN_URL, data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not FieldTrip.objects.exists()


# ---------------------------------------------------------------------------- list
def test_list_shows_my_trips_or_the_whole_office(client, agent, make_user, other_office):
    colleague = make_user("agent")
    mine = FieldTripFactory(office=agent.office, agent=agent, planned_on=local_today())
    theirs = FieldTripFactory(office=agent.office, agent=colleague, planned_on=local_today() + timedelta(days=1))
    FieldTripFactory(office=other_office)
    client.force_login(agent)
    assert list(client.get(LIST_URL).context["page"].object_list) == [mine]
    assert list(client.get(LIST_URL, {"scope": "office"}).context["page"].object_list) == [theirs, mine]


def test_list_filters_by_status(client, agent):
    planned = FieldTripFactory(office=agent.office, agent=agent)
    FieldTripFactory(office=agent.office, agent=agent, status=TripStatus.REPORTED, report="Done.")
    client.force_login(agent)
    assert list(client.get(LIST_URL, {"status": "planned"}).context["page"].object_list) == [planned]
    assert len(client.get(LIST_URL, {"status": "nonsense"}).context["page"].object_list) == 2


def test_list_query_count_does_not_grow_with_rows(client, agent, django_assert_max_num_queries):
    # session, user, 2 × permissions, count, rows, office of the top bar, notification bell
    client.force_login(agent)
    FieldTripFactory(office=agent.office, agent=agent)
    with django_assert_max_num_queries(8):
        assert client.get(LIST_URL, {"scope": "office"}).status_code == 200
    for _ in range(29):
        FieldTripFactory(office=agent.office)
    with django_assert_max_num_queries(8):
        response = client.get(LIST_URL, {"scope": "office"})
    assert len(response.context["page"].object_list) == 25


# -------------------------------------------------------------------------- report
def test_agent_reports_their_trip_once(client, agent):
    trip = FieldTripFactory(office=agent.office, agent=agent)
    client.force_login(agent)
    response = client.post(report_url(trip), report_data())
    assert response.status_code == 302 and response["Location"] == detail_url(trip)
    trip.refresh_from_db()
    assert trip.status == TripStatus.REPORTED and trip.reported_at is not None
    assert trip.second_contract_potential is True
    assert trip.next_appointment == local_today() + timedelta(days=14)
    assert trip.report.startswith("Inspected both plants")
    page = client.get(detail_url(trip))
    assert page.context["form"] is None and "Trip report saved." in page.content.decode()
    # a second report is refused and changes nothing
    reported_at = trip.reported_at
    again = client.post(report_url(trip), report_data(report="Rewritten."))
    assert again.status_code == 409
    trip.refresh_from_db()
    assert trip.reported_at == reported_at and trip.report.startswith("Inspected")


@pytest.mark.parametrize(
    "overrides",
    [
        {"report": ""},
        {"next_appointment": "not a date"},
        {"next_appointment": "2001-01-01"},  # before the trip
    ],
)
def test_bad_report_is_a_400_and_the_trip_stays_planned(client, agent, overrides):
    trip = FieldTripFactory(office=agent.office, agent=agent)
    client.force_login(agent)
    response = client.post(report_url(trip), report_data(**overrides))
    assert response.status_code == 400
    assert response.context["form"].errors
    trip.refresh_from_db()
    assert trip.status == TripStatus.PLANNED and trip.reported_at is None and trip.report == ""


def test_supervisor_may_report_an_agents_trip_but_a_colleague_may_not(client, agent, make_user, supervisor):
    colleague = make_user("agent")
    trip = FieldTripFactory(office=agent.office, agent=agent)
    client.force_login(colleague)
    assert client.get(detail_url(trip)).context["form"] is None
    assert client.post(report_url(trip), report_data()).status_code == 403
    trip.refresh_from_db()
    assert trip.status == TripStatus.PLANNED
    client.force_login(supervisor)
    assert client.post(report_url(trip), report_data()).status_code == 302
    trip.refresh_from_db()
    assert trip.status == TripStatus.REPORTED


def test_a_trip_of_another_office_is_a_404(client, agent, supervisor, other_office):
    trip = FieldTripFactory(office=other_office)
    for user in (agent, supervisor):
        client.force_login(user)
        assert client.get(detail_url(trip)).status_code == 404
        assert client.post(report_url(trip), report_data()).status_code == 404
    trip.refresh_from_db()
    assert trip.status == TripStatus.PLANNED


def test_report_is_post_only(client, agent):
    trip = FieldTripFactory(office=agent.office, agent=agent)
    client.force_login(agent)
    assert client.get(report_url(trip)).status_code == 405


# ----------------------------------------------------------------------- permissions
@pytest.mark.parametrize("role", ["department_handler", "customer_info"])
def test_roles_without_field_trips_get_403(client, make_user, agent, role):
    trip = FieldTripFactory(office=agent.office, agent=agent)
    customer = CustomerFactory()
    plan = {"customer": customer.pk, "planned_on": local_today().isoformat(), "route": "Office → plant"}
    client.force_login(make_user(role))
    for url in (LIST_URL, PLAN_URL, detail_url(trip)):
        assert client.get(url).status_code == 403
    assert client.post(PLAN_URL, plan).status_code == 403
    assert client.post(report_url(trip), report_data()).status_code == 403
    assert FieldTrip.objects.count() == 1
    # the same requests by the agent are allowed: the denial was the permission
    client.force_login(agent)
    for url in (LIST_URL, PLAN_URL, detail_url(trip)):
        assert client.get(url).status_code == 200
    assert client.post(PLAN_URL, plan).status_code == 302
    assert client.post(report_url(trip), report_data()).status_code == 302


def test_a_user_without_an_office_gets_403(client):
    client.force_login(UserFactory(role="agent", office=None))
    for url in (LIST_URL, PLAN_URL):
        response = client.get(url)
        assert response.status_code == 403 and "not attached to an office" in response.content.decode()

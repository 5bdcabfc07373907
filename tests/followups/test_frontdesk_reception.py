"""The visitor reception log (R-F2) through its page: log a visitor, list, filters, scoping."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import factory
import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import Reception
from tests.factories import CustomerFactory, OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("followups:reception_list")
SHANGHAI = ZoneInfo("Asia/Shanghai")


class ReceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reception

    office = factory.SubFactory(OfficeFactory)
    arrived_at = factory.LazyFunction(timezone.now)
    visitor_name = factory.Sequence(lambda n: f"Visitor {n}")
    organisation = "Green Water Ltd"
    customer = factory.SubFactory(CustomerFactory)
    purpose = "Ask about the monthly invoice"
    received_by = factory.SubFactory(UserFactory, office=factory.SelfAttribute("..office"))
    logged_by = factory.SelfAttribute("received_by")
    summary = "Explained the invoice lines."


def local_input(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def visitor_data(receiver, **overrides) -> dict:
    data = {
        "arrived_at": local_input(timezone.now() - timedelta(minutes=20)),
        "visitor_name": "Ms Chen",
        "organisation": "Chen Dyeing Works",
        "customer": "",
        "purpose": "Discuss the sewage plant's maintenance schedule",
        "received_by": str(receiver.pk),
        "summary": "Agreed to send the schedule by Friday.",
    }
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- logging
def test_agent_logs_a_visitor_received_by_a_colleague(client, agent, make_user):
    # given a colleague of the same office who received the visitor
    colleague = make_user("supervisor")
    customer = CustomerFactory()
    client.force_login(agent)
    # when the agent logs the visit
    response = client.post(URL, visitor_data(colleague, customer=str(customer.pk)))
    # then it is saved for the office, received by the colleague and logged by the agent
    assert response.status_code == 302 and response["Location"] == URL
    reception = Reception.objects.get()
    assert reception.office == agent.office
    assert (reception.received_by, reception.logged_by, reception.customer) == (colleague, agent, customer)
    assert reception.visitor_name == "Ms Chen"
    page = client.get(URL)
    assert "Visitor Ms Chen logged." in page.content.decode()
    assert "Ms Chen" in page.content.decode()


def test_received_by_defaults_to_me_and_offers_only_staff_of_my_office(client, agent, make_user, other_office):
    colleague = make_user("agent")
    stranger = UserFactory(office=other_office)
    client.force_login(agent)
    form = client.get(URL).context["form"]
    assert form["received_by"].initial == agent.pk
    offered = set(form.fields["received_by"].queryset)
    assert {agent, colleague} <= offered and stranger not in offered


@pytest.mark.parametrize(
    "overrides",
    [
        {"visitor_name": ""},
        {"purpose": "  "},
        {"arrived_at": "yesterday-ish"},
        {"received_by": "999999"},
    ],
)
def test_bad_input_is_a_400_and_nothing_is_saved(client, agent, overrides):
    client.force_login(agent)
    response = client.post(URL, visitor_data(agent, **overrides))
    assert response.status_code == 400
    assert response.context["form"].errors
    assert "Nothing was saved" in response.content.decode()
    assert not Reception.objects.exists()


def test_arrival_in_the_future_is_refused(client, agent):
    client.force_login(agent)
    response = client.post(URL, visitor_data(agent, arrived_at=local_input(timezone.now() + timedelta(hours=2))))
    assert response.status_code == 400
    assert "arrived_at" in response.context["form"].errors
    assert not Reception.objects.exists()


def test_a_receiver_of_another_office_is_refused(client, agent, other_office):
    stranger = UserFactory(role="agent", office=other_office)
    client.force_login(agent)
    response = client.post(URL, visitor_data(stranger))
    assert response.status_code == 400
    assert "received_by" in response.context["form"].errors
    assert not Reception.objects.exists()


# ------------------------------------------------------------------------------ list
def test_list_is_newest_first_and_only_my_office(client, agent, other_office):
    now = timezone.now()
    old = ReceptionFactory(office=agent.office, arrived_at=now - timedelta(days=2), visitor_name="Old visitor")
    new = ReceptionFactory(office=agent.office, arrived_at=now - timedelta(hours=1), visitor_name="New visitor")
    ReceptionFactory(office=other_office, visitor_name="Elsewhere visitor")
    client.force_login(agent)
    response = client.get(URL)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [new, old]
    assert "Elsewhere visitor" not in response.content.decode()


def test_list_filters_by_local_day_range_and_text(client, agent):
    office = agent.office
    first = ReceptionFactory(
        office=office,
        arrived_at=datetime(2026, 3, 2, 0, 30, tzinfo=SHANGHAI),
        visitor_name="Mr Li",
        organisation="Li Paper Mill",
    )
    second = ReceptionFactory(
        office=office,
        arrived_at=datetime(2026, 3, 3, 23, 50, tzinfo=SHANGHAI),
        visitor_name="Mrs Wang",
        purpose="Complain about the smell",
    )
    ReceptionFactory(office=office, arrived_at=datetime(2026, 3, 4, 0, 5, tzinfo=SHANGHAI), visitor_name="Mr Zhao")
    ReceptionFactory(office=office, arrived_at=datetime(2026, 3, 1, 23, 59, tzinfo=SHANGHAI), visitor_name="Mr Sun")
    client.force_login(agent)

    in_range = client.get(URL, {"date_from": "2026-03-02", "date_to": "2026-03-03"})
    assert list(in_range.context["page"].object_list) == [second, first]
    by_text = client.get(URL, {"q": "paper"})
    assert list(by_text.context["page"].object_list) == [first]
    by_purpose = client.get(URL, {"q": "smell", "date_from": "2026-03-01"})
    assert list(by_purpose.context["page"].object_list) == [second]


def test_list_filters_by_customer_name(client, agent):
    customer = CustomerFactory(name="Blue River Tannery")
    hit = ReceptionFactory(office=agent.office, customer=customer)
    ReceptionFactory(office=agent.office)
    client.force_login(agent)
    response = client.get(URL, {"q": "blue river"})
    assert list(response.context["page"].object_list) == [hit]


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "9999-12-31"},
        {"date_to": "0001-01-01"},
        {"date_from": "2026-02-30"},
        {"date_from": "2026-03-05", "date_to": "2026-03-01"},
        {"page": "last"},
        {"page": "99999"},
    ],
)
def test_bad_filters_never_fail(client, agent, query):
    ReceptionFactory(office=agent.office)
    client.force_login(agent)
    response = client.get(URL, query)
    assert response.status_code == 200


def test_list_is_paginated(client, agent, settings):
    settings.HELPDESK_LIST_PAGE_SIZE = 2
    now = timezone.now()
    for i in range(5):
        ReceptionFactory(office=agent.office, arrived_at=now - timedelta(hours=i), visitor_name=f"Guest {i}")
    client.force_login(agent)
    page3 = client.get(URL, {"page": 3, "q": "guest"})
    assert [r.visitor_name for r in page3.context["page"].object_list] == ["Guest 4"]
    assert "q=guest&amp;page=2" in page3.content.decode()


def test_list_query_count_does_not_grow_with_rows(client, agent, django_assert_max_num_queries):
    # session, user, 2 × permissions, count, rows, office of the top bar, notification bell,
    # and the form's two selects (customers, staff of the office)
    client.force_login(agent)
    ReceptionFactory(office=agent.office)
    with django_assert_max_num_queries(10):
        assert client.get(URL).status_code == 200
    for _ in range(29):
        ReceptionFactory(office=agent.office, customer=CustomerFactory(), received_by=UserFactory(office=agent.office))
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"date_from": date(2000, 1, 1).isoformat(), "q": "Visitor"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 25


# ----------------------------------------------------------------------- permissions
def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["department_handler", "customer_info"])
def test_roles_without_the_reception_log_get_403(client, make_user, agent, role):
    client.force_login(make_user(role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, visitor_data(agent)).status_code == 403
    assert not Reception.objects.exists()
    # the same request by an agent is allowed: the denial was the permission
    client.force_login(agent)
    assert client.get(URL).status_code == 200
    assert client.post(URL, visitor_data(agent)).status_code == 302


def test_a_user_without_an_office_gets_403_with_a_reason(client, agent):
    homeless = UserFactory(role="agent", office=None)
    client.force_login(homeless)
    response = client.get(URL)
    assert response.status_code == 403
    assert "not attached to an office" in response.content.decode()

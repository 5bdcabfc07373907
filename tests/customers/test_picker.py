"""The customer picker: suggestions as one types, and a field that accepts the suggestion
label, an id or an exact name — so forms never render every customer into a select."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.models import Customer
from customers.widgets import CustomerChoiceField, customer_label
from tests.factories import CustomerFactory

SEARCH = reverse("customers:search")


@pytest.fixture
def field(db):
    return CustomerChoiceField(queryset=Customer.objects.all(), required=False)


def test_field_accepts_label_id_and_exact_name(field):
    jade = CustomerFactory(name="Jade Brewery")
    assert field.clean(customer_label(jade)) == jade
    assert field.clean(f"anything typed · #{jade.pk}") == jade
    assert field.clean(str(jade.pk)) == jade
    assert field.clean("  jade brewery ") == jade
    assert field.clean("") is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("Nobody Ltd", "No such customer"),
        ("#999999", "No such customer"),
        ("Twin Works", "Several customers have this name"),
    ],
)
def test_field_rejects_unknown_and_ambiguous(field, text, message):
    CustomerFactory(name="Twin Works")
    CustomerFactory(name="Twin Works")
    with pytest.raises(ValidationError, match=message):
        field.clean(text)


def test_search_suggests_up_to_twenty(client, agent):
    for i in range(25):
        CustomerFactory(name=f"Harbour Plant {i:02d}", tier="B")
    CustomerFactory(name="Other", phone="020-1234 5678")
    client.force_login(agent)
    results = client.get(SEARCH, {"q": "harbour"}).json()["results"]
    assert len(results) == 20 and results[0]["label"].startswith("Harbour Plant 00 · #")
    assert results[0]["tier"] == "B"
    assert [r["label"].split(" · ")[0] for r in client.get(SEARCH, {"q": "1234"}).json()["results"]] == ["Other"]
    assert client.get(SEARCH).json() == {"results": []}


def test_search_needs_the_customer_permission(client, make_user):
    user = make_user(None)
    client.force_login(user)
    assert client.get(SEARCH, {"q": "a"}).status_code == 403
    client.logout()
    assert client.get(SEARCH, {"q": "a"}).status_code == 302


@pytest.mark.parametrize(
    "url", ["/complaints/new/phone/", "/complaints/new/walk-in/", "/followups/reception/", "/followups/trips/new/"]
)
def test_forms_do_not_render_every_customer(client, agent, url):
    for i in range(30):
        CustomerFactory(name=f"Listed Customer {i}")
    client.force_login(agent)
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Listed Customer" not in body
    assert 'class="customer-picker"' in body and reverse("customers:search") in body


def test_a_trip_links_a_customer_typed_by_name(client, agent):
    jade = CustomerFactory(name="Jade Brewery")
    client.force_login(agent)
    response = client.post(
        "/followups/trips/new/", {"customer": "Jade Brewery", "planned_on": "2026-12-01", "route": "North gate"}
    )
    assert response.status_code == 302
    assert jade.field_trips.count() == 1
    bad = client.post("/followups/trips/new/", {"customer": "Nobody", "planned_on": "2026-12-01", "route": "x"})
    assert bad.status_code == 400 and "No such customer" in bad.content.decode()


def test_list_field_reads_lines_and_names_the_bad_ones(db):
    from customers.widgets import CustomerListField

    jade, pearl = CustomerFactory(name="Jade Brewery"), CustomerFactory(name="Pearl Textiles")
    field = CustomerListField(queryset=Customer.objects.all(), required=False)
    assert field.clean(f"{customer_label(jade)}\n\n{pearl.pk}\njade brewery") == [jade, pearl]
    with pytest.raises(ValidationError) as error:
        field.clean("Jade Brewery\nNobody Ltd\n#0")
    assert error.value.messages == [
        "Line 2 “Nobody Ltd”: No such customer: type part of the name and pick one of the suggestions.",
        "Line 3 “#0”: No such customer: type part of the name and pick one of the suggestions.",
    ]
    assert field.clean("") == []


@pytest.mark.parametrize("role, status", [("agent", 403), ("supervisor", 403), ("customer_info", 200)])
def test_survey_suggestions_need_the_survey_permissions(client, make_user, manager, role, status):
    from followups import surveys

    survey = surveys.create_round(title="Q4", questions=["Satisfied?"], customers=[CustomerFactory()], by=manager)
    client.force_login(make_user(role))
    assert client.get(reverse("followups:survey_pending_customers", args=[survey.pk]), {"q": "c"}).status_code == status

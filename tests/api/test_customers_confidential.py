"""R-CU5 over the API: the confidential archive fields follow the same rule as the pages —
only manager, supervisor and customer-information roles see them, each read is logged — and a
tier change through the API is recorded like one on the page."""

import pytest

from customers.models import ArchiveAccess, Customer, TierChange
from tests.factories import CustomerFactory

URL = "/api/v1/customers/"
CONFIDENTIAL_ROLES = {"supervisor", "manager", "customer_info"}
SECRETS = {
    "licence_no",
    "tax_registration_no",
    "credit_status",
    "credit_rating",
    "production_process",
    "scale_tonnes",
    "raw_materials",
    "investment",
    "archive_notes",
    "tier_reason",
}


@pytest.fixture
def customer(db):
    return CustomerFactory(
        name="Delta Paper Mill", tier="A", licence_no="LIC-SECRET", scale_tonnes=25000, tier_reason="25,000 t per day"
    )


@pytest.mark.parametrize("role", ["agent", "supervisor", "department_handler", "manager", "customer_info"])
def test_retrieve_shows_confidential_fields_only_to_archive_roles(session_client, users, customer, role):
    response = session_client(users[role]).get(f"{URL}{customer.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert {"id", "name", "tier", "contact_person", "phone", "email", "address"} <= set(data)
    log = ArchiveAccess.objects.filter(user=users[role], customer=customer, action="api_view")
    if role in CONFIDENTIAL_ROLES:
        assert SECRETS <= set(data) and data["licence_no"] == "LIC-SECRET"
        assert log.count() == 1
    else:
        assert not SECRETS & set(data)
        assert "LIC-SECRET" not in response.content.decode()
        assert not log.exists()


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_lists_never_carry_the_archive(session_client, users, customer, role):
    data = session_client(users[role]).get(URL).json()
    assert data["results"][0]["name"] == "Delta Paper Mill"
    assert not SECRETS & set(data["results"][0])
    assert not ArchiveAccess.objects.exists()


def test_tier_change_through_the_api_is_recorded(session_client, users, customer):
    client = session_client(users["customer_info"])
    response = client.patch(f"{URL}{customer.pk}/", {"tier": "B"}, format="json")
    assert response.status_code == 400
    assert "tier_reason" in response.json()
    assert Customer.objects.get(pk=customer.pk).tier == "A" and not TierChange.objects.exists()
    response = client.patch(
        f"{URL}{customer.pk}/", {"tier": "B", "tier_reason": "Scale fell to 15,000 t"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["tier"] == "B"
    change = TierChange.objects.get()
    assert (change.old_tier, change.new_tier, change.changed_by) == ("A", "B", users["customer_info"])


def test_agent_cannot_write_customers(session_client, users, customer):
    response = session_client(users["agent"]).patch(f"{URL}{customer.pk}/", {"licence_no": "X"}, format="json")
    assert response.status_code == 403
    assert Customer.objects.get(pk=customer.pk).licence_no == "LIC-SECRET"


def test_a_customer_created_over_the_api_gets_its_visits(session_client, users):
    from followups.models import Visit

    client = session_client(users["customer_info"])
    response = client.post(URL, {"name": "Api Paper Co", "tier": "B"}, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    assert {"account_manager", "department_manager", "division_head"} == set(
        Visit.objects.filter(customer_id=pk).values_list("visitor_role", flat=True)
    )
    assert client.patch(f"{URL}{pk}/", {"account_manager": users["agent"].pk}, format="json").status_code == 200
    assert set(
        Visit.objects.filter(customer_id=pk, visitor_role="account_manager").values_list("visitor", flat=True)
    ) == {users["agent"].pk}

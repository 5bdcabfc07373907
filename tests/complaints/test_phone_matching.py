"""Phones are stored normalised on every write path (intake form, complaint API, customer
form/API, admin, ORM) and every match uses the stored form: the list searches, R-T4's
newer-complaint link and the repeat-complainant figure; the data migration normalises
existing rows."""

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.api import ComplaintIntakeSerializer
from complaints.choices import Channel, Status
from complaints.forms import PhoneIntakeForm
from complaints.models import Category, Complaint
from customers.api import CustomerSerializer
from customers.forms import NewCustomerForm
from customers.models import Customer
from tests.factories import ComplaintFactory, CustomerFactory

pytestmark = pytest.mark.django_db

MOBILE = "13912345678"
LANDLINE = "02162345678"


def local_input(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def intake_data(**overrides):
    now = timezone.now()
    data = {
        "complainant_name": "Mr Huang",
        "contact_phone": "+86 139 1234 5678",
        "contact_email": "huang@example.com",
        "incident_at": local_input(now - timedelta(hours=1)),
        "incident_place": "Building 3, lobby",
        "persons_involved": "",
        "subject": "Lobby door broken",
        "category": str(Category.objects.get(code="repairs").pk),
        "description": "The automatic door does not open.",
        "outcome": "reply_time",
        "reply_due_at": local_input(now + timedelta(hours=4)),
    }
    data.update(overrides)
    return data


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def raw_set(model, pk, field, value):
    """Write a value as an old release did (as typed), past the field's normalisation."""
    table, column = model._meta.db_table, model._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


def stored(model, pk, field):
    return model.objects.filter(pk=pk).values_list(field, flat=True).get()


# ---------------------------------------------------------------------- write paths
def test_intake_form_cleans_and_stores_the_normalised_phone(client, agent):
    form = PhoneIntakeForm(data=intake_data(contact_phone="139 1234 5678"), user=agent)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["contact_phone"] == MOBILE

    client.force_login(agent)
    response = client.post(reverse("complaints:intake_phone"), intake_data(contact_phone="+86 139-1234-5678"))
    assert response.status_code == 302
    assert stored(Complaint, Complaint.objects.get().pk, "contact_phone") == MOBILE


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12ab", "Enter a valid phone number"),
        ("+86 1391234567", "11 digits"),
    ],
)
def test_intake_form_keeps_its_messages_for_invalid_phones(agent, typed, message):
    form = PhoneIntakeForm(data=intake_data(contact_phone=typed), user=agent)
    assert not form.is_valid()
    assert message in str(form.errors["contact_phone"])


def test_complaint_api_stores_and_returns_the_normalised_phone(agent):
    body = {
        "channel": Channel.ONLINE,
        "complainant_name": "Mr Huang",
        "contact_phone": "0086 21 6234-5678",
        "incident_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "incident_place": "Lobby",
        "subject": "Door broken",
        "description": "The door does not open.",
        "category": Category.objects.get(code="repairs").pk,
    }
    serializer = ComplaintIntakeSerializer(data=body)
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["contact_phone"] == LANDLINE

    response = api_client(agent).post("/api/v1/complaints/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["contact_phone"] == LANDLINE
    assert stored(Complaint, response.json()["id"], "contact_phone") == LANDLINE

    bad = api_client(agent).post("/api/v1/complaints/", {**body, "contact_phone": "12ab"}, format="json")
    assert bad.status_code == 400 and "Enter a valid phone number" in str(bad.json()["contact_phone"])


def test_customer_form_and_page_store_the_normalised_phone(client, info_user):
    form = NewCustomerForm(
        data={"name": "Jade Brewery", "tier": "B", "tier_reason": "12,000 t", "phone": "(020) 8888-1234"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "02088881234"

    client.force_login(info_user)
    response = client.post(
        reverse("customers:new"),
        {"name": "Jade Brewery", "tier": "B", "tier_reason": "12,000 t", "phone": "+86 20 8888 1234"},
    )
    assert response.status_code == 302
    assert Customer.objects.get(name="Jade Brewery").phone == "02088881234"


def test_customer_api_stores_and_returns_the_normalised_phone(make_user):
    client = api_client(make_user("customer_info"))
    assert CustomerSerializer(data={"name": "X", "phone": "１３９ １２３４ ５６７８"}).is_valid()

    response = client.post(
        "/api/v1/customers/", {"name": "Api Paper Co", "tier": "B", "phone": "+86 139 1234 5678"}, format="json"
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["phone"] == MOBILE and stored(Customer, pk, "phone") == MOBILE

    response = client.patch(f"/api/v1/customers/{pk}/", {"phone": "021-6234 5678 转 12"}, format="json")
    assert response.status_code == 200 and response.json()["phone"] == "02162345678,12"
    assert stored(Customer, pk, "phone") == "02162345678,12"


def test_customer_admin_stores_the_normalised_phone(client, manager):
    customer = CustomerFactory(tier="A")
    client.force_login(manager)
    data = {
        "name": customer.name,
        "contact_person": "",
        "phone": "+86 21 6234 5678",
        "email": "",
        "address": "",
        "account_manager": "",
        "licence_no": "",
        "tax_registration_no": "",
        "credit_status": "",
        "credit_rating": "",
        "production_process": "",
        "scale_tonnes": "",
        "raw_materials": "",
        "investment": "",
        "archive_notes": "",
        "tier_changes-TOTAL_FORMS": "0",
        "tier_changes-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:customers_customer_change", args=[customer.pk]), data)
    assert response.status_code == 302, response.content
    assert stored(Customer, customer.pk, "phone") == LANDLINE


def test_orm_writes_store_the_normalised_phone(office, agent):
    complaint = ComplaintFactory(office=office, contact_phone="139 1234 5678")  # objects.create
    assert complaint.contact_phone == MOBILE and stored(Complaint, complaint.pk, "contact_phone") == MOBILE

    customer = Customer.objects.create(name="Lotus Dairy", phone="021 6234 5678")
    assert customer.phone == LANDLINE and stored(Customer, customer.pk, "phone") == LANDLINE

    customer.phone = "+86 139 1234 5678"
    customer.save()
    assert stored(Customer, customer.pk, "phone") == MOBILE

    a, b = Customer.objects.bulk_create(
        [Customer(name="A", phone="0086 13912345678"), Customer(name="B", phone="+44 20 7946 0958")]
    )
    assert {stored(Customer, c.pk, "phone") for c in Customer.objects.filter(name__in=["A", "B"])} == {
        MOBILE,
        "+442079460958",
    }

    a.phone = "021-6234 5678"
    Customer.objects.bulk_update([a], ["phone"])
    assert stored(Customer, a.pk, "phone") == LANDLINE
    Customer.objects.filter(pk=b.pk).update(phone="139-1234-5678")
    assert stored(Customer, b.pk, "phone") == MOBILE

    # an exact lookup with a number as typed finds the stored one
    assert list(Customer.objects.filter(phone="+86 21 6234 5678").values_list("pk", flat=True)) == [a.pk]
    assert Complaint.objects.filter(contact_phone="139 1234 5678").get() == complaint


def test_full_clean_normalises_the_instance():
    complaint = Complaint(contact_phone="+86 139 1234 5678")
    complaint.clean_fields(exclude=[f.name for f in Complaint._meta.fields if f.name != "contact_phone"])
    assert complaint.contact_phone == MOBILE


# --------------------------------------------------------------------------- search
@pytest.mark.parametrize(
    "query", ["13912345678", "139 1234 5678", "+86 139 1234 5678", "0086-139-1234", "１３９１２３４", "5678"]
)
def test_complaint_search_finds_the_phone_however_it_is_typed(client, agent, query):
    match = ComplaintFactory(office=agent.office, received_by__office=agent.office, contact_phone="139 1234 5678")
    ComplaintFactory(office=agent.office, received_by__office=agent.office, contact_phone="13800138000")

    client.force_login(agent)
    page = client.get(reverse("complaints:list"), {"q": query}).context["page"]
    assert [c.pk for c in page] == [match.pk]
    api = api_client(agent).get("/api/v1/complaints/", {"search": query})
    assert [c["id"] for c in api.json()["results"]] == [match.pk]


def test_complaint_search_finds_a_landline_typed_with_the_country_code(client, agent):
    match = ComplaintFactory(office=agent.office, received_by__office=agent.office, contact_phone="021-6234 5678")
    client.force_login(agent)
    assert [c.pk for c in client.get(reverse("complaints:list"), {"q": "+86 21 6234 5678"}).context["page"]] == [
        match.pk
    ]


def test_admin_complaint_search_finds_the_phone_with_the_country_code(client, supervisor):
    match = ComplaintFactory(office=supervisor.office, contact_phone="13912345678")
    ComplaintFactory(office=supervisor.office, contact_phone="13800138000")
    client.force_login(supervisor)
    response = client.get(reverse("admin:complaints_complaint_changelist"), {"q": "+86 139 1234 5678"})
    assert response.status_code == 200
    assert {c.pk for c in response.context["cl"].result_list} == {match.pk}


@pytest.mark.parametrize("query", ["021-6234 5678", "+86 21 6234", "62345678"])
def test_customer_list_and_picker_find_the_phone_however_it_is_typed(client, agent, query):
    match = CustomerFactory(name="Lotus Dairy", phone="(021) 6234-5678")
    CustomerFactory(name="Other Works", phone="13800138000")
    client.force_login(agent)
    assert [c.pk for c in client.get(reverse("customers:list"), {"q": query}).context["page"]] == [match.pk]
    results = client.get(reverse("customers:search"), {"q": query}).json()["results"]
    assert [r["id"] for r in results] == [match.pk]


# ---------------------------------------------------------------- R-T4 and figures
def test_r_t4_links_a_newer_complaint_from_the_same_phone_written_differently(office, supervisor):
    t0 = timezone.now().replace(microsecond=0) - timedelta(days=30)

    def received(at, **kwargs):
        return ComplaintFactory(
            office=office,
            received_by__office=office,
            received_at=at,
            reply_due_at=at + timedelta(hours=24),
            progress_due_at=at + timedelta(hours=24),
            **kwargs,
        )

    old = received(
        t0,
        contact_phone="139 1234 5678",
        status=Status.CALLBACK_DECLINED,
        first_replied_at=t0 + timedelta(hours=1),
        resolved_at=t0 + timedelta(hours=5),
        callback_declined_at=t0 + timedelta(hours=6),
        auto_close_due_at=t0 + timedelta(hours=6, days=7),
    )
    newer = received(old.resolved_at + timedelta(days=2), contact_phone="+86 13912345678")

    from complaints import sweeps  # the R-T4 sweep (a Complaint classmethod in older releases)

    sweep = getattr(sweeps, "auto_close_after_declined_callback", None) or Complaint.auto_close_after_declined_callback
    counts = sweep(now=old.auto_close_due_at)

    assert counts["closed"] == 0 and counts["linked_to_newer"] == 1
    old.refresh_from_db()
    assert old.status == Status.CALLBACK_DECLINED and old.newer_complaint_id == newer.pk


def test_repeat_complainant_figure_counts_one_person_written_two_ways_once(office, agent):
    from complaints.reports.figures import monthly_figures
    from tests.reports.october import NOW, OCTOBER, local, make_complaint

    make_complaint(office, agent, at=local(2026, 10, 5, 10), phone="139 1234 5678")
    make_complaint(office, agent, at=local(2026, 10, 12, 10), phone="+86 139-1234-5678")
    make_complaint(office, agent, at=local(2026, 10, 20, 10), phone="13800138000")  # someone else, once

    figures = monthly_figures(month=OCTOBER, now=NOW)
    assert figures["repeat"] == {"complainants": 1, "complaints": 2}


# ------------------------------------------------------------------- data migration
@pytest.mark.parametrize(
    ("module", "model", "field"),
    [
        ("complaints.migrations.0009_normalise_phones", Complaint, "contact_phone"),
        ("customers.migrations.0003_normalise_phones", Customer, "phone"),
    ],
)
def test_data_migration_normalises_existing_rows(office, module, model, field, monkeypatch):
    factory = ComplaintFactory if model is Complaint else CustomerFactory
    rows = [factory(**({"office": office} if model is Complaint else {})) for _ in range(5)]
    typed = ["139 1234 5678", "+86 21 6234 5678", "13800138000", "", "not a phone"]
    for row, value in zip(rows, typed, strict=True):
        raw_set(model, row.pk, field, value)
    updated_at = {c.pk: c.updated_at for c in Complaint.objects.all()} if model is Complaint else {}

    migration = importlib.import_module(module)
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches
    migration.normalise_phones(apps, SimpleNamespace(connection=connection))

    assert [stored(model, row.pk, field) for row in rows] == [MOBILE, LANDLINE, "13800138000", "", "not a phone"]
    if updated_at:  # a data fix, not a change of the complaint
        assert {c.pk: c.updated_at for c in Complaint.objects.all()} == updated_at

"""R-CU7 credit evaluation (客戶信用調查及信用度評估): the rules of `evaluate_credit`, the
append-only history, the archive's credit rating following the latest evaluation, and the
confidentiality matrix — every role against the credit section of the customer page and the
credit form, each denial followed by the same request by a role that may."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from customers.models import ArchiveAccess, CreditEvaluation
from customers.services import evaluate_credit
from helpdesk.db import AppendOnlyError
from tests.factories import CustomerFactory

ROLES = ["agent", "supervisor", "department_handler", "manager", "customer_info"]
MAY_SEE = {"manager", "customer_info"}  # view_creditevaluation and add_creditevaluation
BASIS = "Paid the last four quarterly invoices 60 days late; one dispute open."


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Huanan Water Plant", tier="A", contact_person="Ms Chen")


@pytest.fixture
def evaluated(customer, make_user):
    """Two evaluations by a named customer-information specialist; the later one is C."""
    specialist = make_user("customer_info", username="xu.credit", first_name="Xu", last_name="Min")
    today = timezone.localdate()
    evaluate_credit(
        customer, rating="A", basis="Pays on time.", evaluated_on=today - timedelta(days=400), by=specialist
    )
    evaluate_credit(customer, rating="C", basis=BASIS, evaluated_on=today - timedelta(days=2), by=specialist)
    return customer


def detail(customer):
    return reverse("customers:detail", args=[customer.pk])


def form_url(customer):
    return reverse("customers:evaluate_credit", args=[customer.pk])


# ------------------------------------------------------------------------------- the rules
def test_an_evaluation_is_recorded_and_the_archive_follows_it(customer, info_user):
    evaluation = evaluate_credit(
        customer, rating="B", basis="  Occasional delays.  ", evaluated_on=timezone.localdate(), by=info_user
    )
    saved = CreditEvaluation.objects.get()
    assert saved == evaluation
    assert (saved.customer, saved.rating, saved.basis, saved.evaluated_by) == (
        customer,
        "B",
        "Occasional delays.",
        info_user,
    )
    assert saved.evaluated_on == timezone.localdate() and saved.created_at is not None
    customer.refresh_from_db()
    assert customer.credit_rating == "B"


def test_an_older_evaluation_recorded_late_does_not_replace_the_latest(customer, info_user):
    today = timezone.localdate()
    evaluate_credit(customer, rating="D", basis="Defaulted in March.", evaluated_on=today, by=info_user)
    evaluate_credit(
        customer, rating="A", basis="Last year's review.", evaluated_on=today - timedelta(365), by=info_user
    )
    customer.refresh_from_db()
    assert customer.credit_rating == "D"
    assert list(customer.credit_evaluations.values_list("rating", flat=True)) == ["D", "A"]  # latest first


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"rating": "E"}, "rating", "Choose a credit rating from A to D."),
        ({"rating": ""}, "rating", "Choose a credit rating from A to D."),
        ({"basis": "   "}, "basis", "Give the basis of the evaluation."),
        ({"basis": "x" * 2001}, "basis", "Keep the basis to 2000 characters."),
        ({"evaluated_on": "2026-01-01"}, "evaluated_on", "Enter the day of the evaluation."),
        ({"evaluated_on": date(1899, 12, 31)}, "evaluated_on", "Enter a date between 1900-01-01 and 2100-12-31."),
        ({"evaluated_on": "tomorrow"}, "evaluated_on", "The evaluation cannot be dated in the future."),
    ],
)
def test_invalid_evaluations_are_refused_and_nothing_is_written(customer, info_user, fields, field, message):
    arguments = {"rating": "B", "basis": "Fine.", "evaluated_on": timezone.localdate(), **fields}
    if arguments["evaluated_on"] == "tomorrow":
        arguments["evaluated_on"] = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        evaluate_credit(customer, by=info_user, **arguments)
    assert error.value.message_dict[field] == [message]
    assert not CreditEvaluation.objects.exists()
    customer.refresh_from_db()
    assert customer.credit_rating == ""


def test_the_history_is_append_only(evaluated):
    evaluation = CreditEvaluation.objects.first()
    evaluation.rating = "A"
    with pytest.raises(AppendOnlyError):
        evaluation.save()
    with pytest.raises(AppendOnlyError):
        evaluation.delete()
    with pytest.raises(AppendOnlyError):
        CreditEvaluation.objects.update(rating="A")
    with pytest.raises(AppendOnlyError):
        CreditEvaluation.objects.all().delete()
    assert sorted(CreditEvaluation.objects.values_list("rating", flat=True)) == ["A", "C"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql", ["UPDATE customers_creditevaluation SET rating = 'A'", "DELETE FROM customers_creditevaluation"]
)
def test_the_database_refuses_changes_too(evaluated, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert sorted(CreditEvaluation.objects.values_list("rating", flat=True)) == ["A", "C"]


# --------------------------------------------------------------------- the customer page
@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_the_credit_section_of_the_customer_page(client, make_user, evaluated, role):
    user = None if role == "anonymous" else make_user(role)
    if user:
        client.force_login(user)
    response = client.get(detail(evaluated))
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        client.force_login(make_user("customer_info"))
        assert BASIS in client.get(detail(evaluated)).content.decode()
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert "Huanan Water Plant" in body and "Ms Chen" in body
    if role in MAY_SEE:
        # the latest evaluation, then the history: rating, day, who, basis
        section = body[body.index('id="credit"') :]
        assert "C — poor: frequent delays or disputes" in section
        assert (timezone.localdate() - timedelta(days=2)).isoformat() in section
        assert "Xu Min" in section and BASIS in section and "Pays on time." in section
        assert section.index(BASIS) < section.index("Pays on time.")
        assert 'id="credit-form"' in body and form_url(evaluated) in body
        assert list(ArchiveAccess.objects.filter(user=user).values_list("action", flat=True)) == ["view_archive"]
        return
    # nothing of it, not even that one exists
    for trace in (
        'id="credit"',
        "Credit evaluation",
        BASIS,
        "Pays on time.",
        "Xu Min",
        "credit-form",
        form_url(evaluated),
    ):
        assert trace not in body
    assert "C — poor" not in body
    # the same request by a role that may: the denial was the permission
    client.force_login(make_user("manager"))
    assert BASIS in client.get(detail(evaluated)).content.decode()


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_the_credit_form(client, make_user, customer, role):
    if role != "anonymous":
        client.force_login(make_user(role))
    data = {"rating": "D", "basis": "Defaulted on the Q3 invoice.", "evaluated_on": timezone.localdate().isoformat()}
    response = client.post(form_url(customer), data)
    customer.refresh_from_db()
    if role in MAY_SEE:
        assert response.status_code == 302 and response["Location"] == detail(customer)
        evaluation = CreditEvaluation.objects.get()
        assert (evaluation.rating, evaluation.basis, evaluation.evaluated_by.groups.get().name) == (
            "D",
            "Defaulted on the Q3 invoice.",
            role,
        )
        assert customer.credit_rating == "D"
        return
    assert response.status_code == (302 if role == "anonymous" else 403)
    assert b"Defaulted" not in response.content and b"Credit evaluation" not in response.content
    assert not CreditEvaluation.objects.exists() and customer.credit_rating == ""
    # the same request by a role that may: the denial was the permission
    client.force_login(make_user("customer_info"))
    assert client.post(form_url(customer), data).status_code == 302
    assert CreditEvaluation.objects.count() == 1


def test_a_refused_evaluation_shows_the_page_again_with_the_error(client, info_user, customer):
    client.force_login(info_user)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(form_url(customer), {"rating": "B", "basis": "Fine.", "evaluated_on": tomorrow})
    assert response.status_code == 400
    assert "The evaluation cannot be dated in the future." in response.content.decode()
    blank = client.post(form_url(customer), {"rating": "Z", "basis": "", "evaluated_on": "1899-01-01"})
    assert blank.status_code == 400
    assert not CreditEvaluation.objects.exists()


def test_an_unknown_customer_is_a_404(client, info_user):
    client.force_login(info_user)
    response = client.post(reverse("customers:evaluate_credit", args=[999_999]), {"rating": "B"})
    assert response.status_code == 404


@pytest.mark.parametrize("evaluations", [1, 12])
def test_the_customer_page_query_count_does_not_grow_with_the_history(
    client, manager, customer, evaluations, django_assert_num_queries
):
    for i in range(evaluations):
        evaluate_credit(customer, rating="B", basis=f"Review {i}", evaluated_on=date(2026, 1, 1), by=manager)
    client.force_login(manager)
    client.get(detail(customer))  # warm
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(detail(customer))
    assert response.content.decode().count("Review ") == evaluations


PAGE_QUERIES = 13  # the user read with their office, all permissions in one query (StaffBackend)


# ------------------------------------------------------------------------------ the admin
def test_the_admin_is_read_only_and_for_the_credit_roles(client, make_user, evaluated):
    changelist = reverse("admin:customers_creditevaluation_changelist")
    supervisor = make_user("supervisor", is_staff=True)
    client.force_login(supervisor)
    assert client.get(changelist).status_code == 403
    manager = make_user("manager", is_staff=True)
    client.force_login(manager)
    response = client.get(changelist)
    assert response.status_code == 200 and "Huanan Water Plant" in response.content.decode()
    evaluation = CreditEvaluation.objects.first()
    change = reverse("admin:customers_creditevaluation_change", args=[evaluation.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:customers_creditevaluation_add")).status_code == 403
    assert client.post(reverse("admin:customers_creditevaluation_delete", args=[evaluation.pk])).status_code == 403
    assert CreditEvaluation.objects.count() == 2
    # each look is logged like a look at the archive: the list (one customer), the record
    logged = ArchiveAccess.objects.filter(user=manager, customer=evaluated).values_list("action", flat=True)
    assert list(logged) == ["view_archive", "view_archive"]

"""The admin pages of issue 4: the visit-holiday list managed by the manager, read-only
visits and plans, the customer page with its read-only tier and logged archive."""

from datetime import date

import pytest
from django.urls import reverse

from customers.models import ArchiveAccess
from followups import planning
from followups.models import Visit, VisitHoliday
from tests.factories import CustomerFactory


def test_manager_keeps_the_holiday_list(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("admin:followups_visitholiday_add"), {"name": "Spring Festival", "date": "2027-02-06"}
    )
    assert response.status_code == 302
    assert VisitHoliday.objects.get().date == date(2027, 2, 6)
    assert (
        client.post(
            reverse("admin:followups_visitholiday_add"), {"name": "Duplicate", "date": "2027-02-06"}
        ).status_code
        == 200
    )  # form error, not a 500
    assert VisitHoliday.objects.count() == 1


def test_supervisor_reads_but_does_not_edit_holidays(client, supervisor):
    client.force_login(supervisor)
    assert client.get(reverse("admin:followups_visitholiday_changelist")).status_code == 200
    assert client.get(reverse("admin:followups_visitholiday_add")).status_code == 403


@pytest.mark.parametrize("rows", [1, 20])
def test_visit_admin_is_read_only_and_does_not_grow_queries(client, manager, rows, django_assert_max_num_queries):
    for _ in range(rows):
        CustomerFactory(tier="A")
    planning.plan_visits(today=date(2027, 1, 1))
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("admin:followups_visit_changelist")).status_code == 200
    visit = Visit.objects.first()
    assert client.post(reverse("admin:followups_visit_change", args=[visit.pk]), {"status": "done"}).status_code == 403
    assert client.get(reverse("admin:followups_visit_add")).status_code == 403


def test_customer_admin_tier_is_read_only_and_archive_views_are_logged(client, manager):
    customer = CustomerFactory(tier="A", licence_no="LIC-1")
    client.force_login(manager)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    response = client.get(url)
    assert response.status_code == 200 and "LIC-1" in response.content.decode()
    assert ArchiveAccess.objects.filter(user=manager, customer=customer, action="view_archive").count() == 1
    data = {
        "name": customer.name,
        "contact_person": "",
        "phone": "",
        "email": "",
        "address": "",
        "account_manager": "",
        "tier": "C",
        "licence_no": "LIC-2",
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
    assert client.post(url, data).status_code == 302
    customer.refresh_from_db()
    assert (customer.tier, customer.licence_no) == ("A", "LIC-2")  # the tier changes on the customer page only

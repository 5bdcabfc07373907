"""Every front-desk page × every role: the expected status per cell (R-F2 … R-F4). Each
denial is followed by the same request by a supervisor, to prove the denial was the role."""

import pytest
from django.urls import reverse

from complaints.daily_log import local_today
from followups.models import FieldTrip
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ROLES = ["agent", "supervisor", "manager", "department_handler", "customer_info"]
PAGES = ["reception_list", "trip_list", "trip_plan", "trip_detail", "worklog", "worklog_team", "work_summary"]
DENIED = {
    "agent": {"worklog_team"},
    "supervisor": set(),
    "manager": set(),
    "department_handler": set(PAGES),
    "customer_info": set(PAGES),
}


def page_url(name: str, user, trip) -> str:
    if name == "trip_detail":
        return reverse("followups:trip_detail", args=[trip.pk])
    if name == "work_summary":  # one's own month
        today = local_today()
        return reverse("followups:work_summary", args=[user.pk, today.year, today.month])
    return reverse(f"followups:{name}")


@pytest.fixture
def trip(supervisor):
    return FieldTrip.objects.create(
        office=supervisor.office,
        agent=supervisor,
        customer=CustomerFactory(),
        planned_on=local_today(),
        route="Office → plant",
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", PAGES)
def test_page_status_per_role(client, make_user, supervisor, trip, role, name):
    user = make_user(role)
    client.force_login(user)
    denied = name in DENIED[role]
    response = client.get(page_url(name, user, trip))
    assert response.status_code == (403 if denied else 200)
    if denied:
        client.force_login(supervisor)
        assert client.get(page_url(name, supervisor, trip)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login(client, supervisor, trip, name):
    response = client.get(page_url(name, supervisor, trip))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

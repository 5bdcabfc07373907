"""The senior visits of R-CU3 on named executives' agendas: planning gives each division-head
and president visit to an executive whose post is that role (the one in the office of the
customer's account manager first, then the lowest id), in one UPDATE; nobody for the post
leaves it unassigned, as before, and the next run assigns it. The executive sees the visits on
their agenda and records them."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import ExecutivePost
from followups import planning
from followups.models import Visit, VisitorRole, VisitStatus
from tests.factories import CustomerFactory, OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db

JAN_1 = date(2027, 1, 1)
SENIOR = (VisitorRole.DIVISION_HEAD, VisitorRole.PRESIDENT)


def executive(post: str, **kwargs):
    return UserFactory(role="executive", executive_post=post, **kwargs)


def visitors(customer, role: str) -> set[int | None]:
    return set(Visit.objects.filter(customer=customer, visitor_role=role).values_list("visitor_id", flat=True))


def test_the_executive_posts_are_visitor_roles():
    assert set(ExecutivePost.values) == set(SENIOR) <= set(VisitorRole.values)


def test_senior_visits_go_to_the_executive_of_that_post(agent):
    head = executive(ExecutivePost.DIVISION_HEAD)
    president = executive(ExecutivePost.PRESIDENT)
    customer = CustomerFactory(tier="A", account_manager=agent)

    planning.plan_visits(today=JAN_1)

    assert visitors(customer, VisitorRole.DIVISION_HEAD) == {head.pk}
    assert visitors(customer, VisitorRole.PRESIDENT) == {president.pk}
    assert visitors(customer, VisitorRole.DEPARTMENT_MANAGER) == {None}  # not an executive's visit
    assert visitors(customer, VisitorRole.ACCOUNT_MANAGER) == {agent.pk}


def test_the_executive_of_the_account_managers_office_first_then_the_lowest_id(agent, other_office, make_user):
    head_office = OfficeFactory(is_head_office=True)
    first = executive(ExecutivePost.DIVISION_HEAD, office=head_office)
    second = executive(ExecutivePost.DIVISION_HEAD, office=head_office)
    local = executive(ExecutivePost.DIVISION_HEAD, office=other_office)
    here = CustomerFactory(tier="B", account_manager=make_user("agent", office_=other_office))
    there = CustomerFactory(tier="B", account_manager=agent)
    nobodys = CustomerFactory(tier="B")

    planning.plan_visits(today=JAN_1)

    assert visitors(here, VisitorRole.DIVISION_HEAD) == {local.pk}
    assert visitors(there, VisitorRole.DIVISION_HEAD) == {min(first.pk, second.pk, local.pk)}
    assert visitors(nobodys, VisitorRole.DIVISION_HEAD) == {min(first.pk, second.pk, local.pk)}
    assert second.pk not in Visit.objects.values_list("visitor_id", flat=True)


def test_who_cannot_take_a_senior_visit(agent):
    executive(ExecutivePost.DIVISION_HEAD, is_active=False)
    UserFactory(role="department_handler", executive_post=ExecutivePost.DIVISION_HEAD)  # no record_visit
    executive("")  # an executive without a post
    customer = CustomerFactory(tier="B", account_manager=agent)

    counts = planning.plan_visits(today=JAN_1)

    assert visitors(customer, VisitorRole.DIVISION_HEAD) == {None}  # unassigned, as before
    assert counts["assigned"] == 0


def test_unassigned_senior_visits_get_their_executive_on_the_next_run_and_assigned_ones_stay(agent, supervisor):
    waiting, by_hand, missed = (CustomerFactory(tier="A", account_manager=agent) for _ in range(3))
    planning.plan_visits(today=JAN_1)
    assert set(Visit.objects.filter(visitor_role__in=SENIOR).values_list("visitor_id", flat=True)) == {None}
    Visit.objects.filter(customer=by_hand, visitor_role=VisitorRole.DIVISION_HEAD).update(visitor=supervisor)
    Visit.objects.filter(customer=missed, visitor_role=VisitorRole.DIVISION_HEAD).update(status=VisitStatus.MISSED)

    head = executive(ExecutivePost.DIVISION_HEAD)
    president = executive(ExecutivePost.PRESIDENT)
    counts = planning.plan_visits(today=JAN_1)

    assert counts == {"planned": 0, "assigned": 1 + 3}  # one division-head visit, three president visits
    assert visitors(waiting, VisitorRole.DIVISION_HEAD) == {head.pk}
    assert visitors(by_hand, VisitorRole.DIVISION_HEAD) == {supervisor.pk}  # assigned by hand: kept
    assert visitors(missed, VisitorRole.DIVISION_HEAD) == {None}  # no longer planned: left alone
    for customer in (waiting, by_hand, missed):
        assert visitors(customer, VisitorRole.PRESIDENT) == {president.pk}
    assert planning.plan_visits(today=JAN_1) == {"planned": 0, "assigned": 0}  # idempotent


def test_assigning_the_executives_takes_the_same_queries_however_many_customers():
    executive(ExecutivePost.DIVISION_HEAD)
    executive(ExecutivePost.PRESIDENT)

    def queries(n: int) -> int:
        Visit.objects.all().delete()
        for _ in range(n):
            CustomerFactory(tier="A")
        with CaptureQueriesContext(connection) as ctx:
            assert planning.assign_executive_visits(start=JAN_1) == 0
            planning.plan_visits(today=JAN_1)
        assert not Visit.objects.filter(visitor_role__in=SENIOR, visitor__isnull=True).exists()
        return sum(not q["sql"].lstrip().upper().startswith("INSERT") for q in ctx.captured_queries)

    assert queries(2) == queries(40)


# ------------------------------------------------------------------------ their agenda
@pytest.fixture
def president(db):
    return executive(ExecutivePost.PRESIDENT, office=OfficeFactory(is_head_office=True), username="president")


def test_the_executive_sees_their_visits_on_their_agenda_and_records_one(client, agent, president):
    customer = CustomerFactory(name="Eastern Dyeworks", tier="A", account_manager=agent)
    today = timezone.localdate()
    planning.plan_visits(today=today)
    mine = Visit.objects.filter(visitor=president)
    assert mine.exists() and set(mine.values_list("visitor_role", flat=True)) == {VisitorRole.PRESIDENT}
    client.force_login(president)

    agenda = client.get(reverse("followups:agenda"), {"end": mine.latest("due_on").due_on.isoformat()})

    assert agenda.status_code == 200
    shown = [v for _day, visits in agenda.context["days"] for v in visits]
    assert {v.pk for v in shown} == set(mine.values_list("pk", flat=True))
    page = agenda.content.decode()
    assert "Eastern Dyeworks" in page
    assert reverse("followups:plans") not in page  # no visit plans for them
    visit = mine.first()
    detail = client.get(reverse("followups:visit", args=[visit.pk]))
    assert detail.status_code == 200 and detail.context["can_record"]
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200  # to prepare it

    response = client.post(
        reverse("followups:record_visit", args=[visit.pk]),
        {"method": "door_visit", "items": ["policy_notice", "lecture_or_trip"], "feedback": "Asked for a plant tour"},
    )

    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.visitor, visit.recorded_by) == (VisitStatus.DONE, president, president)
    assert visit.checklist["lecture_or_trip"] is True


def test_the_executive_cannot_open_or_record_someone_elses_visit(client, agent, president):
    CustomerFactory(tier="A", account_manager=agent)
    planning.plan_visits(today=timezone.localdate())
    other = Visit.objects.filter(visitor_role=VisitorRole.ACCOUNT_MANAGER).first()
    client.force_login(president)
    assert client.get(reverse("followups:visit", args=[other.pk])).status_code == 404
    data = {"method": "phone", "feedback": "x"}
    assert client.post(reverse("followups:record_visit", args=[other.pk]), data).status_code == 404
    for name in ("cancel_visit", "assign_visit"):
        mine = Visit.objects.filter(visitor=president).first()
        assert client.post(reverse(f"followups:{name}", args=[mine.pk]), {"reason": "x"}).status_code == 403
    client.force_login(agent)  # the same record by the visitor whose visit it is
    assert client.get(reverse("followups:visit", args=[other.pk])).status_code == 200

"""R-CU3 / R-T5: the tier visit schedule — exact counts per tier, idempotency, holidays,
re-planning on a tier change, missed visits, and the plan gate on recording visits."""

from collections import Counter
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followups import planning
from followups.models import PlanStatus, Visit, VisitHoliday, VisitPlan, VisitReason, VisitStatus
from followups.tasks import flag_missed_visits, plan_visits
from tests.factories import CustomerFactory

JAN_1 = date(2027, 1, 1)  # window [2027-01-01, 2027-04-01): 90 days, president due 2027-12-31
NOV_1 = date(2027, 11, 1)  # window [2027-11-01, 2028-01-30): the president's visit falls inside


def roles_of(customer) -> Counter:
    return Counter(
        Visit.objects.filter(customer=customer).exclude(status="cancelled").values_list("visitor_role", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "today, tier, expected",
    [
        (JAN_1, "A", {"account_manager": 6, "department_manager": 3, "division_head": 1, "president": 1}),
        (JAN_1, "B", {"account_manager": 6, "department_manager": 3, "division_head": 1}),
        (JAN_1, "C", {"account_manager": 6, "department_manager": 3}),
        (NOV_1, "A", {"account_manager": 5, "department_manager": 2, "division_head": 1, "president": 1}),
        (NOV_1, "B", {"account_manager": 5, "department_manager": 2, "division_head": 1}),
        (NOV_1, "C", {"account_manager": 5, "department_manager": 2}),
    ],
)
def test_exact_visits_per_tier_in_90_days(today, tier, expected):
    customer = CustomerFactory(tier=tier)
    planning.plan_visits(today=today)
    assert roles_of(customer) == Counter(expected)


@pytest.mark.django_db
def test_due_dates_are_the_period_ends():
    customer = CustomerFactory(tier="A")
    planning.plan_visits(today=JAN_1)

    def due(role):
        return sorted(Visit.objects.filter(customer=customer, visitor_role=role).values_list("due_on", flat=True))

    assert due("account_manager") == [
        date(2027, 1, 15),
        date(2027, 1, 31),
        date(2027, 2, 15),
        date(2027, 2, 28),
        date(2027, 3, 15),
        date(2027, 3, 31),
    ]
    assert due("department_manager") == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]
    assert due("division_head") == [date(2027, 3, 31)]
    assert due("president") == [date(2027, 12, 31)]  # beyond 90 days: the next due visit anyway


@pytest.mark.django_db
def test_checklist_is_the_tier_content():
    a, c = CustomerFactory(tier="A"), CustomerFactory(tier="C")
    planning.plan_visits(today=JAN_1)
    assert set(Visit.objects.filter(customer=a).first().checklist) == {
        "policy_notice",
        "company_news",
        "magazine",
        "lecture_or_trip",
    }
    assert Visit.objects.filter(customer=c).first().checklist == {
        "policy_notice": False,
        "company_news": False,
        "magazine": False,
    }


@pytest.mark.django_db
def test_planning_is_idempotent_and_keeps_done_visits():
    customers = [CustomerFactory(tier=t) for t in "ABC"]
    first = planning.plan_visits(today=JAN_1)
    assert first["planned"] == 11 + 10 + 9
    Visit.objects.filter(customer=customers[0], due_on=date(2027, 1, 15)).update(status=VisitStatus.DONE)
    again = planning.plan_visits(today=JAN_1)
    assert again == {"planned": 0, "assigned": 0}
    assert Visit.objects.count() == 30
    # a day later the same window adds nothing either; a month later only the new periods
    assert planning.plan_visits(today=date(2027, 1, 2))["planned"] == 0
    later = planning.plan_visits(today=date(2027, 2, 1))  # [Feb 1, May 2): + Apr 15, Apr 30 (AM), Apr 30 (DM)
    assert later["planned"] == 3 * 3


@pytest.mark.django_db
def test_holiday_visits_for_every_customer_inside_the_window_only():
    VisitHoliday.objects.create(name="Spring Festival", date=date(2027, 2, 6))
    VisitHoliday.objects.create(name="Mid-Autumn", date=date(2027, 9, 15))  # outside the window
    customers = [CustomerFactory(tier=t) for t in "ABC"]
    planning.plan_visits(today=JAN_1)
    holiday = Visit.objects.filter(reason=VisitReason.HOLIDAY)
    assert sorted(holiday.values_list("customer_id", flat=True)) == sorted(c.pk for c in customers)
    assert set(holiday.values_list("due_on", "visitor_role")) == {(date(2027, 2, 6), "account_manager")}
    planning.plan_visits(today=JAN_1)
    assert holiday.count() == 3


@pytest.mark.django_db
def test_account_manager_visits_go_to_the_customers_account_manager(agent):
    customer = CustomerFactory(tier="C")
    planning.plan_visits(today=JAN_1)
    assert not Visit.objects.filter(visitor__isnull=False).exists()
    customer.account_manager = agent
    customer.save()
    counts = planning.plan_visits(today=JAN_1)
    assert counts == {"planned": 0, "assigned": 6}
    assert set(Visit.objects.filter(visitor_role="account_manager").values_list("visitor", flat=True)) == {agent.pk}
    assert not Visit.objects.filter(visitor_role="department_manager", visitor__isnull=False).exists()


@pytest.mark.django_db
def test_tier_change_replans_future_visits(manager):
    customer = CustomerFactory(tier="A")
    planning.plan_visits(today=JAN_1)
    Visit.objects.filter(customer=customer, visitor_role="division_head").update(status=VisitStatus.DONE)
    change = customer.change_tier(new_tier="C", reason="Contract reduced to 8,000 t", by=manager)
    assert (change.old_tier, change.new_tier, change.changed_by) == ("A", "C", manager)
    # the president's planned visit is cancelled; the done division-head visit stays as it was
    president = Visit.objects.get(customer=customer, visitor_role="president")
    assert president.status == VisitStatus.CANCELLED
    assert Visit.objects.get(customer=customer, visitor_role="division_head").status == VisitStatus.DONE
    planned = Visit.objects.filter(customer=customer, status=VisitStatus.PLANNED)
    assert all("lecture_or_trip" not in v.checklist for v in planned)
    customer.refresh_from_db()
    assert (customer.tier, customer.tier_reason) == ("C", "Contract reduced to 8,000 t")
    # back up to B: division head planned again (the done one covers its quarter only if same slot)
    customer.change_tier(new_tier="B", reason="Second contract signed", by=manager)
    assert Visit.objects.filter(customer=customer, visitor_role="president", status="planned").count() == 0
    assert customer.tier_changes.count() == 2


@pytest.mark.django_db
def test_tier_change_up_adds_the_roles_and_is_recorded(manager):
    customer = CustomerFactory(tier="C")
    planning.plan_visits(today=JAN_1)
    customer.change_tier(new_tier="A", reason="Became a government unit", by=manager)
    # change_tier plans from the real today; the cadence slots of the new roles exist
    roles = set(Visit.objects.filter(customer=customer, status="planned").values_list("visitor_role", flat=True))
    assert {"division_head", "president"} <= roles
    assert customer.tier_changes.get().reason == "Became a government unit"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tier, reason, message",
    [
        ("C", "same again", "already in tier C"),
        ("D", "no such tier", "Choose tier A, B or C"),
        ("A", "   ", "Give the reason"),
    ],
)
def test_tier_change_rejects_bad_input(manager, tier, reason, message):
    customer = CustomerFactory(tier="C")
    with pytest.raises(ValidationError, match=message):
        customer.change_tier(new_tier=tier, reason=reason, by=manager)
    customer.refresh_from_db()
    assert customer.tier == "C" and not customer.tier_changes.exists()


@pytest.mark.django_db
def test_flag_missed_visits_is_idempotent():
    customer = CustomerFactory(tier="C")
    planning.plan_visits(today=JAN_1)
    Visit.objects.filter(customer=customer, due_on=date(2027, 1, 31), visitor_role="account_manager").update(
        status=VisitStatus.DONE
    )
    # Jan 15 AM, Jan 31 DM; nobody to tell: no visitor, no account manager, hence no office
    assert planning.flag_missed_visits(today=date(2027, 2, 1)) == {"missed": 2, "notifications": 0}
    assert planning.flag_missed_visits(today=date(2027, 2, 1)) == {"missed": 0, "notifications": 0}
    assert Visit.objects.filter(status="missed").count() == 2
    assert Visit.objects.get(due_on=date(2027, 1, 31), visitor_role="account_manager").status == "done"


@pytest.mark.django_db
def test_planning_queries_do_not_grow_with_customers():
    """Set-based: the same reads and updates however many customers; the INSERTs are batched
    (SQLite caps the parameters of one statement, so there it takes a few per thousand rows)."""

    def queries(n: int) -> tuple[int, int]:
        Visit.objects.all().delete()
        for _ in range(n):
            CustomerFactory(tier="A")
        with CaptureQueriesContext(connection) as ctx:
            planning.plan_visits(today=JAN_1)
        inserts = sum(q["sql"].lstrip().upper().startswith("INSERT") for q in ctx.captured_queries)
        return len(ctx.captured_queries) - inserts, inserts

    small, large = queries(2), queries(60)
    assert small[0] == large[0] <= 7  # 7: the UPDATE that puts the senior visits on the executives' agendas
    assert large[1] <= 1 + (60 * 11) // 50


@pytest.mark.django_db
def test_celery_tasks_run_the_rules():
    CustomerFactory(tier="B")
    assert plan_visits.apply().get()["planned"] >= 10
    assert plan_visits.apply().get()["planned"] == 0
    assert flag_missed_visits.apply().get() == {"missed": 0, "notifications": 0}


# ----------------------------------------------------------------- recording a visit
@pytest.mark.django_db
def test_account_manager_visit_needs_the_approved_plan(agent, manager):
    customer = CustomerFactory(tier="A", account_manager=agent)
    planning.plan_visits(today=JAN_1)
    visit = Visit.objects.get(customer=customer, visitor_role="account_manager", due_on=date(2027, 1, 15))
    with pytest.raises(ValidationError, match="not been approved"):
        visit.record(by=agent, method="door_visit", checklist={"policy_notice": True}, feedback="ok")
    plan = VisitPlan.objects.create(account_manager=agent, month=date(2027, 1, 1))
    plan.submit(by=agent, route="Plant north, then city hall", appointments="Jan 10 09:00")
    with pytest.raises(ValidationError, match="not been approved"):
        visit.record(by=agent, method="door_visit", checklist={}, feedback="ok")
    with pytest.raises(ValidationError, match="Say what must change"):
        plan.decide(by=manager, approve=False, comment="")
    plan.decide(by=manager, approve=False, comment="Add the lecture for the A customer")
    assert plan.status == PlanStatus.RETURNED
    plan.submit(by=agent, route="Plant north, city hall, lecture hall", appointments="")
    plan.decide(by=manager, approve=True)
    assert list(plan.events.values_list("action", flat=True)) == ["submitted", "returned", "submitted", "approved"]
    visit.record(
        by=agent,
        method="door_visit",
        checklist={"policy_notice": True, "bogus": True},
        feedback="Satisfied; asks for the new policy text",
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE and visit.visitor == agent and visit.recorded_by == agent
    assert visit.checklist == {
        "policy_notice": True,
        "company_news": False,
        "magazine": False,
        "lecture_or_trip": False,
    }
    with pytest.raises(ValidationError, match="cannot be recorded"):
        visit.record(by=agent, method="phone", checklist={}, feedback="")


@pytest.mark.django_db
def test_plan_rules(agent, make_user):
    other = make_user("agent")
    plan = VisitPlan.objects.create(account_manager=agent, month=date(2027, 1, 1))
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        plan.submit(by=other, route="x", appointments="")
    with pytest.raises(ValidationError, match="route"):
        plan.submit(by=agent, route="  ", appointments="")
    with pytest.raises(PermissionDenied):
        plan.decide(by=other, approve=True)
    assert plan.status == PlanStatus.DRAFT and not plan.events.exists()


@pytest.mark.django_db
def test_other_role_visits_need_no_plan_and_missed_visits_can_be_recorded_late(supervisor):
    customer = CustomerFactory(tier="B")
    planning.plan_visits(today=JAN_1)
    planning.flag_missed_visits(today=date(2027, 2, 1))
    visit = Visit.objects.get(customer=customer, visitor_role="department_manager", due_on=date(2027, 1, 31))
    assert visit.status == VisitStatus.MISSED
    visit.record(by=supervisor, method="phone", checklist={"magazine": True}, feedback="Late call")
    assert visit.status == VisitStatus.DONE and visit.visitor == supervisor

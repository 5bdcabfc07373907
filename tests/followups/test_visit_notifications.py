"""The notifications of the visit plans and visits (R-CU3, R-T5): a plan submitted goes to the
managers who review it, returned or approved back to the account manager, a missed visit to
the visitor and the supervisors of the customer's office. None of them has a complaint: each
carries a link to its page, shown on the notification list and made absolute in the e-mail."""

from datetime import date

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from followups import planning
from followups.models import Visit, VisitPlan, VisitStatus
from notifications.models import Kind, Notification
from notifications.tasks import deliver_emails
from tests.factories import CustomerFactory, OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db

JAN_1 = date(2027, 1, 1)
FEB_1 = date(2027, 2, 1)


@pytest.fixture(autouse=True)
def english():
    """The sentences in English (a page requested in Chinese by an earlier test leaves its
    language active in this thread)."""
    with translation.override("en"):
        yield


def emailed(notification: Notification) -> mail.EmailMessage:
    """Deliver one notification's e-mail (the Celery task, in this process) and return it."""
    mail.outbox.clear()
    assert deliver_emails.apply(args=[[notification.pk]]).get()["sent"] == 1
    [message] = mail.outbox
    return message


def absolute(path: str) -> str:
    return settings.HELPDESK_SITE_URL.rstrip("/") + path


def received(kind: str) -> dict[int, Notification]:
    return {n.recipient_id: n for n in Notification.objects.filter(kind=kind)}


# ------------------------------------------------------------------------ visit plans
@pytest.fixture
def head_office_manager(db):
    """The customer-service manager, at the head office (seed_demo's shape)."""
    return UserFactory(role="manager", office=OfficeFactory(is_head_office=True), username="csmanager")


def test_a_submitted_plan_goes_to_every_reviewer_when_the_office_has_none(agent, head_office_manager, supervisor):
    second_manager = UserFactory(role="manager", office=head_office_manager.office)
    plan = VisitPlan.objects.create(account_manager=agent, month=JAN_1)

    plan.submit(by=agent, route="Plant north, then city hall", appointments="Jan 10 09:00")

    notes = received(Kind.VISIT_PLAN_SUBMITTED)
    assert set(notes) == {head_office_manager.pk, second_manager.pk}  # not the supervisor: no approve_visitplan
    note = notes[head_office_manager.pk]
    assert note.complaint_id is None
    assert note.message == f"{agent} submitted the visit plan for 2027-01 for your review."
    assert note.link == reverse("followups:plan", args=[plan.pk])


def test_a_submitted_plan_goes_to_the_reviewer_of_the_account_managers_own_office(agent, manager, head_office_manager):
    """`manager` works in the agent's office: they review it, the head office is not bothered."""
    plan = VisitPlan.objects.create(account_manager=agent, month=JAN_1)
    plan.submit(by=agent, route="Plant north", appointments="")
    assert set(received(Kind.VISIT_PLAN_SUBMITTED)) == {manager.pk}


def test_inactive_reviewers_and_superusers_are_not_told(agent, head_office_manager):
    UserFactory(role="manager", office=agent.office, is_active=False)
    UserFactory(office=agent.office, is_superuser=True)
    plan = VisitPlan.objects.create(account_manager=agent, month=JAN_1)
    plan.submit(by=agent, route="Plant north", appointments="")
    assert set(received(Kind.VISIT_PLAN_SUBMITTED)) == {head_office_manager.pk}


def test_a_returned_plan_tells_the_account_manager_why(agent, manager):
    plan = VisitPlan.objects.create(account_manager=agent, month=JAN_1)
    plan.submit(by=agent, route="Plant north", appointments="")

    plan.decide(by=manager, approve=False, comment="Visit the plant before the city hall")

    [note] = Notification.objects.filter(kind=Kind.VISIT_PLAN_RETURNED)
    assert note.recipient == agent
    reason = "Visit the plant before the city hall"
    assert note.message == f"Your visit plan for 2027-01 was returned by {manager}: {reason}"
    with translation.override("zh-hans"):
        assert note.message == f"您 2027-01 的拜访计划被 {manager} 退回：{reason}"
    message = emailed(note)
    assert message.to == [agent.email]
    assert message.subject == "[Complaint centre] Visit plan returned"
    assert "Visit the plant before the city hall" in message.body
    assert f"Open the page: {absolute(reverse('followups:plan', args=[plan.pk]))}" in message.body
    assert "Open the complaint" not in message.body


def test_an_approved_plan_tells_the_account_manager(agent, manager):
    plan = VisitPlan.objects.create(account_manager=agent, month=JAN_1)
    plan.submit(by=agent, route="Plant north", appointments="")
    plan.decide(by=manager, approve=True)

    [note] = Notification.objects.filter(kind=Kind.VISIT_PLAN_APPROVED)
    assert (note.recipient, note.message) == (agent, f"Your visit plan for 2027-01 was approved by {manager}.")
    assert absolute(reverse("followups:plan", args=[plan.pk])) in emailed(note).body


def test_the_plan_notifications_through_the_pages(client, agent, manager):
    client.force_login(agent)
    submitted = client.post(reverse("followups:my_plan", args=["2027-01"]), {"route": "North", "appointments": ""})
    assert submitted.status_code == 302
    plan = VisitPlan.objects.get()
    assert set(received(Kind.VISIT_PLAN_SUBMITTED)) == {manager.pk}

    client.force_login(manager)
    response = client.get(reverse("notifications:list"))
    assert f'href="{reverse("followups:plan", args=[plan.pk])}"' in response.content.decode()
    client.post(reverse("followups:plan", args=[plan.pk]), {"decision": "return", "comment": "Add the plant"})
    assert set(received(Kind.VISIT_PLAN_RETURNED)) == {agent.pk}

    client.force_login(agent)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "was returned by" in page and "Add the plant" in page
    assert client.get(reverse("followups:plan", args=[plan.pk])).status_code == 200  # the link opens for them


def test_a_plan_that_fails_to_submit_notifies_nobody(agent, manager):
    plan = VisitPlan.objects.create(account_manager=agent, month=JAN_1)
    with pytest.raises(ValidationError, match="route"):
        plan.submit(by=agent, route=" ", appointments="")
    assert not Notification.objects.exists()


# ------------------------------------------------------------------------ missed visits
def test_a_missed_visit_tells_the_visitor_and_the_supervisors_of_the_customers_office(
    agent, supervisor, other_office, make_user
):
    elsewhere = make_user("supervisor", office_=other_office)
    customer = CustomerFactory(name="Eastern Dyeworks", tier="C", account_manager=agent)
    planning.plan_visits(today=JAN_1)
    visit = Visit.objects.get(customer=customer, visitor_role="account_manager", due_on=date(2027, 1, 15))
    Visit.objects.filter(customer=customer).exclude(pk=visit.pk).update(status=VisitStatus.DONE)

    counts = planning.flag_missed_visits(today=FEB_1)

    assert counts == {"missed": 1, "notifications": 2}
    notes = received(Kind.VISIT_MISSED)
    assert set(notes) == {agent.pk, supervisor.pk}  # not the supervisor of another office
    assert elsewhere.pk not in notes
    note = notes[supervisor.pk]
    assert note.message == f"The visit to Eastern Dyeworks due by 2027-01-15 was missed (visitor: {agent})."
    assert note.link == reverse("followups:visit", args=[visit.pk])
    message = emailed(note)
    assert message.subject == "[Complaint centre] Customer visit missed"
    assert f"Open the page: {absolute(reverse('followups:visit', args=[visit.pk]))}" in message.body
    # flagged once, told once
    assert planning.flag_missed_visits(today=FEB_1) == {"missed": 0, "notifications": 0}
    assert Notification.objects.filter(kind=Kind.VISIT_MISSED).count() == 2


def test_an_unassigned_missed_visit_goes_to_the_supervisors_of_the_account_managers_office(agent, supervisor):
    customer = CustomerFactory(name="Western Mills", tier="C", account_manager=agent)
    planning.plan_visits(today=JAN_1)
    Visit.objects.filter(customer=customer).exclude(visitor_role="department_manager").update(status=VisitStatus.DONE)
    planning.flag_missed_visits(today=FEB_1)
    [note] = Notification.objects.filter(kind=Kind.VISIT_MISSED)
    assert note.recipient == supervisor
    assert note.message == "The visit to Western Mills due by 2027-01-31 was missed (no visitor was assigned)."
    with translation.override("zh-hans"):
        assert note.message == "对 Western Mills 的拜访（应于 2027-01-31 前完成）已错过（未指派拜访人）。"


def test_the_visitor_opens_the_missed_visit_from_the_notification_list(client, agent, supervisor):
    customer = CustomerFactory(tier="C", account_manager=agent)
    planning.plan_visits(today=JAN_1)
    planning.flag_missed_visits(today=FEB_1)
    for user in (agent, supervisor):
        client.force_login(user)
        page = client.get(reverse("notifications:list")).content.decode()
        links = [n.link for n in Notification.objects.filter(recipient=user, kind=Kind.VISIT_MISSED)]
        assert links and all(f'href="{link}"' in page for link in links)
        assert all(client.get(link).status_code == 200 for link in links)
    assert Visit.objects.filter(customer=customer, status=VisitStatus.MISSED).exists()


def test_flagging_missed_visits_is_set_based():
    """The same number of queries for 2 missed visits of one office as for 60 of three
    offices: one SELECT, one UPDATE, one query for the supervisors and one INSERT (a batch)."""

    def run(offices: int, customers_per_office: int) -> tuple[int, int, int]:
        Visit.objects.all().delete()
        Notification.objects.all().delete()
        for _ in range(offices):
            office = OfficeFactory()
            UserFactory(role="supervisor", office=office)
            account_manager = UserFactory(role="agent", office=office)
            for _ in range(customers_per_office):
                CustomerFactory(tier="C", account_manager=account_manager)
        planning.plan_visits(today=JAN_1)
        Visit.objects.exclude(due_on=date(2027, 1, 15)).update(status=VisitStatus.DONE)  # one missed each
        with CaptureQueriesContext(connection) as ctx:
            counts = planning.flag_missed_visits(today=FEB_1)
        return len(ctx.captured_queries), counts["missed"], counts["notifications"]

    small, large = run(1, 2), run(3, 20)
    assert (small[1], large[1]) == (2, 2 + 60)  # the first run's customers are planned again
    assert (small[2], large[2]) == (4, 2 * 62)  # the visitor and the office's supervisor each
    assert small[0] == large[0] <= 6  # with the transaction's savepoint and its release


def test_the_notification_list_does_not_query_per_visit_notification(client, agent):
    def queries() -> int:
        client.force_login(agent)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("notifications:list")).status_code == 200
        return len(ctx.captured_queries)

    CustomerFactory(tier="C", account_manager=agent)
    planning.plan_visits(today=JAN_1)
    planning.flag_missed_visits(today=FEB_1)
    few = queries()
    for _ in range(6):
        CustomerFactory(tier="C", account_manager=agent)
    planning.plan_visits(today=JAN_1)
    planning.flag_missed_visits(today=FEB_1)
    assert Notification.objects.filter(recipient=agent).count() > 10
    assert queries() == few


def test_a_link_that_no_longer_resolves_is_left_out(agent):
    note = Notification.objects.create(
        recipient=agent, kind=Kind.VISIT_MISSED, data={"link": {"name": "followups:gone", "args": [1]}}
    )
    assert note.link == ""
    assert "Open the page" not in emailed(note).body
    for data in ({}, {"link": "followups:visit"}, {"link": {"name": "followups:visit", "args": "7"}}):
        note.data = data
        assert note.link == ""

"""Issue 16.9: an office without an active supervisor. Its escalations (R-T1, R-T3, R-T4) go
to the managers instead of to nobody, and the managers are told of the gap once per office
per sweep batch, not once per complaint; the demo data gives every office a supervisor."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Office, Role
from complaints import sweeps
from notifications.models import Kind, Notification
from notifications.services import supervisors_of
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def _overdue(office, count: int):
    now = timezone.now()
    return [
        ComplaintFactory(
            office=office,
            received_by__office=office,
            received_at=now - timedelta(hours=30),
            reply_due_at=now - timedelta(hours=6),
        )
        for _ in range(count)
    ]


def test_escalations_of_an_office_without_supervisor_go_to_the_managers(office, supervisor, manager, make_user):
    # Given an office with a supervisor, and one whose only supervisor has left
    lonely = Office.objects.create(name="Harbour View office", code="harbour-test")
    make_user("supervisor", office_=lonely, username="gone", is_active=False)
    second_manager = make_user("manager", username="manager2")
    covered, uncovered = _overdue(office, 2), _overdue(lonely, 3)

    # When the reply-deadline sweep runs
    counts = sweeps.enforce_reply_deadlines()

    # Then every escalation notified someone: the supervisor, or else the managers
    assert counts["marked_overdue"] == 5
    for complaint in covered:
        assert set(Notification.objects.filter(complaint=complaint).values_list("recipient", flat=True)) == {
            supervisor.pk
        }
    for complaint in uncovered:
        assert set(Notification.objects.filter(complaint=complaint).values_list("recipient", flat=True)) == {
            manager.pk,
            second_manager.pk,
        }
    # And each manager was told once about the office (not once per complaint)
    flags = Notification.objects.filter(kind=Kind.OFFICE_WITHOUT_SUPERVISOR)
    assert sorted(flags.values_list("recipient", flat=True)) == sorted([manager.pk, second_manager.pk])
    assert {n.data["office"] for n in flags} == {lonely.pk}
    assert all(n.complaint_id is None and n.email_status == "pending" for n in flags)
    assert "Harbour View office" in flags.first().message and "no active supervisor" in flags.first().message

    # And the flag is e-mailed like any notification (it names no complaint)
    from notifications import delivery

    assert delivery.deliver_emails(list(flags.values_list("pk", flat=True)))["sent"] == 2
    assert any("Harbour View office" in message.body for message in mail.outbox)

    # And a second run, with nothing due, flags nothing again
    sweeps.enforce_reply_deadlines()
    assert flags.count() == 2


def test_an_office_with_a_supervisor_is_not_flagged(office, supervisor, manager, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert supervisors_of([office.pk]) == {office.pk: [supervisor.pk]}
    assert not Notification.objects.exists()


def test_without_a_manager_either_the_gap_is_logged(office, caplog):
    assert supervisors_of([office.pk]) == {office.pk: []}
    assert "no active supervisor" in caplog.text
    assert not Notification.objects.exists()


def test_every_demo_office_that_takes_complaints_has_a_supervisor(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    for office in Office.objects.filter(complaints__isnull=False).distinct():
        assert office.staff.filter(is_active=True, groups__name=Role.SUPERVISOR).exists(), office.name

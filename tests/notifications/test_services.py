"""notify / notify_bulk / supervisors_of: one INSERT, enqueue only after commit, a broker
that is down never breaks the caller, supervisors found in one query."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from notifications.models import EmailStatus, Kind, Notification
from notifications.services import notify, notify_bulk, supervisors_of
from notifications.tasks import deliver_emails, deliver_pending_emails
from tests.factories import ComplaintFactory, UserFactory

pytestmark = pytest.mark.django_db

DELAY = "notifications.tasks.deliver_emails.delay"


# ------------------------------------------------------------------------- notify
def test_notify_creates_one_row_per_recipient_in_one_insert(make_user, django_assert_num_queries):
    # Given five users and a complaint
    users = [make_user("supervisor") for _ in range(5)]
    complaint = ComplaintFactory()

    # When they are notified
    with django_assert_num_queries(1) as captured:
        created = notify(
            [u.pk for u in users],
            kind=Kind.REPLY_OVERDUE,
            complaint_id=complaint.pk,
            data={"to_level": 1, "due_at": timezone.now()},
        )

    # Then one INSERT made five pending, unread notifications
    assert created == 5
    assert captured.captured_queries[0]["sql"].startswith("INSERT")
    rows = Notification.objects.filter(complaint=complaint)
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(u.pk for u in users)
    assert all(n.email_status == EmailStatus.PENDING and n.read_at is None for n in rows)
    assert all(n.kind == Kind.REPLY_OVERDUE and n.data["to_level"] == 1 for n in rows)


def test_notify_ignores_duplicates_and_nobody(agent, django_assert_num_queries):
    assert notify([agent.pk, agent.pk], kind=Kind.REASSIGNED) == 1
    with django_assert_num_queries(0):
        assert notify([], kind=Kind.REASSIGNED) == 0


def test_notify_refuses_an_unknown_kind(agent):
    with pytest.raises(ValueError):
        notify([agent.pk], kind="something_else")
    assert not Notification.objects.exists()


def test_notify_bulk_writes_every_complaint_in_one_insert(make_user, django_assert_num_queries):
    first, second = make_user("supervisor"), make_user("supervisor")
    c1, c2 = ComplaintFactory(), ComplaintFactory()

    with django_assert_num_queries(1):
        created = notify_bulk(
            kind=Kind.COMPLETION_OVERDUE,
            entries=[
                (c1.pk, [first.pk, second.pk], {"due_at": "2026-01-02T03:04:00+00:00"}),
                (c2.pk, [first.pk], None),
                (c2.pk, [], {}),
            ],
        )

    assert created == 3
    assert Notification.objects.filter(recipient=first).count() == 2
    assert Notification.objects.get(complaint=c2).data == {}


def test_delivery_is_enqueued_only_after_commit(agent, django_capture_on_commit_callbacks):
    with mock.patch(DELAY) as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            notify([agent.pk], kind=Kind.REASSIGNED)
        # Then nothing is sent to the broker inside the transaction
        delay.assert_not_called()
        assert len(callbacks) == 1

        # When it commits
        callbacks[0]()

    # Then the new ids go to the e-mail task
    delay.assert_called_once_with([Notification.objects.get().pk])


def test_nothing_is_enqueued_when_the_transaction_rolls_back(agent, django_capture_on_commit_callbacks):
    with mock.patch(DELAY) as delay, django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            notify([agent.pk], kind=Kind.REASSIGNED)
            raise RuntimeError("the caller's work failed")
    delay.assert_not_called()
    assert not Notification.objects.exists()


def test_after_commit_the_task_sends_the_mail(agent, django_capture_on_commit_callbacks):
    # The broker hand-off is replaced by running the real task in-process (no eager mode).
    def run_now(ids):
        return deliver_emails.apply(args=[ids])

    complaint = ComplaintFactory()
    with mock.patch(DELAY, side_effect=run_now), django_capture_on_commit_callbacks(execute=True):
        notify([agent.pk], kind=Kind.MOVED_UP, complaint_id=complaint.pk, data={"to_level": 1})

    assert Notification.objects.get().email_status == EmailStatus.SENT
    assert [m.to for m in mail.outbox] == [[agent.email]]
    assert f"#{complaint.pk}" in mail.outbox[0].subject


def test_large_notifications_are_enqueued_in_chunks(office, django_capture_on_commit_callbacks):
    users = UserFactory.create_batch(450, office=office)
    with mock.patch(DELAY) as delay, django_capture_on_commit_callbacks(execute=True):
        assert notify([u.pk for u in users], kind=Kind.REASSIGNED) == 450
    assert [len(call.args[0]) for call in delay.call_args_list] == [200, 200, 50]


# ------------------------------------------------------------------ broker down
def test_a_broker_failure_is_logged_and_the_row_waits_for_the_periodic_redelivery(
    agent, django_capture_on_commit_callbacks, caplog
):
    # Given a broker that refuses the message
    with mock.patch(DELAY, side_effect=OperationalError("Error 111 connecting to redis")) as delay:
        # When a notification is created and its transaction commits
        with caplog.at_level(logging.WARNING, logger="notifications.services"):
            with django_capture_on_commit_callbacks(execute=True):
                created = notify([agent.pk], kind=Kind.REASSIGNED)

    # Then nothing was raised to the caller, the row waits, and a warning says why
    assert created == 1 and delay.called
    note = Notification.objects.get()
    assert note.email_status == EmailStatus.PENDING
    assert "left pending" in caplog.text
    assert mail.outbox == []

    # And the periodic redelivery leaves it alone for its first minute ...
    assert deliver_pending_emails.apply().get()["picked_up"] == 0
    # ... then sends it, once
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    counts = deliver_pending_emails.apply().get()
    assert counts["picked_up"] == 1 and counts["sent"] == 1
    note.refresh_from_db()
    assert note.email_status == EmailStatus.SENT
    assert len(mail.outbox) == 1
    assert deliver_pending_emails.apply().get()["sent"] == 0
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("error", [ConnectionRefusedError(111, "refused"), OSError("network unreachable")])
def test_network_errors_of_the_broker_are_caught_too(agent, django_capture_on_commit_callbacks, error):
    with mock.patch(DELAY, side_effect=error), django_capture_on_commit_callbacks(execute=True):
        notify([agent.pk], kind=Kind.REASSIGNED)
    assert Notification.objects.get().email_status == EmailStatus.PENDING


def test_even_an_unexpected_broker_client_error_does_not_reach_the_caller(
    agent, django_capture_on_commit_callbacks, caplog
):
    with mock.patch(DELAY, side_effect=RuntimeError("Acquire on closed pool")):
        with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
            assert notify([agent.pk], kind=Kind.REASSIGNED) == 1
    assert Notification.objects.get().email_status == EmailStatus.PENDING
    assert "Acquire on closed pool" in caplog.text


# ---------------------------------------------------------------- supervisors_of
def test_supervisors_of_finds_active_supervisors_per_office_in_one_query(
    make_user, office, other_office, django_assert_num_queries
):
    # Given supervisors in two offices, plus people who must not be found
    s1 = make_user("supervisor", username="s1")
    s2 = make_user("supervisor", username="s2")
    s3 = make_user("supervisor", office_=other_office, username="s3")
    make_user("supervisor", username="gone", is_active=False)
    make_user("agent", username="a1")
    make_user("manager", username="m1")
    lonely = type(office).objects.create(name="Lonely office", code="lonely")

    with django_assert_num_queries(1):
        result = supervisors_of([office.pk, other_office.pk, lonely.pk, office.pk], flag_gaps=False)

    assert result == {office.pk: sorted([s1.pk, s2.pk]), other_office.pk: [s3.pk], lonely.pk: []}


def test_supervisors_of_nothing_asks_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert supervisors_of([]) == {}

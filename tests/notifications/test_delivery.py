"""E-mail delivery: sent once, translated, retried on transient errors with backoff, failed
after the last try, skipped without an address. Celery runs for real in-process
(`task.apply`, whose retries run at once), not hidden behind eager mode."""

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import send_mail as real_send_mail
from django.urls import reverse
from django.utils import timezone, translation

from notifications import delivery
from notifications.models import EmailStatus, Kind, Notification
from notifications.tasks import deliver_emails, deliver_pending_emails
from tests.factories import ComplaintFactory

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db

SEND_MAIL = "notifications.delivery.send_mail"


def run(ids):
    """Apply the task in this process; returns its counts (retries, if any, already run)."""
    result = deliver_emails.apply(args=[ids])
    assert result.successful(), result.traceback
    return result.get()


def fails_then_sends(failures: int, error=None):
    calls = {"n": 0}

    def send(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= failures:
            raise error or smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send_mail(*args, **kwargs)

    return send


# ------------------------------------------------------------------------ sending
def test_a_pending_notification_is_emailed_and_marked_sent(agent):
    complaint = ComplaintFactory(office=agent.office)
    note = NotificationFactory(
        recipient=agent, complaint=complaint, kind=Kind.MOVED_UP, data={"to_level": 1, "cause": "emotional"}
    )

    counts = run([note.pk])

    assert counts == {"sent": 1, "skipped": 0, "failed": 0, "retry": 0}
    [message] = mail.outbox
    assert message.to == [agent.email]
    assert message.subject == f"[Complaint centre] Moved up: complaint #{complaint.pk}"
    assert f"Complaint #{complaint.pk} was moved up to you (level 1 — service-centre supervisor)" in message.body
    assert reverse("complaints:detail", args=[complaint.pk]) in message.body
    assert reverse("notifications:list") in message.body
    assert "&" not in message.body  # plain text, not HTML-escaped
    note.refresh_from_db()
    assert note.email_status == EmailStatus.SENT
    assert note.emailed_at is not None and note.email_attempts == 1 and note.email_last_error == ""


def test_running_twice_sends_once(agent):
    note = NotificationFactory(recipient=agent)

    first = run([note.pk])
    second = run([note.pk, note.pk])

    assert first["sent"] == 1 and second["sent"] == 0
    assert len(mail.outbox) == 1


def test_nothing_pending_means_no_mail_server_connection(agent, django_assert_num_queries):
    note = NotificationFactory(recipient=agent, email_status=EmailStatus.SENT, emailed_at=timezone.now())
    with mock.patch("notifications.delivery.get_connection") as get_connection, django_assert_num_queries(2):
        assert delivery.deliver_emails([note.pk]) == {"sent": 0, "skipped": 0, "failed": 0, "retry": 0}
    get_connection.assert_not_called()


def test_only_pending_notifications_are_sent(agent):
    sent = NotificationFactory(recipient=agent, email_status=EmailStatus.SENT, emailed_at=timezone.now())
    failed = NotificationFactory(recipient=agent, email_status=EmailStatus.FAILED)
    pending = NotificationFactory(recipient=agent)

    assert run([sent.pk, failed.pk, pending.pk])["sent"] == 1
    assert len(mail.outbox) == 1


def test_a_recipient_without_an_email_address_is_skipped(make_user):
    user = make_user("supervisor", email="")
    inactive = make_user("supervisor", is_active=False)
    notes = [NotificationFactory(recipient=user), NotificationFactory(recipient=inactive)]

    counts = run([n.pk for n in notes])

    assert counts["skipped"] == 2 and counts["sent"] == 0
    assert mail.outbox == []
    assert set(Notification.objects.values_list("email_status", "email_attempts")) == {(EmailStatus.SKIPPED, 0)}


def test_the_mail_is_in_the_site_language_whatever_the_request_language(agent, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    note = NotificationFactory(recipient=agent, kind=Kind.MOVED_UP, data={"to_level": 1})

    with translation.override("en"):
        run([note.pk])

    assert "已上移" in mail.outbox[0].subject  # "Moved up"
    assert "投诉处理中心" in mail.outbox[0].body  # "Complaint centre"


def test_the_site_url_makes_the_links_absolute(agent, settings):
    settings.HELPDESK_SITE_URL = "https://helpdesk.example.com/"
    complaint = ComplaintFactory(office=agent.office)
    run([NotificationFactory(recipient=agent, complaint=complaint).pk])
    assert f"https://helpdesk.example.com/complaints/{complaint.pk}/" in mail.outbox[0].body


# ------------------------------------------------------------------------ retries
def test_the_task_retries_only_named_transient_errors_with_exponential_backoff():
    assert deliver_emails.acks_late is True
    assert deliver_emails.retry_backoff is True
    assert deliver_emails.max_retries == 5
    assert set(deliver_emails.autoretry_for) >= {smtplib.SMTPException, ConnectionError, OSError}
    assert Exception not in deliver_emails.autoretry_for
    assert deliver_pending_emails.acks_late is True


def test_a_transient_error_records_the_attempt_and_the_error_and_raises_for_a_retry(agent):
    note = NotificationFactory(recipient=agent)

    with mock.patch(SEND_MAIL, side_effect=smtplib.SMTPDataError(451, b"try again later")):
        with pytest.raises(smtplib.SMTPDataError):
            delivery.deliver_emails([note.pk])

    note.refresh_from_db()
    assert note.email_status == EmailStatus.PENDING
    assert note.email_attempts == 1
    assert "SMTPDataError" in note.email_last_error and "try again later" in note.email_last_error
    assert note.emailed_at is None


def test_the_task_retries_after_an_smtp_error_then_sends(agent):
    note = NotificationFactory(recipient=agent)

    with (
        mock.patch(SEND_MAIL, side_effect=fails_then_sends(2)),
        mock.patch.object(deliver_emails, "retry", wraps=deliver_emails.retry) as retry,
    ):
        counts = run([note.pk])

    assert counts["sent"] == 1
    assert retry.call_count == 2
    # exponential backoff (with jitter): the n-th retry waits at most 2**n seconds
    for n, call in enumerate(retry.call_args_list):
        assert 0 <= call.kwargs["countdown"] <= 2**n
    note.refresh_from_db()
    assert note.email_status == EmailStatus.SENT
    assert note.email_attempts == 3
    assert "SMTPServerDisconnected" in note.email_last_error
    assert len(mail.outbox) == 1


def test_the_retry_does_not_resend_what_was_already_sent(agent, make_user):
    ok = NotificationFactory(recipient=agent)
    flaky = NotificationFactory(recipient=make_user("supervisor", email="flaky@example.com"))

    def send(subject, body, from_email, recipient_list, **kwargs):
        if recipient_list == ["flaky@example.com"] and not getattr(send, "failed", False):
            send.failed = True
            raise ConnectionResetError(104, "Connection reset by peer")
        return real_send_mail(subject, body, from_email, recipient_list, **kwargs)

    with mock.patch(SEND_MAIL, side_effect=send):
        run([ok.pk, flaky.pk])

    assert sorted(m.to[0] for m in mail.outbox) == sorted([agent.email, "flaky@example.com"])
    assert Notification.objects.get(pk=ok.pk).email_attempts == 1
    assert Notification.objects.get(pk=flaky.pk).email_attempts == 2


def test_after_the_last_retry_the_notification_is_failed(agent):
    note = NotificationFactory(recipient=agent)

    with mock.patch(SEND_MAIL, side_effect=smtplib.SMTPServerDisconnected("gone")) as send:
        counts = run([note.pk])

    assert send.call_count == 6  # the first try and five retries, no real waiting
    assert counts == {"sent": 0, "skipped": 0, "failed": 1, "retry": 0}
    note.refresh_from_db()
    assert note.email_status == EmailStatus.FAILED
    assert note.email_attempts == 6
    assert "gone" in note.email_last_error
    assert mail.outbox == []
    # and nobody tries it again
    assert run([note.pk]) == {"sent": 0, "skipped": 0, "failed": 0, "retry": 0}


def test_an_unreachable_mail_server_is_one_update_for_the_batch(agent, make_user):
    notes = [NotificationFactory(recipient=agent), NotificationFactory(recipient=make_user("supervisor"))]
    backend = mock.Mock()
    backend.open.side_effect = ConnectionRefusedError(111, "Connection refused")

    with mock.patch("notifications.delivery.get_connection", return_value=backend):
        with pytest.raises(ConnectionRefusedError):
            delivery.deliver_emails([n.pk for n in notes])

    backend.send_messages.assert_not_called()
    rows = Notification.objects.values_list("email_status", "email_attempts")
    assert set(rows) == {(EmailStatus.PENDING, 1)}
    assert all("Connection refused" in e for e in Notification.objects.values_list("email_last_error", flat=True))


def test_the_periodic_redelivery_does_not_raise_and_fails_rows_out_of_attempts(agent):
    old = timezone.now() - timedelta(minutes=10)
    nearly = NotificationFactory(recipient=agent, created_at=old, email_attempts=5)
    fresh = NotificationFactory(recipient=agent, created_at=old)

    with mock.patch(SEND_MAIL, side_effect=smtplib.SMTPServerDisconnected("gone")):
        counts = deliver_pending_emails.apply().get()

    assert counts["picked_up"] == 2 and counts["failed"] == 1 and counts["retry"] == 1
    assert Notification.objects.get(pk=nearly.pk).email_status == EmailStatus.FAILED
    assert Notification.objects.get(pk=fresh.pk).email_status == EmailStatus.PENDING


def test_a_permanent_error_fails_at_once_without_retrying(agent):
    note = NotificationFactory(recipient=agent)
    with mock.patch("notifications.delivery.compose", side_effect=ValueError("bad template")):
        counts = run([note.pk])
    assert counts["failed"] == 1
    note.refresh_from_db()
    assert note.email_status == EmailStatus.FAILED and note.email_attempts == 1
    assert "bad template" in note.email_last_error


def test_every_attempt_of_a_notification_carries_the_same_message_id(settings, agent):
    """Delivery is at least once (a worker killed between the mail server's OK and the commit
    sends again); the repeat carries the same Message-ID, by which mail systems drop it."""
    from django.core import mail

    from notifications import delivery

    settings.HELPDESK_SITE_URL = "https://helpdesk.example.com"
    first, second = NotificationFactory(recipient=agent), NotificationFactory(recipient=agent)
    delivery.deliver_emails([first.pk, second.pk])
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert sorted(ids) == sorted(
        [f"<notification-{first.pk}@helpdesk.example.com>", f"<notification-{second.pk}@helpdesk.example.com>"]
    )
    assert "Message-ID: <notification-" in mail.outbox[0].message().as_string()
    assert delivery.message_id(first) == delivery.message_id(first)

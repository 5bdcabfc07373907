"""Two workers on the same notification: the one that finds the row locked skips it (no
wait, no mail), so a notification is never e-mailed twice.

PostgreSQL only (SQLite ignores `select_for_update`). Committed data (`transaction=True`)
with a `serialized_rollback`, so the seeded role groups are there; every wait is bounded."""

import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections, transaction

from notifications import delivery
from notifications.models import EmailStatus, Notification

from .factories import NotificationFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite ignores select_for_update)"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WAIT = 10  # seconds


@pytest.fixture(scope="module", autouse=True)
def start_empty_and_leave_the_seeded_data_behind(django_db_setup, django_db_blocker):
    """Whatever an earlier transactional test left (e.g. content types re-created with new
    ids by a flush), start from empty tables so `serialized_rollback` can load the migrations'
    data; and since the flush after the last test empties them, put that data back for the
    next transactional test of the session."""
    with django_db_blocker.unblock():
        # keep the sequences: the data put back below has its ids, the next rows must come after them
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True, reset_sequences=False)
    yield
    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with django_db_blocker.unblock():
            connection.creation.deserialize_db_from_string(contents)


def test_a_row_another_worker_is_sending_is_skipped_not_sent_twice(agent):
    note = NotificationFactory(recipient=agent)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=note.pk)
                locked.set()
                release.wait(WAIT)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker, daemon=True)
    thread.start()
    try:
        assert locked.wait(WAIT)
        # While the other worker holds the row, this one skips it at once ...
        assert delivery.deliver_emails([note.pk]) == {"sent": 0, "skipped": 0, "failed": 0, "retry": 0}
        assert mail.outbox == []
    finally:
        release.set()
        thread.join(WAIT)
    assert not thread.is_alive()

    # ... and once the row is free and still pending, it is sent exactly once.
    assert delivery.deliver_emails([note.pk])["sent"] == 1
    assert delivery.deliver_emails([note.pk])["sent"] == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.get(pk=note.pk).email_status == EmailStatus.SENT

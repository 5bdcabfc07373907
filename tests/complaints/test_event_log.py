"""R-C11: every step of every complaint is kept. `ComplaintEvent` rows are append-only —
the model and its querysets refuse to change or delete them on every database, and on
PostgreSQL a trigger refuses raw SQL as well (migration 0003_events_append_only)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from complaints.choices import EventKind
from complaints.models import Complaint, ComplaintEvent
from tests.factories import ComplaintFactory

TABLE = ComplaintEvent._meta.db_table


@pytest.fixture
def complaint(agent):
    complaint = ComplaintFactory(office=agent.office, received_by=agent)
    complaint.add_note(actor=agent, note="Owner phoned again.")
    return complaint


@pytest.fixture
def event(complaint) -> ComplaintEvent:
    return complaint.events.get()


def stored(event) -> dict:
    return ComplaintEvent.objects.filter(pk=event.pk).values().get()


def test_new_events_can_be_appended(complaint, agent):
    complaint.add_note(actor=agent, note="And again.")
    ComplaintEvent.objects.create(complaint=complaint, actor=agent, kind=EventKind.NOTE_ADDED, note="Direct.")

    assert complaint.events.count() == 3


def test_saving_an_existing_event_is_refused(event):
    before = stored(event)
    event.note = "Rewritten history."

    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.save(update_fields=["note"])

    assert stored(event) == before


def test_deleting_an_event_is_refused(event):
    with pytest.raises(PermissionError):
        event.delete()

    assert ComplaintEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("via", ["manager", "related_manager", "filtered"])
def test_queryset_update_is_refused(complaint, event, via):
    queryset = {
        "manager": ComplaintEvent.objects.all(),
        "related_manager": complaint.events.all(),
        "filtered": ComplaintEvent.objects.filter(pk=event.pk),
    }[via]
    before = stored(event)

    with pytest.raises(PermissionError):
        queryset.update(note="Rewritten history.")

    assert stored(event) == before


def test_related_manager_update_is_refused(complaint, event):
    before = stored(event)

    with pytest.raises(PermissionError):
        complaint.events.update(note="Rewritten history.")

    assert stored(event) == before


def test_bulk_update_is_refused(event):
    before = stored(event)
    event.note = "Rewritten history."

    # bulk_update runs in atomic(savepoint=False): give it its own block, as a caller would
    with pytest.raises(PermissionError), transaction.atomic():
        ComplaintEvent.objects.bulk_update([event], ["note"])

    assert stored(event) == before


@pytest.mark.parametrize("via", ["manager", "related_manager", "filtered"])
def test_queryset_delete_is_refused(complaint, event, via):
    queryset = {
        "manager": ComplaintEvent.objects.all(),
        "related_manager": complaint.events.all(),
        "filtered": ComplaintEvent.objects.filter(pk=event.pk),
    }[via]

    with pytest.raises(PermissionError):
        queryset.delete()

    assert ComplaintEvent.objects.filter(pk=event.pk).exists()


def test_deleting_the_complaint_cannot_take_its_events_along(complaint, event):
    with pytest.raises(ProtectedError):
        complaint.delete()

    assert Complaint.objects.filter(pk=complaint.pk).exists()
    assert ComplaintEvent.objects.filter(pk=event.pk).exists()


def test_deleting_the_actor_cannot_take_the_events_along(agent, complaint, event):
    with pytest.raises(ProtectedError):
        agent.delete()

    assert ComplaintEvent.objects.get(pk=event.pk).actor_id == agent.pk


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)


@needs_postgresql
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET note = 'Rewritten history.' WHERE id = %s",
        f"DELETE FROM {TABLE} WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_database_trigger_refuses_raw_sql(event, sql):
    before = stored(event)

    with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])

    assert "append-only" in str(exc.value)
    assert stored(event) == before


@needs_postgresql
def test_database_trigger_refuses_a_bulk_raw_update_of_every_event(complaint, agent):
    complaint.add_note(actor=agent, note="Second.")
    before = list(ComplaintEvent.objects.values_list("id", "note").order_by("id"))

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET note = ''")

    assert list(ComplaintEvent.objects.values_list("id", "note").order_by("id")) == before

"""helpdesk/bulk.py: many rows in one INSERT … SELECT from one JSON parameter — the ids come
back in the order of the rows, the other fields get the constants or their defaults, the
values are stored as their fields store them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpdesk.bulk import insert_rows
from notifications.models import EmailStatus, Notification
from tests.factories import ComplaintFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_one_insert_returns_the_ids_in_the_order_of_the_rows(office):
    users = UserFactory.create_batch(3, office=office)
    complaint = ComplaintFactory()
    at = timezone.now() - timedelta(days=1)
    rows = [
        (users[2].pk, complaint.pk, "reassigned", {"due_at": at, "text": "漏水 'quoted' \\ \"x\""}),
        (users[0].pk, None, "moved_up", {}),
        (users[1].pk, complaint.pk, "reply_overdue", {"to_level": 1, "nested": [1, None, {"a": True}]}),
    ]
    with CaptureQueriesContext(connection) as ctx:
        ids = insert_rows(Notification, ["recipient", "complaint", "kind", "data"], rows, constants={"created_at": at})
    assert len(ctx.captured_queries) == 1
    assert ctx.captured_queries[0]["sql"].startswith('INSERT INTO "notifications_notification"')
    written = [Notification.objects.get(pk=pk) for pk in ids]
    assert [(n.recipient_id, n.complaint_id, n.kind) for n in written] == [r[:3] for r in rows]
    # the data as a JSONField with DjangoJSONEncoder stores it (a time as an ISO string)
    first = written[0].data
    assert first["text"] == "漏水 'quoted' \\ \"x\"" and first["due_at"].startswith(at.isoformat()[:23])
    assert written[2].data == {"to_level": 1, "nested": [1, None, {"a": True}]}
    # the constant, and the defaults of the fields not given
    assert all(n.created_at == at for n in written)
    assert all(
        (n.email_status, n.email_attempts, n.email_last_error, n.read_at) == (EmailStatus.PENDING, 0, "", None)
        for n in written
    )


JSON_VALUES = [{"a": 1, "b": [True, None, "s"]}, "a string", 5, 1.5, True, False, [1, 2], {}, '漏水 "q" \\']


def test_every_json_value_is_stored_as_its_json_field_stores_it(agent):
    ids = insert_rows(Notification, ["recipient", "kind", "data"], [(agent.pk, "reassigned", v) for v in JSON_VALUES])
    assert [Notification.objects.get(pk=pk).data for pk in ids] == JSON_VALUES


def test_no_rows_no_query():
    with CaptureQueriesContext(connection) as ctx:
        assert insert_rows(Notification, ["recipient"], []) == []
    assert ctx.captured_queries == []


def test_a_field_that_is_not_a_column_is_refused():
    from complaints.models import Complaint

    with pytest.raises(TypeError):
        insert_rows(Complaint, ["events"], [(1,)])

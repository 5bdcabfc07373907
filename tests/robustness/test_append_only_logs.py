"""Issue 16.4: every log the product calls append-only refuses UPDATE, DELETE and TRUNCATE
in PostgreSQL (row and statement triggers), in the ORM (save of an existing row, delete,
queryset update/delete) and in the admin (no add, change or delete)."""

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from complaints.models import ComplaintEvent
from customers.models import AccessAction, ArchiveAccess, TierChange
from followups.models import PlanStatus, VisitPlan, VisitPlanEvent
from helpdesk.db import AppendOnlyError
from tests.factories import ComplaintFactory, CustomerFactory

pytestmark = pytest.mark.django_db

LOGS = ["complaint_event", "tier_change", "archive_access", "visit_plan_event"]
TEXT_FIELD = {ComplaintEvent: "note", TierChange: "reason", ArchiveAccess: "action", VisitPlanEvent: "comment"}


@pytest.fixture
def row(request, agent, manager):
    """One committed-in-the-test row of the log named by the parameter."""
    kind = request.param
    if kind == "complaint_event":
        complaint = ComplaintFactory(office=agent.office, received_by=agent)
        return complaint.events.create(kind="note_added", actor=agent, note="First.")
    customer = CustomerFactory(tier="B")
    if kind == "tier_change":
        return TierChange.objects.create(
            customer=customer,
            old_tier="B",
            new_tier="A",
            reason="Volume up.",
            changed_by=manager,
            changed_at=timezone.now(),
        )
    if kind == "archive_access":
        return ArchiveAccess.objects.create(user=manager, customer=customer, action=AccessAction.VIEW_ARCHIVE)
    plan = VisitPlan.objects.create(account_manager=agent, month=timezone.localdate().replace(day=1))
    return VisitPlanEvent.objects.create(plan=plan, action=PlanStatus.SUBMITTED, actor=agent)


def _stored(obj):
    return list(type(obj).objects.filter(pk=obj.pk).values())


needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")


@needs_postgresql
@pytest.mark.parametrize("row", LOGS, indirect=True)
@pytest.mark.parametrize("statement", ["update", "delete", "truncate"])
def test_the_database_refuses_raw_sql(row, statement):
    table = connection.ops.quote_name(row._meta.db_table)
    sql = {
        "update": f"UPDATE {table} SET id = id WHERE id = %s",
        "delete": f"DELETE FROM {table} WHERE id = %s",
        "truncate": f"TRUNCATE {table} CASCADE",
    }[statement]
    before = _stored(row)
    with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cursor:
        # as in production: the test settings' flush exemption (helpdesk/db.py) switched off
        cursor.execute("SET LOCAL helpdesk.allow_truncate = off")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred FK checks left pending
        cursor.execute(sql, [row.pk] if statement != "truncate" else None)
    assert "append-only" in str(exc.value)
    assert statement.upper() in str(exc.value)
    assert _stored(row) == before


@needs_postgresql
def test_truncate_is_refused_without_the_session_setting_even_as_superuser():
    """A fresh session of the production kind (no startup option) cannot TRUNCATE a log."""
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as other:
        assert other.execute("SELECT current_setting('helpdesk.allow_truncate', true)").fetchone()[0] in (None, "")
        for table in ("customers_archiveaccess", "customers_tierchange", "complaints_complaintevent"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                other.execute(f"TRUNCATE {table} CASCADE")


@pytest.mark.parametrize("row", LOGS, indirect=True)
def test_the_orm_refuses_changes_and_deletes(row):
    model = type(row)
    before = _stored(row)
    with pytest.raises(PermissionError):
        model.objects.filter(pk=row.pk).update(id=row.pk)
    with pytest.raises(PermissionError):
        model.objects.all().delete()
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError), transaction.atomic():  # bulk_update's own atomic has no savepoint
        model.objects.bulk_update([row], fields=[TEXT_FIELD[model]])
    assert _stored(row) == before


@pytest.mark.parametrize("model", [TierChange, ArchiveAccess, VisitPlanEvent])
def test_the_shared_guard_raises_its_own_error(model):
    with pytest.raises(AppendOnlyError, match="append-only"):
        model.objects.all().update()


def test_a_new_row_is_still_written(manager):
    customer = CustomerFactory()
    ArchiveAccess.objects.create(user=manager, customer=customer, action=AccessAction.DOWNLOAD)
    assert ArchiveAccess.objects.filter(customer=customer).count() == 1


@pytest.mark.parametrize("model", [ComplaintEvent, TierChange, ArchiveAccess, VisitPlanEvent])
def test_the_admin_never_adds_changes_or_deletes(model, django_user_model):
    superuser = django_user_model.objects.create_superuser("root16b", "root@example.com", "x")
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admins = [a for m, a in admin.site._registry.items() if m is model]
    inlines = [
        inline(a.model, admin.site)
        for a in admin.site._registry.values()
        for inline in getattr(a, "inlines", [])
        if inline.model is model
    ]
    if model is not VisitPlanEvent:  # shown on the visit-plan page only, not in the admin
        assert model_admins or inlines, f"{model.__name__} is not in the admin at all"
    for model_admin in model_admins + inlines:
        assert not model_admin.has_add_permission(request, None)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)

"""Append-only logs, enforced at every layer (R-C11, R-CU1, R-CU5): the database refuses
UPDATE, DELETE and TRUNCATE (`AppendOnlyTrigger`, a migration operation; PostgreSQL only),
the ORM refuses `save()` of an existing row, `delete()` and queryset `update()`/`delete()`
(`AppendOnlyQuerySet`, `AppendOnlyModel`), and the admin is read-only
(`helpdesk.admin_tools.ReadOnlyAdminMixin`).

TRUNCATE is refused unless the session setting `helpdesk.allow_truncate` is `on`. Only the
test settings turn it on (in the connection's startup options), because Django's `flush`
empties tables with one TRUNCATE between transactional tests. Production never sets it.
This guards the log against the application and against mistakes, not against the table
owner, who can always drop a trigger: database roles are the defence there."""

from __future__ import annotations

from django.db import migrations, models

ALLOW_TRUNCATE_SETTING = "helpdesk.allow_truncate"


class AppendOnlyError(PermissionError):
    """Raised when code tries to change or remove a row of an append-only log."""


FUNCTION = """
CREATE OR REPLACE FUNCTION helpdesk_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND coalesce(current_setting('helpdesk.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


class AppendOnlyTrigger(migrations.RunSQL):
    """`AppendOnlyTrigger("customers_archiveaccess")`: a row-level BEFORE UPDATE OR DELETE
    trigger and a statement-level BEFORE TRUNCATE trigger that refuse, on PostgreSQL (a
    no-op on other databases). Reversible. The shared function `helpdesk_append_only()` is
    (re)created by every operation, so each app's migration stands alone; reversing drops
    only this table's triggers (the function stays for the other tables)."""

    def __init__(self, table: str):
        self.table = table
        forward = (
            FUNCTION
            + f"""
DROP TRIGGER IF EXISTS {table}_append_only_rows ON {table};
DROP TRIGGER IF EXISTS {table}_append_only_truncate ON {table};
CREATE TRIGGER {table}_append_only_rows BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION helpdesk_append_only();
CREATE TRIGGER {table}_append_only_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION helpdesk_append_only();
"""
        )
        backward = f"""
DROP TRIGGER IF EXISTS {table}_append_only_rows ON {table};
DROP TRIGGER IF EXISTS {table}_append_only_truncate ON {table};
"""
        super().__init__(forward, backward, hints={"append_only_table": table})

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.table], {})

    def _run_sql(self, schema_editor, sqls):
        if schema_editor.connection.vendor == "postgresql":
            super()._run_sql(schema_editor, sqls)  # type: ignore[misc]

    def describe(self):
        return f"Append-only triggers (UPDATE, DELETE, TRUNCATE refused) on {self.table}"


class AppendOnlyQuerySet(models.QuerySet):
    """A log's QuerySet (`objects = AppendOnlyQuerySet.as_manager()`): bulk changes and
    deletes are refused."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are append-only.")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are append-only.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are append-only.")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are append-only.")


class AppendOnlyModel:
    """Mixin for a log's model (before `models.Model`): a row is saved once, never again,
    and never deleted."""

    def save(self, *args, **kwargs):
        if not self._state.adding:  # type: ignore[attr-defined]
            raise AppendOnlyError(f"{self._meta.verbose_name_plural} are append-only.")  # type: ignore[attr-defined]
        super().save(*args, **kwargs)  # type: ignore[misc]

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.verbose_name_plural} are append-only.")  # type: ignore[attr-defined]


def advisory_xact_lock(name: str) -> bool:
    """Try a transaction-scoped PostgreSQL advisory lock named `name` (so that two beats, or two
    workers, never run the same sweep at once); False if someone else holds it. Elsewhere
    (SQLite: one writer at a time anyway) always granted. Call inside `transaction.atomic`."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [advisory_key(name)])
        return bool(cursor.fetchone()[0])


def advisory_key(name: str) -> int:
    """The 31-bit key of the advisory lock named `name`."""
    import zlib

    return zlib.crc32(name.encode()) & 0x7FFFFFFF

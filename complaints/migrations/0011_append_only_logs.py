"""R-C11: complaint events refuse TRUNCATE as well as UPDATE and DELETE (PostgreSQL). The
row trigger of 0003 is replaced by the shared one of helpdesk/db.py."""

from django.db import migrations

from helpdesk.db import AppendOnlyTrigger

OLD_TRIGGER = """
CREATE OR REPLACE FUNCTION complaints_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'complaint events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER complaints_event_no_update_delete
    BEFORE UPDATE OR DELETE ON complaints_complaintevent
    FOR EACH ROW EXECUTE FUNCTION complaints_event_append_only();
"""
DROP_OLD_TRIGGER = """
DROP TRIGGER IF EXISTS complaints_event_no_update_delete ON complaints_complaintevent;
DROP FUNCTION IF EXISTS complaints_event_append_only();
"""


def drop_old(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_OLD_TRIGGER, params=None)


def restore_old(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0010_rename_holiday_calendarholiday")]
    operations = [
        AppendOnlyTrigger("complaints_complaintevent"),
        migrations.RunPython(drop_old, restore_old),
    ]

"""R-C11 'nothing is ever lost': on PostgreSQL the database itself refuses to UPDATE or
DELETE a complaint event (the model and the admin refuse as well, on every database)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION complaints_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'complaint events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER complaints_event_no_update_delete
    BEFORE UPDATE OR DELETE ON complaints_complaintevent
    FOR EACH ROW EXECUTE FUNCTION complaints_event_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS complaints_event_no_update_delete ON complaints_complaintevent;
DROP FUNCTION IF EXISTS complaints_event_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0002_default_departments_and_categories")]
    operations = [migrations.RunPython(forward, backward)]

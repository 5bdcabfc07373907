"""Fast text search on PostgreSQL at a million complaints: trigram GIN indexes matching the
list's case-insensitive `icontains` lookups (UPPER(col) LIKE UPPER('%…%')). On other
databases this migration does nothing."""

from django.db import migrations

COLUMNS = ["subject", "description", "complainant_name", "incident_place"]
FORWARD = (
    ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
    + [
        f"CREATE INDEX IF NOT EXISTS complaint_trgm_{col} ON complaints_complaint "
        f"USING gin (UPPER({col}::text) gin_trgm_ops)"
        for col in COLUMNS
    ]
    + [
        "CREATE INDEX IF NOT EXISTS complaint_trgm_contact_phone ON complaints_complaint "
        "USING gin (contact_phone gin_trgm_ops)",
        "CREATE INDEX IF NOT EXISTS customer_trgm_name ON customers_customer USING gin (UPPER(name::text) gin_trgm_ops)",
    ]
)
BACKWARD = [f"DROP INDEX IF EXISTS complaint_trgm_{col}" for col in [*COLUMNS, "contact_phone"]] + [
    "DROP INDEX IF EXISTS customer_trgm_name"
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0003_events_append_only"), ("customers", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]

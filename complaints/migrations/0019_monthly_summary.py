"""The monthly summary at a million complaints (issue 17): each month's figures are computed
once and kept, with an exact version of the data they were computed from
(complaints.reports.summary). PostgreSQL only; on other databases this migration does
nothing and the summary is computed every time.

- `complaints_summary_change`: an append-only log; every statement that changes what the
  figures of a month read adds a row (month, 1), in the same transaction. The *version* of a
  month is the sum of its rows: it grows with every committed change and with nothing else
  (compaction replaces rows by one row of their sum). The month 0001-01-01 is the version of
  what every month reads: the names of offices, departments, categories and users. Appending
  rows, unlike a counter per month, never makes two writers wait for each other (no hot row).
- Statement-level triggers (with transition tables) add the rows:
  complaints (received month, before and after, and the months of their events) when a
  column the figures or the list read changes — every column but COMPLAINT_COLUMNS_IGNORED,
  so that a column added later counts by default; events (the month they were made in);
  customers (their complaints' months and their events' months) when the tier changes;
  offices, departments, categories, users (every month) when a name changes; a TRUNCATE of
  any of them (every month).
- `complaints_summary_part`: a month's figures as computed (figures.parts), for one scope
  and filters, with the month's and the names' versions then.
- `complaints_summary_file`: a built XLSX, with the versions of the twelve months it shows.
- `event_report_time`: a partial index over the events the figures count (a call-back, a
  rise in level, a special incident: the predicate of figures.queries.event_rows), so the
  month's events are read without the rest of the log.
"""

from django.conf import settings
from django.db import migrations

GLOBAL_MONTH = "0001-01-01"  # the version of what every month reads (complaints.reports.summary.GLOBAL)

# The complaint columns no figure and no line of the list reads: changing only these leaves
# the summary as it is. tests/reports/test_summary_store.py checks that the figures' queries
# read none of them.
COMPLAINT_COLUMNS_IGNORED = (
    "complainant_name",
    "contact_email",
    "contact_qq",
    "contact_wechat",
    "incident_at",
    "incident_place",
    "persons_involved",
    "subject",
    "description",
    "is_emotional",
    "is_sensitive",
    "last_progress_at",
    "committed_completion_at",
    "resolved_at",
    "callback_declined_at",
    "resolution",
    "apologised",
    "signoff_name",
    "signed_off_at",
    "findings",
    "solution",
    "is_training_case",
    "training_lesson",
    "training_marked_at",
    "updated_at",
    "assignee_id",
    "merged_into_id",
    "newer_complaint_id",
    "progress_due_at",
    "progress_flagged_at",
    "reply_overdue_at",
    "completion_overdue_at",
    "auto_close_due_at",
    "is_special_incident",
    "special_incident_at",
    "incident_containment",
    "incident_contained_at",
    "incident_reported_to",
    "incident_reported_at",
    "outside_body_kind",
    "outside_body_name",
    "outside_body_contact",
    "outside_body_referred_at",
    "outside_body_answer",
    "outside_body_answered_at",
)
# The tables whose names the figures show (users: the agents), and those names' columns.
NAMED_TABLES = {
    "accounts_office": ("name",),
    "complaints_department": ("name",),
    "complaints_category": ("name",),
    "accounts_user": ("username", "first_name", "last_name"),
}
TRUNCATED_TABLES = (
    "complaints_complaint",
    "complaints_complaintevent",
    "customers_customer",
    *NAMED_TABLES,
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def forward_sql(zone: str) -> list[str]:
    ignored = "ARRAY[" + ", ".join(_literal(c) for c in COMPLAINT_COLUMNS_IGNORED) + "]::text[]"
    statements = [
        # the time zone the months are cut in: settings.TIME_ZONE when migrated (the summary
        # is not used if the setting differs from it later)
        f"CREATE FUNCTION complaints_summary_zone() RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        f"AS $$ SELECT {_literal(zone)}::text $$",
        f"CREATE FUNCTION complaints_summary_month(at timestamptz) RETURNS date "
        f"LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"AS $$ SELECT date_trunc('month', at AT TIME ZONE {_literal(zone)})::date $$",
        """
        CREATE TABLE complaints_summary_change (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            month date NOT NULL,
            n bigint NOT NULL DEFAULT 1
        )
        """,
        "CREATE INDEX complaints_summary_change_month ON complaints_summary_change (month) INCLUDE (n)",
        """
        CREATE TABLE complaints_summary_part (
            scope text NOT NULL,
            kind text NOT NULL,
            month date NOT NULL,
            version bigint NOT NULL,
            global_version bigint NOT NULL,
            data jsonb NOT NULL,
            computed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (scope, kind, month)
        )
        """,
        """
        CREATE TABLE complaints_summary_file (
            scope text NOT NULL,
            month date NOT NULL,
            format text NOT NULL,
            language text NOT NULL,
            versions bigint[] NOT NULL,
            measured jsonb NOT NULL,
            filename text NOT NULL,
            content bytea NOT NULL,
            built_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (scope, month, format, language)
        )
        """,
        "ALTER TABLE complaints_summary_file ALTER COLUMN content SET STORAGE EXTERNAL",  # zipped already
        # ---- complaints: the months of the rows (before and after) and of their events
        """
        CREATE FUNCTION complaints_summary_complaints_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO complaints_summary_change (month)
            SELECT DISTINCT complaints_summary_month(received_at) FROM new_rows;
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE FUNCTION complaints_summary_complaints_updated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            WITH changed AS (
                SELECT coalesce(n.id, o.id) AS id, o.received_at AS old_at, n.received_at AS new_at
                FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
                WHERE (to_jsonb(o) - {ignored}) IS DISTINCT FROM (to_jsonb(n) - {ignored})
            )
            INSERT INTO complaints_summary_change (month)
            SELECT complaints_summary_month(old_at) FROM changed WHERE old_at IS NOT NULL
            UNION
            SELECT complaints_summary_month(new_at) FROM changed WHERE new_at IS NOT NULL
            UNION
            SELECT complaints_summary_month(e.created_at)
            FROM complaints_complaintevent e JOIN changed c ON e.complaint_id = c.id;
            RETURN NULL;
        END $$
        """,
        """
        CREATE FUNCTION complaints_summary_complaints_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO complaints_summary_change (month)
            SELECT complaints_summary_month(received_at) FROM old_rows
            UNION
            SELECT complaints_summary_month(e.created_at)
            FROM complaints_complaintevent e JOIN old_rows o ON e.complaint_id = o.id;
            RETURN NULL;
        END $$
        """,
        "CREATE TRIGGER complaints_summary_insert AFTER INSERT ON complaints_complaint "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION complaints_summary_complaints_inserted()",
        "CREATE TRIGGER complaints_summary_update AFTER UPDATE ON complaints_complaint "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION complaints_summary_complaints_updated()",
        "CREATE TRIGGER complaints_summary_delete AFTER DELETE ON complaints_complaint "
        "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION complaints_summary_complaints_deleted()",
        # ---- events: the month each was made in (they are never updated or deleted)
        """
        CREATE FUNCTION complaints_summary_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO complaints_summary_change (month)
            SELECT DISTINCT complaints_summary_month(created_at) FROM new_rows;
            RETURN NULL;
        END $$
        """,
        "CREATE TRIGGER complaints_summary_insert AFTER INSERT ON complaints_complaintevent "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION complaints_summary_events_inserted()",
        # ---- customers: a new tier changes the tier filter and breakdown of their complaints'
        # months, and the events of those complaints under the tier filter
        """
        CREATE FUNCTION complaints_summary_customers_updated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            WITH changed AS (
                SELECT coalesce(n.id, o.id) AS id
                FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
                WHERE o.tier IS DISTINCT FROM n.tier OR o.id IS NULL OR n.id IS NULL
            ), theirs AS (
                SELECT c.id, c.received_at FROM complaints_complaint c JOIN changed ch ON c.customer_id = ch.id
            )
            INSERT INTO complaints_summary_change (month)
            SELECT complaints_summary_month(received_at) FROM theirs
            UNION
            SELECT complaints_summary_month(e.created_at)
            FROM complaints_complaintevent e JOIN theirs t ON e.complaint_id = t.id;
            RETURN NULL;
        END $$
        """,
        "CREATE TRIGGER complaints_summary_tier AFTER UPDATE ON customers_customer "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION complaints_summary_customers_updated()",
        # ---- names (the trigger's arguments are the name columns): every month
        f"""
        CREATE FUNCTION complaints_summary_names_updated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (
                SELECT 1 FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
                WHERE EXISTS (
                    SELECT 1 FROM unnest(TG_ARGV) AS col
                    WHERE (to_jsonb(o) -> col) IS DISTINCT FROM (to_jsonb(n) -> col)
                )
            ) THEN
                INSERT INTO complaints_summary_change (month) VALUES (DATE '{GLOBAL_MONTH}');
            END IF;
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE FUNCTION complaints_summary_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO complaints_summary_change (month) VALUES (DATE '{GLOBAL_MONTH}');
            RETURN NULL;
        END $$
        """,
        # ---- the events the figures count, read by time
        "CREATE INDEX event_report_time ON complaints_complaintevent (created_at) "
        "WHERE kind = 'callback_recorded' OR to_level > from_level OR kind = 'special_incident_flagged'",
    ]
    for table, columns in NAMED_TABLES.items():
        arguments = ", ".join(_literal(c) for c in columns)
        statements.append(
            f"CREATE TRIGGER complaints_summary_names AFTER UPDATE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION complaints_summary_names_updated({arguments})"
        )
    for table in TRUNCATED_TABLES:
        statements.append(
            f"CREATE TRIGGER complaints_summary_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION complaints_summary_truncated()"
        )
    return statements


def backward_sql() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS complaints_summary_names ON {table}" for table in NAMED_TABLES] + [
        f"DROP TRIGGER IF EXISTS complaints_summary_truncate ON {table}" for table in TRUNCATED_TABLES
    ]
    statements += [
        "DROP TRIGGER IF EXISTS complaints_summary_tier ON customers_customer",
        "DROP TRIGGER IF EXISTS complaints_summary_insert ON complaints_complaintevent",
        "DROP TRIGGER IF EXISTS complaints_summary_insert ON complaints_complaint",
        "DROP TRIGGER IF EXISTS complaints_summary_update ON complaints_complaint",
        "DROP TRIGGER IF EXISTS complaints_summary_delete ON complaints_complaint",
        "DROP INDEX IF EXISTS event_report_time",
        "DROP TABLE IF EXISTS complaints_summary_file",
        "DROP TABLE IF EXISTS complaints_summary_part",
        "DROP TABLE IF EXISTS complaints_summary_change",
    ]
    for function in (
        "complaints_summary_truncated()",
        "complaints_summary_names_updated()",
        "complaints_summary_customers_updated()",
        "complaints_summary_events_inserted()",
        "complaints_summary_complaints_deleted()",
        "complaints_summary_complaints_updated()",
        "complaints_summary_complaints_inserted()",
        "complaints_summary_month(timestamptz)",
        "complaints_summary_zone()",
    ):
        statements.append(f"DROP FUNCTION IF EXISTS {function}")
    return statements


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in forward_sql(settings.TIME_ZONE):
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in backward_sql():
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0018_search_bigrams")]
    operations = [migrations.RunPython(forward, backward)]

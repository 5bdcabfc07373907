"""The kept monthly figures' UPDATE trigger (migration 0019), cheaper where the periodic
sweeps write 10,000 complaints at a time (issue 17): it was half the time of their UPDATEs.

- A row has changed when one of the columns the figures read differs, compared column by
  column; 0019 turned both versions of every row into JSON to compare them without the
  ignored columns (~60 µs a row). The columns compared are all the complaint's columns but
  those ignored, as they are at this migration: tests/reports/test_summary_store.py checks
  that every column of the model is either compared or ignored, so a column added later
  must be placed in one list or the other (and the function made again).
- A changed complaint's events are re-dated only when a column the event figures read of
  it changed (below).

The event figures (complaints.reports.figures.queries.event_rows) count call-backs, rises in
level and special incidents in the month they happened, by the receiver of their complaint,
among the complaints of the scope (office, department, channel, the customer's tier) that are
not merged duplicates. A change of any other column — the status, level, deadlines or
assignee, which is what the periodic sweeps write to 10,000 complaints at a time — leaves
every event figure as it was: the complaint's own months (received before and after) are
still marked, but its events are no longer looked up, which was ~50,000 index probes per
sweep at a million complaints. And only the events the figures count are looked up (the
predicate of the partial index event_report_time).

`EVENT_COLUMNS` is that list; tests/reports/test_summary_store.py checks that the event
figures' queries read no other column of the complaints.
"""

import importlib

from django.db import migrations

summary = importlib.import_module("complaints.migrations.0019_monthly_summary")

# the complaint columns the event figures read (besides the id, and close_reason compared
# with 'merged'), whatever the scope
EVENT_COLUMNS = ("office_id", "department_id", "channel", "customer_id", "received_by_id")
COUNTED_EVENT = "e.kind = 'callback_recorded' OR e.to_level > e.from_level OR e.kind = 'special_incident_flagged'"


def _updated(changed_when: str, events_when: str, counted: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION complaints_summary_complaints_updated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            WITH changed AS (
                SELECT coalesce(n.id, o.id) AS id, o.received_at AS old_at, n.received_at AS new_at,
                       {events_when} AS events_too
                FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
                WHERE {changed_when}
            )
            INSERT INTO complaints_summary_change (month)
            SELECT complaints_summary_month(old_at) FROM changed WHERE old_at IS NOT NULL
            UNION
            SELECT complaints_summary_month(new_at) FROM changed WHERE new_at IS NOT NULL
            UNION
            SELECT complaints_summary_month(e.created_at)
            FROM complaints_complaintevent e JOIN changed c ON e.complaint_id = c.id
            WHERE c.events_too AND ({counted});
            RETURN NULL;
        END $$
        """


def _differ(columns: list[str] | tuple[str, ...], *extra: str) -> str:
    def row(alias: str) -> str:
        return "ROW(" + ", ".join([*(f"{alias}.{c}" for c in columns), *(e.format(alias) for e in extra)]) + ")"

    return f"{row('o')} IS DISTINCT FROM {row('n')}"


def compared_columns(apps) -> list[str]:
    """The complaint's columns the figures may read: all but the ignored ones."""
    complaint = apps.get_model("complaints", "Complaint")
    return [f.column for f in complaint._meta.concrete_fields if f.column not in summary.COMPLAINT_COLUMNS_IGNORED]


MERGED = "{}.close_reason = 'merged'"  # a merged duplicate's events count for no one


def forward_sql(columns: list[str]) -> str:
    events_when = f"(o.id IS NULL OR n.id IS NULL OR {_differ(EVENT_COLUMNS, MERGED)})"
    return _updated(_differ(columns), events_when, COUNTED_EVENT)


# 0019's: the rows compared as JSON without the ignored columns, every changed complaint's every event
_IGNORED = "ARRAY[" + ", ".join(summary._literal(c) for c in summary.COMPLAINT_COLUMNS_IGNORED) + "]::text[]"
BACKWARD = _updated(f"(to_jsonb(o) - {_IGNORED}) IS DISTINCT FROM (to_jsonb(n) - {_IGNORED})", "true", "true")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(forward_sql(compared_columns(apps)), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0022_complaint_search_table")]
    operations = [migrations.RunPython(forward, backward)]

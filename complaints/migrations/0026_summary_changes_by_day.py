"""The kept monthly summary's change log by day (issue 17): a month's figures were computed
again, ten queries over the whole month (~0.3 s at 41,000 complaints), after any change in the
month — and every intake changes the current one. The triggers of migrations 0019 and 0023
name the period a change touches with `complaints_summary_month(at)`; it now gives the local
*day* of `at` (in the same time zone), so every trigger logs the day it touches, unchanged.

- A month's version is the sum of the rows of its days (complaints.reports.summary reads it by
  range): it still grows with every change in the month and with nothing else. The rows logged
  before this migration, dated the first of their month, count for that day and that month.
- A day's version is the sum of its rows: the kept summary keeps a *day piece* of each day
  (complaints.reports.figures.days) and computes again only the days changed since.
- The column keeps its name `month` (the day's month is the month of the day; every trigger
  and the compaction name it), and 0001-01-01 still stands for the names of every month.

Backward: the function gives the month again, the rows are dated the first of their month
(the versions of the months stay what they are) and the day pieces are dropped."""

from django.db import migrations

KEPT_DAY = "day"  # complaints.reports.summary.DAY: the kind of a kept day piece


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _function(schema_editor, unit: str) -> None:
    """complaints_summary_month(at) cutting `at` by `unit` ("day" or "month") in the time zone
    of migration 0019, which the triggers have always cut periods in."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT complaints_summary_zone()")
        zone = _literal(cursor.fetchone()[0])
    cut = f"(at AT TIME ZONE {zone})::date" if unit == "day" else f"date_trunc('month', at AT TIME ZONE {zone})::date"
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION complaints_summary_month(at timestamptz) RETURNS date "
        f"LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT {cut} $$",
        params=None,
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _function(schema_editor, "day")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _function(schema_editor, "month")
        schema_editor.execute(
            "UPDATE complaints_summary_change SET month = date_trunc('month', month)::date "
            "WHERE month <> date_trunc('month', month)::date",
            params=None,
        )
        schema_editor.execute(f"DELETE FROM complaints_summary_part WHERE kind = {_literal(KEPT_DAY)}", params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0025_linear_search_bigrams")]
    operations = [migrations.RunPython(forward, backward)]

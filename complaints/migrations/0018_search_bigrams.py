"""Chinese search at a million complaints (issue 17). Most Chinese words are two characters,
and pg_trgm cannot serve a pattern shorter than three: `UPPER(subject) LIKE '%漏水%'` scanned
every row. `helpdesk_search_bigrams(text)` makes a tsvector of the text's two-character pieces
(upper-cased, as the LIKEs compare); a GIN index over the bigrams of the searched columns lets
a two-character search ask `… @@ '漏水'::tsquery` instead of the LIKEs (the same rows), so
PostgreSQL reads only the rows holding that bigram (complaints.selectors.bigram_lookup); the
customers' names likewise. A tsvector rather
than a text[]: GIN answers `@@` without rechecking each row (the function is not run again on
the rows it finds), and ANALYZE keeps the bigrams' frequencies for the planner, which then
walks the newest complaints for a common word and uses the index for a rare one.
On other databases this migration does nothing (the LIKEs alone are exact there)."""

from django.db import migrations, models

FUNCTION = """
CREATE OR REPLACE FUNCTION helpdesk_search_bigrams(value text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  u text := upper(value);
  n int := char_length(u);
  pieces text[] := array_fill(''::text, ARRAY[greatest(n - 1, 0)]);
BEGIN
  FOR i IN 1 .. n - 1 LOOP
    pieces[i] := substr(u, i, 2);
  END LOOP;
  RETURN array_to_tsvector(pieces);
END
$$
"""
# The searched text of a complaint, one expression shared by the index and the query.
INDEX = (
    "CREATE INDEX IF NOT EXISTS complaint_search_bigrams ON complaints_complaint USING gin "
    "(helpdesk_search_bigrams(subject || ' ' || description || ' ' || complainant_name || ' ' || incident_place))"
)


CUSTOMER_INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_search_bigrams ON customers_customer USING gin (helpdesk_search_bigrams(name))"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(INDEX, params=None)
        schema_editor.execute(CUSTOMER_INDEX, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS complaint_search_bigrams", params=None)
        schema_editor.execute("DROP INDEX IF EXISTS customer_search_bigrams", params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS helpdesk_search_bigrams(text)", params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0017_outside_bodies_special_incidents")]
    operations = [
        migrations.RunPython(forward, backward),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(fields=["assignee", "-received_at", "-id"], name="complaint_assignee_recent"),
        ),
    ]

"""Chinese search at a million complaints (issue 17). Most Chinese words are two characters,
and pg_trgm cannot serve a pattern shorter than three: `UPPER(subject) LIKE '%漏水%'` scanned
every row. `helpdesk_bigrams(text)` returns the distinct two-character pieces of a text
(upper-cased, as the LIKEs compare); a GIN index over the bigrams of the searched columns lets
the list add `helpdesk_bigrams(subject || …) @> helpdesk_bigrams('漏水')` before the unchanged
LIKEs, so PostgreSQL reads only the rows holding every bigram of the query (complaints.search).
On other databases this migration does nothing (the LIKEs alone are exact there)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION helpdesk_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(u, i, 2)), '{}')
  FROM (SELECT upper(value) AS u) s, generate_series(1, greatest(char_length(u) - 1, 0)) AS i
  WHERE substr(u, i, 2) !~ '\\s'
$$
"""
# The searched text of a complaint, one expression shared by the index and the query.
INDEX = (
    "CREATE INDEX IF NOT EXISTS complaint_search_bigrams ON complaints_complaint USING gin "
    "(helpdesk_bigrams(subject || ' ' || description || ' ' || complainant_name || ' ' || incident_place))"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(INDEX, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS complaint_search_bigrams", params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS helpdesk_bigrams(text)", params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0017_outside_bodies_special_incidents")]
    operations = [migrations.RunPython(forward, backward)]

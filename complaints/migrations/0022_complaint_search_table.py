"""The searched text of each complaint in a table of its own (issue 17), with its search
indexes, instead of five GIN indexes on the complaints themselves.

Every change of a complaint's status writes a new version of its row, and PostgreSQL then
adds an entry to each of the table's indexes — to a GIN index over text, one per trigram or
bigram of that text: a hundred or so for each of the four searched columns. The sweeps change
10,000 complaints at a time, and half of their time went there. The searched text (subject,
description, complainant's name, place) changes only when someone edits one of them, so it
lives in `complaint_search`, one row per complaint, kept by triggers on the complaints:

- after an INSERT, and after an UPDATE that changes one of the four columns, the row is
  (re)written — `UPDATE OF` those columns, so a status change does not even call the trigger;
- after a DELETE the row goes, and a TRUNCATE empties the table (the tests' flush).

`text` is the four columns upper-cased (as the LIKEs compare) and joined by U+001F, a control
character no search holds (complaints.selectors.text_search_q), so a match never straddles
two columns: a search finds exactly what the four LIKEs on the complaints found. Its indexes:
trigrams (pg_trgm, migration 0004) for searches of three characters or more, and the bigram
index of migration 0018 for two-character words (same name, so its statistics keep telling a
common word from a rare one). A common word is still found by walking the newest complaints
with the LIKEs on their columns: statistics of the four upper-cased columns (what the dropped
indexes' own statistics were) let the planner see that such a walk soon fills a page. On
other databases this migration does nothing: the LIKEs on
the complaints are the search there.
"""

from django.db import migrations

TEXT_FUNCTION = r"""
CREATE OR REPLACE FUNCTION helpdesk_searched_text(subject text, description text, name text, place text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT upper(coalesce(subject, '') || chr(31) || coalesce(description, '') || chr(31)
               || coalesce(name, '') || chr(31) || coalesce(place, ''))
$$
"""

TABLE = """
CREATE TABLE IF NOT EXISTS complaint_search (
  complaint_id bigint PRIMARY KEY,
  text text NOT NULL
)
"""

TRIGGERS = r"""
CREATE OR REPLACE FUNCTION complaint_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO complaint_search (complaint_id, text)
  VALUES (NEW.id, helpdesk_searched_text(NEW.subject, NEW.description, NEW.complainant_name, NEW.incident_place))
  ON CONFLICT (complaint_id) DO UPDATE SET text = EXCLUDED.text;
  RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION complaint_search_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM complaint_search WHERE complaint_id = OLD.id;
  RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION complaint_search_empty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE complaint_search;
  RETURN NULL;
END
$$;
CREATE TRIGGER complaint_search_insert AFTER INSERT ON complaints_complaint
  FOR EACH ROW EXECUTE FUNCTION complaint_search_write();
CREATE TRIGGER complaint_search_update
  AFTER UPDATE OF subject, description, complainant_name, incident_place ON complaints_complaint
  FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.description IS DISTINCT FROM NEW.description
                     OR OLD.complainant_name IS DISTINCT FROM NEW.complainant_name
                     OR OLD.incident_place IS DISTINCT FROM NEW.incident_place)
  EXECUTE FUNCTION complaint_search_write();
CREATE TRIGGER complaint_search_delete AFTER DELETE ON complaints_complaint
  FOR EACH ROW EXECUTE FUNCTION complaint_search_forget();
CREATE TRIGGER complaint_search_truncate AFTER TRUNCATE ON complaints_complaint
  FOR EACH STATEMENT EXECUTE FUNCTION complaint_search_empty();
"""

FILL = (
    "INSERT INTO complaint_search (complaint_id, text) "
    "SELECT id, helpdesk_searched_text(subject, description, complainant_name, incident_place) "
    "FROM complaints_complaint ORDER BY id"
)

COLUMNS = ["subject", "description", "complainant_name", "incident_place"]
OLD_INDEXES = [f"complaint_trgm_{col}" for col in COLUMNS] + ["complaint_search_bigrams"]
# the estimates of `UPPER(column) LIKE …` the planner had from the dropped expression indexes
STATISTICS = [
    f"CREATE STATISTICS IF NOT EXISTS complaint_upper_{col} ON (UPPER({col}::text)) FROM complaints_complaint"
    for col in COLUMNS
]
# seed_bench (benchmarks) rebuilds these after its load, as it does every secondary index
INDEXES = [
    "CREATE INDEX IF NOT EXISTS complaint_search_trgm ON complaint_search USING gin (text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS complaint_search_bigrams ON complaint_search USING gin (helpdesk_search_bigrams(text))",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in (TEXT_FUNCTION, TABLE, TRIGGERS, FILL):
        schema_editor.execute(sql, params=None)
    for name in OLD_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}", params=None)
    for sql in INDEXES + STATISTICS:
        schema_editor.execute(sql, params=None)
    schema_editor.execute("ANALYZE complaint_search", params=None)
    schema_editor.execute("ANALYZE complaints_complaint", params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in (
        "DROP TRIGGER IF EXISTS complaint_search_insert ON complaints_complaint",
        "DROP TRIGGER IF EXISTS complaint_search_update ON complaints_complaint",
        "DROP TRIGGER IF EXISTS complaint_search_delete ON complaints_complaint",
        "DROP TRIGGER IF EXISTS complaint_search_truncate ON complaints_complaint",
        "DROP TABLE IF EXISTS complaint_search",
        "DROP FUNCTION IF EXISTS complaint_search_write()",
        "DROP FUNCTION IF EXISTS complaint_search_forget()",
        "DROP FUNCTION IF EXISTS complaint_search_empty()",
        "DROP FUNCTION IF EXISTS helpdesk_searched_text(text, text, text, text)",
        *(f"DROP STATISTICS IF EXISTS complaint_upper_{col}" for col in COLUMNS),
        *(
            f"CREATE INDEX IF NOT EXISTS complaint_trgm_{col} ON complaints_complaint "
            f"USING gin (UPPER({col}::text) gin_trgm_ops)"
            for col in COLUMNS
        ),
        "CREATE INDEX IF NOT EXISTS complaint_search_bigrams ON complaints_complaint USING gin "
        "(helpdesk_search_bigrams(subject || ' ' || description || ' ' || complainant_name || ' ' || incident_place))",
    ):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0021_open_complaints_index")]
    operations = [migrations.RunPython(forward, backward)]

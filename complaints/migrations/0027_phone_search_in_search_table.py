"""The complaints' phone numbers searched in `complaint_search` (migration 0022), not through a
trigram index on the complaints themselves (issue 17).

A search for four digits or more finds the complaints whose phone contains them
(complaints.selectors: "5678", the last digits a caller gives) through a GIN index of the
phone's trigrams, which was on complaints_complaint. Every change of a complaint's status or
level writes a new version of its row, and PostgreSQL adds an entry for each trigram of its
phone (a dozen for a mobile number) to that index: the sweeps change 10,000 complaints at a
time, and the index was ~0.3 s of each sweep's ~1.3 s at a million complaints (0.82 → 0.55 s
for the UPDATEs of R-T1 on a copy without it). A complaint's phone changes only when someone
corrects it, so it joins the searched text in `complaint_search` — a column `phone`, as stored
(helpdesk.phones normalises it), written by the same trigger, now also `UPDATE OF
contact_phone` — with the trigram index there (only rows with a phone).

On other databases this migration does nothing: the search looks at the complaints' column.
"""

from django.db import migrations

WRITE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION complaint_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO complaint_search (complaint_id, text, phone)
  VALUES (NEW.id, helpdesk_searched_text(NEW.subject, NEW.description, NEW.complainant_name, NEW.incident_place),
          coalesce(NEW.contact_phone, ''))
  ON CONFLICT (complaint_id) DO UPDATE SET text = EXCLUDED.text, phone = EXCLUDED.phone;
  RETURN NULL;
END
$$
"""
UPDATE_TRIGGER = """
CREATE TRIGGER complaint_search_update
  AFTER UPDATE OF subject, description, complainant_name, incident_place, contact_phone ON complaints_complaint
  FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.description IS DISTINCT FROM NEW.description
                     OR OLD.complainant_name IS DISTINCT FROM NEW.complainant_name
                     OR OLD.incident_place IS DISTINCT FROM NEW.incident_place
                     OR OLD.contact_phone IS DISTINCT FROM NEW.contact_phone)
  EXECUTE FUNCTION complaint_search_write()
"""
# seed_bench (benchmarks) rebuilds it after its load, as it does every secondary index
PHONE_INDEX = "CREATE INDEX IF NOT EXISTS complaint_search_phone ON complaint_search USING gin (phone gin_trgm_ops) WHERE phone <> ''"

# 0022's, for going back
OLD_WRITE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION complaint_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO complaint_search (complaint_id, text)
  VALUES (NEW.id, helpdesk_searched_text(NEW.subject, NEW.description, NEW.complainant_name, NEW.incident_place))
  ON CONFLICT (complaint_id) DO UPDATE SET text = EXCLUDED.text;
  RETURN NULL;
END
$$
"""
OLD_UPDATE_TRIGGER = """
CREATE TRIGGER complaint_search_update
  AFTER UPDATE OF subject, description, complainant_name, incident_place ON complaints_complaint
  FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.description IS DISTINCT FROM NEW.description
                     OR OLD.complainant_name IS DISTINCT FROM NEW.complainant_name
                     OR OLD.incident_place IS DISTINCT FROM NEW.incident_place)
  EXECUTE FUNCTION complaint_search_write()
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in (
        "ALTER TABLE complaint_search ADD COLUMN IF NOT EXISTS phone text NOT NULL DEFAULT ''",
        "UPDATE complaint_search s SET phone = c.contact_phone FROM complaints_complaint c "
        "WHERE c.id = s.complaint_id AND c.contact_phone <> ''",
        WRITE_FUNCTION,
        "DROP TRIGGER IF EXISTS complaint_search_update ON complaints_complaint",
        UPDATE_TRIGGER,
        PHONE_INDEX,
        "DROP INDEX IF EXISTS complaint_trgm_contact_phone",
        "ANALYZE complaint_search",
    ):
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in (
        "CREATE INDEX IF NOT EXISTS complaint_trgm_contact_phone ON complaints_complaint "
        "USING gin (contact_phone gin_trgm_ops)",
        "DROP TRIGGER IF EXISTS complaint_search_update ON complaints_complaint",
        OLD_UPDATE_TRIGGER,
        OLD_WRITE_FUNCTION,
        "DROP INDEX IF EXISTS complaint_search_phone",
        "ALTER TABLE complaint_search DROP COLUMN IF EXISTS phone",
    ):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0026_summary_changes_by_day")]
    operations = [migrations.RunPython(forward, backward)]

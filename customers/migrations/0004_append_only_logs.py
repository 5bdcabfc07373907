"""R-CU1 / R-CU5: the tier history and the archive access log are append-only in the
database too (UPDATE, DELETE and TRUNCATE refused on PostgreSQL; see helpdesk/db.py)."""

from django.db import migrations

from helpdesk.db import AppendOnlyTrigger


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_normalise_phones")]
    operations = [
        AppendOnlyTrigger("customers_tierchange"),
        AppendOnlyTrigger("customers_archiveaccess"),
    ]

"""A visit plan's history is append-only: a plan with events can no longer be deleted
(PROTECT, not CASCADE), and on PostgreSQL the table refuses UPDATE, DELETE and TRUNCATE."""

import django.db.models.deletion
from django.db import migrations, models

from helpdesk.db import AppendOnlyTrigger


class Migration(migrations.Migration):
    dependencies = [("followups", "0002_rename_holiday_visitholiday")]
    operations = [
        migrations.AlterField(
            model_name="visitplanevent",
            name="plan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="events", to="followups.visitplan"
            ),
        ),
        AppendOnlyTrigger("followups_visitplanevent"),
    ]

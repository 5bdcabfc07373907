"""Complainants' phone numbers in their canonical stored form (helpdesk.phones), so that R-T4,
the list search and the repeat-complainant figure see one person written two ways as one."""

from django.db import migrations

import helpdesk.fields
from helpdesk.phones import normalize_phone

BATCH = 500


def normalise_phones(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    manager = Complaint._base_manager.using(schema_editor.connection.alias)
    last = 0
    while True:
        rows = list(
            manager.filter(pk__gt=last).exclude(contact_phone="").order_by("pk").only("pk", "contact_phone")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1].pk
        changed = []
        for row in rows:
            value = normalize_phone(row.contact_phone)
            if value != row.contact_phone:
                row.contact_phone = value
                changed.append(row)
        manager.bulk_update(changed, ["contact_phone"])


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0008_training_cases_and_report_permissions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="complaint",
            name="contact_phone",
            field=helpdesk.fields.PhoneField(blank=True, max_length=40, verbose_name="phone"),
        ),
        migrations.RunPython(normalise_phones, migrations.RunPython.noop, elidable=True),
    ]

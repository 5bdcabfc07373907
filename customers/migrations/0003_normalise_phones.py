"""Customers' phone numbers in their canonical stored form (helpdesk.phones), so that the
customer search and the complaints' matching see one number written two ways as one."""

from django.db import migrations

import helpdesk.fields
from helpdesk.phones import normalize_phone

BATCH = 500


def normalise_phones(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    manager = Customer._base_manager.using(schema_editor.connection.alias)
    last = 0
    while True:
        rows = list(manager.filter(pk__gt=last).exclude(phone="").order_by("pk").only("pk", "phone")[:BATCH])
        if not rows:
            break
        last = rows[-1].pk
        changed = []
        for row in rows:
            value = normalize_phone(row.phone)
            if value != row.phone:
                row.phone = value
                changed.append(row)
        manager.bulk_update(changed, ["phone"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_confidential_archive"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customer",
            name="phone",
            field=helpdesk.fields.PhoneField(blank=True, max_length=40, verbose_name="phone"),
        ),
        migrations.RunPython(normalise_phones, migrations.RunPython.noop, elidable=True),
    ]

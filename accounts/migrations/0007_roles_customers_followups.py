"""Issue 4: the confidential customer archive, visits and visit plans, surveys, front-desk logs."""

from django.db import migrations


def sync(apps, schema_editor):
    from accounts.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_roles_reports_training"),
        ("customers", "0002_confidential_archive"),
        ("followups", "0001_initial"),
    ]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]

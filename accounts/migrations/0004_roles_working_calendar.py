"""Managers edit the working calendar (complaints 0006): re-sync the role permissions."""

from django.db import migrations


def sync(apps, schema_editor):
    from accounts.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_roles"), ("complaints", "0006_working_calendar")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]

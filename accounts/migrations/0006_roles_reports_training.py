"""Supervisors see dashboards and mark training cases; managers download the monthly summary."""

from django.db import migrations


def sync(apps, schema_editor):
    from accounts.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_roles_api_tokens"), ("complaints", "0008_training_cases_and_report_permissions")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]

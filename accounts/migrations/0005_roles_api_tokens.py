"""Managers manage the API tokens of integrations: re-sync the role permissions."""

from django.db import migrations


def sync(apps, schema_editor):
    from accounts.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_roles_working_calendar"), ("authtoken", "0004_alter_tokenproxy_options")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]

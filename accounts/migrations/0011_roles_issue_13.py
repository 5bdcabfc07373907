"""The role groups with the permissions of issue 13: agents, supervisors and the
customer-information role see every complaint of their office (`view_office_complaints`), a
department handler only their department's; special incidents; the executive role (read-only
dashboards and monthly summaries across offices, the senior visits on their agenda)."""

from django.db import migrations


def sync(apps, schema_editor):
    from accounts.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_office_duty_language_executive"),
        ("complaints", "0017_outside_bodies_special_incidents"),
        ("notifications", "0006_issue_13_kinds"),
    ]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]

"""The role groups with the permissions of issue 14: messages for absent colleagues (everyone),
merging duplicates (supervisors, managers), the performance review and its samples (managers),
credit evaluations and the churn analysis (managers and the customer-information role)."""

from django.db import migrations


def sync(apps, schema_editor):
    from accounts.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_roles_renamed_holidays"),
        ("complaints", "0016_merged_duplicates"),
        ("customers", "0007_credit_evaluations"),
        ("followups", "0005_messages_and_kpi_samples"),
    ]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]

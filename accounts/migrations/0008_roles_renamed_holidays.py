"""The role groups after the renames complaints.Holiday → CalendarHoliday and
followups.Holiday → VisitHoliday (their permissions' codenames changed with them)."""

from django.db import migrations


def sync(apps, schema_editor):
    from accounts.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_roles_customers_followups"),
        ("complaints", "0010_rename_holiday_calendarholiday"),
        ("followups", "0002_rename_holiday_visitholiday"),
    ]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]

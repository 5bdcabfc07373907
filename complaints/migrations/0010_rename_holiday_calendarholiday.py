"""The working calendar's `Holiday` is `CalendarHoliday`: days off and make-up working days,
not the visit-holiday list of follow-ups (`followups.VisitHoliday`). Django renames the table
and the content type; the permissions' codenames (`view_holiday` …) follow here, so groups and
users keep what they were granted."""

from django.db import migrations

ACTIONS = ("add", "change", "delete", "view")


def _rename_permissions(app_label: str, old: str, new: str):
    def run(apps, schema_editor):
        Permission = apps.get_model("auth", "Permission")
        perms = Permission.objects.using(schema_editor.connection.alias).filter(content_type__app_label=app_label)
        for action in ACTIONS:
            if not perms.filter(codename=f"{action}_{new}").exists():
                perms.filter(codename=f"{action}_{old}").update(codename=f"{action}_{new}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("complaints", "0009_normalise_phones"),
    ]
    operations = [
        migrations.RenameModel(old_name="Holiday", new_name="CalendarHoliday"),
        migrations.RunPython(
            _rename_permissions("complaints", "holiday", "calendarholiday"),
            _rename_permissions("complaints", "calendarholiday", "holiday"),
        ),
    ]

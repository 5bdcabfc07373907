"""The visit-holiday list's `Holiday` is `VisitHoliday`: the days on which every customer gets
an account-manager visit (R-CU3), not the working calendar's days off
(`complaints.CalendarHoliday`). Django renames the table and the content type; the
permissions' codenames (`view_holiday` …) follow here, so groups and users keep them."""

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
        ("followups", "0001_initial"),
    ]
    operations = [
        migrations.RenameModel(old_name="Holiday", new_name="VisitHoliday"),
        migrations.RunPython(
            _rename_permissions("followups", "holiday", "visitholiday"),
            _rename_permissions("followups", "visitholiday", "holiday"),
        ),
    ]

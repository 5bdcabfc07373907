"""Managers may read the notifications in the admin (read-only: view permission only)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE = "manager"
PERMISSION = "view_notification"


def grant(apps, schema_editor):
    app_config = apps.get_app_config("notifications")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="notifications", codename=PERMISSION)
    group, _ = Group.objects.get_or_create(name=ROLE)
    group.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=ROLE):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="notifications", codename=PERMISSION)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("accounts", "0003_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]

"""A new notification kind: an office without an active supervisor, flagged to the managers."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_managers_view_notifications"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="notification",
            name="notification_kind_valid",
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("reply_overdue", "Reply deadline missed"),
                    ("progress_report_due", "Progress report due"),
                    ("completion_overdue", "Committed completion date missed"),
                    ("newer_complaint_linked", "Newer complaint from the same complainant"),
                    ("moved_up", "Moved up"),
                    ("reassigned", "Reassigned"),
                    ("office_without_supervisor", "Office without a supervisor"),
                ],
                max_length=30,
                verbose_name="kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "kind__in",
                        [
                            "reply_overdue",
                            "progress_report_due",
                            "completion_overdue",
                            "newer_complaint_linked",
                            "moved_up",
                            "reassigned",
                            "office_without_supervisor",
                        ],
                    )
                ),
                name="notification_kind_valid",
            ),
        ),
    ]

"""Managers' read-only view of every notification and its e-mail delivery (nothing is added,
changed or deleted here; the `manager` group has `notifications.view_notification`)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "recipient",
        "kind",
        "complaint_reference",
        "message",
        "read_at",
        "email_status",
        "email_attempts",
        "emailed_at",
    )
    list_filter = ("kind", "email_status")
    list_select_related = ("recipient",)
    search_fields = ("recipient__username", "recipient__email", "email_last_error")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        "recipient",
        "complaint_reference",
        "kind",
        "message",
        "data",
        "created_at",
        "read_at",
        "email_status",
        "email_attempts",
        "email_last_error",
        "emailed_at",
    )
    readonly_fields = fields
    list_per_page = 50

    @admin.display(description=_("complaint"), ordering="complaint_id")
    def complaint_reference(self, obj: Notification) -> str:
        return obj.reference

    @admin.display(description=_("message"))
    def message(self, obj: Notification) -> str:
        return obj.message

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

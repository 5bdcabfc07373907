"""Managers' read-only view of every notification and its e-mail delivery (nothing is added,
changed or deleted here; the `manager` group has `notifications.view_notification`), and of
the outbox of notices to complainants, where failed notices can be sent again."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import outbox
from .models import Notice, Notification


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


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """The outbox, read-only: the list shows the address masked (139****5678). "Send again" puts
    failed notices back (`outbox.send_again`), for whoever has `notifications.change_notice`."""

    list_display = ("created_at", "channel", "masked_to", "kind", "status", "attempts", "complaint_reference")
    list_filter = ("channel", "status", "kind")
    search_fields = ("=to",)  # the whole number or address, exactly
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    actions = ["send_again"]
    fields = (
        "channel",
        "to",
        "language",
        "kind",
        "complaint_reference",
        "subject",
        "body",
        "body_html",
        "created_at",
        "not_before",
        "status",
        "attempts",
        "last_error",
        "sent_at",
        "parts",
    )
    readonly_fields = fields
    list_per_page = 50

    @admin.display(description=_("to"))
    def masked_to(self, obj: Notice) -> str:
        return obj.masked_to

    @admin.display(description=_("complaint"), ordering="complaint_id")
    def complaint_reference(self, obj: Notice) -> str:
        return f"#{obj.complaint_id}" if obj.complaint_id else "—"

    @admin.action(description=_("Send again"), permissions=["resend"])
    def send_again(self, request, queryset) -> None:
        selected = list(queryset.values_list("pk", flat=True))
        count = outbox.send_again(selected)
        if count:
            self.message_user(
                request,
                ngettext(
                    "%(count)d failed notice will be sent again.", "%(count)d failed notices will be sent again.", count
                )
                % {"count": count},
                messages.SUCCESS,
            )
        if count < len(selected):
            self.message_user(
                request,
                ngettext(
                    "%(count)d notice was left alone: only failed notices can be sent again.",
                    "%(count)d notices were left alone: only failed notices can be sent again.",
                    len(selected) - count,
                )
                % {"count": len(selected) - count},
                messages.WARNING,
            )

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("notifications.change_notice")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

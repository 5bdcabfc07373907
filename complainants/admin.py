"""The complainant's side in the admin: read-only records (preferences and consent, private
links — their hashes only — and the e-mails taken in). Links are revoked from the complaint
page (complainants/views_staff.py), which writes the event."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from helpdesk.admin_tools import ReadOnlyAdminMixin

from .models import AccessToken, ComplainantAccess, InboundEmail


@admin.register(ComplainantAccess)
class ComplainantAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["complaint", "source", "language", "notices_stopped_at", "consent_version", "consented_at"]
    list_filter = ["source", "language", "consent_version"]
    list_select_related = ["complaint"]
    search_fields = ["complaint__id"]
    raw_id_fields = ["complaint"]


@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["complaint_id", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["complaint__id"]
    exclude = ["nonce", "token_hash"]  # neither opens anything, but there is nothing to read in them
    raw_id_fields = ["complaint"]


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "outcome", "short_reason", "complaint_id"]
    list_filter = ["outcome"]
    search_fields = ["message_id", "complaint__id"]
    raw_id_fields = ["complaint"]
    date_hierarchy = "received_at"

    @admin.display(description=_("reason"))
    def short_reason(self, obj: InboundEmail) -> str:
        return obj.reason[:80]

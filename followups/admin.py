"""The holiday list for holiday visits (R-CU3), visits / visit plans, and phone messages (R-F6) for supervisors."""

from django.contrib import admin

from accounts.access import sees_every_office
from helpdesk.admin_tools import ReadOnlyAdminMixin

from .models import PhoneMessage, Visit, VisitHoliday, VisitPlan


@admin.register(VisitHoliday)
class VisitHolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"
    search_fields = ["name"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: visits are planned by `plan_visits` and recorded on the visit page."""

    list_display = ["due_on", "customer", "visitor_role", "reason", "visitor", "status"]
    list_filter = ["status", "visitor_role", "reason", "customer__tier"]
    list_select_related = ["customer", "visitor"]
    search_fields = ["customer__name"]
    date_hierarchy = "due_on"


@admin.register(VisitPlan)
class VisitPlanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["month", "account_manager", "status", "submitted_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["account_manager", "decided_by"]


@admin.register(PhoneMessage)
class PhoneMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: messages are taken, done and made complaints on the front-desk pages. Scoped
    to the user's office (every office for those who see them all), like the pages."""

    list_display = ["created_at", "office", "caller_name", "for_user", "taken_by", "urgency", "call_back_by", "done_at"]
    list_filter = ["urgency", "office"]
    list_select_related = ["office", "for_user", "taken_by"]
    search_fields = ["caller_name", "contact_phone"]
    date_hierarchy = "created_at"
    raw_id_fields = ["complaint", "customer", "converted_to"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if sees_every_office(request.user):
            return qs
        return qs.filter(office_id=request.user.office_id) if request.user.office_id else qs.none()

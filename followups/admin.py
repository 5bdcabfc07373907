"""The holiday list for holiday visits (R-CU3), and visits / visit plans for supervisors."""

from django.contrib import admin

from helpdesk.admin_tools import ReadOnlyAdminMixin

from .models import Visit, VisitHoliday, VisitPlan


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

"""Customers in the admin (managers and customer-information staff). The tier is changed on
the customer page (`services.change_tier`, recorded with its reason), so it is read-only here
after creation; the archive access log, the tier history and the credit evaluations are
read-only (an evaluation is recorded on the customer page, `services.evaluate_credit`; reading
them is logged like a look at the archive); documents are never served from the admin (only the
logged download view serves them)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from helpdesk.admin_tools import ReadOnlyAdminMixin
from helpdesk.phones import phone_search_digits

from . import access, services
from .models import CONFIDENTIAL_FIELDS, ArchiveAccess, CreditEvaluation, Customer, TierChange


class TierChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TierChange
    extra = 0
    fields = readonly_fields = ["changed_at", "old_tier", "new_tier", "reason", "changed_by"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "contact_person", "phone", "email", "account_manager"]
    list_filter = ["tier"]
    list_select_related = ["account_manager"]
    search_fields = ["name", "contact_person", "phone", "email"]
    inlines = [TierChangeInline]

    def get_readonly_fields(self, request, obj=None):
        return ["tier", "tier_reason"] if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        public = ["name", "tier", "tier_reason", "contact_person", "phone", "email", "address", "account_manager"]
        sets = [(None, {"fields": public})]
        if access.can_view_confidential(request.user):
            sets.append((_("Confidential archive"), {"fields": list(CONFIDENTIAL_FIELDS)}))
        return sets

    def save_model(self, request, obj, form, change):
        if change:
            services.update_customer(obj, by=request.user)  # a new account manager: visits (R-CU3)
        else:
            services.create_customer(obj, by=request.user)  # the new customer's visits (R-CU3)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and access.can_view_confidential(request.user):
            obj = self.get_object(request, object_id)
            if obj is not None:
                access.log_access(request.user, obj.pk, access.AccessAction.VIEW_ARCHIVE)
        return response

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if len(digits := phone_search_digits(search_term, any_text=False)) >= 4:  # "+86 139 1234 5678"
            results |= queryset.filter(phone__contains=digits)
        return results, may_have_duplicates

    def has_delete_permission(self, request, obj=None):
        return False  # nothing a customer said is ever lost


@admin.register(ArchiveAccess)
class ArchiveAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "customer", "action", "document"]
    list_filter = ["action"]
    list_select_related = ["user", "customer", "document"]
    search_fields = ["customer__name", "user__username"]
    date_hierarchy = "at"


@admin.register(CreditEvaluation)
class CreditEvaluationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """R-CU7, for `customers.view_creditevaluation` only (the admin checks it)."""

    list_display = ["evaluated_on", "customer", "rating", "evaluated_by", "created_at"]
    list_filter = ["rating"]
    list_select_related = ["customer", "evaluated_by"]
    search_fields = ["customer__name"]
    date_hierarchy = "evaluated_on"
    fields = ["customer", "rating", "basis", "evaluated_on", "evaluated_by", "created_at"]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:  # each customer whose ratings were listed: one look, one query
            customers = {e.customer_id for e in changelist.result_list}
            ArchiveAccess.objects.bulk_create(
                ArchiveAccess(user=request.user, customer_id=pk, action=access.AccessAction.VIEW_ARCHIVE)
                for pk in sorted(customers)
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and (obj := self.get_object(request, object_id)) is not None:
            access.log_access(request.user, obj.customer_id, access.AccessAction.VIEW_ARCHIVE)
        return response

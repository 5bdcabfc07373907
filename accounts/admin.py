from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Office, User


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_head_office"]
    search_fields = ["name", "code"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "office", "department", "is_staff", "is_active"]
    list_filter = ["office", "department", "groups", "is_staff", "is_active"]
    list_select_related = ["office", "department"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (_("Service centre"), {"fields": ("office", "department")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Service centre"), {"fields": ("office", "department")}))

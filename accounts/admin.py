from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Office, Role, User


def office_supervisors(office: Office | None) -> QuerySet[User]:
    """The active supervisors of `office` (none for an office not saved yet)."""
    if office is None or office.pk is None:
        return User.objects.none()
    return User.objects.filter(office=office, is_active=True, groups__name=Role.SUPERVISOR).order_by(
        "first_name", "last_name", "username"
    )


class OfficeForm(forms.ModelForm):
    """The supervisor on duty (R-T1's receiver at level 1) is one of the office's own active
    supervisors: the choices offer only them, and a posted id of anyone else is refused."""

    class Meta:
        model = Office
        fields = ["name", "code", "is_head_office", "supervisor_on_duty"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["supervisor_on_duty"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = office_supervisors(self.instance)  # also what a posted id is checked against
            field.error_messages["invalid_choice"] = _("Choose an active supervisor of this office.")


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    form = OfficeForm
    list_display = ["name", "code", "is_head_office", "supervisor_on_duty"]
    list_select_related = ["supervisor_on_duty"]
    search_fields = ["name", "code"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "office", "department", "is_staff", "is_active"]
    list_filter = ["office", "department", "groups", "is_staff", "is_active"]
    list_select_related = ["office", "department"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Service centre"), {"fields": ("office", "department", "language", "executive_post")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Service centre"), {"fields": ("office", "department", "language", "executive_post")}),
    )

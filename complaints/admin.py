"""The supervisor's admin: review escalations, reassign and move complaints up.

Complaints and their events are read-only here. Every change goes through the lifecycle
methods (`complaint.reassign()`, `complaint.move_up()`) from the two admin actions, and
every list is scoped by `complaints_visible_to(user)`, so a complaint of another office is
as missing in the admin as it is everywhere else.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.access import sees_every_office
from helpdesk.admin_tools import ReadOnlyAdminMixin
from helpdesk.phones import phone_search_digits

from . import rules
from .choices import MAX_ESCALATION_LEVEL, EscalationCause, OutsideBodyKind
from .exceptions import InvalidTransition
from .forms import OUTSIDE_BODY_FIELDS
from .models import Category, Complaint, ComplaintAttachment, ComplaintEvent, Department
from .outside_bodies import OUTSIDE_BODY_RECORD
from .selectors import complaints_visible_to, phone_contains_q
from .special_incidents import SPECIAL_INCIDENT_RECORD

User = get_user_model()


# --------------------------------------------------------------------------- filters
class OverdueFilter(admin.SimpleListFilter):
    """R-T1/R-T3: open and past the reply time without a reply, or past the committed
    completion date (the same rule as `Complaint.objects.overdue()`)."""

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(Complaint.objects.overdue_q())
        if self.value() == "no":
            return queryset.exclude(Complaint.objects.overdue_q())
        return queryset


# ------------------------------------------------------------- action forms
def staff_choices_for(user) -> QuerySet:
    """Who a complaint may be handed to from the admin: the active staff of the user's
    office, or of every office for a user who sees them all (managers)."""
    qs = User.objects.filter(is_active=True).select_related("office")
    if not sees_every_office(user):
        qs = qs.filter(office_id=user.office_id) if user.office_id else qs.none()
    return qs.order_by("office__name", "first_name", "last_name", "username")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj} ({obj.office})" if obj.office_id else str(obj)


class ReassignForm(forms.Form):
    assignee = StaffChoiceField(label=_("New assignee"), queryset=User.objects.none())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_choices_for(user)


class MoveUpForm(forms.Form):
    cause = forms.ChoiceField(label=_("Cause"), choices=[("", "---------"), *EscalationCause.choices])
    to_user = StaffChoiceField(
        label=_("Moved up to"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Optional: the person who takes the complaint over at the new level."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # R-C8 level 3: a complaint moved up from level 2 goes to an outside body (refused without one)
    outside_body_kind = forms.ChoiceField(
        label=_("Outside body"),
        required=False,
        choices=[("", "---------"), *OutsideBodyKind.choices],
        help_text=_("For the complaints moving up to level 3 (outside bodies) only."),
    )
    outside_body_name = forms.CharField(label=_("Outside body's name"), required=False, max_length=200)
    outside_body_contact = forms.CharField(label=_("Outside body's contact"), required=False, max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = staff_choices_for(user)


# ------------------------------------------------------------------ inlines
class ComplaintEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The complaint's history (R-C11), read-only: events are never edited or deleted."""

    model = ComplaintEvent
    fields = ["created_at", "actor", "kind", "from_status", "to_status", "from_level", "to_level", "note"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class ComplaintAttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Photos and documents of the steps (issue 11), read-only: never deleted, a wrong one is
    withdrawn from the complaint page (a new event). Files are opened there, never from here."""

    model = ComplaintAttachment
    fk_name = "complaint"
    fields = [
        "uploaded_at",
        "event",
        "kind",
        "original_name",
        "size",
        "sha256",
        "safe_for_training",
        "withdrawn_by_event",
    ]
    readonly_fields = fields
    ordering = ["event_id", "id"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event", "withdrawn_by_event")


# --------------------------------------------------------------- complaints
@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference_display",
        "received_at",
        "channel",
        "complainant",
        "category",
        "status",
        "escalation_level",
        "assignee",
        "department",
        "reply_due_at",
        "overdue_marker",
    ]
    list_display_links = ["reference_display"]
    list_filter = ["escalation_level", OverdueFilter, "status", "channel", "department"]
    list_select_related = ["category", "assignee", "department", "customer"]
    search_fields = ["complainant_name", "contact_phone", "customer__name", "customer__phone", "subject", "description"]
    search_help_text = _("Complainant, phone, customer, subject, description or #reference.")
    ordering = ["-received_at", "-id"]
    actions = ["reassign_selected", "move_up_selected"]
    inlines = [ComplaintEventInline, ComplaintAttachmentInline]
    fieldsets = [
        (_("Intake"), {"fields": ["reference_display", "office", "channel", "received_by", "received_at"]}),
        (
            _("Complainant"),
            {
                "fields": [
                    "customer",
                    "complainant_name",
                    "is_anonymous",
                    "contact_phone",
                    "contact_email",
                    "contact_qq",
                    "contact_wechat",
                ]
            },
        ),
        (
            _("Case file"),
            {
                "fields": [
                    "incident_at",
                    "incident_place",
                    "persons_involved",
                    "subject",
                    "description",
                    "category",
                    "is_emotional",
                    "is_sensitive",
                    "is_training_case",
                ]
            },
        ),
        (
            _("Progress and deadlines"),
            {
                "fields": [
                    "status",
                    "close_reason",
                    "escalation_level",
                    "assignee",
                    "department",
                    "reply_due_at",
                    "overdue_marker",
                    "first_replied_at",
                    "last_progress_at",
                    "committed_completion_at",
                    "resolved_at",
                    "callback_declined_at",
                    "closed_at",
                    "updated_at",
                ]
            },
        ),
        (
            _("Outcome"),
            {"fields": ["findings", "solution", "resolution", "apologised", "signoff_name", "signed_off_at"]},
        ),
        (
            _("Outside body (level 3)"),
            {
                "fields": OUTSIDE_BODY_RECORD,
                "classes": ["collapse"],
            },
        ),
        (
            _("Special incident"),
            {
                "fields": SPECIAL_INCIDENT_RECORD,
                "classes": ["collapse"],
            },
        ),
    ]

    # -- scope: the one permission-aware selector
    def get_queryset(self, request):
        qs = complaints_visible_to(request.user).with_overdue()  # the overdue column, without a query per row
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if sees_every_office(request.user):
            filters.append("office")
        return filters

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        reference = search_term.strip().lstrip("#")
        if reference.isdigit():
            results |= queryset.filter(pk=int(reference))
        if len(digits := phone_search_digits(search_term, any_text=False)) >= 4:  # "+86 139 1234 5678"
            results |= queryset.filter(phone_contains_q(digits))
        return results, may_have_duplicates

    # -- read-only: complaints are logged by the intake forms, changed only by the
    #    lifecycle methods, and never deleted.
    def get_readonly_fields(self, request, obj=None):
        return flatten_fieldsets(self.fieldsets)

    def has_reassign_permission(self, request):
        return request.user.has_perm(rules.REASSIGN)

    def has_move_up_permission(self, request):
        return request.user.has_perm(rules.MOVE_UP)

    # -- columns
    @admin.display(description=_("reference"), ordering="pk")
    def reference_display(self, obj: Complaint) -> str:
        return obj.reference

    @admin.display(description=_("complainant"), ordering="complainant_name")
    def complainant(self, obj: Complaint) -> str:
        return obj.complainant_display

    @admin.display(description=_("overdue"), boolean=True)
    def overdue_marker(self, obj: Complaint) -> bool:
        return obj.is_overdue()

    # -- actions
    @admin.action(description=_("Reassign selected complaints"), permissions=["reassign"])
    def reassign_selected(self, request, queryset):
        form = ReassignForm(request.POST if "apply" in request.POST else None, user=request.user)
        complaints = list(queryset)
        if not form.is_valid():
            return self._action_page(
                request,
                complaints,
                form,
                action="reassign_selected",
                template="admin/complaints/complaint/reassign.html",
                title=_("Reassign complaints"),
                submit_label=_("Reassign"),
            )
        assignee, note = form.cleaned_data["assignee"], form.cleaned_data["note"]
        done = unchanged = 0
        for complaint in complaints:
            was_assigned = complaint.assignee_id == assignee.pk
            if self._attempt(request, complaint, complaint.reassign, actor=request.user, assignee=assignee, note=note):
                if was_assigned:
                    unchanged += 1
                else:
                    done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d complaint reassigned to %(assignee)s.",
                    "%(count)d complaints reassigned to %(assignee)s.",
                    done,
                )
                % {"count": done, "assignee": assignee},
                messages.SUCCESS,
            )
        if unchanged:
            self.message_user(
                request,
                ngettext(
                    "%(count)d complaint was already assigned to %(assignee)s.",
                    "%(count)d complaints were already assigned to %(assignee)s.",
                    unchanged,
                )
                % {"count": unchanged, "assignee": assignee},
                messages.INFO,
            )
        return None

    @admin.action(description=_("Move selected complaints up one level"), permissions=["move_up"])
    def move_up_selected(self, request, queryset):
        form = MoveUpForm(request.POST if "apply" in request.POST else None, user=request.user)
        complaints = list(queryset)
        if not form.is_valid():
            return self._action_page(
                request,
                complaints,
                form,
                action="move_up_selected",
                template="admin/complaints/complaint/move_up.html",
                title=_("Move complaints up one level"),
                submit_label=_("Move up"),
            )
        done = 0
        body = {name: form.cleaned_data[name] for name in OUTSIDE_BODY_FIELDS}
        for complaint in complaints:
            to_outside_body = complaint.escalation_level + 1 == MAX_ESCALATION_LEVEL  # only those take the body
            if self._attempt(
                request,
                complaint,
                complaint.move_up,
                actor=request.user,
                cause=form.cleaned_data["cause"],
                to_user=form.cleaned_data["to_user"],
                note=form.cleaned_data["note"],
                **(body if to_outside_body else {}),
            ):
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d complaint moved up one level.", "%(count)d complaints moved up one level.", done)
                % {"count": done},
                messages.SUCCESS,
            )
        return None

    def _attempt(self, request, complaint: Complaint, method, **kwargs) -> bool:
        """Call one lifecycle method; report a refusal for this complaint and go on."""
        try:
            method(**kwargs)
        except (InvalidTransition, ValidationError) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(
                request,
                _("%(reference)s not changed: %(reason)s") % {"reference": complaint.reference, "reason": reason},
                messages.ERROR,
            )
            return False
        return True

    def _action_page(self, request, complaints, form, *, action, template, title, submit_label):
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": opts,
            "app_label": opts.app_label,
            "complaints": complaints,
            "form": form,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "submit_label": submit_label,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, template, context)


# ------------------------------------------------------------------ events
@admin.register(ComplaintEvent)
class ComplaintEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The append-only log (R-C11): viewable, never added, changed or deleted here —
    not even by a superuser."""

    list_display = ["created_at", "complaint", "kind", "actor", "from_status", "to_status", "from_level", "to_level"]
    list_filter = ["kind"]
    list_select_related = ["complaint", "actor"]
    search_fields = ["note", "complaint__subject"]
    ordering = ["-created_at", "-id"]
    actions = None
    fields = [
        "complaint",
        "created_at",
        "actor",
        "kind",
        "from_status",
        "to_status",
        "from_level",
        "to_level",
        "note",
        "data",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.filter(complaint__in=complaints_visible_to(request.user).values("pk"))


# ------------------------------------------------------------ reference lists
@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    """The department's head receives its complaints moved up to level 2 (R-C8, R-T1) and is
    told when it is asked to investigate (R-C6)."""

    list_display = ["name", "head", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["head"]
    search_fields = ["name"]
    fields = ["name", "head", "is_active"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "head":  # an active member of staff (the choices and the check of a posted id)
            kwargs["queryset"] = (
                User.objects.filter(is_active=True)
                .select_related("office")
                .order_by("first_name", "last_name", "username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]


# ------------------------------------------------------------ working calendar
from .calendar import CalendarHoliday, WorkingHours  # noqa: E402  (appended section, kept apart)


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    """The working periods of each weekday (HELPDESK_WORKING_CALENDAR). From the shell,
    `WorkingHours.create_default_week()` adds Monday to Friday 09:00–12:00 and 13:30–18:00."""

    list_display = ["weekday", "start", "end"]
    list_filter = ["weekday"]
    ordering = ["weekday", "start"]

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and not WorkingHours.objects.exists():
            self.message_user(
                request,
                _(
                    "No working hours are set, so deadlines are counted in calendar time. Add the working "
                    "periods of each weekday, for example Monday to Friday 09:00–12:00 and 13:30–18:00."
                ),
                messages.INFO,
            )
        return super().changelist_view(request, extra_context)


@admin.register(CalendarHoliday)
class CalendarHolidayAdmin(admin.ModelAdmin):
    """Days off, and make-up working days (调休) worked with the hours of another weekday."""

    list_display = ["date", "name", "is_working_day", "works_like_weekday"]
    list_filter = ["is_working_day"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]

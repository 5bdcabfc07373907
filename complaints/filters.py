"""Filtering the complaint list — one FilterSet for the API and the HTML list.

`ComplaintFilter` is the API's (`/api/v1/complaints/?status=…&search=…`; its parameter names
are the documented OpenAPI schema). `ComplaintListFilter` is the same FilterSet as the HTML
list shows it: the page's parameter names (`q` for the search), one value per select with an
"any" option, checkboxes that filter only when ticked, and the page's own "assigned to me" and
"open only". The rules themselves — the text search, overdue, exact status / channel / level /
department — are written once, here; the view and the API only hand over the queryset."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import fields as df_fields
from django_filters import rest_framework as df

from accounts.security import IdFilter
from helpdesk.drf import SafeIsoDateTimeFilter
from helpdesk.fields import ListedChoices

from . import rules, selectors
from .choices import Channel, Status
from .models import Complaint, Department


class ComplaintFilter(df.FilterSet):
    status = df.MultipleChoiceFilter(choices=Status.choices)
    channel = df.MultipleChoiceFilter(choices=Channel.choices)
    escalation_level = df.NumberFilter()
    received_after = SafeIsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = SafeIsoDateTimeFilter(field_name="received_at", lookup_expr="lt")
    overdue = df.BooleanFilter(method="filter_overdue")
    search = df.CharFilter(method="filter_search", help_text="Text, phone number or #id.")
    unclaimed = df.BooleanFilter(method="filter_unclaimed", help_text="Online complaints no agent has claimed yet.")
    # By id, never revealing whether the id exists: an unknown id and another office's id
    # both give an empty list (accounts.security.IdFilter).
    department = IdFilter("department_id")
    assignee = IdFilter("assignee_id")
    office = IdFilter("office_id")
    category = IdFilter("category_id")
    customer = IdFilter("customer_id")

    class Meta:
        model = Complaint
        fields = [
            "status",
            "channel",
            "escalation_level",
            "department",
            "assignee",
            "office",
            "category",
            "customer",
            "is_training_case",
        ]

    def filter_overdue(self, queryset, name, value):
        """True: the overdue complaints (R-C5 … R-C7, `overdue_q`); False: the others."""
        q = Complaint.objects.overdue_q()
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_unclaimed(self, queryset, name, value):
        """True: online complaints waiting for an agent to claim them — no receiver, and still
        open to a claim (rules.ACTIONS["claim"]: a merged duplicate, being closed, leaves the
        queue); False: the others."""
        waiting = Q(received_by__isnull=True, status__in=rules.ACTIONS["claim"].from_statuses)
        return queryset.filter(waiting) if value else queryset.exclude(waiting)

    def filter_search(self, queryset, name, value):
        return queryset.filter(selectors.text_search_q(value)) if value.strip() else queryset


class CheckboxFilter(df.Filter):
    """A checkbox: ticked applies the filter's method, unticked leaves the list as it is."""

    field_class = forms.BooleanField


class ListedFilterChoices(df_fields.ModelChoiceIterator, ListedChoices):
    """django-filter's choices (its null choice) read by one plain query (ListedChoices)."""


class ListedFilterField(df_fields.ModelChoiceField):
    iterator = ListedFilterChoices


class ListedModelChoiceFilter(df.ModelChoiceFilter):
    """A filter over a short list (the departments): its select's options by one plain query."""

    field_class = ListedFilterField


class ComplaintListForm(forms.Form):
    field_order = [
        "q",
        "status",
        "channel",
        "escalation_level",
        "department",
        "overdue",
        "mine",
        "unclaimed",
        "open_only",
    ]


class ComplaintListFilter(ComplaintFilter):
    """`ComplaintFilter` as the HTML complaint list offers it (templates/complaints/list.html
    renders `.form`, field by field, in this order)."""

    q = df.CharFilter(label=_("Search"), method="filter_search")
    status = df.ChoiceFilter(label=_("Status"), choices=Status.choices, empty_label=_("Any status"))
    channel = df.ChoiceFilter(label=_("Channel"), choices=Channel.choices, empty_label=_("Any channel"))
    escalation_level = df.TypedChoiceFilter(
        label=_("Escalation level"),
        coerce=int,
        empty_value=None,
        choices=[
            ("", _("Any level")),
            *[(str(v), label) for v, label in Complaint._meta.get_field("escalation_level").choices],
        ],
    )
    department = ListedModelChoiceFilter(
        label=_("Department"), queryset=Department.objects.all(), empty_label=_("Any department")
    )
    overdue = CheckboxFilter(label=_("Overdue only"), method="filter_overdue_only")
    mine = CheckboxFilter(label=_("Assigned to me"), method="filter_mine")
    unclaimed = CheckboxFilter(label=_("Not claimed yet"), method="filter_unclaimed_only")
    open_only = CheckboxFilter(label=_("Open only"), method="filter_open_only")
    # not on the page
    search = received_after = received_before = None
    assignee = office = category = customer = None

    class Meta(ComplaintFilter.Meta):
        fields = []  # only the filters declared here
        form = ComplaintListForm

    def filter_overdue_only(self, queryset, name, value):
        return self.filter_overdue(queryset, name, True) if value else queryset

    def filter_unclaimed_only(self, queryset, name, value):
        return self.filter_unclaimed(queryset, name, True) if value else queryset

    def filter_mine(self, queryset, name, value):
        return queryset.filter(assignee=self.request.user) if value else queryset

    def filter_open_only(self, queryset, name, value):
        return queryset.open() if value else queryset

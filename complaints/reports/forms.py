"""The month and the filters of the monthly summary (dashboard, downloads)."""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.access import sees_every_office
from accounts.models import Office
from customers.models import Tier
from helpdesk.dates import local_today, month_label
from helpdesk.fields import ListedChoiceField

from ..choices import Channel
from ..models import Department
from .figures import latest_month_with_data, parse_report_month


class MonthInput(forms.TextInput):
    input_type = "month"


class SummaryFilterForm(forms.Form):
    """`month` is YYYY-MM (default: the latest month with complaints the user may see under
    the other filters, so the page never opens on an empty month; this month when there are
    none); an office only among those the user may see."""

    month = forms.CharField(label=_("Month"), required=False, widget=MonthInput(attrs={"placeholder": "YYYY-MM"}))
    office = ListedChoiceField(
        label=_("Office"),
        required=False,
        queryset=Office.objects.none(),
        to_field_name="code",
        empty_label=_("All offices"),
    )
    department = ListedChoiceField(
        label=_("Department"), required=False, queryset=Department.objects.all(), empty_label=_("All departments")
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices])
    tier = forms.ChoiceField(label=_("Customer tier"), required=False, choices=[("", _("All tiers")), *Tier.choices])

    def __init__(self, data=None, *, user, now: datetime | None = None):
        super().__init__(data)
        self.now = now
        self.user = user
        offices = Office.objects.all()
        if not sees_every_office(user):
            offices = offices.filter(pk=user.office_id)
            self.fields["office"].empty_label = None  # their own office is all they see
        self.fields["office"].queryset = offices

    def clean_month(self):
        text = self.cleaned_data["month"]
        if not text:
            return None  # chosen in clean(), once the other filters are known
        try:
            month = parse_report_month(text)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid_month") from None
        if month > local_today(self.now):
            raise ValidationError(
                _("%(month)s has not begun yet: choose an earlier month.") % {"month": month_label(month)},
                code="future_month",
            )
        return month

    def clean(self):
        data = self.cleaned_data
        if "month" in data and data["month"] is None and not self.errors:
            data["month"] = latest_month_with_data(
                user=self.user,
                office=data.get("office"),
                department=data.get("department"),
                channel=data.get("channel") or None,
                tier=data.get("tier") or None,
                now=self.now,
            )
        return data

    def figure_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "month": data["month"],
            "office": data["office"],
            "department": data["department"],
            "channel": data["channel"] or None,
            "tier": data["tier"] or None,
        }

    def filter_query(self) -> str:
        """The filters (without the month) as a query string, for links to other months and files."""
        query = QueryDict(mutable=True)
        data = self.cleaned_data
        if data.get("office"):
            query["office"] = data["office"].code
        if data.get("department"):
            query["department"] = data["department"].pk
        for name in ("channel", "tier"):
            if data.get(name):
                query[name] = data[name]
        return query.urlencode()

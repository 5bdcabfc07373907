"""Forms of the front-desk pages (R-F2 … R-F4). They validate the input's shape; the views
hand the cleaned data to the service functions in `followups.frontdesk`."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.staff import StaffChoiceField, staff_of
from customers.models import Customer
from customers.widgets import CustomerChoiceField
from helpdesk.bounds import BoundedDateField, BoundedDateTimeField
from helpdesk.dates import local_today
from helpdesk.widgets import DateTimeLocalInput

from .models import FieldTrip, Reception, TripStatus, WorkLog, WorkSummary


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _customers():
    return Customer.objects.order_by("name", "pk").only("pk", "name")


# ------------------------------------------------------------------------ reception
class ReceptionForm(forms.ModelForm):
    """R-F2: who came, their purpose, who received them and a summary of the talk."""

    received_by = StaffChoiceField(label=_("Received by"), queryset=None)

    class Meta:
        model = Reception
        fields = ["arrived_at", "visitor_name", "organisation", "customer", "purpose", "received_by", "summary"]
        widgets = {"arrived_at": DateTimeLocalInput(), "summary": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"customer": CustomerChoiceField, "arrived_at": BoundedDateTimeField}
        help_texts = {"customer": _("If the visitor comes for one of our customers.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = _customers()
        self.fields["customer"].required = False
        self.fields["received_by"].queryset = staff_of(user.office_id)
        self.fields["received_by"].initial = user.pk
        self.fields["arrived_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean_arrived_at(self):
        value = self.cleaned_data["arrived_at"]
        if value and value > timezone.now() + timedelta(minutes=5):
            raise ValidationError(_("The arrival time cannot be in the future."))
        return value


class ReceptionFilterForm(forms.Form):
    date_from = BoundedDateField(label=_("From"), required=False, widget=DateInput())
    date_to = BoundedDateField(label=_("To"), required=False, widget=DateInput())
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the range is before its start."))
        return data


# ---------------------------------------------------------------------- field trips
class TripPlanForm(forms.ModelForm):
    """R-F3: the planned route and appointment of a field service trip."""

    class Meta:
        model = FieldTrip
        fields = ["customer", "planned_on", "route", "appointment"]
        widgets = {"planned_on": DateInput()}
        field_classes = {"customer": CustomerChoiceField, "planned_on": BoundedDateField}
        help_texts = {
            "route": _("Where you go, in order."),
            "appointment": _("Who you meet and when, as agreed with the customer."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = _customers()
        self.fields["planned_on"].initial = local_today()


class TripReportForm(forms.ModelForm):
    """R-F3 trip report: on-site feedback, second-contract potential, next appointment."""

    class Meta:
        model = FieldTrip
        fields = ["feedback", "second_contract_potential", "next_appointment", "report"]
        widgets = {
            "feedback": forms.Textarea(attrs={"rows": 3}),
            "next_appointment": DateInput(),
            "report": forms.Textarea(attrs={"rows": 5}),
        }
        field_classes = {"next_appointment": BoundedDateField}
        help_texts = {
            "feedback": _("What the customer said on site."),
            "second_contract_potential": _("The customer may sign a further contract."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report"].required = True


TRIP_STATUS_CHOICES = [("", _("Any status")), *TripStatus.choices]


# ------------------------------------------------------------------------ work logs
class WorkLogForm(forms.ModelForm):
    """R-F4: one day's log; saving a day that already has an entry updates it."""

    class Meta:
        model = WorkLog
        fields = ["day", "work_done", "lessons", "special_situations"]
        widgets = {
            "day": DateInput(),
            "work_done": forms.Textarea(attrs={"rows": 5}),
            "lessons": forms.Textarea(attrs={"rows": 3}),
            "special_situations": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"day": BoundedDateField}
        help_texts = {"special_situations": _("Customer situations the department should know about.")}


class WorkSummaryForm(forms.ModelForm):
    class Meta:
        model = WorkSummary
        fields = ["summary", "special_situations"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 8}),
            "special_situations": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"special_situations": _("Customer situations of the month to report to the department.")}

"""Forms of the visit pages (R-CU3, R-CU4)."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from helpdesk.bounds import NOTE_MAX, TEXT_MAX, BoundedDateField, BoundedDateTimeField
from helpdesk.fields import ListedChoiceField

from .models import ContentItem, VisitMethod, VisitStatus


class AgendaFilterForm(forms.Form):
    person = ListedChoiceField(label=_("Visitor"), required=False, queryset=get_user_model().objects.none())
    customer = forms.IntegerField(label=_("Customer no."), required=False, min_value=1, widget=forms.HiddenInput)
    start = BoundedDateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = BoundedDateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("all")), *VisitStatus.choices])

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        if people is None:
            del self.fields["person"]
        else:
            self.fields["person"].queryset = people

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end date is before the start date."))
        return data


class RecordVisitForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=VisitMethod.choices)
    items = forms.MultipleChoiceField(
        label=_("Content delivered"), required=False, widget=forms.CheckboxSelectMultiple, choices=ContentItem.choices
    )
    feedback = forms.CharField(
        label=_("Customer feedback"), widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_MAX
    )
    next_appointment = BoundedDateTimeField(
        label=_("Next appointment"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, visit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(k, ContentItem(k).label) for k in visit.checklist]


class CancelVisitForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class AssignVisitForm(forms.Form):
    visitor = ListedChoiceField(label=_("Visitor"), queryset=get_user_model().objects.none())

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visitor"].queryset = people


class PlanForm(forms.Form):
    route = forms.CharField(label=_("Route"), widget=forms.Textarea(attrs={"rows": 4}), max_length=TEXT_MAX)
    appointments = forms.CharField(
        label=_("Appointments"), widget=forms.Textarea(attrs={"rows": 4}), max_length=TEXT_MAX, required=False
    )


class PlanDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("return", _("Return for changes"))]
    )
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), max_length=NOTE_MAX, required=False
    )

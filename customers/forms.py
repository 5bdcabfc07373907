"""Forms of the customer pages: list filter, tier change, archive, transactions, uploads, credit
evaluations and the churn list's filter."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.bounds import NOTE_MAX, BoundedDateField

from .churn import Signal
from .models import CONFIDENTIAL_FIELDS, CreditEvaluation, Customer, CustomerTransaction, DocumentKind, Tier
from .uploads import allowed_extensions, validate_upload


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", _("all tiers")), *Tier.choices])
    mine = forms.BooleanField(label=_("My customers"), required=False)


class TierChangeForm(forms.Form):
    new_tier = forms.ChoiceField(label=_("New tier"), choices=Tier.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=NOTE_MAX)


class ContactsForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "contact_person", "phone", "email", "address", "account_manager"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff = self.fields["account_manager"].queryset.filter(is_active=True)
        self.fields["account_manager"].queryset = staff.order_by("first_name", "last_name", "username")


class NewCustomerForm(ContactsForm):
    class Meta(ContactsForm.Meta):
        fields = ["name", "tier", "tier_reason", *ContactsForm.Meta.fields[1:]]
        widgets = {"tier_reason": forms.Textarea(attrs={"rows": 2})}


class ArchiveForm(forms.ModelForm):
    """The confidential archive fields (R-CU2)."""

    class Meta:
        model = Customer
        fields = list(CONFIDENTIAL_FIELDS)
        widgets = {
            f: forms.Textarea(attrs={"rows": 2})
            for f in ["production_process", "raw_materials", "investment", "archive_notes"]
        }


class TransactionForm(forms.ModelForm):
    class Meta:
        model = CustomerTransaction
        fields = ["date", "description", "amount"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}
        field_classes = {"date": BoundedDateField}


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    file = forms.FileField(label=_("File"), max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("Accepted: %(types)s.") % {"types": ", ".join(allowed_extensions())}
        self.fields["file"].widget.attrs["accept"] = ",".join(f".{e}" for e in allowed_extensions())

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.safe_name, self.content_type = validate_upload(upload)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None
        return upload


class CreditEvaluationForm(forms.ModelForm):
    """R-CU7: the shape only; `services.evaluate_credit` holds the rules and saves."""

    class Meta:
        model = CreditEvaluation
        fields = ["rating", "basis", "evaluated_on"]
        widgets = {"basis": forms.Textarea(attrs={"rows": 3}), "evaluated_on": forms.DateInput(attrs={"type": "date"})}
        field_classes = {"evaluated_on": BoundedDateField}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"evaluated_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ChurnFilterForm(forms.Form):
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", _("all tiers")), *Tier.choices])
    signal = forms.ChoiceField(label=_("Signal"), required=False)

    def __init__(self, *args, signals: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Signal.choices)
        self.fields["signal"].choices = [("", _("any signal")), *((s, labels[s]) for s in signals)]

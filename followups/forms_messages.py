"""Forms of the messages for absent colleagues (R-F6). They validate the input's shape; the
views hand the cleaned data to the services in `followups.messages`, which own the rules."""

from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.staff import StaffChoiceField, staff_of
from complaints.models import Category, Complaint
from complaints.selectors import complaints_visible_to
from customers.models import Customer
from customers.widgets import CustomerChoiceField
from helpdesk.bounds import NOTE_MAX, BoundedDateTimeField
from helpdesk.widgets import DateTimeLocalInput

from .models import PhoneMessage

_DIGITS = 18  # within a bigint id


def _in_a_while(hours: int) -> datetime:
    return (timezone.localtime() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def _choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


class ComplaintRefField(forms.ModelChoiceField):
    """A complaint by its reference: "#123" or "123"."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lstrip("#").strip()
        if not (text.isascii() and text.isdigit() and len(text) <= _DIGITS):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(text)

    def prepare_value(self, value):
        if isinstance(value, Complaint):
            return value.reference
        return super().prepare_value(value)


class MessageForm(forms.ModelForm):
    """R-F6: who called, how to reach them, about what, how urgent, and by when they were
    promised a call back — for a colleague of the office."""

    for_user = StaffChoiceField(label=_("For"), queryset=None)
    complaint = ComplaintRefField(
        label=_("Complaint"),
        queryset=None,
        required=False,
        help_text=_("If the call is about a complaint: its number, e.g. #123."),
        error_messages={"invalid_choice": _("No such complaint.")},
    )

    class Meta:
        model = PhoneMessage
        fields = [
            "for_user",
            "caller_name",
            "contact_phone",
            "contact_other",
            "customer",
            "complaint",
            "about",
            "urgency",
            "call_back_by",
        ]
        widgets = {
            "about": forms.Textarea(attrs={"rows": 4}),
            "urgency": forms.RadioSelect,
            "call_back_by": DateTimeLocalInput(),
        }
        field_classes = {"customer": CustomerChoiceField, "call_back_by": BoundedDateTimeField}
        labels = {"caller_name": _("Who called"), "about": _("About what")}
        help_texts = {
            "contact_other": _("WeChat, e-mail, or where to find them, if not by phone."),
            "customer": _("If the caller is one of our customers."),
            "call_back_by": _("The time you promised the caller a call back."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "for_user").queryset = staff_of(user.office_id).exclude(pk=user.pk)
        _choices(self, "complaint").queryset = complaints_visible_to(user)
        customers = Customer.objects.order_by("name", "pk").only("pk", "name")
        _choices(self, "customer").queryset = (
            customers if user.has_perm("customers.view_customer") else customers.none()
        )
        self.fields["customer"].required = False
        self.fields["call_back_by"].initial = _in_a_while(2)

    def _post_clean(self):
        """The rules are the service's (`take_message`): no model validation here."""


class ConvertForm(forms.ModelForm):
    """The case file of the complaint a message becomes (R-C1: time, place, person, event,
    category); the complainant, their phone and the description come from the message."""

    reply_due_at = BoundedDateTimeField(
        label=_("Agreed reply time"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("If you agreed a reply time with the caller; else the reply is due by the deadline."),
    )

    class Meta:
        model = Complaint
        fields = ["incident_at", "incident_place", "persons_involved", "subject", "category"]
        widgets = {"incident_at": DateTimeLocalInput()}
        field_classes = {"incident_at": BoundedDateTimeField}
        help_texts = {
            "persons_involved": _("Staff or other people involved, if any."),
            "subject": _("What happened, in one line."),
        }

    def __init__(self, *args, message: PhoneMessage | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "category").queryset = Category.objects.filter(is_active=True)
        if message is not None:
            self.fields["incident_at"].initial = timezone.localtime(message.created_at).replace(second=0, microsecond=0)

    def _post_clean(self):
        """The rules are the intake's (`Complaint.receive`): no model validation here."""

    def case_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class DoneForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: called back, the caller will come on Monday."),
    )


SCOPE_CHOICES = [("mine", _("For me")), ("office", _("The whole office"))]


class DeskFilterForm(forms.Form):
    """A supervisor's view of the office's open messages: everyone's, or one colleague's."""

    scope = forms.ChoiceField(label=_("Whose messages"), choices=SCOPE_CHOICES, required=False)
    for_user = StaffChoiceField(label=_("For"), queryset=None, required=False, empty_label=_("Anyone"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "for_user").queryset = staff_of(user.office_id)

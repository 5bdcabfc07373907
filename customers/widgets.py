"""A customer picker that stays fast with tens of thousands of customers: a text box with
suggestions fetched as one types (`/customers/search/`), instead of a select that renders
every customer into every form. It accepts "Name · #id" (what the suggestions fill in), a
bare id, or a customer's exact name (so it works without JavaScript too)."""
import re

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Customer

_ID = re.compile(r"(?:^|#)\s*(\d+)\s*$")


def customer_label(customer) -> str:
    return f"{customer.name} · #{customer.pk}"


class CustomerPickerInput(forms.TextInput):
    template_name = "customers/widgets/customer_picker.html"

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", "class": "customer-picker", **(attrs or {})})

    def format_value(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, Customer):
            return customer_label(value)
        if str(value).isdigit():
            customer = Customer.objects.filter(pk=int(value)).only("pk", "name").first()
            return customer_label(customer) if customer else str(value)
        return str(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["attrs"]["list"] = f"{widget['attrs'].get('id', name)}-suggestions"
        widget["attrs"]["data-search-url"] = reverse("customers:search")
        widget["attrs"].setdefault("placeholder", _("Type part of the customer's name"))
        return context


class CustomerChoiceField(forms.ModelChoiceField):
    widget = CustomerPickerInput
    default_error_messages = {
        "invalid_choice": _("No such customer: type part of the name and pick one of the suggestions."),
        "ambiguous": _("Several customers have this name: pick one of the suggestions."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Customer):
            return value
        text = str(value).strip()
        match = _ID.search(text)
        if match:
            found = self.queryset.filter(pk=int(match.group(1))).first()
        else:
            named = list(self.queryset.filter(name__iexact=text)[:2])
            if len(named) > 1:
                raise ValidationError(self.error_messages["ambiguous"], code="ambiguous")
            found = named[0] if named else None
        if found is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return found

    def has_changed(self, initial, data):
        try:
            chosen = self.to_python(data)
        except ValidationError:
            return True
        return str(initial or "") != str(chosen.pk if chosen else "")

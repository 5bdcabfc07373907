"""A customer picker that stays fast with tens of thousands of customers: a text box with
suggestions fetched as one types (`/customers/search/`), instead of a select that renders
every customer into every form. It accepts "Name · #id" (what the suggestions fill in), a
bare id, or a customer's exact name (so it works without JavaScript too)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from helpdesk.phones import phone_search_digits

from .models import Customer

_ID = re.compile(r"(?:^|#)\s*([0-9]{1,18})\s*$", re.ASCII)  # 18 digits: within a bigint id


def customer_label(customer) -> str:
    return f"{customer.name} · #{customer.pk}"


class CustomerPickerInput(forms.TextInput):
    template_name = "customers/widgets/customer_picker.html"

    def __init__(self, attrs=None, search_url=None):
        super().__init__({"autocomplete": "off", "class": "customer-picker", **(attrs or {})})
        self.search_url = search_url  # default: every customer (customers:search)

    def format_value(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, Customer):
            return customer_label(value)
        if str(value).isascii() and str(value).isdigit() and len(str(value)) <= 18:
            customer = Customer.objects.filter(pk=int(value)).only("pk", "name").first()
            return customer_label(customer) if customer else str(value)
        return str(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["attrs"]["list"] = f"{widget['attrs'].get('id', name)}-suggestions"
        widget["attrs"]["data-search-url"] = self.search_url or reverse("customers:search")
        widget["attrs"].setdefault("placeholder", _("Type part of the customer's name"))
        return context


def phone_q(text: str) -> Q:
    """Customers whose phone contains `text`, also typed with spaces, dashes or +86 (phones
    are stored normalised, helpdesk.phones)."""
    q = Q(phone__icontains=text.strip())
    if len(digits := phone_search_digits(text, any_text=False)) >= 4:
        q |= Q(phone__contains=digits)
    return q


def suggestions(queryset, q: str) -> JsonResponse:
    """The picker's suggestions: up to 20 customers of `queryset` whose name or phone matches."""
    q = (q or "").strip()[:100]
    rows = []
    if q:
        qs = queryset.filter(Q(name__icontains=q) | phone_q(q)).order_by("name", "id")
        rows = [{"id": c.pk, "label": customer_label(c), "tier": c.tier} for c in qs.only("pk", "name", "tier")[:20]]
    return JsonResponse({"results": rows})


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
        if "\x00" in text:  # no name holds one (and PostgreSQL text cannot)
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        match = _ID.search(text)
        if match:
            found = self.queryset.filter(pk=int(match.group(1))).first()
        elif len(text) > (Customer._meta.get_field("name").max_length or 0):
            found = None  # no customer has so long a name (and no database LIKE pattern need be that long)
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


class CustomerListInput(forms.Textarea):
    """Several customers, one per line, with the same suggestions box above to add lines."""

    template_name = "customers/widgets/customer_list.html"

    def __init__(self, attrs=None):
        super().__init__({"rows": 4, **(attrs or {})})

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return "\n".join(str(v) for v in values if v not in (None, ""))

    def format_value(self, value):
        if value in (None, "", []):
            return None
        if isinstance(value, str):
            return value
        ids = [v.pk if isinstance(v, Customer) else v for v in value]
        names = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "name"))
        return "\n".join(f"{names[int(i)]} · #{i}" if str(i).isdigit() and int(i) in names else str(i) for i in ids)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["picker_id"] = f"{widget['attrs'].get('id', name)}-add"
        widget["search_url"] = reverse("customers:search")
        return context


class CustomerListField(forms.Field):
    """A list of customers from lines of "Name · #id", ids or exact names."""

    widget = CustomerListInput

    def __init__(self, *, queryset, **kwargs):
        self.queryset = queryset
        super().__init__(**kwargs)

    def to_python(self, value):
        one = CustomerChoiceField(queryset=self.queryset)
        found, errors = {}, []
        for number, line in enumerate(str(value or "").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                customer = one.to_python(line)
            except ValidationError as error:
                errors.append(
                    _("Line %(number)d “%(line)s”: %(error)s")
                    % {"number": number, "line": line.strip()[:60], "error": error.messages[0]}
                )
            else:
                found.setdefault(customer.pk, customer)
        if errors:
            raise ValidationError(errors)
        return list(found.values())

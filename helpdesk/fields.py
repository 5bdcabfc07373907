"""Model fields shared by the apps."""

from typing import Any

from django import forms
from django.db import models
from django.forms.models import ModelChoiceIterator
from django.utils.choices import CallableChoiceIterator
from django.utils.encoding import force_str

from helpdesk.phones import normalize_phone
from helpdesk.validators import validate_phone


class PhoneFormField(forms.CharField):
    """A phone number whose cleaned value is the stored form (`helpdesk.phones`)."""

    def to_python(self, value):
        return normalize_phone(super().to_python(value))


class PhoneField(models.CharField):
    """A phone number (R-C1), always written in its canonical form (`helpdesk.phones`)
    and validated by `validate_phone`. The one mechanism for every write path: forms and
    the admin clean it (`formfield`), DRF serializers too (`helpdesk.drf.PhoneSerializerField`),
    `full_clean` through `to_python`, `save`/`create`/`bulk_create` through `pre_save`, and
    `bulk_update`/`update()`/exact lookups through `get_prep_value`."""

    default_validators = [validate_phone]

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_phone(value) if isinstance(value, str) else value

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = normalize_phone(value)
            setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return normalize_phone(value) if isinstance(value, str) else value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PhoneFormField, **kwargs})


def normalize_email(value: Any) -> Any:
    """The stored form of an e-mail address: trimmed and lower-cased, so that "Wang@Example.com"
    and "wang@example.com " are the same complainant (R-T4, search, history). Mail systems treat
    the local part case-insensitively in practice; the address as typed is not needed."""
    return value.strip().lower() if isinstance(value, str) else value


class EmailFormField(forms.EmailField):
    def to_python(self, value):
        return normalize_email(super().to_python(value))


class EmailAddressField(models.EmailField):
    """An e-mail address, always written in its stored form (`normalize_email`) on every
    write path, like `PhoneField`."""

    def to_python(self, value):
        return normalize_email(super().to_python(value))

    def pre_save(self, model_instance, add):
        value = normalize_email(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        return normalize_email(super().get_prep_value(value))

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": EmailFormField, **kwargs})


class ChoiceDisplayMixin:
    """`get_FOO_display()` through a dict built once per field, for the models whose lists and
    timelines show many choice labels. Django's own builds `dict(make_hashable(flatchoices))`
    on every call, and hashing a lazy label translates it: the detail page's 20-event timeline
    translated ~900 labels to show 25 (issue 17). The dict keeps the lazy labels, so every call
    still answers in the request's language. Put it before `models.Model` in the bases: a
    field binds `get_FOO_display` to the class's `_get_FIELD_display` when the class is built."""

    def _get_FIELD_display(self, field: models.Field) -> Any:
        value = getattr(self, field.attname)
        labels = _CHOICE_LABELS.get(field)
        if labels is None:
            if isinstance(field.choices, CallableChoiceIterator):  # choices that may change
                return super()._get_FIELD_display(field)
            labels = _CHOICE_LABELS[field] = dict(field.flatchoices)
        try:
            label = labels.get(value, value)
        except TypeError:  # an unhashable value (a list in a JSON field): Django's way
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        return force_str(label, strings_only=True)


_CHOICE_LABELS: dict[models.Field, dict[Any, Any]] = {}


class ListedChoices(ModelChoiceIterator):
    """A short list of choices (offices, departments, an office's staff) read by one plain
    query: Django's iterator reads them through a server-side cursor (DECLARE … WITH HOLD,
    FETCH, CLOSE), four round trips for a handful of rows, on every page — the complaint page's
    action forms spent ~1 ms a list there (issue 17). Not for long lists (customers)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ListedChoiceField(forms.ModelChoiceField):
    iterator = ListedChoices

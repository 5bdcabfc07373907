"""Model fields shared by the apps."""

from django import forms
from django.db import models

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

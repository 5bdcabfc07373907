"""Bounds of what people may type (issue 16): the one place that says which dates and how
much text a form, the API or `full_clean` accepts.

Dates: a date or date-time a person enters lies between EARLIEST_DAY and LATEST_DAY
(1900-01-01 … 2100-12-31, local time). Outside it the database or Python cannot always hold
the value (year 1 in Asia/Shanghai, whose LMT is +08:05:43, is a BC date in UTC; 9999-12-31
has no next day), and no complaint, visit or survey of a service centre is dated there. The
same check is the model validator (`validate_day_in_range`), the form fields
(`BoundedDateField`, `BoundedDateTimeField`, used by every form) and the API fields
(`helpdesk.drf`, registered for every ModelSerializer).

Text: every free-text field has one of the limits below, declared once on the model field
(`max_length`, with `MaxLengthValidator` so `full_clean` checks it too); ModelForms and
ModelSerializers derive it from there, and explicit form and serializer fields name the same
constant.
"""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2100, 12, 31)

NAME_MAX = 120  # a person's, an office's, a category's name
NOTE_MAX = 2_000  # a note or reason attached to one step (event note, handover, tier reason)
TEXT_MAX = 5_000  # a case text: description, findings, solution, resolution, lesson, feedback, report
ARCHIVE_TEXT_MAX = 10_000  # a customer-archive text (production process, raw materials, notes)


def text_limit(limit: int) -> dict:
    """`max_length` and its validator for a model TextField: `models.TextField(..., **text_limit(TEXT_MAX))`.
    (A TextField's max_length alone reaches forms and serializers, not `full_clean`.)"""
    return {"max_length": limit, "validators": [MaxLengthValidator(limit)]}


def _local_day(value: date | datetime) -> date | None:
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            try:
                value = timezone.localtime(value, timezone.get_default_timezone())
            except OverflowError:  # beyond datetime.min / max once in local time
                return None
        return value.date()
    return value


def day_in_range(value: date | datetime) -> bool:
    day = _local_day(value)
    return day is not None and EARLIEST_DAY <= day <= LATEST_DAY


def validate_day_in_range(value: date | datetime | None) -> None:
    """The model, form and API validator of every date and date-time a person enters."""
    if value is not None and not day_in_range(value):
        raise ValidationError(out_of_range_message(), code="date_out_of_range")


def out_of_range_message() -> str:
    return _("Enter a date between %(first)s and %(last)s.") % {
        "first": EARLIEST_DAY.isoformat(),
        "last": LATEST_DAY.isoformat(),
    }


class BoundedDateField(forms.DateField):
    """A form date between EARLIEST_DAY and LATEST_DAY."""

    default_validators = [validate_day_in_range]


class BoundedDateTimeField(forms.DateTimeField):
    """A form date-time whose local day lies between EARLIEST_DAY and LATEST_DAY."""

    default_validators = [validate_day_in_range]

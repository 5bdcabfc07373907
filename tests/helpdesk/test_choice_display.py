"""`ChoiceDisplayMixin` (helpdesk/fields.py): `get_FOO_display()` through a dict built once per
field gives what Django's own gives — in the active language at each call, the stored value
itself when it is not a choice — without translating every label of the field on each call."""

from unittest import mock

import pytest
from django.db import models
from django.utils import translation

from complaints.choices import EventKind, Status
from complaints.models import Complaint, ComplaintEvent
from customers.models import Customer
from followups.models.messages import PhoneMessage
from followups.models.visits import Visit
from helpdesk.fields import ChoiceDisplayMixin
from notifications.models import Notification


def _django_display(instance, name):
    field = instance._meta.get_field(name)
    return models.Model._get_FIELD_display(instance, field)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_same_labels_as_djangos_in_each_language(language):
    with translation.override(language):
        for value in Status.values:
            complaint = Complaint(status=value)
            assert complaint.get_status_display() == _django_display(complaint, "status")
        for value in EventKind.values:
            event = ComplaintEvent(kind=value)
            assert event.get_kind_display() == _django_display(event, "kind")


def test_the_label_follows_the_language_of_each_call():
    complaint = Complaint(status=Status.RECEIVED)
    with translation.override("en"):
        english = complaint.get_status_display()
    with translation.override("zh-hans"):
        chinese = complaint.get_status_display()
    with translation.override("en"):
        assert complaint.get_status_display() == english
    assert english != chinese
    assert all("\u4e00" <= ch <= "\u9fff" for ch in chinese if ch.strip())


def test_a_value_that_is_not_a_choice_is_shown_as_stored():
    assert Complaint(status="no_such_status").get_status_display() == "no_such_status"
    assert Complaint(escalation_level=9).get_escalation_level_display() == 9


def test_labels_are_not_all_translated_on_each_call():
    event = ComplaintEvent(kind=EventKind.values[0])
    event.get_kind_display()  # the field's dict is built once
    # a lazy label translates through the active Trans object (Django's own way: 370 here)
    with mock.patch.object(translation._trans, "gettext", wraps=translation._trans.gettext) as gettext:
        for _ in range(10):
            event.get_kind_display()
    assert len(EventKind) > 10
    assert gettext.call_count == 10  # one label each, not len(EventKind) each


@pytest.mark.parametrize("model", [Complaint, ComplaintEvent, Customer, Notification, PhoneMessage, Visit])
def test_the_models_with_long_lists_use_it(model):
    assert issubclass(model, ChoiceDisplayMixin)
    assert model.__mro__.index(ChoiceDisplayMixin) < model.__mro__.index(models.Model)

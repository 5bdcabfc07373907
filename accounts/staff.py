"""Who works in an office: the staff choices every form that hands work to someone offers."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from helpdesk.fields import ListedChoiceField


def staff_of(office_id, *, role: str | None = None) -> QuerySet:
    """The active staff of an office (optionally of one role), by name."""
    qs = get_user_model().objects.filter(is_active=True, office_id=office_id).order_by("first_name", "username")
    if role:
        qs = qs.filter(groups__name=role)
    return qs


class StaffChoiceField(ListedChoiceField):
    """An office's staff, by name (one plain query: helpdesk.fields.ListedChoices)."""

    def label_from_instance(self, obj):
        return str(obj)

"""Factories of the notifications tests (SubFactory chain: recipient → office)."""

import factory

from notifications.models import EmailStatus, Kind, Notification
from tests.factories import UserFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    complaint = None
    kind = Kind.REASSIGNED
    data = factory.LazyFunction(dict)
    email_status = EmailStatus.PENDING

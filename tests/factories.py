"""Factories shared by every test package (one SubFactory chain per model)."""

from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Office, User
from complaints.choices import Channel, Status
from complaints.models import Category, Complaint, Department
from customers.models import Customer

PASSWORD = "helpdesk-test"


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office

    name = factory.Sequence(lambda n: f"Office {n}")
    code = factory.Sequence(lambda n: f"office-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    office = factory.SubFactory(OfficeFactory)
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """UserFactory(role="agent") puts the user in that role's group."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    tier = "C"
    contact_person = factory.Faker("name")
    phone = "13800138000"


def default_category():
    return Category.objects.order_by("id").first()


class ComplaintFactory(factory.django.DjangoModelFactory):
    """A freshly received complaint (use the lifecycle methods to move it on)."""

    class Meta:
        model = Complaint

    office = factory.SubFactory(OfficeFactory)
    channel = Channel.PHONE
    received_by = factory.SubFactory(UserFactory, office=factory.SelfAttribute("..office"))
    assignee = factory.SelfAttribute("received_by")
    received_at = factory.LazyFunction(timezone.now)
    reply_due_at = factory.LazyAttribute(lambda c: c.received_at + timedelta(hours=24))
    complainant_name = factory.Faker("name")
    contact_phone = "13800138000"
    incident_at = factory.LazyAttribute(lambda c: c.received_at - timedelta(hours=2))
    incident_place = "Building 3, lobby"
    subject = factory.Sequence(lambda n: f"Lift out of order {n}")
    description = "The lift has been out of order since this morning."
    category = factory.LazyFunction(default_category)
    status = Status.RECEIVED


def department(name: str = "Engineering and repairs") -> Department:
    return Department.objects.get(name=name)

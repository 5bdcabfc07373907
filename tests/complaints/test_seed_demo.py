"""seed_demo: one user per role, complaints in every state, idempotent, refused in production."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from complaints.choices import CloseReason, Status
from complaints.models import Complaint, ComplaintEvent
from customers.models import Customer

pytestmark = pytest.mark.django_db


def test_refused_unless_debug_or_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def test_loads_every_role_and_state_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (
        get_user_model().objects.count(),
        Complaint.objects.count(),
        ComplaintEvent.objects.count(),
        Customer.objects.count(),
    )
    call_command("seed_demo")
    call_command("seed_demo", force=True)
    assert (
        get_user_model().objects.count(),
        Complaint.objects.count(),
        ComplaintEvent.objects.count(),
        Customer.objects.count(),
    ) == counts

    User = get_user_model()
    for username, role in [
        ("agent", "agent"),
        ("supervisor", "supervisor"),
        ("handler", "department_handler"),
        ("manager", "manager"),
        ("info", "customer_info"),
    ]:
        user = User.objects.get(username=username)
        assert user.check_password("helpdesk-demo")
        assert user.groups.filter(name=role).exists()
    assert set(Complaint.objects.values_list("status", flat=True)) == set(Status.values)
    closed_reasons = set(Complaint.objects.filter(status=Status.CLOSED).values_list("close_reason", flat=True))
    assert closed_reasons >= {CloseReason.ON_THE_SPOT, CloseReason.CALLBACK_SATISFIED, CloseReason.NO_CALLBACK_NEEDED}
    assert set(Customer.objects.values_list("tier", flat=True)) == {"A", "B", "C"}
    assert all(c.events.exists() for c in Complaint.objects.all())

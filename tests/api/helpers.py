"""Helpers shared by the API tests: complaints brought to a status through the lifecycle
methods only, and URLs."""
from django.utils import timezone

from complaints.choices import Status
from complaints.models import Complaint, ComplaintEvent
from tests.complaint_paths import PATHS
from tests.factories import ComplaintFactory

S = Status
LIST_URL = "/api/v1/complaints/"


def action_url(pk, name: str) -> str:
    return f"/api/v1/complaints/{pk}/actions/{name.replace('_', '-')}/"


def complaint_in(status: str, actor, **kwargs) -> Complaint:
    """A complaint of `actor`'s office (received by `actor`), moved to `status`."""
    complaint = ComplaintFactory(office=actor.office, received_by=actor, **kwargs)
    for step in PATHS[status]:
        step(complaint, actor)
    complaint.refresh_from_db()
    assert complaint.status == status
    return complaint


def row(complaint) -> dict:
    """Every stored column of the complaint (to prove that nothing changed)."""
    return Complaint.objects.filter(pk=complaint.pk).values().get()


def events_of(complaint) -> list[ComplaintEvent]:
    return list(ComplaintEvent.objects.filter(complaint=complaint).order_by("id"))


def local_input(dt) -> str:
    """A datetime as the HTML datetime-local inputs send it."""
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")

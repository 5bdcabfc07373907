"""Helpers shared by the API tests: complaints brought to a status through the lifecycle
methods only, and URLs."""

from django.utils import timezone

from complaints.choices import Status
from complaints.models import ComplaintEvent
from tests.complaint_paths import complaint_in, row  # noqa: F401  (re-exported for the API tests)

S = Status
LIST_URL = "/api/v1/complaints/"
# The department of the API tests' handler and of the complaints they act on (issue 13: a
# handler sees only their department's) — not the one the assign_department tests ask to
# investigate (`tests.factories.department()`).
HANDLER_DEPARTMENT = "Cleaning"


def action_url(pk, name: str) -> str:
    return f"/api/v1/complaints/{pk}/actions/{name.replace('_', '-')}/"


def events_of(complaint) -> list[ComplaintEvent]:
    return list(ComplaintEvent.objects.filter(complaint=complaint).order_by("id"))


def local_input(dt) -> str:
    """A datetime as the HTML datetime-local inputs send it."""
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")

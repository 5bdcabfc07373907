"""The API offers the same people as the HTML forms: staff of the complaint's office."""

import pytest
from django.urls import reverse

from complaints.choices import EventKind
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def test_reassign_to_another_offices_manager_is_refused_by_api_and_form_alike(
    session_client, users, make_user, other_office, client
):
    complaint = ComplaintFactory(office=users["supervisor"].office, received_by=users["agent"])
    outsider = make_user("manager", office_=other_office, username="far-manager")
    colleague = users["agent"]

    api = session_client(users["supervisor"])
    url = f"/api/v1/complaints/{complaint.pk}/actions/reassign/"
    response = api.post(url, {"assignee": outsider.pk}, format="json")
    assert response.status_code == 400
    assert "assignee" in response.json()

    client.force_login(users["supervisor"])
    form = client.post(
        reverse("complaints:action", args=[complaint.pk, "reassign"]), {"reassign-assignee": str(outsider.pk)}
    )
    assert form.status_code == 400
    assert not complaint.events.filter(kind=EventKind.REASSIGNED).exists()

    # the office's own staff is accepted by both
    assert api.post(url, {"assignee": colleague.pk}, format="json").status_code == 200
    complaint.refresh_from_db()
    assert complaint.assignee == colleague

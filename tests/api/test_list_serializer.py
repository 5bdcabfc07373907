"""The API list's serializer at a million complaints (issue 17): its fields are built from the
model once and copied for each request, and each state's actions are asked once per page —
with the same answers, complaint by complaint, as asking for each."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from complaints import rules
from complaints.api import ComplaintSerializer
from complaints.choices import Channel, CloseReason, Status
from complaints.models import Complaint
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db
LIST_URL = "/api/v1/complaints/"


def test_each_complaint_lists_its_own_actions_in_a_page_of_mixed_states(agent):
    office = agent.office
    for status, extra in (
        (Status.RECEIVED, {"received_by": None, "channel": Channel.ONLINE}),  # unclaimed: "claim" only here
        (Status.RECEIVED, {}),
        (Status.IN_PROGRESS, {}),
        (Status.IN_PROGRESS, {}),
        (Status.HANDLING, {}),
        (Status.CLOSED, {"close_reason": CloseReason.AUTO_CLOSED, "closed_at": timezone.now()}),
    ):
        ComplaintFactory(office=office, status=status, **({"received_by": agent} | extra))
    client = APIClient()
    client.force_authenticate(agent)
    listed = {row["id"]: row["available_actions"] for row in client.get(LIST_URL).json()["results"]}
    assert len(listed) == 6
    for complaint in Complaint.objects.filter(pk__in=listed):
        expected = [
            a.name.replace("_", "-")
            for a in rules.available_actions(
                agent,
                complaint.status,
                close_reason=complaint.close_reason,
                claimed=complaint.received_by_id is not None,
                facts=complaint.facts,
            )
        ]
        assert listed[complaint.pk] == expected, complaint.status
    assert len({tuple(actions) for actions in listed.values()}) >= 4  # the states differ


def test_the_fields_are_built_once_and_never_shared():
    first, second = ComplaintSerializer().fields, ComplaintSerializer().fields
    assert list(first) == list(second) and "available_actions" in first
    assert all(first[name] is not second[name] for name in first)  # copies, each bound to its own
    assert first["available_actions"].parent is not second["available_actions"].parent

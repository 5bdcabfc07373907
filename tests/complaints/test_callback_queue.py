"""R-C10: "my call-backs due" — every call-back outcome through the page, and the exemptions
(on the spot, anonymous, unreachable, sensitive) never enter the queue."""

import pytest
from django.urls import reverse

from complaints.choices import CloseReason
from complaints.choices import Status as S
from tests.complaint_paths import complaint_in

URL = reverse("complaints:callbacks")


def queue(client, **params) -> set[int]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return {c.pk for c in response.context["page"]}


@pytest.fixture
def resolved(agent):
    return complaint_in(S.RESOLVED, agent)


def test_resolved_complaints_of_mine_are_due(client, agent, make_user, resolved):
    colleague = make_user("agent")
    theirs = complaint_in(S.RESOLVED, colleague)
    complaint_in(S.HANDLING, agent)  # not handled yet
    client.force_login(agent)
    assert queue(client) == {resolved.pk}
    assert queue(client, office="1") == {resolved.pk}  # an agent cannot widen it
    client.force_login(colleague)
    assert queue(client) == {theirs.pk}


def test_supervisor_sees_the_whole_office(client, agent, supervisor, resolved, other_office, make_user):
    elsewhere = complaint_in(S.RESOLVED, make_user("agent", office_=other_office))
    client.force_login(supervisor)
    assert queue(client) == set()
    assert queue(client, office="1") == {resolved.pk}
    assert elsewhere.pk not in queue(client, office="1")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"is_anonymous": True, "complainant_name": ""},
        {"is_sensitive": True},
        {"contact_phone": ""},  # unreachable
    ],
)
def test_exempt_complaints_never_enter_the_queue(client, agent, kwargs):
    complaint = complaint_in(S.HANDLING, agent, **kwargs)
    complaint.mark_handled(actor=agent, note="Repaired.")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.close_reason) == (S.CLOSED, CloseReason.NO_CALLBACK_NEEDED)
    client.force_login(agent)
    assert queue(client) == set()


def test_on_the_spot_resolution_never_enters_the_queue(client, agent):
    complaint = complaint_in(S.CLOSED, agent)
    assert complaint.close_reason == CloseReason.ON_THE_SPOT
    client.force_login(agent)
    assert queue(client) == set()


def _act(client, complaint, action, data):
    return client.post(
        reverse("complaints:action", args=[complaint.pk, action]),
        {f"{action}-{key}": value for key, value in data.items()},
    )


def test_satisfied_call_back_closes_and_leaves_the_queue(client, agent, resolved):
    client.force_login(agent)
    response = _act(
        client,
        resolved,
        "record_callback",
        {
            "method": "phone",
            "satisfied": "yes",
            "about_process": "Quick",
            "operation_normal": "Running normally",
            "suggestions": "None",
        },
    )
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert (resolved.status, resolved.close_reason) == (S.CLOSED, CloseReason.CALLBACK_SATISFIED)
    event = resolved.events.order_by("-id").first()
    assert event.data["answers"] == {
        "about_process": "Quick",
        "operation_normal": "Running normally",
        "suggestions": "None",
    }
    assert queue(client) == set()


def test_unsatisfied_call_back_moves_up_and_leaves_the_queue(client, agent, supervisor, resolved):
    client.force_login(agent)
    response = _act(
        client, resolved, "record_callback", {"method": "door_visit", "satisfied": "no", "to_user": supervisor.pk}
    )
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert (resolved.status, resolved.escalation_level, resolved.assignee) == (S.IN_PROGRESS, 1, supervisor)
    assert queue(client) == set()


def test_declined_call_back_waits_for_auto_close_outside_the_queue(client, agent, resolved):
    client.force_login(agent)
    assert _act(client, resolved, "decline_callback", {"note": "Does not want calls"}).status_code == 302
    resolved.refresh_from_db()
    assert resolved.status == S.CALLBACK_DECLINED and resolved.auto_close_due_at is not None
    assert queue(client) == set()


def test_call_back_without_method_is_a_400_and_changes_nothing(client, agent, resolved):
    client.force_login(agent)
    response = _act(client, resolved, "record_callback", {"satisfied": "yes"})
    assert response.status_code == 400
    resolved.refresh_from_db()
    assert resolved.status == S.RESOLVED


@pytest.mark.parametrize("role", ["department_handler", "customer_info"])
def test_roles_without_call_backs_are_denied(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("rows", [1, 30])
def test_queue_query_count_is_fixed(client, agent, rows, django_assert_max_num_queries):
    for _ in range(rows):
        complaint_in(S.RESOLVED, agent)
    client.force_login(agent)
    # session, user, permissions (2), count, page, notification bell, office of the user
    with django_assert_max_num_queries(8):
        assert len(queue(client)) == min(rows, 25)

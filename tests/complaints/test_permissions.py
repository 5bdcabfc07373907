"""Permission matrix: every named URL × every role, the expected status per cell. Each
denial is followed by the same request from a role that may, to prove it was the permission."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ComplaintFactory, department

pytestmark = pytest.mark.django_db

ROLES = ["agent", "supervisor", "department_handler", "manager", "customer_info", "no_role", "anonymous"]


def _request(client, complaint, name):
    """(method, url, data) for each named URL."""
    due = timezone.localtime(complaint.received_at + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    detail = reverse("complaints:detail", args=[complaint.pk])
    table = {
        "list": ("get", reverse("complaints:list"), None),
        "intake_walk_in": ("get", reverse("complaints:intake_walk_in"), None),
        "intake_phone": ("get", reverse("complaints:intake_phone"), None),
        "detail": ("get", detail, None),
        "add_note": (
            "post",
            reverse("complaints:action", args=[complaint.pk, "add_note"]),
            {"add_note-note": "Checked."},
        ),
        "agree_reply_time": (
            "post",
            reverse("complaints:action", args=[complaint.pk, "agree_reply_time"]),
            {"agree_reply_time-reply_due_at": due},
        ),
        "reassign": ("post", reverse("complaints:action", args=[complaint.pk, "reassign"]), None),
        "admin_changelist": ("get", reverse("admin:complaints_complaint_changelist"), None),
    }
    method, url, data = table[name]
    return getattr(client, method)(url, data or {})


OK, DENIED, LOGIN = "ok", "denied", "login"
# url -> {role: expected}; "ok" is 200 for GET, 302 back to the complaint for POST.
MATRIX = {
    "list": dict(agent=OK, supervisor=OK, department_handler=OK, manager=OK, customer_info=OK, no_role=DENIED),
    "intake_walk_in": dict(
        agent=OK, supervisor=OK, department_handler=DENIED, manager=OK, customer_info=DENIED, no_role=DENIED
    ),
    "intake_phone": dict(
        agent=OK, supervisor=OK, department_handler=DENIED, manager=OK, customer_info=DENIED, no_role=DENIED
    ),
    "detail": dict(agent=OK, supervisor=OK, department_handler=OK, manager=OK, customer_info=OK, no_role=DENIED),
    "add_note": dict(agent=OK, supervisor=OK, department_handler=OK, manager=OK, customer_info=OK, no_role=DENIED),
    "agree_reply_time": dict(
        agent=OK, supervisor=OK, department_handler=DENIED, manager=OK, customer_info=DENIED, no_role=DENIED
    ),
    "reassign": dict(
        agent=DENIED, supervisor=OK, department_handler=DENIED, manager=OK, customer_info=DENIED, no_role=DENIED
    ),
    "admin_changelist": dict(
        agent=LOGIN, supervisor=OK, department_handler=LOGIN, manager=OK, customer_info=LOGIN, no_role=LOGIN
    ),
}
PROVER = {
    "intake_walk_in": "agent",
    "intake_phone": "agent",
    "reassign": "supervisor",
    "admin_changelist": "supervisor",
    "agree_reply_time": "agent",
}


@pytest.fixture
def users(make_user):
    staff = {"supervisor", "manager"}
    made = {
        role: make_user(role, username=f"m-{role}", is_staff=role in staff)
        for role in ROLES
        if role not in ("no_role", "anonymous")
    }
    made["no_role"] = make_user(None, username="m-none")
    # a handler sees their department's complaints (issue 13): those of these tests
    made["department_handler"].department = department()
    made["department_handler"].save(update_fields=["department"])
    return made


def _assert_ok(response, name):
    if response.request["REQUEST_METHOD"] == "GET":
        assert response.status_code == 200, name
    else:
        assert response.status_code == 302, (name, response.status_code)


@pytest.mark.parametrize("name", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, users, office, name, role):
    complaint = ComplaintFactory(office=office, received_by=users["agent"], department=department())
    if name == "reassign":  # give the reassign form a valid target
        _data = {"reassign-assignee": str(users["supervisor"].pk)}
        url = reverse("complaints:action", args=[complaint.pk, "reassign"])
        request = lambda c: c.post(url, _data)  # noqa: E731
    else:
        request = lambda c: _request(c, complaint, name)  # noqa: E731

    if role == "anonymous":
        response = request(client)
        assert response.status_code == 302
        assert "login" in response["Location"]
        return
    client.force_login(users[role])
    response = request(client)
    expected = MATRIX[name][role]
    if expected == OK:
        _assert_ok(response, name)
        return
    if expected == LOGIN:
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    else:
        assert response.status_code == 403, (name, role, response.status_code)
    assert complaint.events.count() == 0
    # The same request by a role that may succeeds: the denial was the permission.
    client.force_login(users[PROVER.get(name, "agent")])
    _assert_ok(request(client), name)


def test_handler_records_findings_but_customer_info_may_not(client, users, office):
    complaint = ComplaintFactory(office=office, received_by=users["agent"], department=department())
    complaint.reply(actor=users["agent"], note="We are on it.")
    url = reverse("complaints:action", args=[complaint.pk, "record_findings"])
    client.force_login(users["customer_info"])
    assert client.post(url, {"record_findings-findings": "x"}).status_code == 403
    client.force_login(users["department_handler"])
    assert client.post(url, {"record_findings-findings": "Pump failed."}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.findings == "Pump failed."

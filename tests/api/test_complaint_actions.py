"""The lifecycle actions and intake over the REST API (/api/v1/complaints/…).

Every action of `rules.ACTIONS` is posted: from a valid status with valid input (200, the
changed complaint), with invalid input (400, field errors), by every role (403 where the UI
says 403 too, each denial followed by the same request from a role that may), for an
unknown complaint or one of another office (404, even for a role that is also forbidden),
and from a status where it is not allowed (409). The event an API action writes is compared
field by field with the event of the same action posted through the HTML form.
"""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django import forms
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from complaints import rules
from complaints.choices import CallbackMethod, Channel, EscalationCause, EventKind, OutsideBodyKind, Status
from complaints.forms import ACTION_FORMS
from complaints.models import Category, Complaint, ComplaintEvent, Department
from tests.api.helpers import HANDLER_DEPARTMENT, LIST_URL, action_url, events_of, local_input, row
from tests.api.helpers import complaint_in as _complaint_in
from tests.factories import OfficeFactory, UserFactory, department

pytestmark = pytest.mark.django_db

S = Status
ROLES = ["agent", "supervisor", "department_handler", "manager", "customer_info", "viewer"]


MERGE_TARGET = "The complaint duplicates are merged into"


def merge_target(user) -> Complaint:
    """The open complaint of `user`'s office that the duplicates of these tests are merged into
    (the same one for the API and the HTML form, so that their events compare equal)."""
    found = Complaint.objects.filter(office=user.office, subject=MERGE_TARGET).first()
    return found or _complaint_in(S.RECEIVED, user, subject=MERGE_TARGET)


def _facts(action: str) -> dict:
    """What the level-3 and special-incident steps need besides a status (issue 13): level 3,
    an outside body already recorded, the special-incident flag."""
    referred = {
        "escalation_level": 3,
        "outside_body_kind": OutsideBodyKind.OWNERS_COMMITTEE,
        "outside_body_name": "Owners' committee of Garden Estate",
        "outside_body_contact": "Chair Mr Li, 139 0000 0000",
        "outside_body_referred_at": timezone.now() - timedelta(hours=2),
    }
    flagged = {"is_special_incident": True, "special_incident_at": timezone.now() - timedelta(hours=2)}
    return {
        "refer_to_outside_body": {"escalation_level": 3},
        "record_outside_body_answer": referred,
        "record_incident_containment": flagged,
        "record_incident_report": flagged,
    }.get(action, {})


def complaint_in(status, actor, *, action: str = "", **kwargs) -> Complaint:
    """A complaint in `status` as action `action` needs it: `claim` takes an online complaint
    nobody has claimed yet, `unmerge` (from closed) a duplicate merged into `merge_target`,
    the steps of level 3 and of special incidents their facts (`_facts`) (the others, one
    received by `actor`). Each is the handler's department's (`HANDLER_DEPARTMENT`), so the
    handler sees it and their answers are their role's (issue 13)."""
    kwargs.setdefault("department", department(HANDLER_DEPARTMENT))
    if action == "unmerge" and status == S.CLOSED:
        complaint = _complaint_in(S.RECEIVED, actor, **kwargs)
        complaint.merge_into(actor, target=merge_target(actor), note="The same leak, reported twice.")
        complaint.refresh_from_db()
        return complaint
    complaint = _complaint_in(status, actor, **kwargs)
    if action == "claim":
        Complaint.objects.filter(pk=complaint.pk).update(channel=Channel.ONLINE, received_by=None, assignee=None)
        complaint.refresh_from_db()
    if facts := _facts(action):
        Complaint.objects.filter(pk=complaint.pk).update(**facts)
        complaint.refresh_from_db()
    return complaint


# ------------------------------------------------------------------------ the tables
# action -> (a status it is allowed in, the status after it with the input below, event kind)
VALID = {
    "claim": (S.RECEIVED, S.RECEIVED, EventKind.CLAIMED),
    "reply": (S.RECEIVED, S.IN_PROGRESS, EventKind.REPLIED),
    "agree_reply_time": (S.RECEIVED, S.IN_PROGRESS, EventKind.REPLY_TIME_AGREED),
    "resolve_on_the_spot": (S.RECEIVED, S.CLOSED, EventKind.RESOLVED_ON_THE_SPOT),
    "assign_department": (S.RECEIVED, S.IN_PROGRESS, EventKind.DEPARTMENT_ASSIGNED),
    "record_findings": (S.IN_PROGRESS, S.IN_PROGRESS, EventKind.FINDINGS_RECORDED),
    "report_progress": (S.IN_PROGRESS, S.IN_PROGRESS, EventKind.PROGRESS_REPORTED),
    "propose_solution": (S.IN_PROGRESS, S.SOLUTION_PROPOSED, EventKind.SOLUTION_PROPOSED),
    "record_answer": (S.SOLUTION_PROPOSED, S.HANDLING, EventKind.SOLUTION_ACCEPTED),
    "commit_completion": (S.HANDLING, S.HANDLING, EventKind.COMPLETION_COMMITTED),
    "mark_handled": (S.HANDLING, S.RESOLVED, EventKind.HANDLED),
    "record_callback": (S.RESOLVED, S.CLOSED, EventKind.CALLBACK_RECORDED),
    "decline_callback": (S.RESOLVED, S.CALLBACK_DECLINED, EventKind.CALLBACK_DECLINED),
    "move_up": (S.RECEIVED, S.IN_PROGRESS, EventKind.MOVED_UP),
    "refer_to_outside_body": (S.IN_PROGRESS, S.IN_PROGRESS, EventKind.OUTSIDE_BODY_REFERRED),
    "record_outside_body_answer": (S.IN_PROGRESS, S.IN_PROGRESS, EventKind.OUTSIDE_BODY_ANSWERED),
    "flag_special_incident": (S.RECEIVED, S.RECEIVED, EventKind.SPECIAL_INCIDENT_FLAGGED),
    "record_incident_containment": (S.IN_PROGRESS, S.IN_PROGRESS, EventKind.INCIDENT_CONTAINED),
    "record_incident_report": (S.HANDLING, S.HANDLING, EventKind.INCIDENT_REPORTED),
    "reassign": (S.RECEIVED, S.RECEIVED, EventKind.REASSIGNED),
    "add_note": (S.HANDLING, S.HANDLING, EventKind.NOTE_ADDED),
    "mark_training_case": (S.CLOSED, S.CLOSED, EventKind.TRAINING_CASE_MARKED),
    "merge": (S.RECEIVED, S.CLOSED, EventKind.MERGED),
    "unmerge": (S.CLOSED, S.IN_PROGRESS, EventKind.UNMERGED),  # a merged duplicate (complaint_in)
}

# action -> a status it is not allowed in (add_note is allowed in every status: no 409).
NOT_ALLOWED_IN = {
    "claim": S.CLOSED,
    "reply": S.CLOSED,
    "agree_reply_time": S.SOLUTION_PROPOSED,
    "resolve_on_the_spot": S.HANDLING,
    "assign_department": S.RESOLVED,
    "record_findings": S.RECEIVED,
    "report_progress": S.RECEIVED,
    "propose_solution": S.HANDLING,
    "record_answer": S.RECEIVED,
    "commit_completion": S.IN_PROGRESS,
    "mark_handled": S.SOLUTION_PROPOSED,
    "record_callback": S.HANDLING,
    "decline_callback": S.CALLBACK_DECLINED,
    "move_up": S.CLOSED,
    "refer_to_outside_body": S.CLOSED,
    "record_outside_body_answer": S.CLOSED,
    "flag_special_incident": S.CLOSED,
    "record_incident_containment": S.CLOSED,
    "record_incident_report": S.CLOSED,
    "reassign": S.CLOSED,
    "mark_training_case": S.RESOLVED,
    "merge": S.CLOSED,
    "unmerge": S.RESOLVED,  # (closed for another reason than merged: 409 too, tests/complaints/test_merge.py)
}

# The SPEC's role table, per action: who may (the UI answers 403 to everybody else).
_RECEIVERS = {"agent", "supervisor", "manager"}
_WORKERS = _RECEIVERS | {"department_handler"}
ALLOWED = {
    "claim": _RECEIVERS,
    "reply": _WORKERS,
    "agree_reply_time": _RECEIVERS,
    "resolve_on_the_spot": _RECEIVERS,
    "assign_department": _RECEIVERS,
    "record_findings": _WORKERS,
    "report_progress": _WORKERS,
    "propose_solution": _WORKERS,
    "record_answer": _WORKERS,
    "commit_completion": _WORKERS,
    "mark_handled": _WORKERS,
    "record_callback": _RECEIVERS,
    "decline_callback": _RECEIVERS,
    "move_up": _WORKERS,
    "refer_to_outside_body": _WORKERS,  # complaints.move_up_complaint
    "record_outside_body_answer": _WORKERS,
    "flag_special_incident": _WORKERS,  # complaints.handle_special_incident
    "record_incident_containment": _WORKERS,
    "record_incident_report": _WORKERS,
    "reassign": {"supervisor", "manager"},
    "add_note": {"agent", "supervisor", "department_handler", "manager", "customer_info"},
    "mark_training_case": {"supervisor", "manager"},
    "merge": {"supervisor", "manager"},
    "unmerge": {"supervisor", "manager"},
}


def prover(name: str) -> str:
    """The role that takes the action in the tests (and proves a denial was the permission)."""
    return "supervisor" if name in ("reassign", "mark_training_case", "merge", "unmerge") else "agent"


def _minute(dt: datetime) -> datetime:
    return timezone.localtime(dt).replace(second=0, microsecond=0)


def valid_input(name: str, x) -> dict:
    """A valid JSON body for action `name` (times on the minute, so the HTML form can send them too)."""
    now = timezone.now()
    return {
        "claim": {"note": "I will call the owner this afternoon."},
        "reply": {"note": "We have called the lift company."},
        "agree_reply_time": {
            "reply_due_at": _minute(now + timedelta(hours=3)).isoformat(),
            "note": "Agreed on the phone.",
        },
        "resolve_on_the_spot": {
            "resolution": "Explained the maintenance schedule.",
            "signoff_name": "Li Wei",
            "satisfied": True,
            "apologised": True,
        },
        "assign_department": {"department": x.department.pk, "note": "Please check the pump."},
        "record_findings": {"findings": "The pump failed.", "apologised_in_person": True},
        "report_progress": {"note": "Parts ordered, fitting on Monday."},
        "propose_solution": {"solution": "Replace the pump today."},
        "record_answer": {"accepted": True, "note": "The owner agrees."},
        "commit_completion": {
            "completion_at": _minute(now + timedelta(days=2)).isoformat(),
            "note": "The parts arrive on Monday.",
        },
        "mark_handled": {"note": "Pump replaced at 15:00."},
        "record_callback": {
            "method": CallbackMethod.PHONE,
            "satisfied": True,
            "about_result": "Works again.",
            "note": "Happy with the result.",
        },
        "decline_callback": {"note": "Too busy to talk."},
        "move_up": {
            "cause": EscalationCause.BEYOND_AUTHORITY,
            "to_user": x.users["supervisor"].pk,
            "note": "Needs the supervisor.",
        },
        "refer_to_outside_body": {
            "outside_body_kind": OutsideBodyKind.PUBLIC_AGENCY,
            "outside_body_name": "District housing office",
            "outside_body_contact": "Ms Chen, 021-6234 0000",
            "note": "The committee cannot decide: the district office can.",
        },
        "record_outside_body_answer": {
            "answer": "The committee approves the repair of the roof.",
            "answered_at": _minute(now - timedelta(minutes=30)).isoformat(),
        },
        "flag_special_incident": {"note": "Water is pouring into the switch room."},
        "record_incident_containment": {"steps": "Power cut, the area cordoned off."},
        "record_incident_report": {
            "reported_to": "Duty manager Zhang",
            "reported_at": _minute(now - timedelta(minutes=10)).isoformat(),
            "note": "By phone.",
        },
        "reassign": {"assignee": x.users["supervisor"].pk, "note": "Over to you."},
        "add_note": {"note": "Called twice, no answer."},
        "mark_training_case": {"lesson": "Explain the maintenance schedule before the complainant asks."},
        "merge": {"target": f"#{merge_target(x.users['agent']).pk}", "note": "The same leak, reported twice."},
        "unmerge": {"note": "A different flat: not a duplicate."},
    }[name]


def form_data(name: str, data: dict) -> dict:
    """The same input as the HTML action form posts it ("<action>-<field>", yes/no, datetime-local)."""
    fields = ACTION_FORMS[name].base_fields
    posted = {}
    for key, value in data.items():
        field = fields[key]
        if isinstance(field, forms.TypedChoiceField):  # the yes/no radio buttons
            value = "yes" if value else "no"
        elif isinstance(field, forms.BooleanField):  # a checkbox
            if not value:
                continue
            value = "on"
        elif isinstance(field, forms.DateTimeField):
            value = local_input(datetime.fromisoformat(value))
        posted[f"{name}-{key}"] = str(value)
    return posted


@pytest.fixture
def x(users):
    return SimpleNamespace(users=users, department=department())


def post_action(client, complaint_or_pk, name, data):
    pk = getattr(complaint_or_pk, "pk", complaint_or_pk)
    return client.post(action_url(pk, name), data, format="json")


def test_every_action_is_covered_by_these_tables():
    assert set(VALID) == set(ALLOWED) == set(rules.ACTIONS)
    assert set(NOT_ALLOWED_IN) == set(rules.ACTIONS) - {"add_note"}
    assert set(rules.ACTIONS["add_note"].from_statuses) == set(S.values)  # why add_note has no 409
    for name, (status, _after, _kind) in VALID.items():
        assert rules.ACTIONS[name].allowed_in(status), name
    for name, status in NOT_ALLOWED_IN.items():
        assert not rules.ACTIONS[name].allowed_in(status), name


# ---------------------------------------------------------------------------- 200
@pytest.mark.parametrize("name", list(VALID))
def test_action_from_a_valid_status_answers_the_changed_complaint(session_client, x, name):
    status, after, kind = VALID[name]
    actor = x.users[prover(name)]
    complaint = complaint_in(status, x.users["agent"], action=name)
    before = len(events_of(complaint))

    response = post_action(session_client(actor), complaint, name, valid_input(name, x))

    assert response.status_code == 200, response.content
    body = response.json()
    complaint.refresh_from_db()
    assert body["id"] == complaint.pk and body["reference"] == f"#{complaint.pk}"
    assert body["status"] == complaint.status == after
    assert body["escalation_level"] == complaint.escalation_level
    assert body["assignee"] == complaint.assignee_id
    assert body["available_actions"] == [
        a.name.replace("_", "-")
        for a in rules.available_actions(actor, after, close_reason=complaint.close_reason, facts=complaint.facts)
    ]
    new = events_of(complaint)[before:]
    assert [(e.kind, e.actor_id, e.from_status, e.to_status) for e in new] == [(kind, actor.pk, status, after)]


def test_an_action_also_accepts_form_encoded_input(session_client, x):
    complaint = complaint_in(S.RECEIVED, x.users["agent"])
    response = session_client(x.users["agent"]).post(action_url(complaint.pk, "reply"), {"note": "Called back."})
    assert response.status_code == 200
    assert response.json()["status"] == S.IN_PROGRESS


def test_move_up_answers_the_new_level_and_assignee(session_client, x):
    complaint = complaint_in(S.RECEIVED, x.users["agent"])
    response = post_action(session_client(x.users["agent"]), complaint, "move_up", valid_input("move_up", x))
    assert response.status_code == 200
    assert response.json()["escalation_level"] == 1
    assert response.json()["assignee"] == x.users["supervisor"].pk


# ---------------------------------------------------------------------------- 400
def _set(**changes):
    def change(data, x):
        data = {**data, **{k: (v(x) if callable(v) else v) for k, v in changes.items()}}
        return {k: v for k, v in data.items() if v is not None}

    return change


def _other_office_supervisor(x):
    return UserFactory(role="supervisor", office=OfficeFactory()).pk


def _inactive_department(x):
    return Department.objects.create(name="Closed-down workshop", is_active=False).pk


def _inactive_colleague(x):
    return UserFactory(role="supervisor", office=x.users["agent"].office, is_active=False).pk


def _other_office_complaint(x):
    return _complaint_in(S.RECEIVED, UserFactory(role="agent", office=OfficeFactory())).pk


def _beyond_24h(x):
    return (timezone.now() + timedelta(hours=24, minutes=5)).isoformat()


def _past(x):
    return (timezone.now() - timedelta(hours=1)).isoformat()


def _future(x):
    return (timezone.now() + timedelta(hours=1)).isoformat()


INVALID = [
    ("claim", _set(note={"not": "a string"}), "note"),
    ("reply", _set(note=None), "note"),
    ("reply", _set(note="   "), "note"),
    ("agree_reply_time", _set(reply_due_at=None), "reply_due_at"),
    ("agree_reply_time", _set(reply_due_at=_beyond_24h), "reply_due_at"),
    ("agree_reply_time", _set(reply_due_at=_past), "reply_due_at"),
    ("agree_reply_time", _set(reply_due_at="tomorrow at noon"), "reply_due_at"),
    ("agree_reply_time", _set(reply_due_at="2025-02-30T10:00"), "reply_due_at"),
    ("resolve_on_the_spot", _set(signoff_name=None), "signoff_name"),
    ("resolve_on_the_spot", _set(resolution=""), "resolution"),
    ("resolve_on_the_spot", _set(satisfied=False), "satisfied"),
    ("assign_department", _set(department=None), "department"),
    ("assign_department", _set(department=999_999), "department"),
    ("assign_department", _set(department=_inactive_department), "department"),
    ("record_findings", _set(findings=None), "findings"),
    ("report_progress", _set(note=""), "note"),
    ("propose_solution", _set(solution=None), "solution"),
    ("record_answer", _set(accepted=None), "accepted"),
    ("record_answer", _set(accepted="maybe"), "accepted"),
    ("record_answer", _set(accepted=False, to_user=999_999), "to_user"),
    ("commit_completion", _set(completion_at=None), "completion_at"),
    ("commit_completion", _set(completion_at=_past), "completion_at"),
    ("commit_completion", _set(completion_at="next Monday"), "completion_at"),
    ("mark_handled", _set(note=None), "note"),
    ("record_callback", _set(method="fax"), "method"),
    ("record_callback", _set(satisfied=None), "satisfied"),
    ("decline_callback", _set(note={"not": "a string"}), "note"),
    ("move_up", _set(cause="bored"), "cause"),
    ("move_up", _set(cause=None), "cause"),
    ("move_up", _set(to_user=_other_office_supervisor), "to_user"),
    ("move_up", _set(to_user=_inactive_colleague), "to_user"),
    ("move_up", _set(outside_body_name="Owners' committee"), "outside_body_kind"),  # a body at level 1
    ("refer_to_outside_body", _set(outside_body_kind="embassy"), "outside_body_kind"),
    ("refer_to_outside_body", _set(outside_body_kind=None), "outside_body_kind"),
    ("refer_to_outside_body", _set(outside_body_contact="  "), "outside_body_contact"),
    ("refer_to_outside_body", _set(outside_body_name="x" * 201), "outside_body_name"),
    ("record_outside_body_answer", _set(answer=None), "answer"),
    ("record_outside_body_answer", _set(answered_at=_future), "answered_at"),
    ("flag_special_incident", _set(note=""), "note"),
    ("record_incident_containment", _set(steps=None), "steps"),
    ("record_incident_report", _set(reported_to=None), "reported_to"),
    ("record_incident_report", _set(reported_at=None), "reported_at"),
    ("record_incident_report", _set(reported_at=_future), "reported_at"),
    ("reassign", _set(assignee=None), "assignee"),
    ("reassign", _set(assignee=_other_office_supervisor), "assignee"),
    ("reassign", _set(assignee="me"), "assignee"),
    ("add_note", _set(note=None), "note"),
    ("add_note", _set(note="\t \n"), "note"),
    ("mark_training_case", _set(lesson=None), "lesson"),
    ("mark_training_case", _set(lesson=""), "lesson"),
    ("merge", _set(target=None), "target"),
    ("merge", _set(target="the other one"), "target"),
    ("merge", _set(target="#999999999"), "target"),  # no such complaint
    ("merge", _set(target=lambda x: f"#{_other_office_complaint(x)}"), "target"),  # not one you can see
    ("merge", _set(note="  "), "note"),
    ("unmerge", _set(note=None), "note"),
]


def test_every_action_has_an_invalid_input_case():
    assert {name for name, _change, _field in INVALID} == set(rules.ACTIONS)


@pytest.mark.parametrize(
    ("name", "change", "field"), INVALID, ids=[f"{n}-{f}-{i}" for i, (n, _c, f) in enumerate(INVALID)]
)
def test_invalid_input_is_400_with_field_errors_and_changes_nothing(session_client, x, name, change, field):
    status = VALID[name][0]
    complaint = complaint_in(status, x.users["agent"], action=name)
    before, n_events = row(complaint), len(events_of(complaint))

    response = post_action(session_client(x.users[prover(name)]), complaint, name, change(valid_input(name, x), x))

    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert isinstance(errors[field], list) and all(isinstance(m, str) and m for m in errors[field])
    assert row(complaint) == before
    assert len(events_of(complaint)) == n_events


def test_malformed_json_is_400(session_client, x):
    complaint = complaint_in(S.RECEIVED, x.users["agent"])
    before = row(complaint)
    response = session_client(x.users["agent"]).post(
        action_url(complaint.pk, "reply"), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()
    assert row(complaint) == before and events_of(complaint) == []


# ---------------------------------------------------------------------------- 403
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(VALID))
def test_permission_matrix_matches_the_ui(client, session_client, x, name, role):
    """API 200 ↔ UI 302 and API 403 ↔ UI 403, for every action × role; a denial changes nothing
    and the same request by a role that may then succeeds."""
    status = VALID[name][0]
    complaint = complaint_in(status, x.users["agent"], action=name)
    twin = complaint_in(status, x.users["agent"], action=name)  # the same case, for the HTML form
    data = valid_input(name, x)
    before, n_events = row(complaint), len(events_of(complaint))
    user = x.users[role]

    response = post_action(session_client(user), complaint, name, data)
    client.force_login(user)
    ui = client.post(reverse("complaints:action", args=[twin.pk, name]), form_data(name, data))

    if role in ALLOWED[name]:
        assert (response.status_code, ui.status_code) == (200, 302), response.content
        assert response.json()["status"] == VALID[name][1]
        return
    assert (response.status_code, ui.status_code) == (403, 403)
    assert response.json()["code"] == "permission_denied"
    assert row(complaint) == before and len(events_of(complaint)) == n_events
    # The same request by a role that may succeeds: the denial was the permission.
    again = post_action(session_client(x.users[prover(name)]), complaint, name, data)
    assert again.status_code == 200, again.content


# ---------------------------------------------------------------------------- 404
@pytest.mark.parametrize("name", list(VALID))
def test_unknown_complaint_is_404(session_client, x, name):
    complaint_in(VALID[name][0], x.users["agent"], action=name)
    unknown = (Complaint.objects.aggregate(top=Max("pk"))["top"] or 0) + 1000

    response = post_action(session_client(x.users[prover(name)]), unknown, name, valid_input(name, x))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("name", list(VALID))
def test_complaint_of_another_office_is_404_even_for_a_forbidden_role(session_client, x, make_user, other_office, name):
    outsider = make_user("agent", office_=other_office, username="outsider")
    complaint = complaint_in(VALID[name][0], outsider, action=name)
    before, n_events = row(complaint), len(events_of(complaint))
    forbidden = next(r for r in ROLES if r not in ALLOWED[name])  # e.g. viewer, customer_info, agent

    allowed = post_action(session_client(x.users[prover(name)]), complaint, name, valid_input(name, x))
    denied = post_action(session_client(x.users[forbidden]), complaint, name, valid_input(name, x))

    assert (allowed.status_code, denied.status_code) == (404, 404)
    assert allowed.json() == denied.json()  # no difference tells that the complaint exists
    assert row(complaint) == before and len(events_of(complaint)) == n_events


def test_manager_acts_on_a_complaint_of_another_office(session_client, x, make_user, other_office):
    outsider = make_user("agent", office_=other_office, username="outsider")
    complaint = complaint_in(S.RECEIVED, outsider)
    response = post_action(session_client(x.users["manager"]), complaint, "add_note", {"note": "Head office saw it."})
    assert response.status_code == 200


@pytest.mark.parametrize("pk", ["abc", "null", "1e3"])
def test_non_numeric_complaint_id_is_404(session_client, x, pk):
    client = session_client(x.users["agent"])
    client.raise_request_exception = False
    response = post_action(client, pk, "add_note", {"note": "Hello"})
    assert response.status_code == 404


# ---------------------------------------------------------------------------- 409
@pytest.mark.parametrize("name", list(NOT_ALLOWED_IN))
def test_action_in_a_status_that_does_not_allow_it_is_409(session_client, x, name):
    status = NOT_ALLOWED_IN[name]
    complaint = complaint_in(status, x.users["agent"], action=name)
    before, n_events = row(complaint), len(events_of(complaint))

    response = post_action(session_client(x.users[prover(name)]), complaint, name, valid_input(name, x))

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["action"] == name
    assert body["status"] == status
    assert str(rules.ACTIONS[name].label) in body["detail"] and str(S(status).label) in body["detail"]
    assert row(complaint) == before and len(events_of(complaint)) == n_events


def test_move_up_beyond_the_highest_level_is_409(session_client, x):
    complaint = complaint_in(S.RECEIVED, x.users["agent"])
    for _ in range(2):
        complaint.move_up(actor=x.users["agent"], cause=EscalationCause.BEYOND_AUTHORITY)
    complaint.move_up(  # level 3: to an outside body (issue 13)
        actor=x.users["agent"],
        cause=EscalationCause.BEYOND_AUTHORITY,
        outside_body_kind=OutsideBodyKind.OWNERS_COMMITTEE,
        outside_body_name="Owners' committee",
        outside_body_contact="Chair Mr Li, 139 0000 0000",
    )
    response = post_action(
        session_client(x.users["agent"]), complaint, "move_up", {"cause": EscalationCause.BEYOND_AUTHORITY}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "max_escalation_level"
    complaint.refresh_from_db()
    assert complaint.escalation_level == 3


# ------------------------------------------------------------------ same event as the UI
EVENT_FIELDS = ["kind", "actor_id", "from_status", "to_status", "from_level", "to_level", "note", "data"]
COMPLAINT_FIELDS = [
    "status",
    "escalation_level",
    "assignee_id",
    "department_id",
    "close_reason",
    "findings",
    "solution",
    "resolution",
    "signoff_name",
    "apologised",
    "committed_completion_at",
    "is_training_case",
    "training_lesson",
]


@pytest.mark.parametrize("name", list(VALID))
def test_api_action_writes_the_same_event_as_the_html_form(client, session_client, x, name):
    status = VALID[name][0]
    actor = x.users[prover(name)]
    via_api = complaint_in(status, x.users["agent"], action=name)
    via_form = complaint_in(status, x.users["agent"], action=name)
    data = valid_input(name, x)

    response = post_action(session_client(actor), via_api, name, data)
    client.force_login(actor)
    page = client.post(reverse("complaints:action", args=[via_form.pk, name]), form_data(name, data))

    assert (response.status_code, page.status_code) == (200, 302)
    api_event, form_event = events_of(via_api)[-1], events_of(via_form)[-1]
    for field in EVENT_FIELDS:
        assert getattr(api_event, field) == getattr(form_event, field), field
    assert api_event.kind == VALID[name][2] and api_event.actor_id == actor.pk
    via_api.refresh_from_db()
    via_form.refresh_from_db()
    for field in COMPLAINT_FIELDS:
        assert getattr(via_api, field) == getattr(via_form, field), field


# ---------------------------------------------------------------------------- intake
def intake_body(**overrides):
    body = {
        "channel": Channel.ONLINE,
        "complainant_name": "Mr Huang",
        "contact_phone": "13912345678",
        "contact_email": "huang@example.com",
        "incident_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "incident_place": "Building 3, lobby",
        "subject": "Lobby door broken",
        "description": "The automatic door does not open.",
        "category": Category.objects.get(code="repairs").pk,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_intake_logs_a_received_complaint_of_the_users_office(session_client, users):
    agent = users["agent"]
    response = session_client(agent).post(LIST_URL, intake_body(), format="json")

    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get()
    body = response.json()
    assert body["id"] == complaint.pk and body["status"] == S.RECEIVED
    assert complaint.office == agent.office and complaint.received_by == agent and complaint.assignee == agent
    assert complaint.channel == Channel.ONLINE and complaint.status == S.RECEIVED
    assert complaint.received_at < complaint.reply_due_at <= complaint.received_at + timedelta(hours=24)
    event = ComplaintEvent.objects.get()
    assert (event.complaint, event.kind, event.actor, event.from_status, event.to_status) == (
        complaint,
        EventKind.RECEIVED,
        agent,
        "",
        S.RECEIVED,
    )


def test_intake_of_an_anonymous_complaint_needs_no_name(session_client, users):
    response = session_client(users["agent"]).post(
        LIST_URL, intake_body(complainant_name=None, is_anonymous=True), format="json"
    )
    assert response.status_code == 201, response.content
    assert Complaint.objects.get().is_anonymous


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"contact_phone": "12ab"}, "contact_phone"),
        ({"contact_phone": "1391234567"}, "contact_phone"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"contact_qq": "0123"}, "contact_qq"),
        ({"contact_wechat": "a b"}, "contact_wechat"),
        ({"incident_at": None}, "incident_at"),
        ({"incident_at": "yesterday"}, "incident_at"),
        ({"incident_at": "__future__"}, "incident_at"),
        ({"incident_place": None}, "incident_place"),
        ({"subject": ""}, "subject"),
        ({"description": None}, "description"),
        ({"category": None}, "category"),
        ({"category": 999_999}, "category"),
        ({"channel": "pigeon"}, "channel"),
        ({"channel": None}, "channel"),
        ({"complainant_name": None}, "complainant_name"),
        ({"complainant_name": "  ", "is_anonymous": False}, "complainant_name"),
    ],
)
def test_intake_rejects_bad_input_and_saves_nothing(session_client, users, overrides, field):
    if overrides.get("incident_at") == "__future__":
        overrides = {"incident_at": (timezone.now() + timedelta(hours=2)).isoformat()}
    response = session_client(users["agent"]).post(LIST_URL, intake_body(**overrides), format="json")

    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert Complaint.objects.count() == 0 and ComplaintEvent.objects.count() == 0


def test_intake_rejects_an_inactive_category(session_client, users):
    category = Category.objects.create(name="Retired", code="retired", is_active=False)
    response = session_client(users["agent"]).post(LIST_URL, intake_body(category=category.pk), format="json")
    assert response.status_code == 400 and "category" in response.json()
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize("role", ["department_handler", "customer_info", "viewer"])
def test_intake_is_403_for_roles_that_do_not_receive_complaints(session_client, users, role):
    response = session_client(users[role]).post(LIST_URL, intake_body(), format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Complaint.objects.count() == 0 and ComplaintEvent.objects.count() == 0
    # The same request by an agent succeeds: the denial was the permission.
    assert session_client(users["agent"]).post(LIST_URL, intake_body(), format="json").status_code == 201


def test_intake_by_a_user_without_an_office_is_403(session_client, users):
    homeless = UserFactory(role="agent", office=None)
    response = session_client(homeless).post(LIST_URL, intake_body(), format="json")
    assert response.status_code == 403
    assert Complaint.objects.count() == 0

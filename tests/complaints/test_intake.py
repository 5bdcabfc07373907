"""`Complaint.receive()`: the one intake method every channel calls (R-C1 … R-C5)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from complaints import intake
from complaints.calendar import WorkingHours
from complaints.choices import Channel, CloseReason, EscalationCause, EventKind, Outcome, Status
from complaints.forms import PhoneIntakeForm, WalkInIntakeForm
from complaints.models import Category, Complaint, ComplaintEvent
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def case(**overrides):
    now = timezone.now()
    fields = {
        "channel": Channel.PHONE,
        "complainant_name": "王芳",
        "contact_phone": "13912345678",
        "incident_at": now - timedelta(hours=2),
        "incident_place": "5 號樓車庫",
        "subject": "閘門壞了",
        "description": "住戶卡打不開車庫閘門。",
        "category": Category.objects.get(code="repairs"),
    }
    fields.update(overrides)
    return fields


def nothing_written(before):
    return (Complaint.objects.count(), ComplaintEvent.objects.count()) == before


def counts():
    return Complaint.objects.count(), ComplaintEvent.objects.count()


# ---------------------------------------------------------------- outcomes
def test_without_an_outcome_the_reply_is_due_by_the_deadline(agent):
    start = timezone.now()
    complaint = Complaint.receive(actor=agent, office=agent.office, **case())
    assert complaint.status == Status.RECEIVED
    assert start + timedelta(hours=24) <= complaint.reply_due_at <= timezone.now() + timedelta(hours=24)
    assert list(complaint.events.values_list("kind", flat=True)) == [EventKind.RECEIVED]


def test_reply_time_outcome_agrees_the_time(agent):
    due = timezone.now() + timedelta(hours=6)
    complaint = Complaint.receive(
        actor=agent, office=agent.office, outcome=Outcome.REPLY_TIME, reply_due_at=due, **case()
    )
    assert (complaint.status, complaint.reply_due_at) == (Status.IN_PROGRESS, due)
    assert list(complaint.events.values_list("kind", flat=True)) == [EventKind.RECEIVED, EventKind.REPLY_TIME_AGREED]


def test_on_the_spot_outcome_closes_with_the_sign_off(agent):
    complaint = Complaint.receive(
        actor=agent,
        office=agent.office,
        outcome=Outcome.ON_THE_SPOT,
        resolution="已當場解釋。",
        signoff_name="王芳",
        satisfied=True,
        apologised=True,
        **case(channel=Channel.WALK_IN),
    )
    assert (complaint.status, complaint.close_reason) == (Status.CLOSED, CloseReason.ON_THE_SPOT)
    assert complaint.signoff_name == "王芳" and complaint.apologised


def test_move_up_outcome_hands_a_walk_in_to_the_supervisor(agent, supervisor):
    complaint = Complaint.receive(
        actor=agent,
        office=agent.office,
        outcome=Outcome.MOVE_UP,
        supervisor=supervisor,
        handover_note="仍然很激動。",
        **case(channel=Channel.WALK_IN),
    )
    assert (complaint.escalation_level, complaint.assignee, complaint.is_emotional) == (1, supervisor, True)
    moved = complaint.events.get(kind=EventKind.MOVED_UP)
    assert moved.data["escalation_cause"] == EscalationCause.EMOTIONAL and moved.note == "仍然很激動。"


# ---------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"outcome": Outcome.REPLY_TIME}, "reply_due_at"),
        ({"outcome": Outcome.REPLY_TIME, "reply_due_at": "__25h__"}, "reply_due_at"),
        ({"outcome": Outcome.REPLY_TIME, "reply_due_at": "__past__"}, "reply_due_at"),
        ({"outcome": Outcome.ON_THE_SPOT, "resolution": "Explained.", "signoff_name": "王芳"}, "satisfied"),
        ({"outcome": Outcome.ON_THE_SPOT, "satisfied": True, "signoff_name": "王芳"}, "resolution"),
        ({"outcome": Outcome.MOVE_UP}, "supervisor"),
        ({"outcome": "nonsense"}, "outcome"),
        ({"complainant_name": ""}, "complainant_name"),
        ({"incident_at": "__future__"}, "incident_at"),
        ({"channel": "carrier_pigeon"}, "channel"),
    ],
)
def test_a_broken_rule_raises_before_anything_is_written(agent, arguments, field):
    now = timezone.now()
    magic = {
        "__25h__": now + timedelta(hours=24, minutes=2),
        "__past__": now - timedelta(minutes=5),
        "__future__": now + timedelta(hours=2),
    }
    arguments = {k: magic.get(v, v) if isinstance(v, str) else v for k, v in arguments.items()}
    fields = {k: arguments.pop(k) for k in list(arguments) if k in ("complainant_name", "incident_at", "channel")}
    before = counts()
    with pytest.raises(ValidationError) as exc:
        Complaint.receive(actor=agent, office=agent.office, **arguments, **case(**fields))
    assert field in exc.value.message_dict
    assert nothing_written(before)


def test_only_a_walk_in_is_moved_up_at_intake(agent, supervisor):
    with pytest.raises(ValidationError) as exc:
        Complaint.receive(actor=agent, office=agent.office, outcome=Outcome.MOVE_UP, supervisor=supervisor, **case())
    assert "outcome" in exc.value.message_dict


def test_an_inactive_category_is_refused(agent):
    category = Category.objects.create(name="Retired", code="retired", is_active=False)
    with pytest.raises(ValidationError) as exc:
        Complaint.receive(actor=agent, office=agent.office, **case(category=category))
    assert "category" in exc.value.message_dict


def test_field_errors_and_intake_rules_are_reported_together(agent):
    with pytest.raises(ValidationError) as exc:
        Complaint.receive(
            actor=agent,
            office=agent.office,
            outcome=Outcome.REPLY_TIME,
            **case(contact_phone="12ab", complainant_name=""),
        )
    assert {"contact_phone", "complainant_name", "reply_due_at"} <= set(exc.value.message_dict)


def test_a_user_without_an_office_cannot_receive(make_user):
    loner = make_user("agent", office_=None, username="loner")
    with pytest.raises(ValidationError) as exc:
        Complaint.receive(actor=loner, office=None, **case())
    assert "office" in exc.value.message_dict


# ------------------------------------------------ one reply-window rule
@pytest.fixture
def friday_afternoon_on_the_working_calendar(settings, monkeypatch):
    """Friday 17:00 with an 8-hour reply window counted on the working calendar
    (Mon–Fri 09:00–12:00, 13:30–18:00): the deadline is capped at Saturday 17:00."""
    settings.HELPDESK_WORKING_CALENDAR = True
    settings.HELPDESK_REPLY_WINDOW_HOURS = 8
    settings.HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {}
    WorkingHours.create_default_week()
    friday_17 = datetime(2025, 6, 6, 17, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: friday_17)
    return friday_17


def test_form_and_model_accept_the_same_reply_times_on_the_working_calendar(
    agent, friday_afternoon_on_the_working_calendar
):
    friday_17 = friday_afternoon_on_the_working_calendar
    saturday_10 = friday_17 + timedelta(hours=17)  # past "now + 8 h", inside the working-time deadline
    assert intake.reply_time_error(reply_due_at=saturday_10, received_at=friday_17, tier=None, now=friday_17) is None

    data = {
        "complainant_name": "王芳",
        "contact_phone": "139 1234 5678",
        "incident_at": "2025-06-06T15:00",
        "incident_place": "5 號樓",
        "subject": "閘門壞了",
        "description": "打不開。",
        "category": str(Category.objects.get(code="repairs").pk),
        "outcome": "reply_time",
        "reply_due_at": "2025-06-07T10:00",
    }
    form = PhoneIntakeForm(data, user=agent)
    assert form.is_valid(), form.errors
    complaint = form.log()
    assert complaint.reply_due_at == saturday_10

    too_late = PhoneIntakeForm({**data, "reply_due_at": "2025-06-07T17:01"}, user=agent)
    assert not too_late.is_valid() and "reply_due_at" in too_late.errors


def test_the_walk_in_form_and_the_model_give_the_same_messages(agent):
    data = {"incident_at": "", "outcome": "move_up"}
    form = WalkInIntakeForm(data, user=agent)
    assert not form.is_valid()
    assert form.errors["supervisor"] == ["Choose the supervisor who takes over."]


# ------------------------------------------------------------- the API
def test_the_api_takes_the_outcome_through_the_same_method(client, agent, supervisor):
    client.force_login(agent)
    body = {
        **case(channel=Channel.WALK_IN),
        "category": Category.objects.get(code="repairs").pk,
        "incident_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "outcome": "move_up",
        "supervisor": supervisor.pk,
        "handover_note": "仍然很激動。",
    }
    response = client.post("/api/v1/complaints/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    complaint = Complaint.objects.get(pk=response.json()["id"])
    assert (complaint.escalation_level, complaint.assignee_id) == (1, supervisor.pk)


def test_the_api_refuses_a_reply_time_past_the_window_with_a_400(client, agent):
    client.force_login(agent)
    body = {
        **case(),
        "category": Category.objects.get(code="repairs").pk,
        "incident_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "outcome": "reply_time",
        "reply_due_at": (timezone.now() + timedelta(hours=25)).isoformat(),
    }
    before = counts()
    response = client.post("/api/v1/complaints/", body, content_type="application/json")
    assert response.status_code == 400 and "reply_due_at" in response.json()
    assert nothing_written(before)


def test_a_tier_window_applies_at_intake(agent, settings):
    settings.HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {"A": 4.0}
    customer = CustomerFactory(tier="A")
    with pytest.raises(ValidationError) as exc:
        Complaint.receive(
            actor=agent,
            office=agent.office,
            outcome=Outcome.REPLY_TIME,
            customer=customer,
            reply_due_at=timezone.now() + timedelta(hours=5),
            **case(),
        )
    assert "within 4 hours" in exc.value.message_dict["reply_due_at"][0]

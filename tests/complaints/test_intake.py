"""`Complaint.receive()`: the one intake method every channel calls (R-C1 … R-C5)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
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
        ({"outcome": Outcome.MOVE_UP, "channel": Channel.WALK_IN}, "supervisor"),
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


# ------------------------------------------------------- every channel (R-C1)
from complaints.intake import CHANNEL_OUTCOMES  # noqa: E402

INTAKE_URLS = {
    Channel.WALK_IN: "/complaints/new/walk-in/",
    Channel.PHONE: "/complaints/new/phone/",
    Channel.ONLINE: "/complaints/new/online/",
    Channel.LETTER: "/complaints/new/letter/",
    Channel.FIELD_VISIT: "/complaints/new/field-visit/",
}


def page_data(**overrides):
    now = timezone.localtime()
    data = {
        "complainant_name": "王芳",
        "contact_phone": "139 1234 5678",
        "incident_at": (now - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "incident_place": "5 號樓",
        "subject": "閘門壞了",
        "description": "打不開。",
        "category": str(Category.objects.get(code="repairs").pk),
        "outcome": "reply_time",
        "reply_due_at": (now + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("channel", list(INTAKE_URLS))
def test_every_channel_has_a_desk_page_that_logs_through_receive(client, agent, channel):
    client.force_login(agent)
    assert client.get(INTAKE_URLS[channel]).status_code == 200
    extra = {"received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")} if channel == Channel.LETTER else {}
    response = client.post(INTAKE_URLS[channel], page_data(**extra))
    assert response.status_code == 302, response.content.decode()[:2000]
    complaint = Complaint.objects.get()
    assert complaint.channel == channel and complaint.contact_phone == "13912345678"
    assert list(complaint.events.values_list("kind", flat=True)) == [EventKind.RECEIVED, EventKind.REPLY_TIME_AGREED]


@pytest.mark.parametrize("channel", list(INTAKE_URLS))
def test_each_page_offers_exactly_the_outcomes_of_its_channel(client, agent, channel):
    client.force_login(agent)
    form = client.get(INTAKE_URLS[channel]).context["form"]
    assert [value for value, _label in form.fields["outcome"].choices] == list(CHANNEL_OUTCOMES[channel])


def test_a_letter_counts_its_reply_window_from_its_arrival_and_shows_it_late(client, agent):
    client.force_login(agent)
    arrived = timezone.localtime() - timedelta(days=3)  # e.g. it came on Friday, logged on Monday
    response = client.post(
        INTAKE_URLS[Channel.LETTER],
        page_data(
            outcome="deadline",
            reply_due_at="",
            received_at=arrived.strftime("%Y-%m-%dT%H:%M"),
            incident_at=(arrived - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        ),
        follow=True,
    )
    complaint = Complaint.objects.get()
    assert complaint.received_at == arrived.replace(second=0, microsecond=0)
    assert complaint.reply_due_at == complaint.received_at + timedelta(hours=24)
    assert complaint.is_overdue()
    assert "has already passed" in response.content.decode()
    received = complaint.events.get(kind=EventKind.RECEIVED)
    assert datetime.fromisoformat(received.data["received_at"]) == complaint.received_at
    assert received.created_at > complaint.received_at  # logged now, arrived then: both kept


def test_a_letter_needs_its_arrival_date(client, agent):
    client.force_login(agent)
    response = client.post(INTAKE_URLS[Channel.LETTER], page_data(outcome="deadline", reply_due_at=""))
    assert response.status_code == 400 and "received_at" in response.context["form"].errors
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize(
    ("channel", "age", "error"),
    [
        (Channel.PHONE, timedelta(hours=2), "Only a letter or a field visit"),
        (Channel.ONLINE, timedelta(hours=2), "Only a letter or a field visit"),
        (Channel.LETTER, timedelta(days=15), "more than 14 days ago"),
        (Channel.FIELD_VISIT, timedelta(days=15), "more than 14 days ago"),
        (Channel.LETTER, -timedelta(hours=2), "cannot be in the future"),
    ],
)
def test_only_letters_and_field_visits_may_arrive_earlier_within_the_limit(agent, channel, age, error):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        Complaint.receive(actor=agent, office=agent.office, received_at=timezone.now() - age, **case(channel=channel))
    assert error in exc.value.message_dict["received_at"][0]
    assert nothing_written(before)


def test_a_field_visit_logged_later_keeps_its_on_site_time(agent):
    on_site = timezone.now() - timedelta(hours=2)
    complaint = Complaint.receive(
        actor=agent,
        office=agent.office,
        received_at=on_site,
        outcome=Outcome.ON_THE_SPOT,
        resolution="現場已修好。",
        signoff_name="王芳",
        satisfied=True,
        **case(channel=Channel.FIELD_VISIT),
    )
    assert complaint.received_at == on_site and complaint.status == Status.CLOSED


@pytest.mark.parametrize(
    ("channel", "outcome"),
    [
        (Channel.PHONE, Outcome.DEADLINE),
        (Channel.LETTER, Outcome.ON_THE_SPOT),
        (Channel.ONLINE, Outcome.MOVE_UP),
    ],
)
def test_an_outcome_the_channel_cannot_have_is_refused(agent, supervisor, channel, outcome):
    with pytest.raises(ValidationError) as exc:
        Complaint.receive(
            actor=agent,
            office=agent.office,
            outcome=outcome,
            supervisor=supervisor,
            resolution="x",
            signoff_name="x",
            satisfied=True,
            **case(channel=channel),
        )
    assert "outcome" in exc.value.message_dict


def test_the_api_takes_a_letter_with_its_arrival_time(client, agent):
    client.force_login(agent)
    arrived = timezone.now() - timedelta(days=2)
    body = {
        **case(channel=Channel.LETTER),
        "category": Category.objects.get(code="repairs").pk,
        "incident_at": (arrived - timedelta(days=1)).isoformat(),
        "received_at": arrived.isoformat(),
    }
    response = client.post("/api/v1/complaints/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["received_at"].startswith(timezone.localtime(arrived).strftime("%Y-%m-%dT%H:%M"))
    assert response.json()["is_overdue"] is True


@pytest.mark.parametrize("extra", [{"received_by": 1}, {"status": "closed"}, {"reply_due": "tomorrow"}])
def test_the_api_refuses_fields_it_does_not_take(client, agent, extra):
    client.force_login(agent)
    body = {
        **case(),
        "category": Category.objects.get(code="repairs").pk,
        "incident_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        **extra,
    }
    before = counts()
    response = client.post("/api/v1/complaints/", body, content_type="application/json")
    assert response.status_code == 400 and list(extra)[0] in response.json()
    assert nothing_written(before)


# -------------------------------------------------- the complainant's history
from complaints.selectors import Complainant, complainant_history  # noqa: E402
from tests.factories import ComplaintFactory  # noqa: E402


def test_the_same_person_written_four_ways_is_one_history(client, agent):
    first = Complaint.receive(actor=agent, office=agent.office, **case(contact_phone="139 1234 5678"))
    second = Complaint.receive(actor=agent, office=agent.office, **case(contact_phone="+86 139-1234-5678"))
    third = Complaint.receive(
        actor=agent, office=agent.office, **case(contact_phone="", contact_email="Wang.Fang@Example.COM ")
    )
    fourth = Complaint.receive(
        actor=agent,
        office=agent.office,
        **case(contact_phone="0086 13912345678", contact_email="wang.fang@example.com"),
    )
    other = Complaint.receive(actor=agent, office=agent.office, **case(contact_phone="13800138000"))
    client.force_login(agent)
    page = client.get(f"/complaints/{fourth.pk}/")
    history = page.context["history"]
    assert {c.pk for c in history} == {first.pk, second.pk, third.pk}
    assert other.pk not in {c.pk for c in history}
    assert f"#{first.pk}" in page.content.decode()
    # and by the contacts as typed, in the list search
    for typed in ["139 1234 5678", "+86 139 1234 5678", "WANG.FANG@example.com"]:
        found = {c.pk for c in client.get("/complaints/", {"q": typed}).context["page"]}
        assert {fourth.pk} <= found, typed


def test_the_history_takes_one_query_however_many_complaints(agent, django_assert_num_queries):
    target = Complaint.receive(actor=agent, office=agent.office, **case())
    who = Complainant.of(target)
    agent.has_perm("complaints.view_complaint")  # the user's permissions are loaded once per request
    with django_assert_num_queries(1):
        assert complainant_history(agent, who, exclude=target.pk) == []
    ComplaintFactory.create_batch(30, office=agent.office, received_by=agent, contact_phone="13912345678")
    with django_assert_num_queries(1):
        history = complainant_history(agent, who, exclude=target.pk)
    assert len(history) == 20
    with django_assert_num_queries(0):  # what the list shows was read with them
        html = render_to_string("complaints/_history.html", {"history": history})
        assert all(c.reference in html and c.subject in html and c.get_status_display() for c in history)


def test_the_history_shows_only_complaints_the_user_may_see(agent, make_user, other_office):
    elsewhere = make_user("agent", office_=other_office, username="elsewhere")
    Complaint.receive(actor=elsewhere, office=other_office, **case())
    mine = Complaint.receive(actor=agent, office=agent.office, **case())
    assert complainant_history(agent, Complainant.of(mine), exclude=mine.pk) == []


def test_anonymous_complaints_have_no_history(agent):
    Complaint.receive(actor=agent, office=agent.office, **case())
    anonymous = Complaint.receive(actor=agent, office=agent.office, **case(is_anonymous=True, complainant_name=""))
    assert complainant_history(agent, Complainant.of(anonymous), exclude=anonymous.pk) == []


def test_the_intake_form_flags_a_repeat_complainant_while_the_phone_is_typed(client, agent, handler):
    earlier = Complaint.receive(actor=agent, office=agent.office, **case())
    client.force_login(agent)
    answer = client.get("/complaints/new/repeat-check/", {"phone": "139-1234-5678"}).json()
    assert answer["count"] == 1 and answer["complaints"][0]["reference"] == earlier.reference
    assert "Repeat complainant" in answer["message"]
    assert client.get("/complaints/new/repeat-check/", {"phone": "13800000000"}).json()["count"] == 0
    assert client.get("/complaints/new/repeat-check/").json()["count"] == 0
    client.force_login(handler)  # no receive permission
    assert client.get("/complaints/new/repeat-check/", {"phone": "13912345678"}).status_code == 403


def test_the_customer_page_lists_the_customers_complaints(client, manager, agent):
    customer = CustomerFactory(phone="021-6234 5678")
    linked = Complaint.receive(actor=agent, office=agent.office, **case(customer=customer))
    by_phone = Complaint.receive(actor=agent, office=agent.office, **case(contact_phone="+86 21 6234 5678"))
    client.force_login(manager)
    page = client.get(f"/customers/{customer.pk}/")
    assert {c.pk for c in page.context["complaints"]} == {linked.pk, by_phone.pk}


def test_existing_e_mails_are_lowered_by_the_migration(agent):
    import importlib

    from django.apps import apps
    from django.db import connection as db

    complaint = Complaint.receive(actor=agent, office=agent.office, **case(contact_email="a@b.cn"))
    with db.cursor() as cursor:  # as typed before the field normalised it
        cursor.execute(
            "UPDATE complaints_complaint SET contact_email = %s WHERE id = %s", [" Wang@Example.COM", complaint.pk]
        )
    importlib.import_module("complaints.migrations.0014_email_contacts").lowercase_emails(apps, None)
    assert Complaint.objects.filter(pk=complaint.pk).values_list("contact_email", flat=True)[0] == "wang@example.com"


def test_the_api_refuses_a_field_of_another_outcome(client, agent):
    client.force_login(agent)
    body = {
        **case(),
        "category": Category.objects.get(code="repairs").pk,
        "incident_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "outcome": "reply_time",
        "reply_due_at": (timezone.now() + timedelta(hours=2)).isoformat(),
        "signoff_name": "王芳",
    }
    before = counts()
    response = client.post("/api/v1/complaints/", body, content_type="application/json")
    assert response.status_code == 400 and "signoff_name" in response.json()
    assert nothing_written(before)

"""Messages for absent colleagues (R-F6): taking one notifies the colleague; who may mark it
done; the overdue sweep flags once, tells the supervisors and is set-based; a message becomes a
complaint through the one intake method; the pages with their permission matrix, bad input
(400, never 500) and a fixed number of queries on the desk list."""

import zlib
from datetime import timedelta
from unittest import mock

import factory
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.choices import Channel, EventKind, Status
from complaints.models import Complaint
from followups import messages, tasks
from followups.models import PhoneMessage, Urgency
from notifications.models import Kind, Notification
from notifications.texts import render_message
from tests.factories import ComplaintFactory, CustomerFactory, OfficeFactory, UserFactory, default_category

pytestmark = pytest.mark.django_db

DELAY = "notifications.tasks.deliver_emails.delay"
LIST = reverse("followups:message_list")
NEW = reverse("followups:message_new")


class PhoneMessageFactory(factory.django.DjangoModelFactory):
    """An open message, its call-back time in two hours (the services are tested separately)."""

    class Meta:
        model = PhoneMessage

    office = factory.SubFactory(OfficeFactory)
    taken_by = factory.SubFactory(UserFactory, office=factory.SelfAttribute("..office"))
    for_user = factory.SubFactory(UserFactory, office=factory.SelfAttribute("..office"))
    caller_name = factory.Sequence(lambda n: f"Caller {n}")
    contact_phone = "13912345678"
    about = "Asks when the water will be back on in building 3."
    call_back_by = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=2))


def overdue(office, **kwargs) -> PhoneMessage:
    kwargs.setdefault("call_back_by", timezone.now() - timedelta(hours=1))
    return PhoneMessageFactory(office=office, **kwargs)


def local_input(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def message_data(colleague, **overrides) -> dict:
    data = {
        "for_user": str(colleague.pk),
        "caller_name": "Mr Li",
        "contact_phone": "+86 139-1234-5678",
        "contact_other": "",
        "customer": "",
        "complaint": "",
        "about": "The lift in building 3 stopped again; wants a call back today.",
        "urgency": Urgency.URGENT,
        "call_back_by": local_input(timezone.now() + timedelta(hours=3)),
    }
    data.update(overrides)
    return data


def case_data(**overrides) -> dict:
    data = {
        "incident_at": local_input(timezone.now() - timedelta(hours=1)),
        "incident_place": "Building 3, lift",
        "persons_involved": "",
        "subject": "Lift stopped between floors",
        "category": str(default_category().pk),
        "reply_due_at": "",
    }
    data.update(overrides)
    return data


def take(by, for_user, **overrides):
    arguments = {
        "by": by,
        "for_user": for_user,
        "caller_name": "Mr Li",
        "contact_phone": "+86 139-1234-5678",
        "about": "The lift in building 3 stopped again.",
        "call_back_by": timezone.now() + timedelta(hours=3),
    }
    arguments.update(overrides)
    return messages.take_message(**arguments)


@pytest.fixture
def colleague(make_user):
    return make_user("agent", username="colleague")


# ============================================================================ services
def test_taking_a_message_notifies_the_colleague_after_commit(agent, colleague, django_capture_on_commit_callbacks):
    # given an agent taking a call for an absent colleague
    with mock.patch(DELAY) as delay, django_capture_on_commit_callbacks(execute=True) as callbacks:
        # when the message is taken
        message = take(agent, colleague, urgency=Urgency.URGENT)
        assert not delay.called  # nothing is handed to the broker before the commit
    # then it is on the colleague's desk, the phone stored normalised
    assert (message.office_id, message.taken_by, message.for_user) == (agent.office_id, agent, colleague)
    assert message.contact_phone == "13912345678" and message.done_at is None
    # and the colleague (only) got one `message_left` notification, e-mailed after commit
    note = Notification.objects.get()
    assert (note.recipient, note.kind) == (colleague, Kind.MESSAGE_LEFT)
    assert note.data["caller"] == "Mr Li" and note.data["message"] == message.pk
    assert len(callbacks) == 1 and delay.call_args.args == ([note.pk],)
    assert note.message.startswith("Urgent: ") and "Mr Li" in note.message


def test_a_message_about_a_complaint_links_it_in_the_notification(agent, colleague):
    complaint = ComplaintFactory(office=agent.office, received_by=agent)
    message = take(agent, colleague, complaint=complaint)
    assert message.complaint == complaint
    assert Notification.objects.get().complaint_id == complaint.pk


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"caller_name": "  "}, "caller_name"),
        ({"about": ""}, "about"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"contact_phone": "", "contact_other": ""}, "contact_phone"),
        ({"call_back_by": timezone.now() - timedelta(minutes=1)}, "call_back_by"),
        ({"call_back_by": timezone.now() + timedelta(days=45)}, "call_back_by"),
        ({"urgency": "whenever"}, "urgency"),
    ],
)
def test_taking_a_message_validates_before_writing(agent, colleague, overrides, field):
    with pytest.raises(ValidationError) as raised:
        take(agent, colleague, **overrides)
    assert field in raised.value.message_dict
    assert not PhoneMessage.objects.exists() and not Notification.objects.exists()


def test_a_message_is_for_an_active_colleague_of_the_same_office(agent, make_user, other_office):
    stranger = make_user("agent", office_=other_office)
    gone = make_user("agent", is_active=False)
    for for_user in (stranger, gone, agent):
        with pytest.raises(ValidationError) as raised:
            take(agent, for_user)
        assert "for_user" in raised.value.message_dict
    assert not PhoneMessage.objects.exists()


def test_a_message_cannot_link_a_complaint_of_another_office(agent, colleague, other_office):
    elsewhere = ComplaintFactory(office=other_office)
    with pytest.raises(ValidationError) as raised:
        take(agent, colleague, complaint=elsewhere)
    assert "complaint" in raised.value.message_dict


@pytest.mark.parametrize("who", ["recipient", "taker", "supervisor", "manager"])
def test_mark_done_by_who_may(who, agent, colleague, supervisor, manager):
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=colleague)
    by = {"recipient": colleague, "taker": agent, "supervisor": supervisor, "manager": manager}[who]
    done = messages.mark_done(message, by=by, note=" Called back. ")
    assert done.done_by == by and done.done_at is not None and done.done_note == "Called back."


def test_mark_done_is_idempotent(agent, colleague):
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=colleague)
    first = messages.mark_done(message, by=colleague, note="Called back.")
    again = messages.mark_done(message, by=agent, note="Me too.")
    assert (again.done_at, again.done_by, again.done_note) == (first.done_at, colleague, "Called back.")


def test_mark_done_refused_to_others(agent, colleague, make_user, other_office):
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=colleague)
    bystander = make_user("agent")
    handler = make_user("department_handler")
    supervisor_elsewhere = make_user("supervisor", office_=other_office)
    for by in (bystander, handler, supervisor_elsewhere):
        with pytest.raises(PermissionDenied):
            messages.mark_done(message, by=by)
    message.refresh_from_db()
    assert message.done_at is None


# ------------------------------------------------------------------------ the sweep
def test_overdue_messages_are_flagged_once_and_the_supervisors_told(
    office, other_office, supervisor, make_user, colleague
):
    # given an open message past its call-back time, and a supervisor of another office
    other_supervisor = make_user("supervisor", office_=other_office)
    message = overdue(office, for_user=colleague, taken_by__office=office)
    now = timezone.now()
    # when the sweep runs twice
    first = messages.flag_overdue_messages(now=now)
    second = messages.flag_overdue_messages(now=now + timedelta(hours=1))
    # then the message was flagged once, and the office's supervisor told once
    assert first == {"flagged": 1, "notifications": 1}
    assert second == {"flagged": 0, "notifications": 0}
    message.refresh_from_db()
    assert message.overdue_flagged_at == now and message.done_at is None
    note = Notification.objects.get()
    assert (note.recipient, note.kind) == (supervisor, Kind.MESSAGE_OVERDUE)
    assert note.data["for"] == str(colleague) and note.data["caller"] == message.caller_name
    assert not Notification.objects.filter(recipient=other_supervisor).exists()
    assert str(colleague) in note.message


def test_done_flagged_or_not_yet_due_messages_are_not_flagged(office, supervisor):
    now = timezone.now()
    done = overdue(office, done_at=now - timedelta(minutes=5))
    flagged_before = now - timedelta(minutes=30)
    flagged = overdue(office, overdue_flagged_at=flagged_before)
    not_yet = PhoneMessageFactory(office=office, call_back_by=now + timedelta(minutes=1))
    assert messages.flag_overdue_messages(now=now) == {"flagged": 0, "notifications": 0}
    for row in (done, flagged, not_yet):
        row.refresh_from_db()
    assert done.overdue_flagged_at is None and not_yet.overdue_flagged_at is None
    assert flagged.overdue_flagged_at == flagged_before
    assert not Notification.objects.exists()


def _sweep_queries(now) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        counts = messages.flag_overdue_messages(now=now)
    return len(ctx.captured_queries), counts


def test_the_sweep_query_count_does_not_grow_with_the_messages(office, other_office, supervisor, make_user):
    make_user("supervisor", office_=other_office)
    now = timezone.now()
    overdue(office)
    at_1, counts_1 = _sweep_queries(now)
    for i in range(20):
        overdue(office if i % 2 else other_office)
    at_20, counts_20 = _sweep_queries(now)
    assert counts_1["flagged"] == 1 and counts_20 == {"flagged": 20, "notifications": 20}
    assert at_20 == at_1, (at_1, at_20)


def test_the_sweep_works_in_batches(office, supervisor, monkeypatch):
    monkeypatch.setattr(messages, "BATCH", 3)
    for _ in range(7):
        overdue(office)
    assert messages.flag_overdue_messages() == {"flagged": 7, "notifications": 7}
    assert not PhoneMessage.objects.filter(overdue_flagged_at__isnull=True).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock is PostgreSQL's")
def test_two_sweeps_never_run_at_once(office, supervisor):
    message = overdue(office)
    other = connections.create_connection("default")  # another beat, holding the sweep's lock
    key = zlib.crc32(messages.SWEEP_LOCK.encode()) & 0x7FFFFFFF
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        assert messages.flag_overdue_messages() == {"flagged": 0, "notifications": 0, "skipped_locked": 1}
    finally:
        with other.cursor() as cursor:  # the other beat is done (and its session gone)
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        other.close()
    message.refresh_from_db()
    assert message.overdue_flagged_at is None
    assert messages.flag_overdue_messages()["flagged"] == 1


def test_the_task_is_thin_and_scheduled(office, supervisor):
    overdue(office)
    assert tasks.flag_overdue_messages.apply().get() == {"flagged": 1, "notifications": 1}
    assert tasks.flag_overdue_messages.apply().get() == {"flagged": 0, "notifications": 0}
    task = tasks.flag_overdue_messages
    assert task.acks_late and task.reject_on_worker_lost
    entry = settings.CELERY_BEAT_SCHEDULE["overdue-phone-messages"]
    assert entry["task"] == "followups.tasks.flag_overdue_messages"
    assert entry["schedule"] == float(settings.HELPDESK_SWEEP_SECONDS)


def test_the_notification_texts_read_without_data():
    assert "—" in render_message(Kind.MESSAGE_LEFT, complaint_id=None, data={})
    assert "—" in render_message(Kind.MESSAGE_OVERDUE, complaint_id=None, data=None)


# --------------------------------------------------------------- convert (intake)
def test_a_message_becomes_a_complaint_through_the_intake(agent, colleague):
    # given a message for the colleague from a customer, with another way to reach them
    customer = CustomerFactory()
    message = PhoneMessageFactory(
        office=agent.office, taken_by=agent, for_user=colleague, customer=customer, contact_other="WeChat li_wei"
    )
    # when the colleague makes it a complaint
    incident = timezone.now() - timedelta(hours=3)
    complaint = messages.convert_to_complaint(
        message,
        by=colleague,
        incident_at=incident,
        incident_place="Building 3, lift",
        subject="Lift stopped between floors",
        category=default_category(),
    )
    # then the complaint was received by phone, prefilled from the message
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert (complaint.channel, complaint.status) == (Channel.PHONE, Status.RECEIVED)
    assert complaint.office_id == agent.office_id
    assert (complaint.received_by, complaint.customer) == (colleague, customer)
    assert complaint.complainant_name == message.caller_name and complaint.contact_phone == "13912345678"
    assert complaint.description.startswith(message.about) and "WeChat li_wei" in complaint.description
    assert complaint.incident_place == "Building 3, lift"
    assert list(complaint.events.values_list("kind", flat=True)) == [EventKind.RECEIVED]
    # and the message is done and linked to it
    message.refresh_from_db()
    assert message.converted_to == complaint and message.done_by == colleague and message.done_at is not None


def test_an_agreed_reply_time_is_the_reply_time_outcome(agent, colleague):
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=colleague)
    reply_at = timezone.now() + timedelta(hours=4)
    complaint = messages.convert_to_complaint(
        message,
        by=colleague,
        reply_due_at=reply_at,
        incident_at=timezone.now() - timedelta(hours=1),
        incident_place="Gate",
        subject="Gate broken",
        category=default_category(),
    )
    assert complaint.reply_due_at == reply_at
    assert set(complaint.events.values_list("kind", flat=True)) == {EventKind.RECEIVED, EventKind.REPLY_TIME_AGREED}


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"incident_at": timezone.now() + timedelta(days=1)}, "incident_at"),
        ({"incident_place": ""}, "incident_place"),
        ({"reply_due_at": timezone.now() + timedelta(days=3)}, "reply_due_at"),
    ],
)
def test_invalid_case_fields_write_nothing(agent, colleague, overrides, field):
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=colleague)
    arguments = {
        "incident_at": timezone.now() - timedelta(hours=1),
        "incident_place": "Gate",
        "subject": "Gate broken",
        "category": default_category(),
    }
    arguments.update(overrides)
    with pytest.raises(ValidationError) as raised:
        messages.convert_to_complaint(message, by=colleague, **arguments)
    assert field in raised.value.message_dict
    assert not Complaint.objects.exists()
    message.refresh_from_db()
    assert message.done_at is None and message.converted_to is None


def test_a_done_message_does_not_become_a_complaint(agent, colleague):
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=colleague)
    messages.mark_done(message, by=colleague)
    with pytest.raises(messages.MessageAlreadyDone):
        messages.convert_to_complaint(
            message, by=colleague, incident_at=timezone.now(), incident_place="x", subject="y", category=None
        )
    assert not Complaint.objects.exists()


def test_only_who_may_take_complaints_in_converts(agent, make_user):
    handler = make_user("department_handler")
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=handler)
    assert messages.may_handle(handler, message) and not messages.may_convert(handler, message)
    with pytest.raises(PermissionDenied):
        messages.convert_to_complaint(
            message, by=handler, incident_at=timezone.now(), incident_place="x", subject="y", category=None
        )


# ============================================================================== pages
def test_take_a_message_through_the_page(client, agent, colleague):
    client.force_login(agent)
    response = client.post(NEW, message_data(colleague))
    assert response.status_code == 302 and response["Location"] == LIST
    message = PhoneMessage.objects.get()
    assert (message.for_user, message.taken_by, message.urgency) == (colleague, agent, Urgency.URGENT)
    assert Notification.objects.get().recipient == colleague
    # the colleague sees it on their desk; the agent who took it does not
    client.force_login(colleague)
    page = client.get(LIST).content.decode()
    assert "Mr Li" in page and reverse("followups:message_detail", args=[message.pk]) in page
    client.force_login(agent)
    assert "Mr Li" not in client.get(LIST).content.decode()


def test_the_form_offers_only_colleagues_of_my_office(client, agent, colleague, other_office):
    stranger = UserFactory(office=other_office)
    client.force_login(agent)
    offered = set(client.get(NEW).context["form"].fields["for_user"].queryset)
    assert colleague in offered and agent not in offered and stranger not in offered


def test_prefill_from_a_complaint_or_a_customer(client, agent, other_office):
    complaint = ComplaintFactory(office=agent.office, received_by=agent, complainant_name="Ms Wu")
    customer = CustomerFactory(contact_person="Mr Zhao", phone="02162345678")
    client.force_login(agent)
    form = client.get(NEW, {"complaint": complaint.pk}).context["form"]
    assert form.initial["complaint"] == complaint and form.initial["caller_name"] == "Ms Wu"
    assert f'value="#{complaint.pk}"' in form.as_p()
    form = client.get(NEW, {"customer": customer.pk}).context["form"]
    assert form.initial["customer"] == customer and form.initial["contact_phone"] == "02162345678"
    # a complaint out of reach, or nonsense, is a 404
    elsewhere = ComplaintFactory(office=other_office)
    assert client.get(NEW, {"complaint": elsewhere.pk}).status_code == 404
    assert client.get(NEW, {"complaint": "abc"}).status_code == 404
    assert client.get(NEW, {"customer": "99999999999999999999"}).status_code == 404


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"caller_name": ""}, "caller_name"),
        ({"about": "   "}, "about"),
        ({"for_user": ""}, "for_user"),
        ({"for_user": "abc"}, "for_user"),
        ({"contact_phone": "call me"}, "contact_phone"),
        ({"contact_phone": "", "contact_other": ""}, "contact_phone"),
        ({"call_back_by": "yesterday"}, "call_back_by"),
        ({"call_back_by": "1900-01-01T10:00"}, "call_back_by"),
        ({"urgency": "now"}, "urgency"),
        ({"complaint": "#12x"}, "complaint"),
        ({"complaint": "#999999999"}, "complaint"),
        ({"about": "x" * 3000}, "about"),
    ],
)
def test_bad_input_on_take_is_400_with_messages(client, agent, colleague, overrides, field):
    client.force_login(agent)
    response = client.post(NEW, message_data(colleague, **overrides))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert "Nothing was saved" in response.content.decode()
    assert not PhoneMessage.objects.exists()


def test_a_nul_character_is_400(client, agent, colleague):
    client.force_login(agent)
    assert client.post(NEW, message_data(colleague, caller_name="Mr\x00Li")).status_code == 400
    assert not PhoneMessage.objects.exists()


def test_call_back_time_in_the_past_is_400(client, agent, colleague):
    client.force_login(agent)
    past = local_input(timezone.now() - timedelta(hours=1))
    response = client.post(NEW, message_data(colleague, call_back_by=past))
    assert response.status_code == 400
    assert "must be in the future" in str(response.context["form"].errors["call_back_by"])


def test_a_colleague_of_another_office_cannot_be_chosen(client, agent, other_office):
    stranger = UserFactory(role="agent", office=other_office)
    client.force_login(agent)
    response = client.post(NEW, message_data(stranger))
    assert response.status_code == 400 and response.context["form"].errors["for_user"]


def test_mark_done_through_the_page(client, agent, colleague):
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=colleague)
    client.force_login(colleague)
    url = reverse("followups:message_done", args=[message.pk])
    assert client.post(url, {"note": "Called back, fixed."}).status_code == 302
    message.refresh_from_db()
    assert message.done_by == colleague and message.done_note == "Called back, fixed."
    # a second time changes nothing, and says so
    response = client.post(url, {"note": "again"}, follow=True)
    assert response.status_code == 200 and "already done" in response.content.decode()
    message.refresh_from_db()
    assert message.done_note == "Called back, fixed."
    assert message.caller_name not in client.get(LIST).content.decode()


def test_mark_done_with_too_long_a_note_is_400(client, agent, colleague):
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=colleague)
    client.force_login(colleague)
    response = client.post(reverse("followups:message_done", args=[message.pk]), {"note": "x" * 2001})
    assert response.status_code == 400 and response.context["done_form"].errors["note"]
    message.refresh_from_db()
    assert message.done_at is None


def test_convert_through_the_page(client, agent, colleague):
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=colleague)
    client.force_login(colleague)
    detail = client.get(reverse("followups:message_detail", args=[message.pk]))
    assert detail.context["convert_form"] is not None and detail.context["done_form"] is not None
    response = client.post(reverse("followups:message_convert", args=[message.pk]), case_data())
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("complaints:detail", args=[complaint.pk])
    assert complaint.channel == Channel.PHONE and complaint.complainant_name == message.caller_name
    message.refresh_from_db()
    assert message.converted_to == complaint
    # the page of a done message offers neither action; converting again is a conflict
    detail = client.get(reverse("followups:message_detail", args=[message.pk]))
    assert detail.context["convert_form"] is None and detail.context["done_form"] is None
    again = client.post(reverse("followups:message_convert", args=[message.pk]), case_data())
    assert again.status_code == 409 and Complaint.objects.count() == 1


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"incident_place": ""}, "incident_place"),
        ({"category": "999999"}, "category"),
        ({"category": "abc"}, "category"),
        ({"incident_at": "not a time"}, "incident_at"),
        ({"subject": "x" * 300}, "subject"),
    ],
)
def test_bad_case_fields_on_convert_are_400_and_write_nothing(client, agent, colleague, overrides, field):
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=colleague)
    client.force_login(colleague)
    response = client.post(reverse("followups:message_convert", args=[message.pk]), case_data(**overrides))
    assert response.status_code == 400 and response.context["convert_form"].errors[field]
    assert not Complaint.objects.exists()
    message.refresh_from_db()
    assert message.done_at is None


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"incident_at": local_input(timezone.now() + timedelta(days=2))}, "incident_at"),  # not in the future
        ({"reply_due_at": local_input(timezone.now() + timedelta(days=3))}, "reply_due_at"),  # the reply window
    ],
)
def test_intake_rules_on_convert_are_400_and_write_nothing(client, agent, colleague, overrides, field):
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=colleague)
    client.force_login(colleague)
    response = client.post(reverse("followups:message_convert", args=[message.pk]), case_data(**overrides))
    assert response.status_code == 400 and response.context["convert_form"].errors[field]
    assert not Complaint.objects.exists()


# ------------------------------------------------------------------------ the desk
def test_desk_shows_my_open_messages_urgent_first_and_overdue_flagged(client, agent, colleague):
    now = timezone.now()
    later = PhoneMessageFactory(office=agent.office, for_user=colleague, call_back_by=now + timedelta(hours=5))
    urgent = PhoneMessageFactory(
        office=agent.office, for_user=colleague, urgency=Urgency.URGENT, call_back_by=now + timedelta(hours=6)
    )
    late = overdue(agent.office, for_user=colleague)
    done = PhoneMessageFactory(office=agent.office, for_user=colleague, done_at=now)
    not_mine = PhoneMessageFactory(office=agent.office, for_user=agent)
    client.force_login(colleague)
    response = client.get(LIST)
    shown = list(response.context["page"])
    assert shown == [urgent, late, later]
    assert [m.is_overdue for m in shown] == [False, True, False]
    page = response.content.decode()
    assert f'id="message-{late.pk}"' in page and "overdue" in page
    assert done.caller_name not in page and not_mine.caller_name not in page


def test_a_supervisor_sees_the_office_with_a_filter(client, supervisor, agent, colleague, other_office):
    for_agent = PhoneMessageFactory(office=supervisor.office, for_user=agent)
    for_colleague = PhoneMessageFactory(office=supervisor.office, for_user=colleague)
    elsewhere = PhoneMessageFactory(office=other_office)
    client.force_login(supervisor)
    assert list(client.get(LIST).context["page"]) == []  # by default: my own
    office = set(client.get(LIST, {"scope": "office"}).context["page"])
    assert office == {for_agent, for_colleague} and elsewhere not in office
    assert list(client.get(LIST, {"for_user": agent.pk}).context["page"]) == [for_agent]
    # an agent asking for the office still sees only their own
    client.force_login(agent)
    assert list(client.get(LIST, {"scope": "office"}).context["page"]) == [for_agent]
    assert client.get(LIST).context["filters"] is None


def _page_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role, params", [("agent", {}), ("supervisor", {"scope": "office"})])
def test_desk_query_count_is_fixed(client, make_user, role, params):
    user = make_user(role)
    customer = CustomerFactory()
    complaint = ComplaintFactory(office=user.office, received_by=user)

    def add(n):
        for i in range(n):
            overdue(
                user.office,
                for_user=user,
                taken_by=UserFactory(office=user.office),
                customer=customer if i % 2 else None,
                complaint=complaint if i % 3 else None,
                urgency=Urgency.URGENT if i % 2 else Urgency.NORMAL,
            )

    client.force_login(user)
    add(1)
    one = _page_queries(client, LIST, params)
    add(19)
    twenty = _page_queries(client, LIST, params)
    assert twenty == one, (one, twenty)
    assert one <= 12


def test_detail_page_of_a_done_and_converted_message(client, agent, colleague):
    message = PhoneMessageFactory(office=agent.office, taken_by=agent, for_user=colleague)
    complaint = messages.convert_to_complaint(
        message,
        by=colleague,
        incident_at=timezone.now() - timedelta(hours=1),
        incident_place="Gate",
        subject="Gate broken",
        category=default_category(),
    )
    client.force_login(agent)
    page = client.get(reverse("followups:message_detail", args=[message.pk])).content.decode()
    assert reverse("complaints:detail", args=[complaint.pk]) in page


def test_the_navigation_links_the_desk(client, agent):
    client.force_login(agent)
    assert f'href="{LIST}"' in client.get(reverse("followups:reception_list")).content.decode()
    nobody = UserFactory(office=agent.office)
    client.force_login(nobody)
    assert f'href="{LIST}"' not in client.get(reverse("notifications:list")).content.decode()


# ================================================================ permission matrix
ROLES = ["agent", "supervisor", "manager", "department_handler", "customer_info"]
PAGES = ["message_list", "message_new", "message_detail"]


@pytest.fixture
def desk(office, make_user):
    """A message of the office, taken by one agent for another."""
    taker = make_user("agent", username="taker")
    recipient = make_user("agent", username="recipient")
    return PhoneMessageFactory(office=office, taken_by=taker, for_user=recipient)


def page_url(name: str, message) -> str:
    if name in ("message_list", "message_new"):
        return reverse(f"followups:{name}")
    return reverse(f"followups:{name}", args=[message.pk])


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", [*ROLES, None])
def test_pages_per_role(client, make_user, desk, role, name):
    # every role holds the message permissions; a user without a role holds none
    user = make_user(role)
    client.force_login(user)
    response = client.get(page_url(name, desk))
    assert response.status_code == (200 if role else 403)
    if role is None:
        client.force_login(desk.for_user)
        assert client.get(page_url(name, desk)).status_code == 200


# who may mark done: the recipient, the taker, or someone who oversees the office
DONE = {"agent": 403, "supervisor": 302, "manager": 302, "department_handler": 403, "customer_info": 403, None: 403}


@pytest.mark.parametrize("role", [*ROLES, None])
def test_mark_done_per_role(client, make_user, desk, role):
    bystander = make_user(role)
    url = reverse("followups:message_done", args=[desk.pk])
    client.force_login(bystander)
    assert client.post(url, {"note": ""}).status_code == DONE[role]
    desk.refresh_from_db()
    assert (desk.done_at is None) == (DONE[role] == 403)
    if DONE[role] == 403:
        client.force_login(desk.taken_by)
        assert client.post(url, {"note": ""}).status_code == 302


# who may make it a complaint: who may handle it and may take complaints in
CONVERT = {"agent": 302, "supervisor": 302, "manager": 302, "department_handler": 403, "customer_info": 403, None: 403}


@pytest.mark.parametrize("role", [*ROLES, None])
def test_convert_per_role_as_the_recipient(client, make_user, office, role):
    recipient = make_user(role)
    message = PhoneMessageFactory(office=office, taken_by=make_user("agent"), for_user=recipient)
    url = reverse("followups:message_convert", args=[message.pk])
    client.force_login(recipient)
    assert client.post(url, case_data()).status_code == CONVERT[role]
    assert Complaint.objects.count() == (1 if CONVERT[role] == 302 else 0)
    if CONVERT[role] == 403:
        client.force_login(message.taken_by)
        assert client.post(url, case_data()).status_code == 302
        assert Complaint.objects.count() == 1


@pytest.mark.parametrize("role", ["agent", "supervisor", "manager"])
def test_another_offices_message_is_404(client, make_user, desk, other_office, role):
    outsider = make_user(role, office_=other_office)
    client.force_login(outsider)
    assert client.get(reverse("followups:message_detail", args=[desk.pk])).status_code == 404
    assert client.post(reverse("followups:message_done", args=[desk.pk])).status_code == 404
    assert client.post(reverse("followups:message_convert", args=[desk.pk]), case_data()).status_code == 404
    desk.refresh_from_db()
    assert desk.done_at is None and not Complaint.objects.exists()
    client.force_login(desk.for_user)  # the same requests by the one it is for
    assert client.get(reverse("followups:message_detail", args=[desk.pk])).status_code == 200


def test_a_user_without_an_office_is_403(client, desk):
    homeless = UserFactory(role="agent", office=None)
    client.force_login(homeless)
    for name in PAGES:
        assert client.get(page_url(name, desk)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login(client, desk, name):
    response = client.get(page_url(name, desk))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_actions_are_post_only(client, desk):
    client.force_login(desk.for_user)
    assert client.get(reverse("followups:message_done", args=[desk.pk])).status_code == 405
    assert client.get(reverse("followups:message_convert", args=[desk.pk])).status_code == 405

"""Special incidents (R-C6.2: 遇特殊事件，需先行穩定事態，控制其擴大，然後立即向有關單位或部門反應;
issue 13): a complaint is flagged, the office's supervisors and the managers are told at once,
the containment and the report upward (to whom, when) are recorded as events, and special
incidents are a line of the daily log. (The monthly summary: tests/reports/test_special_incidents.py.)"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from complaints.choices import CloseReason, EventKind, Status
from complaints.exceptions import InvalidTransition
from complaints.models import Complaint, ComplaintEvent
from notifications.models import Kind, Notification
from notifications.texts import render_message
from tests.complaint_paths import complaint_in, row
from tests.factories import ComplaintFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Status
SHANGHAI = ZoneInfo("Asia/Shanghai")
WHAT = "A burst pipe is flooding the basement switch room."
STEPS = "Power to the basement cut, the area cordoned off, pumps running."


def events(complaint) -> list[ComplaintEvent]:
    return list(ComplaintEvent.objects.filter(complaint=complaint).order_by("id"))


def recipients(kind=Kind.SPECIAL_INCIDENT) -> set:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.fixture
def people(make_user, other_office):
    """Who might be told: the office's two supervisors, a manager (head office), an executive
    (dashboards only), and a supervisor and an agent elsewhere."""
    return {
        "sup_a": make_user("supervisor", username="sup-a"),
        "sup_b": make_user("supervisor", username="sup-b"),
        "gone": make_user("supervisor", username="sup-gone", is_active=False),
        "manager": make_user("manager", username="mgr", office_=other_office),
        "executive": make_user("executive", username="exec", office_=other_office),
        "far_sup": make_user("supervisor", username="far-sup", office_=other_office),
    }


# ------------------------------------------------------------------------ flagging
def test_flagging_tells_the_supervisors_and_the_managers_at_once(agent, people, django_capture_on_commit_callbacks):
    complaint = complaint_in(S.IN_PROGRESS, agent)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        complaint.flag_special_incident(actor=agent, note=WHAT)

    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.is_special_incident and stored.special_incident_at is not None
    event = events(complaint)[-1]
    assert (event.kind, event.note, event.data, event.actor) == (EventKind.SPECIAL_INCIDENT_FLAGGED, WHAT, {}, agent)
    assert event.created_at == stored.special_incident_at
    # the office's active supervisors and the manager — not the executive, not another office's
    # supervisor, not the agent who flagged it
    assert recipients() == {"sup-a", "sup-b", "mgr"}
    assert all(n.complaint_id == complaint.pk for n in Notification.objects.filter(kind=Kind.SPECIAL_INCIDENT))
    assert callbacks  # the e-mails are handed to the worker once the step is committed
    note = Notification.objects.filter(kind=Kind.SPECIAL_INCIDENT).first()
    with translation.override("en"):
        text = render_message(note.kind, complaint_id=complaint.pk, data=note.data)
    assert text == (
        f"Special incident at {agent.office.name}: complaint #{complaint.pk}. "
        "Contain it first, then report it upward at once."
    )
    with translation.override("zh-hans"):
        assert "特殊事件" in render_message(note.kind, complaint_id=complaint.pk, data=note.data)


def test_a_supervisor_flagging_it_is_not_told_of_it(agent, people):
    complaint = complaint_in(S.RECEIVED, agent)
    complaint.flag_special_incident(actor=people["sup_a"], note=WHAT)
    assert recipients() == {"sup-b", "mgr"}


@pytest.mark.parametrize("status", [S.RECEIVED, S.IN_PROGRESS, S.SOLUTION_PROPOSED, S.HANDLING, S.RESOLVED])
def test_any_open_complaint_can_be_flagged_once(agent, status):
    complaint = complaint_in(status, agent)
    complaint.flag_special_incident(actor=agent, note=WHAT)
    assert Complaint.objects.get(pk=complaint.pk).status == status  # no status change

    stored_before, events_before = row(complaint), events(complaint)
    with pytest.raises(InvalidTransition) as exc:
        complaint.flag_special_incident(actor=agent, note="Again.")
    assert "already flagged" in str(exc.value)
    assert (row(complaint), events(complaint)) == (stored_before, events_before)


def test_a_closed_complaint_cannot_be_flagged(agent):
    complaint = complaint_in(S.CLOSED, agent)
    with pytest.raises(InvalidTransition):
        complaint.flag_special_incident(actor=agent, note=WHAT)


def test_flagging_needs_what_happened(agent):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    with pytest.raises(ValidationError) as exc:
        complaint.flag_special_incident(actor=agent, note="  ")
    assert "note" in exc.value.message_dict
    assert not Complaint.objects.get(pk=complaint.pk).is_special_incident


# ------------------------------------------------------------- containment and report
def test_containment_and_the_report_upward_are_recorded_as_events(agent):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    complaint.flag_special_incident(actor=agent, note=WHAT)
    reported_at = timezone.now().replace(microsecond=0) - timedelta(minutes=20)

    complaint.record_incident_containment(actor=agent, steps=STEPS)
    complaint.record_incident_report(
        actor=agent, reported_to="Duty manager Zhang Wei", reported_at=reported_at, note="By phone."
    )

    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.incident_containment, stored.incident_reported_to, stored.incident_reported_at) == (
        STEPS,
        "Duty manager Zhang Wei",
        reported_at,
    )
    assert stored.incident_contained_at is not None
    contained, reported = events(complaint)[-2:]
    assert (contained.kind, contained.note, contained.data) == (EventKind.INCIDENT_CONTAINED, STEPS, {})
    assert (reported.kind, reported.note) == (EventKind.INCIDENT_REPORTED, "By phone.")
    assert reported.data == {"reported_to": "Duty manager Zhang Wei", "reported_at": reported_at.isoformat()}


def test_containment_and_report_need_the_flag(agent):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    with pytest.raises(InvalidTransition) as exc:
        complaint.record_incident_containment(actor=agent, steps=STEPS)
    assert "special incident" in str(exc.value)
    with pytest.raises(InvalidTransition):
        complaint.record_incident_report(actor=agent, reported_to="Zhang", reported_at=timezone.now())
    incident_steps = [EventKind.SPECIAL_INCIDENT_FLAGGED, EventKind.INCIDENT_CONTAINED, EventKind.INCIDENT_REPORTED]
    assert not complaint.events.filter(kind__in=incident_steps).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reported_at": timezone.now() + timedelta(days=1)}, "reported_at"),  # the future
        ({"reported_at": None}, "reported_at"),
        ({"reported_to": " "}, "reported_to"),
        ({"reported_to": "x" * 201}, "reported_to"),
        ({"reported_at": datetime(2001, 1, 1, tzinfo=SHANGHAI)}, "reported_at"),  # before the incident
    ],
)
def test_a_bad_report_is_refused_and_writes_nothing(agent, change, field):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    complaint.flag_special_incident(actor=agent, note=WHAT)
    stored_before, events_before = row(complaint), events(complaint)
    arguments = {"reported_to": "Duty manager", "reported_at": timezone.now(), **change}

    with pytest.raises(ValidationError) as exc:
        complaint.record_incident_report(actor=agent, **arguments)

    assert field in exc.value.message_dict
    assert (row(complaint), events(complaint)) == (stored_before, events_before)


# ------------------------------------------------------------------- the desk (HTML)
def action(complaint, name):
    return reverse("complaints:action", args=[complaint.pk, name])


def test_the_desk_flags_contains_and_reports_and_shows_it_in_both_languages(client, agent, people):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    client.force_login(agent)
    detail = reverse("complaints:detail", args=[complaint.pk])
    page = client.get(detail).content.decode()
    assert 'id="action-flag_special_incident"' in page
    assert 'id="action-record_incident_containment"' not in page  # not before it is flagged

    assert (
        client.post(action(complaint, "flag_special_incident"), {"flag_special_incident-note": WHAT}).status_code == 302
    )
    assert recipients() == {"sup-a", "sup-b", "mgr"}  # told at once, by the desk as by the method
    page = client.get(detail).content.decode()
    assert 'id="action-flag_special_incident"' not in page  # once
    assert "contain first, then report upward" in page  # the reminder, until both steps are recorded
    assert (
        client.post(
            action(complaint, "record_incident_containment"), {"record_incident_containment-steps": STEPS}
        ).status_code
        == 302
    )
    reported = timezone.localtime() - timedelta(minutes=5)
    response = client.post(
        action(complaint, "record_incident_report"),
        {
            "record_incident_report-reported_to": "Duty manager Zhang Wei",
            "record_incident_report-reported_at": reported.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302

    en = client.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    zh = client.get(detail, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Containment steps" in en and "contain first, then report upward" not in en  # both done
    assert "控制措施" in zh and "先控制事态，再立即上报" not in zh
    for page in (en, zh):
        assert 'id="special-incident"' in page
        assert STEPS in page and "Duty manager Zhang Wei" in page
        assert reported.strftime("%Y-%m-%d %H:%M") in page


def test_the_desk_refuses_a_report_from_the_future(client, agent):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    complaint.flag_special_incident(actor=agent, note=WHAT)
    client.force_login(agent)
    stored_before = row(complaint)
    later = timezone.localtime() + timedelta(hours=3)
    response = client.post(
        action(complaint, "record_incident_report"),
        {
            "record_incident_report-reported_to": "Zhang",
            "record_incident_report-reported_at": later.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 400
    assert row(complaint) == stored_before


@pytest.mark.parametrize("role", ["customer_info", "executive"])
def test_a_user_without_handle_special_incident_is_refused(client, agent, make_user, role):
    # given a complaint, and a user who lacks complaints.handle_special_incident
    complaint = complaint_in(S.IN_PROGRESS, agent)
    user = make_user(role, username=f"no-incident-{role}")
    assert not user.has_perm("complaints.handle_special_incident")
    client.force_login(user)

    response = client.post(action(complaint, "flag_special_incident"), {"flag_special_incident-note": WHAT})

    assert response.status_code == 403
    assert not Complaint.objects.get(pk=complaint.pk).is_special_incident
    assert not Notification.objects.filter(kind=Kind.SPECIAL_INCIDENT).exists()
    # the same request by an agent succeeds: the denial was the permission
    client.force_login(agent)
    assert (
        client.post(action(complaint, "flag_special_incident"), {"flag_special_incident-note": WHAT}).status_code == 302
    )


def test_the_api_flags_a_special_incident(client, agent, people):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    client.force_login(agent)
    response = client.post(
        f"/api/v1/complaints/{complaint.pk}/actions/flag-special-incident/",
        {"note": WHAT},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["is_special_incident"] is True
    assert "record-incident-containment" in response.json()["available_actions"]
    assert recipients() == {"sup-a", "sup-b", "mgr"}


# ------------------------------------------------------------------------- daily log
DAY = date(2026, 10, 5)


def local(hour, minute=0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=SHANGHAI)


def test_special_incidents_are_a_line_of_the_daily_log(client, supervisor, other_office):
    office = supervisor.office
    flagged = ComplaintFactory(
        office=office,
        received_by__office=office,
        received_at=local(8),
        subject="Basement flooded",
        is_special_incident=True,
        special_incident_at=local(9, 15),
        incident_containment=STEPS,
        incident_contained_at=local(9, 40),
        incident_reported_to="Duty manager Zhang Wei",
        incident_reported_at=local(9, 50),
    )
    ComplaintFactory(  # not yet contained nor reported
        office=office,
        received_by__office=office,
        received_at=local(7),
        subject="Gas smell in block 2",
        is_special_incident=True,
        special_incident_at=local(11),
    )
    ComplaintFactory(  # flagged the day before: not on this day's line
        office=office,
        received_by__office=office,
        received_at=local(7) - timedelta(days=1),
        subject="Yesterday's incident",
        is_special_incident=True,
        special_incident_at=local(7) - timedelta(days=1),
    )
    target = ComplaintFactory(office=office, received_by__office=office, received_at=local(6))
    ComplaintFactory(  # a merged duplicate counts as the complaint it was merged into: not here
        office=office,
        received_by__office=office,
        received_at=local(8),
        subject="Merged duplicate",
        is_special_incident=True,
        special_incident_at=local(10),
        status=S.CLOSED,
        close_reason=CloseReason.MERGED,
        closed_at=local(10, 30),
        merged_into=target,
    )
    ComplaintFactory(  # another office: not for this supervisor
        office=other_office,
        received_by__office=other_office,
        received_at=local(8),
        subject="Another office's incident",
        is_special_incident=True,
        special_incident_at=local(10),
    )
    client.force_login(supervisor)

    url = reverse("complaints:daily_log_day", args=[DAY.isoformat()])
    en = client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    section = next(s for s in en.context["sections"] if s.key == "special_incidents")
    assert section.total == 2
    assert [c.subject for c in section.rows] == ["Basement flooded", "Gas smell in block 2"]
    page = en.content.decode()
    assert '<strong class="count-special_incidents">2</strong> Special incidents' in page
    assert "Duty manager Zhang Wei · 10-05 09:50" in page
    assert f'href="{reverse("complaints:detail", args=[flagged.pk])}"' in page
    for absent in ("Yesterday's incident", "Merged duplicate", "Another office"):
        assert absent not in page
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "特殊事件" in zh and "尚未" in zh and "Duty manager Zhang Wei" in zh


def test_the_daily_log_of_a_manager_shows_every_offices_incidents(client, manager, other_office):
    UserFactory(role="supervisor", office=other_office)
    ComplaintFactory(
        office=other_office,
        received_by__office=other_office,
        received_at=local(8),
        subject="Another office's incident",
        is_special_incident=True,
        special_incident_at=local(10),
    )
    client.force_login(manager)
    response = client.get(reverse("complaints:daily_log_day", args=[DAY.isoformat()]))
    section = next(s for s in response.context["sections"] if s.key == "special_incidents")
    assert [c.subject for c in section.rows] == ["Another office's incident"]

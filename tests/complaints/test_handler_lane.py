"""Issue 13, handlers stay in their lane (SPEC roles): a department handler sees and acts on the
complaints their department was asked to investigate (in their office), those of a department
they head, and those assigned or moved up to them — not every complaint of the office. Another
department's complaint is a 404 through the pages and the API alike. The department is told
when it is asked to investigate (R-C6), and its progress reports and findings go back to the
receiver (R-C9.3)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from complaints.choices import EscalationCause, Status
from complaints.models import Department
from complaints.selectors import complaints_visible_to
from notifications.models import Kind, Notification
from tests.factories import ComplaintFactory, department

pytestmark = pytest.mark.django_db

API = "/api/v1/complaints/"


@pytest.fixture
def repairs():
    return department()


@pytest.fixture
def cleaning(repairs):
    return Department.objects.exclude(pk=repairs.pk).order_by("name").first()


@pytest.fixture
def lane_handler(make_user, repairs):
    return make_user("department_handler", username="repairs-handler", department=repairs)


def investigated_by(dept, agent, **kwargs):
    """A complaint of the agent's office that `dept` is asked to investigate (in progress)."""
    complaint = ComplaintFactory(office=agent.office, received_by=agent, **kwargs)
    complaint.assign_department(actor=agent, department=dept)
    return complaint


@pytest.fixture
def ours(agent, repairs):
    return investigated_by(repairs, agent, subject="Lift noise (repairs)")


@pytest.fixture
def theirs(agent, cleaning):
    return investigated_by(cleaning, agent, subject="Dirty stairs (cleaning)")


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def action(pk, name):
    return reverse("complaints:action", args=[pk, name])


# ------------------------------------------------------------------------ seeing
def test_a_handler_sees_only_their_departments_complaints_of_their_office(
    client, lane_handler, agent, ours, theirs, other_office, repairs, make_user
):
    elsewhere_agent = make_user("agent", office_=other_office, username="far-agent")
    elsewhere = investigated_by(repairs, elsewhere_agent, subject="Repairs in the other office")
    unassigned = ComplaintFactory(office=agent.office, received_by=agent, subject="Nobody asked yet")

    assert set(complaints_visible_to(lane_handler)) == {ours}

    client.force_login(lane_handler)
    page = client.get(reverse("complaints:list")).content.decode()
    assert ours.subject in page
    for hidden in (theirs, elsewhere, unassigned):
        assert hidden.subject not in page
    assert client.get(reverse("complaints:detail", args=[ours.pk])).status_code == 200
    assert client.get(reverse("complaints:detail", args=[theirs.pk])).status_code == 404

    rest = api(lane_handler)
    assert [row["id"] for row in rest.get(API).json()["results"]] == [ours.pk]
    assert rest.get(f"{API}{ours.pk}/").status_code == 200
    assert rest.get(f"{API}{theirs.pk}/").status_code == 404
    assert rest.get("/api/v1/events/", {"complaint": theirs.pk}).json()["count"] == 0

    # the same requests by an agent of the office: the 404s were the lane, not the URLs
    client.force_login(agent)
    assert client.get(reverse("complaints:detail", args=[theirs.pk])).status_code == 200
    assert api(agent).get(f"{API}{theirs.pk}/").status_code == 200


def test_a_handler_cannot_act_on_another_departments_complaint(client, lane_handler, agent, ours, theirs):
    client.force_login(lane_handler)
    rest = api(lane_handler)

    # another department's: 404, through the page and the API, and nothing is written
    response = client.post(action(theirs.pk, "report_progress"), {"report_progress-note": "Cleaned."})
    assert response.status_code == 404
    response = rest.post(f"{API}{theirs.pk}/actions/report-progress/", {"note": "Cleaned."}, format="json")
    assert response.status_code == 404
    assert client.post(action(theirs.pk, "reassign"), {"reassign-assignee": lane_handler.pk}).status_code == 404
    assert not theirs.events.filter(kind="progress_reported").exists()

    # their own: allowed where the role may (page and API) …
    response = client.post(action(ours.pk, "report_progress"), {"report_progress-note": "Parts ordered."})
    assert response.status_code == 302
    response = rest.post(f"{API}{ours.pk}/actions/report-progress/", {"note": "Fitted on Monday."}, format="json")
    assert response.status_code == 200
    assert ours.events.filter(kind="progress_reported").count() == 2
    # … and 403 where it may not (a handler does not reassign), once it can see the complaint
    assert client.post(action(ours.pk, "reassign"), {"reassign-assignee": agent.pk}).status_code == 403
    response = rest.post(f"{API}{ours.pk}/actions/reassign/", {"assignee": agent.pk}, format="json")
    assert response.status_code == 403


def test_attachments_and_paper_forms_of_another_department_are_404(client, lane_handler, theirs, ours):
    client.force_login(lane_handler)
    for complaint, expected in ((theirs, 404), (ours, 200)):
        url = reverse("complaints:paper_form", args=[complaint.pk, "complaint-form"])
        assert client.get(url).status_code == expected
        url = reverse("complaints:attachment_download", args=[complaint.pk, 1])
        assert client.get(url).status_code == 404  # no such attachment either way: never a 403 or 500


def test_complaints_assigned_or_moved_up_to_a_handler_are_theirs_too(
    lane_handler, agent, supervisor, theirs, other_office, make_user
):
    # Given a complaint of another department handed to the handler …
    handed = ComplaintFactory(office=agent.office, received_by=agent, subject="Handed over")
    handed.reassign(actor=supervisor, assignee=lane_handler)
    # … and one moved up to them, then taken over by someone else
    moved = ComplaintFactory(office=agent.office, received_by=agent, subject="Moved up")
    moved.move_up(actor=supervisor, cause=EscalationCause.BEYOND_AUTHORITY, to_user=lane_handler)
    moved.reassign(actor=supervisor, assignee=supervisor)

    # Then both are in the handler's lane; the other department's complaint is not
    assert set(complaints_visible_to(lane_handler)) == {handed, moved}


def test_the_head_of_a_department_sees_its_complaints_in_every_office(
    make_user, other_office, repairs, ours, agent, theirs
):
    head = make_user("department_handler", office_=other_office, username="repairs-head", department=repairs)
    repairs.head = head
    repairs.save()

    assert set(complaints_visible_to(head)) == {ours}


def test_a_handler_without_a_department_sees_only_what_is_handed_to_them(make_user, ours, theirs):
    nobody = make_user("department_handler", username="no-department")
    assert not complaints_visible_to(nobody).exists()


def test_the_office_wide_roles_still_see_the_whole_office(make_user, ours, theirs):
    for role in ("agent", "supervisor", "customer_info"):
        assert set(complaints_visible_to(make_user(role))) == {ours, theirs}, role


def test_a_handlers_list_keeps_a_fixed_query_count(client, lane_handler, agent, repairs, cleaning):
    client.force_login(lane_handler)
    for _ in range(3):
        investigated_by(repairs, agent)
        investigated_by(cleaning, agent)
    with CaptureQueriesContext(connection) as at_3:
        response = client.get(reverse("complaints:list"))
    assert len(response.context["page"].object_list) == 3
    for _ in range(30):
        investigated_by(repairs, agent)
        investigated_by(cleaning, agent)
    with CaptureQueriesContext(connection) as at_33:
        response = client.get(reverse("complaints:list"))
    assert len(response.context["page"].object_list) == 25
    assert response.context["page"].paginator.count == 33
    assert len(at_33.captured_queries) == len(at_3.captured_queries)


# ----------------------------------------------------------------- notifications
def test_the_department_is_told_when_it_is_asked_to_investigate(
    agent, repairs, cleaning, lane_handler, make_user, other_office, django_capture_on_commit_callbacks
):
    # Given the repairs department's head (in another office), a second handler, and people
    # who must not hear of it: another department's handler, a repairs handler elsewhere, an
    # agent of the department (who may not investigate), a handler who left
    head = make_user("department_handler", office_=other_office, username="repairs-head", department=repairs)
    repairs.head = head
    repairs.save()
    colleague = make_user("department_handler", username="repairs-2", department=repairs)
    make_user("department_handler", username="cleaner", department=cleaning)
    make_user("department_handler", office_=other_office, username="far-repairs", department=repairs)
    make_user("agent", username="repairs-agent", department=repairs)
    make_user("department_handler", username="left", department=repairs, is_active=False)
    complaint = ComplaintFactory(office=agent.office, received_by=agent)

    # When the agent asks the repairs department to investigate
    with django_capture_on_commit_callbacks(execute=True):
        complaint.assign_department(actor=agent, department=repairs)

    # Then its head and its handlers of this office are told, once each
    notes = Notification.objects.filter(complaint=complaint, kind=Kind.DEPARTMENT_ASSIGNED)
    assert sorted(notes.values_list("recipient_id", flat=True)) == sorted([head.pk, lane_handler.pk, colleague.pk])
    assert notes.first().data == {"department": repairs.pk, "department_name": repairs.name}
    assert notes.first().message == (
        f"Your department (Engineering and repairs) is asked to investigate complaint #{complaint.pk}."
    )
    # and asking the same department again tells nobody again
    complaint.assign_department(actor=agent, department=repairs)
    assert notes.count() == 3


def test_the_handlers_progress_and_findings_go_back_to_the_receiver(agent, supervisor, lane_handler, ours):
    ours.reassign(actor=agent, assignee=supervisor)  # the receiver (agent) and the assignee differ
    Notification.objects.all().delete()

    ours.report_progress(actor=lane_handler, note="The lift engineer comes tomorrow.")
    ours.record_findings(actor=lane_handler, findings="A worn door sensor.")

    notes = Notification.objects.filter(complaint=ours, kind=Kind.DEPARTMENT_PROGRESS).order_by("id")
    assert [(n.recipient_id, n.data["step"]) for n in notes] == [
        (agent.pk, "progress"),
        (supervisor.pk, "progress"),
        (agent.pk, "findings"),
        (supervisor.pk, "findings"),
    ]
    name = str(lane_handler)
    assert notes[0].message == f"{name} reported progress on complaint #{ours.pk}."
    assert notes[2].message == f"{name} recorded the findings of the investigation of complaint #{ours.pk}."


def test_whoever_reports_progress_is_not_told_of_it(agent, ours):
    Notification.objects.all().delete()
    ours.report_progress(actor=agent, note="Told the complainant.")
    assert not Notification.objects.filter(kind=Kind.DEPARTMENT_PROGRESS).exists()


def test_the_receiver_hears_of_a_progress_report_posted_through_the_page(client, agent, lane_handler, ours):
    client.force_login(lane_handler)
    response = client.post(action(ours.pk, "report_progress"), {"report_progress-note": "Parts ordered."})
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=agent, complaint=ours, kind=Kind.DEPARTMENT_PROGRESS).exists()
    assert ours.status == Status.IN_PROGRESS

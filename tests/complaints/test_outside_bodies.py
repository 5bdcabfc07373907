"""Level 3 of R-C8, the outside bodies (原則8.3; issue 13): moving a complaint up to level 3
records which body (the owners' committee, another company department, a public agency), its
name and contact; the complaint keeps an internal owner who follows it; the body's answer is
recorded and the owner told; the complainant is kept informed (R-C5.3) without ever seeing
the body's contact. Through the model methods, the desk (test client) and the API."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from complainants import services
from complainants.timeline import public_timeline
from complaints.choices import EscalationCause, EventKind, OutsideBodyKind, Status
from complaints.exceptions import InvalidTransition
from complaints.models import Complaint, ComplaintEvent
from notifications.models import Kind, Notice, Notification
from notifications.texts import render_message
from tests.complainants.conftest import online_fields
from tests.complaint_paths import complaint_in, row
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

S = Status
BODIES = {
    OutsideBodyKind.OWNERS_COMMITTEE: ("Garden Estate owners' committee", "Chair Mr Li Guoqiang, 139 1111 2222"),
    OutsideBodyKind.COMPANY_DEPARTMENT: ("Group legal department", "Ms Zhou, extension 8021"),
    OutsideBodyKind.PUBLIC_AGENCY: ("Xuhui district housing office", "Window 3, 021-6234 0000"),
}
# the Chinese names of the kinds (locale/zh_Hans), as the complaint page shows them
ZH_KINDS = {
    OutsideBodyKind.OWNERS_COMMITTEE: "业主委员会",
    OutsideBodyKind.COMPANY_DEPARTMENT: "公司其他部门",
    OutsideBodyKind.PUBLIC_AGENCY: "政府或公共机构",
}


def body(kind=OutsideBodyKind.OWNERS_COMMITTEE) -> dict:
    name, contact = BODIES[kind]
    return {"outside_body_kind": kind, "outside_body_name": name, "outside_body_contact": contact}


def at_level(complaint: Complaint, level: int) -> Complaint:
    """As the complaint stands after earlier moves up (level 2: its department head has it)."""
    Complaint.objects.filter(pk=complaint.pk).update(escalation_level=level)
    complaint.refresh_from_db()
    return complaint


def events(complaint) -> list[ComplaintEvent]:
    return list(ComplaintEvent.objects.filter(complaint=complaint).order_by("id"))


# --------------------------------------------------------------- move up to level 3
@pytest.mark.parametrize("kind", OutsideBodyKind.values)
def test_moving_up_to_level_3_records_the_outside_body_and_keeps_the_owner(agent, kind):
    # given a complaint at level 2, assigned to the agent
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2)

    # when it is moved up to level 3, to an outside body of this kind
    complaint.move_up(
        actor=agent, cause=EscalationCause.BEYOND_AUTHORITY, note="Needs the body's decision.", **body(kind)
    )

    # then the body is recorded on the complaint, and the agent keeps following it
    stored = Complaint.objects.get(pk=complaint.pk)
    name, contact = BODIES[kind]
    assert (stored.escalation_level, stored.status) == (3, S.IN_PROGRESS)
    assert (stored.outside_body_kind, stored.outside_body_name, stored.outside_body_contact) == (kind, name, contact)
    assert stored.outside_body_referred_at is not None
    assert stored.assignee == agent
    # the move counts as a progress report to the complainant (R-C5.3)
    assert stored.last_progress_at == stored.outside_body_referred_at
    # and one event carries the body and the internal owner (the timeline's contract)
    event = events(complaint)[-1]
    assert (event.kind, event.from_level, event.to_level, event.note) == (
        EventKind.MOVED_UP,
        2,
        3,
        "Needs the body's decision.",
    )
    assert event.data == {
        "escalation_cause": EscalationCause.BEYOND_AUTHORITY,
        **body(kind),
        "to_user": agent.pk,
        "to_user_name": str(agent),
    }


def test_moving_up_to_level_3_to_a_person_makes_them_the_owner(agent, supervisor):
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2)

    complaint.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY, to_user=supervisor, **body())

    assert Complaint.objects.get(pk=complaint.pk).assignee == supervisor
    assert events(complaint)[-1].data["to_user"] == supervisor.pk
    # the person it was handed to is told
    assert Notification.objects.filter(recipient=supervisor, kind=Kind.MOVED_UP, complaint=complaint).exists()


def test_nobody_assigned_the_mover_becomes_the_owner(agent, supervisor):
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2)
    Complaint.objects.filter(pk=complaint.pk).update(assignee=None)
    complaint.refresh_from_db()

    complaint.move_up(actor=supervisor, cause=EscalationCause.DEADLINE_MISSED, **body(OutsideBodyKind.PUBLIC_AGENCY))

    assert Complaint.objects.get(pk=complaint.pk).assignee == supervisor
    assert events(complaint)[-1].data["to_user_name"] == str(supervisor)


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ({"outside_body_kind": ""}, "outside_body_kind"),
        ({"outside_body_kind": "embassy"}, "outside_body_kind"),
        ({"outside_body_name": "  "}, "outside_body_name"),
        ({"outside_body_contact": ""}, "outside_body_contact"),
        ({"outside_body_name": "x" * 201}, "outside_body_name"),
    ],
)
def test_moving_up_to_level_3_without_the_body_is_refused_and_writes_nothing(agent, missing, field):
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2)
    stored_before, events_before = row(complaint), events(complaint)

    with pytest.raises(ValidationError) as exc:
        complaint.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY, **{**body(), **missing})

    assert field in exc.value.message_dict
    assert row(complaint) == stored_before  # no half-written record: not the level, not the body
    assert events(complaint) == events_before
    assert complaint.escalation_level == 2  # the object in hand is untouched too


def test_with_no_body_at_all_every_missing_field_is_named(agent):
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2)
    with pytest.raises(ValidationError) as exc:
        complaint.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY)
    assert set(exc.value.message_dict) == {"outside_body_kind", "outside_body_name", "outside_body_contact"}


def test_a_body_for_a_move_below_level_3_is_refused(agent):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    stored_before = row(complaint)
    with pytest.raises(ValidationError) as exc:
        complaint.move_up(actor=agent, cause=EscalationCause.EMOTIONAL, **body())
    assert "outside_body_kind" in exc.value.message_dict
    assert row(complaint) == stored_before


# ------------------------------------------------------- level 3 reached without a body
def test_a_complaint_raised_to_level_3_without_a_body_is_referred_later(agent, supervisor):
    # given a complaint R-T1 raised to level 3 (no body, nobody assigned)
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 3)
    Complaint.objects.filter(pk=complaint.pk).update(assignee=None)
    complaint.refresh_from_db()

    # when the supervisor refers it to the owners' committee
    complaint.refer_to_outside_body(
        actor=supervisor, kind=OutsideBodyKind.OWNERS_COMMITTEE, name="Owners' committee", contact="Mr Li", note="x"
    )

    # then the body is recorded, the supervisor follows it, and one event says so
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.outside_body_kind, stored.outside_body_name, stored.outside_body_contact) == (
        OutsideBodyKind.OWNERS_COMMITTEE,
        "Owners' committee",
        "Mr Li",
    )
    assert stored.assignee == supervisor and stored.escalation_level == 3
    event = events(complaint)[-1]
    assert event.kind == EventKind.OUTSIDE_BODY_REFERRED
    assert event.data == {
        "outside_body_kind": OutsideBodyKind.OWNERS_COMMITTEE,
        "outside_body_name": "Owners' committee",
        "outside_body_contact": "Mr Li",
        "to_user": supervisor.pk,
        "to_user_name": str(supervisor),
    }


def test_referring_below_level_3_is_a_conflict(agent):
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2)
    stored_before = row(complaint)
    with pytest.raises(InvalidTransition) as exc:
        complaint.refer_to_outside_body(actor=agent, kind=OutsideBodyKind.PUBLIC_AGENCY, name="A", contact="B")
    assert "level 3" in str(exc.value)
    assert row(complaint) == stored_before


def test_another_body_replaces_the_first_and_clears_its_answer(agent):
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2)
    complaint.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY, **body())
    complaint.record_outside_body_answer(actor=agent, answer="Not ours: ask the district.")

    complaint.refer_to_outside_body(actor=agent, **_refer(OutsideBodyKind.PUBLIC_AGENCY))
    complaint.refer_to_outside_body(actor=agent, **_refer(OutsideBodyKind.PUBLIC_AGENCY))  # the same: no new step

    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.outside_body_kind == OutsideBodyKind.PUBLIC_AGENCY
    assert (stored.outside_body_answer, stored.outside_body_answered_at) == ("", None)
    assert [e.kind for e in events(complaint)][-3:] == [
        EventKind.MOVED_UP,
        EventKind.OUTSIDE_BODY_ANSWERED,
        EventKind.OUTSIDE_BODY_REFERRED,
    ]


def _refer(kind) -> dict:
    name, contact = BODIES[kind]
    return {"kind": kind, "name": name, "contact": contact}


# ------------------------------------------------------------------ the body's answer
def test_the_answer_is_recorded_and_the_internal_owner_told(agent, supervisor):
    # given a complaint at the owners' committee, followed by the agent
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2)
    complaint.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY, **body())
    answered = timezone.now() - timedelta(hours=1)
    Complaint.objects.filter(pk=complaint.pk).update(outside_body_referred_at=answered - timedelta(days=1))

    # when the supervisor records the committee's answer
    complaint.record_outside_body_answer(
        actor=supervisor, answer="The committee pays the roof repair.", answered_at=answered
    )

    # then it is on the complaint, in the event, and the agent who follows it is told
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.outside_body_answer, stored.outside_body_answered_at) == (
        "The committee pays the roof repair.",
        answered,
    )
    event = events(complaint)[-1]
    assert (event.kind, event.note, event.actor) == (
        EventKind.OUTSIDE_BODY_ANSWERED,
        "The committee pays the roof repair.",
        supervisor,
    )
    assert event.data["outside_body_kind"] == OutsideBodyKind.OWNERS_COMMITTEE
    assert event.data["outside_body_name"] == BODIES[OutsideBodyKind.OWNERS_COMMITTEE][0]
    [note] = Notification.objects.filter(kind=Kind.OUTSIDE_BODY_ANSWERED)
    assert (note.recipient, note.complaint_id) == (agent, complaint.pk)
    with translation.override("en"):
        text = render_message(note.kind, complaint_id=note.complaint_id, data=note.data)
    assert text == (
        "Garden Estate owners' committee (Owners' committee) answered about complaint "
        f"#{complaint.pk}, which you follow."
    )
    with translation.override("zh-hans"):
        assert "业主委员会" in render_message(note.kind, complaint_id=note.complaint_id, data=note.data)


def test_the_owner_recording_the_answer_is_not_told_of_it(agent):
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2)
    complaint.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY, **body())
    complaint.record_outside_body_answer(actor=agent, answer="Approved.")
    assert not Notification.objects.filter(kind=Kind.OUTSIDE_BODY_ANSWERED).exists()


def test_no_answer_without_a_body_and_none_from_the_future(agent):
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 3)
    with pytest.raises(InvalidTransition):
        complaint.record_outside_body_answer(actor=agent, answer="Approved.")
    complaint.refer_to_outside_body(actor=agent, **_refer(OutsideBodyKind.COMPANY_DEPARTMENT))
    stored_before, events_before = row(complaint), events(complaint)
    with pytest.raises(ValidationError) as exc:
        complaint.record_outside_body_answer(
            actor=agent, answer="Approved.", answered_at=timezone.now() + timedelta(hours=2)
        )
    assert "answered_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        complaint.record_outside_body_answer(actor=agent, answer="  ")
    assert "answer" in exc.value.message_dict
    assert (row(complaint), events(complaint)) == (stored_before, events_before)


# ------------------------------------------------------------------ the complainant (R-C5.3)
def _online_complaint(office, category, agent) -> Complaint:
    submitted = services.submit_online(
        office=office, fields=online_fields(category), language="zh-hans", consented=True
    )
    complaint = submitted.complaint
    complaint.claim(actor=agent)
    complaint.reply(actor=agent, note="我们正在处理。")
    return at_level(complaint, 2)


@pytest.fixture
def category(db):
    from complaints.models import Category

    return Category.objects.filter(is_active=True, is_public=True).order_by("id").first()


def test_the_complainant_is_told_of_the_referral_and_of_the_answer_never_of_the_contact(
    office, category, agent, settings
):
    settings.HELPDESK_SMS_QUIET_HOURS = ""
    complaint = _online_complaint(office, category, agent)
    before = Notice.objects.filter(complaint=complaint).count()

    # when it goes to the owners' committee, and the committee answers
    complaint.move_up(
        actor=agent, cause=EscalationCause.BEYOND_AUTHORITY, note="INTERNAL: chair is difficult", **body()
    )
    complaint.record_outside_body_answer(actor=agent, answer="ANSWER-TEXT: the committee refuses to pay.")

    # then each wrote a progress notice (SMS and e-mail), in the complainant's language
    notices = list(Notice.objects.filter(complaint=complaint).order_by("id"))[before:]
    assert [(n.channel, n.kind) for n in notices] == [
        ("sms", "progress"),
        ("email", "progress"),
        ("sms", "progress"),
        ("email", "progress"),
    ]
    referral_mail, answer_mail = notices[1], notices[3]
    assert "业主委员会" in referral_mail.body
    assert "业主委员会" in answer_mail.body
    # never the body's name and contact, the staff's note or the body's answer
    name, contact = BODIES[OutsideBodyKind.OWNERS_COMMITTEE]
    for notice in notices:
        for secret in (name, contact, "INTERNAL", "ANSWER-TEXT"):
            assert secret not in notice.body and secret not in (notice.body_html or ""), secret
    # the public timeline says it too, in the same words
    with translation.override("zh-hans"):
        titles = [entry.title for entry in public_timeline(complaint)]
    assert "您的投诉已转交业主委员会" in titles
    assert "业主委员会已就您的投诉作出答复" in titles
    assert mail.outbox == [] or all(contact not in m.body for m in mail.outbox)


# ------------------------------------------------------------------- the desk (HTML)
def action(complaint, name):
    return reverse("complaints:action", args=[complaint.pk, name])


def posted(kind) -> dict:
    return {f"move_up-{k}": v for k, v in {"cause": EscalationCause.BEYOND_AUTHORITY, **body(kind)}.items()}


@pytest.mark.parametrize("kind", OutsideBodyKind.values)
def test_the_desk_moves_a_complaint_up_to_each_kind_of_body(client, agent, kind):
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2)
    client.force_login(agent)

    # the move-up form asks for the body at level 2 …
    page = client.get(action(complaint, "move_up")).content.decode()
    assert 'name="move_up-outside_body_kind"' in page

    response = client.post(action(complaint, "move_up"), posted(kind))

    assert response.status_code == 302
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.escalation_level, stored.outside_body_kind) == (3, kind)
    # … and the complaint page shows what was recorded, in English and in Chinese
    name, contact = BODIES[kind]
    detail = reverse("complaints:detail", args=[complaint.pk])
    en = client.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    zh = client.get(detail, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    with translation.override("en"):
        assert "Outside body (level 3)" in en and escape(str(OutsideBodyKind(kind).label)) in en
    assert "外部单位（第 3 级）" in zh and ZH_KINDS[kind] in zh
    for page in (en, zh):
        assert escape(name) in page and escape(contact) in page
        assert 'id="outside-body"' in page


def test_the_desk_move_up_form_asks_for_no_body_below_level_2(client, agent):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    client.force_login(agent)
    form = client.get(action(complaint, "move_up")).content.decode()
    assert 'name="move_up-cause"' in form and 'name="move_up-outside_body_kind"' not in form
    page = client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert 'id="action-move_up"' in page
    assert 'id="action-refer_to_outside_body"' not in page  # not at level 3


def test_the_desk_refuses_a_move_to_level_3_without_a_body(client, agent):
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2)
    client.force_login(agent)
    stored_before, events_before = row(complaint), events(complaint)

    response = client.post(action(complaint, "move_up"), {"move_up-cause": EscalationCause.BEYOND_AUTHORITY})

    assert response.status_code == 400
    form = dict((act.name, form) for act, form in response.context["action_forms"])["move_up"]
    assert {"outside_body_kind", "outside_body_name", "outside_body_contact"} <= set(form.errors)
    assert row(complaint) == stored_before and events(complaint) == events_before


def test_the_desk_records_the_answer_and_shows_it_in_both_languages(client, agent, supervisor):
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 3)
    client.force_login(supervisor)
    page = client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert 'id="action-refer_to_outside_body"' in page  # level 3 without a body: refer it
    assert 'id="action-record_outside_body_answer"' not in page  # nothing to answer yet

    response = client.post(
        action(complaint, "refer_to_outside_body"),
        {f"refer_to_outside_body-{k}": v for k, v in body(OutsideBodyKind.PUBLIC_AGENCY).items()},
    )
    assert response.status_code == 302
    response = client.post(
        action(complaint, "record_outside_body_answer"),
        {"record_outside_body_answer-answer": "The housing office will inspect on Monday."},
    )
    assert response.status_code == 302

    detail = reverse("complaints:detail", args=[complaint.pk])
    en = client.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    zh = client.get(detail, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<dt>The outside body's answer</dt>" in en
    assert "<dt>外部单位的答复</dt>" in zh
    for page in (en, zh):
        assert "The housing office will inspect on Monday." in page
        assert escape(BODIES[OutsideBodyKind.PUBLIC_AGENCY][0]) in page
    # the owner (the agent, its assignee) was told
    assert Notification.objects.filter(recipient=agent, kind=Kind.OUTSIDE_BODY_ANSWERED).count() == 1


@pytest.mark.parametrize("name", ["move_up", "refer_to_outside_body", "record_outside_body_answer"])
def test_someone_without_the_permission_is_refused_and_nothing_changes(client, agent, info_user, name):
    # given a complaint ready for the step, and the customer-information user (may see, not act)
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2 if name == "move_up" else 3)
    if name == "record_outside_body_answer":
        complaint.refer_to_outside_body(actor=agent, **_refer(OutsideBodyKind.OWNERS_COMMITTEE))
    data = {
        "move_up": posted(OutsideBodyKind.OWNERS_COMMITTEE),
        "refer_to_outside_body": {f"refer_to_outside_body-{k}": v for k, v in body().items()},
        "record_outside_body_answer": {"record_outside_body_answer-answer": "Approved."},
    }[name]
    stored_before, events_before = row(complaint), events(complaint)
    client.force_login(info_user)

    assert client.post(action(complaint, name), data).status_code == 403
    assert (row(complaint), events(complaint)) == (stored_before, events_before)

    # the same request by an agent succeeds: the denial was the permission
    client.force_login(agent)
    assert client.post(action(complaint, name), data).status_code == 302


def test_another_offices_complaint_is_404(client, agent, other_office):
    outsider = UserFactory(role="agent", office=other_office)
    complaint = at_level(complaint_in(S.IN_PROGRESS, outsider), 2)
    client.force_login(agent)
    assert client.post(action(complaint, "move_up"), posted(OutsideBodyKind.OWNERS_COMMITTEE)).status_code == 404


# ------------------------------------------------------------------------ the API
def test_the_api_moves_up_to_level_3_with_the_body_and_refuses_it_without(client, agent):
    complaint = at_level(complaint_in(S.IN_PROGRESS, agent), 2)
    client.force_login(agent)
    url = f"/api/v1/complaints/{complaint.pk}/actions/move-up/"

    refused = client.post(url, {"cause": EscalationCause.BEYOND_AUTHORITY}, content_type="application/json")
    assert refused.status_code == 400
    assert {"outside_body_kind", "outside_body_name", "outside_body_contact"} <= set(refused.json())

    done = client.post(
        url,
        {"cause": EscalationCause.BEYOND_AUTHORITY, **body(OutsideBodyKind.COMPANY_DEPARTMENT)},
        content_type="application/json",
    )
    assert done.status_code == 200
    answer = done.json()
    assert (answer["escalation_level"], answer["outside_body_kind"]) == (3, OutsideBodyKind.COMPANY_DEPARTMENT)
    assert answer["outside_body_contact"] == BODIES[OutsideBodyKind.COMPANY_DEPARTMENT][1]
    assert "record-outside-body-answer" in answer["available_actions"]

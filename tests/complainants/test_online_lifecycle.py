"""An online complaint through the one intake method and the lifecycle (R-P1 … R-P3, R-C7,
R-C10): received without a receiver, claimed by an agent, caught by R-T1 when nobody claims
it; the complainant's own steps go through the same methods staff use."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from complainants import privacy, services, tokens
from complainants.models import ComplainantAccess
from complaints import sweeps
from complaints.choices import CallbackMethod, Channel, CloseReason, EscalationCause, EventKind, Status
from complaints.exceptions import InvalidTransition
from complaints.models import Complaint, ComplaintEvent
from notifications.models import Notification
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db


def kinds(complaint):
    return list(ComplaintEvent.objects.filter(complaint=complaint).order_by("id").values_list("kind", flat=True))


def to_resolved(complaint, agent):
    complaint.claim(actor=agent)
    complaint.propose_solution(actor=agent, solution="更换卫生间上方的水管，明天上午施工。")
    services.answer_solution(complaint, accepted=True)
    complaint.mark_handled(actor=agent, note="水管已更换。")
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED
    return complaint


def test_an_online_complaint_arrives_unclaimed_with_its_deadline_consent_and_link(submit, office):
    # when
    before = timezone.now()
    submitted = submit()

    # then: received through the one intake method, nobody's yet
    complaint = Complaint.objects.get(pk=submitted.complaint.pk)
    assert complaint.channel == Channel.ONLINE
    assert complaint.status == Status.RECEIVED
    assert complaint.received_by is None and complaint.assignee is None
    assert complaint.office == office
    assert complaint.contact_phone == "13912345678"
    assert before <= complaint.received_at <= timezone.now()
    assert complaint.reply_due_at == complaint.received_at + timedelta(hours=24)
    # the received event carries the channel, the way in and the consent
    [event] = ComplaintEvent.objects.filter(complaint=complaint)
    assert event.kind == EventKind.RECEIVED and event.actor is None
    assert event.data["via"] == "web"
    assert event.data["consent"]["version"] == privacy.VERSION
    assert event.data["consent"]["sha256"] == privacy.notice_sha256(office.name)
    access = ComplainantAccess.objects.get(complaint=complaint)
    assert access.consent_version == privacy.VERSION and access.consented_at is not None
    # the private link opens it; the reference alone is no token
    assert tokens.find(submitted.token) == complaint
    assert tokens.find(str(complaint.pk)) is None


def test_only_an_online_complaint_can_arrive_without_a_receiver(office, category):
    from tests.complainants.conftest import online_fields

    with pytest.raises(ValidationError) as error:
        Complaint.receive(actor=None, office=office, channel=Channel.PHONE, **online_fields(category))
    assert "channel" in error.value.message_dict
    assert not Complaint.objects.exists()


def test_the_token_is_stored_only_as_its_hash(submit):
    submitted = submit()
    row = submitted.complaint.access_tokens.get()
    assert submitted.token not in (row.token_hash, row.nonce)
    assert row.token_hash == tokens.hash_token(submitted.token)


def test_an_agent_claims_it_and_becomes_its_receiver(submit, agent):
    complaint = submit().complaint

    complaint.claim(actor=agent, note="我下午给业主打电话。")

    complaint.refresh_from_db()
    assert complaint.received_by == complaint.assignee == agent
    claimed = ComplaintEvent.objects.filter(complaint=complaint, kind=EventKind.CLAIMED).get()
    assert claimed.actor == agent and claimed.data["to_user"] == agent.pk
    assert claimed.from_status == claimed.to_status == Status.RECEIVED


def test_a_claimed_complaint_cannot_be_claimed_again(submit, agent, make_user):
    complaint = submit().complaint
    complaint.claim(actor=agent)
    colleague = make_user("agent", username="colleague")

    with pytest.raises(InvalidTransition) as error:
        complaint.claim(actor=colleague)

    assert error.value.code == "already_claimed"
    complaint.refresh_from_db()
    assert complaint.received_by == agent
    assert kinds(complaint).count(EventKind.CLAIMED) == 1


def test_staff_of_another_office_cannot_claim_it(submit):
    complaint = submit().complaint
    outsider = UserFactory(role="agent", office=OfficeFactory())

    with pytest.raises(ValidationError):
        complaint.claim(actor=outsider)

    complaint.refresh_from_db()
    assert complaint.received_by is None


def test_a_complaint_nobody_claims_is_still_caught_by_the_reply_deadline(submit, supervisor):
    complaint = submit().complaint

    counts = sweeps.enforce_reply_deadlines(now=complaint.reply_due_at + timedelta(minutes=1))

    complaint.refresh_from_db()
    assert counts["marked_overdue"] == 1 and counts["moved_up"] == 1
    assert complaint.reply_overdue_at is not None
    assert complaint.escalation_level == 1
    # issue 13: the office's supervisor (on duty, or in turn) now has it, and is told it was moved up to them
    assert complaint.assignee == supervisor
    assert Notification.objects.filter(recipient=supervisor, complaint=complaint, kind="moved_up").exists()


def test_information_added_is_an_event_and_the_supervisors_hear_of_it_while_unclaimed(
    submit, supervisor, django_capture_on_commit_callbacks
):
    complaint = submit().complaint

    event = services.add_information(complaint, note="今天又漏了，照片见附件。")

    assert event.kind == EventKind.INFORMATION_ADDED and event.actor is None and event.data == {"via": "web"}
    assert Notification.objects.filter(recipient=supervisor, complaint=complaint, kind="information_added").exists()


def test_information_added_tells_the_assignee_once_claimed(submit, agent, supervisor):
    complaint = submit().complaint
    complaint.claim(actor=agent)

    services.add_information(complaint, note="补充：物业电话打不通。")

    assert list(Notification.objects.filter(kind="information_added").values_list("recipient", flat=True)) == [agent.pk]


def test_empty_information_is_refused_and_nothing_is_written(submit):
    complaint = submit().complaint
    before = kinds(complaint)

    with pytest.raises(ValidationError):
        services.add_information(complaint, note="   ")

    assert kinds(complaint) == before


def test_a_closed_complaint_takes_no_more_information(submit, agent):
    complaint = to_resolved(submit().complaint, agent)
    services.answer_questionnaire(complaint, satisfied=True, rating=5, answers={})

    with pytest.raises(InvalidTransition):
        services.add_information(complaint, note="还有一件事")


def test_the_complainant_accepts_a_solution(submit, agent):
    complaint = submit().complaint
    complaint.claim(actor=agent)
    complaint.propose_solution(actor=agent, solution="明天上午更换水管。")

    services.answer_solution(complaint, accepted=True, note="好的")

    complaint.refresh_from_db()
    assert complaint.status == Status.HANDLING
    event = ComplaintEvent.objects.filter(complaint=complaint).latest("id")
    assert (event.kind, event.actor, event.data["via"], event.note) == (
        EventKind.SOLUTION_ACCEPTED,
        None,
        "web",
        "好的",
    )
    assert Notification.objects.filter(recipient=agent, kind="complainant_answered").exists()


def test_the_complainant_rejects_a_solution_and_it_moves_up(submit, agent):
    complaint = submit().complaint
    complaint.claim(actor=agent)
    complaint.propose_solution(actor=agent, solution="下周再来看。")

    services.answer_solution(complaint, accepted=False, note="太慢了")

    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    assert complaint.escalation_level == 1  # R-C8: a rejected solution moves the complaint up
    event = ComplaintEvent.objects.filter(complaint=complaint).latest("id")
    assert event.kind == EventKind.SOLUTION_REJECTED
    assert event.data["escalation_cause"] == EscalationCause.SOLUTION_REJECTED
    assert event.actor is None and event.data["via"] == "web"


def test_a_solution_answered_twice_is_refused(submit, agent):
    complaint = submit().complaint
    complaint.claim(actor=agent)
    complaint.propose_solution(actor=agent, solution="明天上午更换水管。")
    services.answer_solution(complaint, accepted=True)

    with pytest.raises(InvalidTransition):
        services.answer_solution(complaint, accepted=False)


def test_satisfied_questionnaire_closes_the_complaint(submit, agent):
    complaint = to_resolved(submit().complaint, agent)

    services.answer_questionnaire(
        complaint, satisfied=True, rating=4, answers={"about_result": "修好了", "suggestions": "希望更快"}
    )

    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED and complaint.close_reason == CloseReason.CALLBACK_SATISFIED
    event = ComplaintEvent.objects.filter(complaint=complaint).latest("id")
    assert event.kind == EventKind.CALLBACK_RECORDED and event.actor is None
    assert event.data["method"] == CallbackMethod.QUESTIONNAIRE
    assert event.data["rating"] == 4 and event.data["satisfied"] is True
    assert event.data["answers"] == {"about_result": "修好了", "suggestions": "希望更快"}


def test_unsatisfied_questionnaire_moves_it_up_again(submit, agent):
    complaint = to_resolved(submit().complaint, agent)

    services.answer_questionnaire(complaint, satisfied=False, rating=1, answers={})

    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    assert complaint.escalation_level == 1
    assert Notification.objects.filter(recipient=agent, kind="complainant_answered").exists()


def test_a_rating_outside_1_to_5_is_refused(submit, agent):
    complaint = to_resolved(submit().complaint, agent)
    with pytest.raises(ValidationError):
        services.answer_questionnaire(complaint, satisfied=True, rating=9, answers={})
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED


def test_declining_the_call_back_then_seven_quiet_days_close_it(submit, agent):
    complaint = to_resolved(submit().complaint, agent)

    services.decline_callback(complaint)

    complaint.refresh_from_db()
    assert complaint.status == Status.CALLBACK_DECLINED
    sweeps.auto_close_after_declined_callback(now=complaint.auto_close_due_at + timedelta(minutes=1))
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED and complaint.close_reason == CloseReason.AUTO_CLOSED


def test_an_agent_who_called_back_first_leaves_nothing_to_answer(submit, agent):
    complaint = to_resolved(submit().complaint, agent)
    complaint.record_callback(actor=agent, method=CallbackMethod.PHONE, satisfied=True)

    with pytest.raises(InvalidTransition):
        services.answer_questionnaire(complaint, satisfied=False, rating=1, answers={})
    complaint.refresh_from_db()
    assert complaint.close_reason == CloseReason.CALLBACK_SATISFIED


def test_revoking_the_link_closes_it_and_is_recorded(submit, supervisor):
    submitted = submit()

    assert tokens.revoke(submitted.complaint, actor=supervisor) == 1

    assert tokens.find(submitted.token) is None
    assert EventKind.LINK_REVOKED in kinds(submitted.complaint)
    # a new link works while the old stays closed
    new = tokens.issue(submitted.complaint)
    assert tokens.find(new) == submitted.complaint
    assert tokens.find(submitted.token) is None


def test_a_later_notice_carries_the_same_link(submit):
    submitted = submit()
    assert tokens.token_for(submitted.complaint) == submitted.token


def test_staff_read_what_the_complainant_did_in_words(submit, agent):
    complaint = submit().complaint
    complaint.claim(actor=agent)
    complaint.propose_solution(actor=agent, solution="下周再来看。")
    services.add_information(complaint, note="补充")
    services.answer_solution(complaint, accepted=False)

    messages = [n.message for n in Notification.objects.filter(recipient=agent).order_by("id")]

    assert messages == [
        f"The complainant added information to complaint #{complaint.pk}.",
        f"The complainant rejected the proposed solution of #{complaint.pk}: it was moved up to level"
        " 1 — service-centre supervisor.",
    ]

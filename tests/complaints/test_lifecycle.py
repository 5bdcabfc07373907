"""The complaint lifecycle through the model methods (SPEC R-C1 … R-C10).

Every action of `rules.ACTIONS` (and the system action `auto_close`) is tried from every
status: from the statuses it is allowed in it moves the complaint and writes exactly one
`ComplaintEvent`; from every other status it raises `InvalidTransition`, writes nothing and
changes nothing. The remaining tests pin the rules of the individual steps.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from complaints import rules
from complaints.choices import (
    CallbackMethod,
    Channel,
    CloseReason,
    EscalationCause,
    EventKind,
    OutsideBodyKind,
    Status,
)
from complaints.exceptions import InvalidTransition
from complaints.models import Category, Complaint, ComplaintEvent, Department
from tests.complaint_paths import complaint_in, row
from tests.factories import ComplaintFactory, CustomerFactory, UserFactory, department

S = Status
ALL_ACTIONS = {**rules.ACTIONS, **rules.SYSTEM_ACTIONS}


# ------------------------------------------------------------------ helpers
def new_complaint(actor, **kwargs) -> Complaint:
    """A freshly received complaint of `actor`'s office, received and assigned to `actor`."""
    complaint = ComplaintFactory(office=actor.office, received_by=actor, **kwargs)
    complaint.refresh_from_db()  # the values exactly as the database returns them
    return complaint


def events(complaint):
    return list(ComplaintEvent.objects.filter(complaint=complaint).order_by("id"))


def last_event(complaint) -> ComplaintEvent:
    return ComplaintEvent.objects.filter(complaint=complaint).latest("id")


@pytest.fixture
def ctx(agent, make_user):
    """The actor and the arguments every action needs (`target`: an open complaint of the same
    office, for merging a duplicate into)."""
    return SimpleNamespace(
        actor=agent,
        colleague=make_user("supervisor", username="colleague"),
        department=department(),
        target=new_complaint(agent, subject="The complaint duplicates are merged into"),
    )


def _unclaimed(complaint: Complaint) -> None:
    """As an online complaint nobody has claimed yet (the row as the public form leaves it)."""
    Complaint.objects.filter(pk=complaint.pk).update(channel=Channel.ONLINE, received_by=None, assignee=None)
    complaint.refresh_from_db()


def _merged(complaint: Complaint) -> None:
    """When closed: as a duplicate merged into another complaint (the row as `merge_into` leaves
    it); `unmerge` takes only such a complaint. Open complaints are left as they are."""
    if complaint.status != S.CLOSED:
        return
    target = new_complaint(complaint.received_by, subject="The complaint it was merged into")
    Complaint.objects.filter(pk=complaint.pk).update(close_reason=CloseReason.MERGED, merged_into=target)
    complaint.refresh_from_db()


def _at_outside_bodies(complaint: Complaint) -> None:
    """At level 3 (R-C8), raised there without a body (as R-T1 leaves it)."""
    Complaint.objects.filter(pk=complaint.pk).update(escalation_level=3)
    complaint.refresh_from_db()


def _referred(complaint: Complaint) -> None:
    """At level 3 and referred to an outside body (issue 13)."""
    Complaint.objects.filter(pk=complaint.pk).update(
        escalation_level=3,
        outside_body_kind=OutsideBodyKind.OWNERS_COMMITTEE,
        outside_body_name="Owners' committee",
        outside_body_contact="Chair Mr Li, 139 0000 0000",
        outside_body_referred_at=timezone.now() - timedelta(hours=1),
    )
    complaint.refresh_from_db()


def _special_incident(complaint: Complaint) -> None:
    """Flagged as a special incident (R-C6.2)."""
    Complaint.objects.filter(pk=complaint.pk).update(is_special_incident=True, special_incident_at=timezone.now())
    complaint.refresh_from_db()


# action name -> how the complaint must look before it (besides its status)
SETUP = {
    "claim": _unclaimed,
    "unmerge": _merged,
    "refer_to_outside_body": _at_outside_bodies,
    "record_outside_body_answer": _referred,
    "record_incident_containment": _special_incident,
    "record_incident_report": _special_incident,
}

# action name -> (call with valid arguments, event kind, status after it from `status`)
CALLS = {
    "claim": (lambda c, x: c.claim(actor=x.actor), EventKind.CLAIMED, lambda s: s),
    "reply": (
        lambda c, x: c.reply(actor=x.actor, note="We are on it."),
        EventKind.REPLIED,
        lambda s: S.IN_PROGRESS if s == S.RECEIVED else s,
    ),
    "agree_reply_time": (
        lambda c, x: c.agree_reply_time(actor=x.actor, reply_due_at=c.received_at + timedelta(hours=12)),
        EventKind.REPLY_TIME_AGREED,
        lambda s: S.IN_PROGRESS,
    ),
    "resolve_on_the_spot": (
        lambda c, x: c.resolve_on_the_spot(
            actor=x.actor, resolution="Explained.", signoff_name="Li Wei", satisfied=True
        ),
        EventKind.RESOLVED_ON_THE_SPOT,
        lambda s: S.CLOSED,
    ),
    "assign_department": (
        lambda c, x: c.assign_department(actor=x.actor, department=x.department),
        EventKind.DEPARTMENT_ASSIGNED,
        lambda s: S.IN_PROGRESS if s == S.RECEIVED else s,
    ),
    "record_findings": (
        lambda c, x: c.record_findings(actor=x.actor, findings="The lift motor burnt out."),
        EventKind.FINDINGS_RECORDED,
        lambda s: s,
    ),
    "report_progress": (
        lambda c, x: c.report_progress(actor=x.actor, note="A technician is on the way."),
        EventKind.PROGRESS_REPORTED,
        lambda s: s,
    ),
    "propose_solution": (
        lambda c, x: c.propose_solution(actor=x.actor, solution="Replace the motor."),
        EventKind.SOLUTION_PROPOSED,
        lambda s: S.SOLUTION_PROPOSED,
    ),
    "record_answer": (
        lambda c, x: c.record_answer(actor=x.actor, accepted=True),
        EventKind.SOLUTION_ACCEPTED,
        lambda s: S.HANDLING,
    ),
    "commit_completion": (
        lambda c, x: c.commit_completion(actor=x.actor, completion_at=timezone.now() + timedelta(days=2)),
        EventKind.COMPLETION_COMMITTED,
        lambda s: s,
    ),
    "mark_handled": (lambda c, x: c.mark_handled(actor=x.actor, note="Done."), EventKind.HANDLED, lambda s: S.RESOLVED),
    "record_callback": (
        lambda c, x: c.record_callback(actor=x.actor, method=CallbackMethod.PHONE, satisfied=True),
        EventKind.CALLBACK_RECORDED,
        lambda s: S.CLOSED,
    ),
    "decline_callback": (
        lambda c, x: c.decline_callback(actor=x.actor),
        EventKind.CALLBACK_DECLINED,
        lambda s: S.CALLBACK_DECLINED,
    ),
    "move_up": (
        lambda c, x: c.move_up(actor=x.actor, cause=EscalationCause.BEYOND_AUTHORITY),
        EventKind.MOVED_UP,
        lambda s: s if s in (S.IN_PROGRESS, S.HANDLING) else S.IN_PROGRESS,
    ),
    "refer_to_outside_body": (
        lambda c, x: c.refer_to_outside_body(
            actor=x.actor, kind=OutsideBodyKind.PUBLIC_AGENCY, name="District housing office", contact="021-1234 5678"
        ),
        EventKind.OUTSIDE_BODY_REFERRED,
        lambda s: s,
    ),
    "record_outside_body_answer": (
        lambda c, x: c.record_outside_body_answer(actor=x.actor, answer="The committee approves the repair."),
        EventKind.OUTSIDE_BODY_ANSWERED,
        lambda s: s,
    ),
    "flag_special_incident": (
        lambda c, x: c.flag_special_incident(actor=x.actor, note="Water pouring into the switch room."),
        EventKind.SPECIAL_INCIDENT_FLAGGED,
        lambda s: s,
    ),
    "record_incident_containment": (
        lambda c, x: c.record_incident_containment(actor=x.actor, steps="Power cut, area cordoned off."),
        EventKind.INCIDENT_CONTAINED,
        lambda s: s,
    ),
    "record_incident_report": (
        lambda c, x: c.record_incident_report(
            actor=x.actor, reported_to="Duty manager Zhang", reported_at=timezone.now(), note="By phone."
        ),
        EventKind.INCIDENT_REPORTED,
        lambda s: s,
    ),
    "reassign": (lambda c, x: c.reassign(actor=x.actor, assignee=x.colleague), EventKind.REASSIGNED, lambda s: s),
    "add_note": (lambda c, x: c.add_note(actor=x.actor, note="Owner phoned again."), EventKind.NOTE_ADDED, lambda s: s),
    "auto_close": (lambda c, x: c.auto_close(actor=x.actor), EventKind.AUTO_CLOSED, lambda s: S.CLOSED),
    "mark_training_case": (
        lambda c, x: c.mark_training_case(actor=x.actor, lesson="Apologise first."),
        EventKind.TRAINING_CASE_MARKED,
        lambda s: s,
    ),
    "merge": (
        lambda c, x: c.merge_into(x.actor, target=x.target, note="The same leak, phoned in twice."),
        EventKind.MERGED,
        lambda s: S.CLOSED,
    ),
    "unmerge": (
        lambda c, x: c.unmerge(x.actor, note="Not the same matter after all."),
        EventKind.UNMERGED,
        lambda s: S.IN_PROGRESS,
    ),
}

_WORKING = {S.RECEIVED, S.IN_PROGRESS, S.SOLUTION_PROPOSED, S.HANDLING}
_OPEN = _WORKING | {S.RESOLVED, S.CALLBACK_DECLINED}
# The statuses each action is meant to be possible in (SPEC R-C4 … R-C10), written out here
# independently of rules.py so that a drift in the table is caught.
EXPECTED_FROM = {
    "claim": _OPEN,
    "reply": _WORKING,
    "agree_reply_time": {S.RECEIVED, S.IN_PROGRESS},
    "resolve_on_the_spot": {S.RECEIVED, S.IN_PROGRESS},
    "assign_department": _WORKING,
    "record_findings": {S.IN_PROGRESS, S.SOLUTION_PROPOSED, S.HANDLING},
    "report_progress": {S.IN_PROGRESS, S.SOLUTION_PROPOSED, S.HANDLING},
    "propose_solution": {S.RECEIVED, S.IN_PROGRESS},
    "record_answer": {S.SOLUTION_PROPOSED},
    "commit_completion": {S.HANDLING},
    "mark_handled": {S.HANDLING},
    "record_callback": {S.RESOLVED},
    "decline_callback": {S.RESOLVED},
    "move_up": _OPEN,
    # issue 13: level 3 (at that level only) and special incidents (once flagged), while open
    "refer_to_outside_body": _OPEN,
    "record_outside_body_answer": _OPEN,
    "flag_special_incident": _OPEN,
    "record_incident_containment": _OPEN,
    "record_incident_report": _OPEN,
    "reassign": _OPEN,
    "add_note": set(S.values),
    "auto_close": {S.CALLBACK_DECLINED},
    "mark_training_case": {S.CLOSED},  # R-C11: only closed cases become training cases
    "merge": _OPEN,  # issue 14: a duplicate still open is closed into another complaint
    "unmerge": {S.CLOSED},  # … and only a merged one (close reason `merged`) can be taken back
}

VALID = [(name, status) for name, act in ALL_ACTIONS.items() for status in act.from_statuses]
INVALID = [
    (name, status) for name, act in ALL_ACTIONS.items() for status in S.values if status not in act.from_statuses
]


# ------------------------------------------------------------ the table
def test_every_action_is_covered_by_these_tests():
    assert set(CALLS) == set(ALL_ACTIONS) == set(EXPECTED_FROM)


@pytest.mark.parametrize("name", sorted(ALL_ACTIONS))
def test_action_is_allowed_in_exactly_the_expected_statuses(name):
    assert set(ALL_ACTIONS[name].from_statuses) == EXPECTED_FROM[name]


def test_closed_is_final_except_for_a_merged_duplicate():
    # nothing leaves `closed` by the status table ...
    assert rules.TRANSITIONS[S.CLOSED] == frozenset()
    # ... and by close reason, only a merged duplicate has a way out: back in progress (unmerge)
    for reason in CloseReason.values:
        ways_out = {s for s in S.values if s != S.CLOSED and rules.can_move(S.CLOSED, s, close_reason=reason)}
        assert ways_out == ({S.IN_PROGRESS} if reason == CloseReason.MERGED else set()), reason
    assert set(rules.HANDLED_CLOSE_REASONS) == set(CloseReason.values) - {CloseReason.MERGED}
    # the actions possible in closed: a note and marking a training case, which leave the status
    # as it is, and undoing a merge ...
    assert {name for name, act in ALL_ACTIONS.items() if act.allowed_in(S.CLOSED)} == {
        "add_note",
        "mark_training_case",
        "unmerge",
    }
    # ... each only for the close reasons it takes: a handled complaint can become a training
    # case and never be un-merged; a merged duplicate can only be un-merged
    for reason in CloseReason.values:
        allowed = {name for name, act in ALL_ACTIONS.items() if act.allowed_for(S.CLOSED, reason)}
        expected = {"add_note", "unmerge"} if reason == CloseReason.MERGED else {"add_note", "mark_training_case"}
        assert allowed == expected, reason


@pytest.mark.parametrize("reason", rules.HANDLED_CLOSE_REASONS)
def test_unmerge_refuses_a_complaint_closed_for_any_reason_but_merged(ctx, reason):
    # given a complaint closed by the procedure (R-C10), not merged
    complaint = complaint_in(S.CLOSED, ctx.actor)
    Complaint.objects.filter(pk=complaint.pk).update(close_reason=reason)
    complaint.refresh_from_db()
    stored_before, events_before = row(complaint), events(complaint)

    # when / then: closed stays final
    with pytest.raises(InvalidTransition) as exc:
        complaint.unmerge(ctx.actor, note="Reopen it, please.")
    assert exc.value.code == "invalid_transition"
    assert (exc.value.action, exc.value.status) == ("unmerge", S.CLOSED)
    assert str(CloseReason(reason).label) in str(exc.value)
    assert row(complaint) == stored_before
    assert events(complaint) == events_before


def test_a_merged_duplicate_cannot_become_a_training_case(ctx):
    complaint = complaint_in(S.CLOSED, ctx.actor)
    _merged(complaint)
    stored_before, events_before = row(complaint), events(complaint)

    with pytest.raises(InvalidTransition) as exc:
        complaint.mark_training_case(actor=ctx.actor, lesson="Apologise first.")

    assert str(CloseReason.MERGED.label) in str(exc.value)
    assert row(complaint) == stored_before
    assert events(complaint) == events_before


@pytest.mark.parametrize(("name", "status"), VALID)
def test_valid_action_moves_the_complaint_and_writes_one_event(ctx, name, status):
    # given a complaint in a status the action is allowed in
    complaint = complaint_in(status, ctx.actor)
    SETUP.get(name, lambda c: None)(complaint)
    before_events = events(complaint)
    close_reason = complaint.close_reason  # the way out of closed depends on it (a merged duplicate)
    call, kind, next_status = CALLS[name]

    # when
    call(complaint, ctx)

    # then the stored complaint and the object in hand both show the new status
    expected = next_status(status)
    assert rules.can_move(status, expected, close_reason=close_reason)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.status == complaint.status == expected
    # and exactly one event tells who did what
    new = events(complaint)[len(before_events) :]
    assert len(new) == 1
    event = new[0]
    assert event.kind == kind
    assert event.actor == ctx.actor
    assert (event.from_status, event.to_status) == (status, expected)
    assert event.to_level == stored.escalation_level
    assert event.from_level is not None


@pytest.mark.parametrize(("name", "status"), INVALID)
def test_invalid_action_raises_and_changes_nothing(ctx, name, status):
    # given a complaint in a status the action is not allowed in
    complaint = complaint_in(status, ctx.actor)
    SETUP.get(name, lambda c: None)(complaint)
    stored_before, events_before = row(complaint), events(complaint)
    call, _kind, _next = CALLS[name]

    # when / then
    with pytest.raises(InvalidTransition) as exc:
        call(complaint, ctx)
    assert exc.value.code == "invalid_transition"
    assert str(ALL_ACTIONS[name].label) in str(exc.value)
    assert str(S(status).label) in str(exc.value)
    assert row(complaint) == stored_before
    assert events(complaint) == events_before
    assert complaint.status == status  # the object in hand is untouched as well


# ------------------------------------------------------------------ intake
def log_kwargs(agent, **overrides):
    now = timezone.now()
    kwargs = dict(
        actor=agent,
        office=agent.office,
        channel=Channel.WALK_IN,
        incident_at=now - timedelta(hours=3),
        incident_place="Building 5, car park",
        subject="Car park gate broken",
        description="The barrier does not open with the resident card.",
        category=Category.objects.get(code="repairs"),
        complainant_name="Wang Fang",
        contact_phone="021-6234 5678",
    )
    kwargs.update(overrides)
    return kwargs


def test_log_records_a_received_complaint_due_within_24_hours(agent):
    # when
    start = timezone.now()
    complaint = Complaint.log(**log_kwargs(agent))
    end = timezone.now()

    # then
    complaint.refresh_from_db()
    assert complaint.status == S.RECEIVED
    assert complaint.escalation_level == 0
    assert complaint.received_by == complaint.assignee == agent
    assert complaint.office == agent.office
    assert start <= complaint.received_at <= end
    assert complaint.reply_due_at == complaint.received_at + timedelta(hours=24)
    assert complaint.close_reason == "" and complaint.closed_at is None
    [event] = events(complaint)
    assert event.kind == EventKind.RECEIVED
    assert event.actor == agent
    assert (event.from_status, event.to_status) == ("", S.RECEIVED)
    assert (event.from_level, event.to_level) == (None, 0)
    assert event.created_at == complaint.received_at
    assert event.data == {"channel": Channel.WALK_IN}


def test_log_reply_window_setting_may_shorten_but_never_lengthen_it(agent, settings):
    settings.HELPDESK_REPLY_WINDOW_HOURS = 8
    short = Complaint.log(**log_kwargs(agent))
    settings.HELPDESK_REPLY_WINDOW_HOURS = 48
    capped = Complaint.log(**log_kwargs(agent))

    assert short.reply_due_at == short.received_at + timedelta(hours=8)
    assert capped.reply_due_at == capped.received_at + timedelta(hours=24)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"contact_phone": "1380013800"}, "contact_phone"),  # a mobile number needs 11 digits
        ({"contact_qq": "0123"}, "contact_qq"),
        ({"contact_email": "not-an-address"}, "contact_email"),
        ({"subject": ""}, "subject"),
        ({"channel": "carrier_pigeon"}, "channel"),
    ],
)
def test_log_with_invalid_data_raises_and_saves_nothing(agent, overrides, field):
    complaints, event_count = Complaint.objects.count(), ComplaintEvent.objects.count()

    with pytest.raises(ValidationError) as exc:
        Complaint.log(**log_kwargs(agent, **overrides))

    assert field in exc.value.message_dict
    assert Complaint.objects.count() == complaints
    assert ComplaintEvent.objects.count() == event_count


# ------------------------------------------------------ reply time (R-C5)
def test_agree_reply_time_exactly_24_hours_after_receipt_is_accepted(agent):
    complaint = new_complaint(agent)
    due = complaint.received_at + timedelta(hours=24)

    complaint.agree_reply_time(actor=agent, reply_due_at=due, note="Will call tomorrow morning.")

    complaint.refresh_from_db()
    assert complaint.reply_due_at == due
    assert complaint.status == S.IN_PROGRESS
    event = last_event(complaint)
    assert event.kind == EventKind.REPLY_TIME_AGREED
    assert event.note == "Will call tomorrow morning."
    assert event.data == {"reply_due_at": due.isoformat()}


@pytest.mark.parametrize("status", [S.RECEIVED, S.IN_PROGRESS])
@pytest.mark.parametrize(
    "due",
    [
        pytest.param(lambda c: c.received_at + timedelta(hours=24, seconds=1), id="24h+1s"),
        pytest.param(lambda c: c.received_at + timedelta(days=3), id="3-days"),
        pytest.param(lambda c: timezone.now() - timedelta(minutes=1), id="past"),
        pytest.param(lambda c: c.received_at, id="at-receipt"),
    ],
)
def test_agree_reply_time_outside_the_window_raises_and_changes_nothing(agent, status, due):
    complaint = complaint_in(status, agent)
    stored_before, events_before = row(complaint), events(complaint)

    with pytest.raises(ValidationError) as exc:
        complaint.agree_reply_time(actor=agent, reply_due_at=due(complaint))

    assert list(exc.value.message_dict) == ["reply_due_at"]
    assert row(complaint) == stored_before
    assert events(complaint) == events_before


def test_agree_reply_time_of_a_complaint_received_long_ago_cannot_be_in_the_past(agent):
    complaint = new_complaint(agent, received_at=timezone.now() - timedelta(hours=30))

    with pytest.raises(ValidationError) as exc:
        complaint.agree_reply_time(actor=agent, reply_due_at=complaint.received_at + timedelta(hours=24))

    assert "reply_due_at" in exc.value.message_dict


def test_agree_reply_time_respects_a_shorter_window_setting(agent, settings):
    settings.HELPDESK_REPLY_WINDOW_HOURS = 12
    complaint = new_complaint(agent)

    with pytest.raises(ValidationError):
        complaint.agree_reply_time(actor=agent, reply_due_at=complaint.received_at + timedelta(hours=13))
    complaint.agree_reply_time(actor=agent, reply_due_at=complaint.received_at + timedelta(hours=12))

    assert Complaint.objects.get(pk=complaint.pk).reply_due_at == complaint.received_at + timedelta(hours=12)


def test_agree_reply_time_a_longer_window_setting_cannot_pass_24_hours(agent, settings):
    settings.HELPDESK_REPLY_WINDOW_HOURS = 48
    complaint = new_complaint(agent)

    with pytest.raises(ValidationError):
        complaint.agree_reply_time(actor=agent, reply_due_at=complaint.received_at + timedelta(hours=25))


def test_agree_reply_time_can_be_moved_earlier_while_in_progress(agent):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    due = complaint.received_at + timedelta(hours=6)

    complaint.agree_reply_time(actor=agent, reply_due_at=due)

    event = last_event(complaint)
    assert (event.from_status, event.to_status) == (S.IN_PROGRESS, S.IN_PROGRESS)
    assert Complaint.objects.get(pk=complaint.pk).reply_due_at == due


# ----------------------------------------------------------- replies
def test_reply_sets_first_reply_once_and_progress_every_time(agent):
    complaint = new_complaint(agent)

    complaint.reply(actor=agent, note="We have received your complaint.")
    first = Complaint.objects.get(pk=complaint.pk)
    complaint.report_progress(actor=agent, note="The technician is on the way.")
    second = Complaint.objects.get(pk=complaint.pk)

    assert first.status == S.IN_PROGRESS
    assert first.first_replied_at is not None
    assert second.first_replied_at == first.first_replied_at
    assert second.last_progress_at > first.last_progress_at


@pytest.mark.parametrize(
    ("status", "call", "field"),
    [
        (S.RECEIVED, lambda c, a: c.reply(actor=a, note="  "), "note"),
        (S.IN_PROGRESS, lambda c, a: c.report_progress(actor=a, note=""), "note"),
        (S.IN_PROGRESS, lambda c, a: c.record_findings(actor=a, findings=" "), "findings"),
        (S.RECEIVED, lambda c, a: c.propose_solution(actor=a, solution=""), "solution"),
        (S.HANDLING, lambda c, a: c.mark_handled(actor=a, note=""), "note"),
        (
            S.HANDLING,
            lambda c, a: c.commit_completion(actor=a, completion_at=timezone.now() - timedelta(hours=1)),
            "completion_at",
        ),
        (S.HANDLING, lambda c, a: c.commit_completion(actor=a, completion_at=None), "completion_at"),
        (S.RESOLVED, lambda c, a: c.record_callback(actor=a, method="telepathy", satisfied=True), "method"),
        (S.RECEIVED, lambda c, a: c.reassign(actor=a, assignee=None), "assignee"),
        (S.RECEIVED, lambda c, a: c.assign_department(actor=a, department=None), "department"),
        (S.CLOSED, lambda c, a: c.add_note(actor=a, note=""), "note"),
    ],
)
def test_missing_or_bad_argument_raises_validation_error_and_changes_nothing(agent, status, call, field):
    complaint = complaint_in(status, agent)
    stored_before, events_before = row(complaint), events(complaint)

    with pytest.raises(ValidationError) as exc:
        call(complaint, agent)

    assert field in exc.value.message_dict
    assert row(complaint) == stored_before
    assert events(complaint) == events_before


def test_assign_department_refuses_an_inactive_department(agent):
    complaint = new_complaint(agent)
    closed_department = Department.objects.create(name="Closed department", is_active=False)

    with pytest.raises(ValidationError) as exc:
        complaint.assign_department(actor=agent, department=closed_department)

    assert "department" in exc.value.message_dict
    assert Complaint.objects.get(pk=complaint.pk).department is None


def test_add_note_on_a_closed_complaint_keeps_it_closed(agent):
    complaint = complaint_in(S.CLOSED, agent)

    complaint.add_note(actor=agent, note="Training case: good on-the-spot handling.")

    event = last_event(complaint)
    assert (event.kind, event.from_status, event.to_status) == (EventKind.NOTE_ADDED, S.CLOSED, S.CLOSED)
    assert Complaint.objects.get(pk=complaint.pk).status == S.CLOSED


# ------------------------------------------------- on the spot (R-C4)
def test_resolve_on_the_spot_with_sign_off_closes_at_once(agent):
    complaint = new_complaint(agent)

    complaint.resolve_on_the_spot(
        actor=agent,
        resolution="Apologised and reset the gate card.",
        signoff_name="  Wang Fang ",
        satisfied=True,
        apologised=True,
    )

    complaint.refresh_from_db()
    assert complaint.status == S.CLOSED
    assert complaint.close_reason == CloseReason.ON_THE_SPOT
    assert complaint.closed_at is not None
    assert complaint.first_replied_at == complaint.closed_at == complaint.signed_off_at
    assert complaint.signoff_name == "Wang Fang"
    assert complaint.resolution == "Apologised and reset the gate card."
    assert complaint.apologised is True
    assert complaint.needs_callback is False
    [event] = events(complaint)  # the factory writes no RECEIVED event
    assert event.kind == EventKind.RESOLVED_ON_THE_SPOT
    assert (event.from_status, event.to_status) == (S.RECEIVED, S.CLOSED)
    assert event.data == {"signoff_name": "Wang Fang", "apologised": True, "satisfied": True}


def test_resolve_on_the_spot_keeps_an_earlier_first_reply(agent):
    complaint = complaint_in(S.IN_PROGRESS, agent)
    first_reply = complaint.first_replied_at

    complaint.resolve_on_the_spot(actor=agent, resolution="Explained.", signoff_name="Li", satisfied=True)

    complaint.refresh_from_db()
    assert complaint.first_replied_at == first_reply < complaint.closed_at


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"resolution": ""}, "resolution"),
        ({"resolution": "   "}, "resolution"),
        ({"signoff_name": ""}, "signoff_name"),
        ({"signoff_name": " \t"}, "signoff_name"),
        ({"satisfied": False}, "satisfied"),
    ],
)
def test_resolve_on_the_spot_needs_resolution_sign_off_and_satisfaction(agent, kwargs, field):
    complaint = new_complaint(agent)
    stored_before, events_before = row(complaint), events(complaint)
    arguments = {"resolution": "Explained.", "signoff_name": "Li Wei", "satisfied": True, **kwargs}

    with pytest.raises(ValidationError) as exc:
        complaint.resolve_on_the_spot(actor=agent, **arguments)

    assert field in exc.value.message_dict
    assert row(complaint) == stored_before
    assert events(complaint) == events_before


# --------------------------------------------------- escalation (R-C8)
def test_move_up_climbs_one_level_at_a_time_up_to_outside_bodies(agent):
    complaint = new_complaint(agent)

    for level in (1, 2, 3):
        body = (
            {
                "outside_body_kind": OutsideBodyKind.OWNERS_COMMITTEE,
                "outside_body_name": "Owners' committee",
                "outside_body_contact": "Chair Mr Li, 139 0000 0000",
            }
            if level == 3
            else {}
        )
        complaint.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY, note=f"to level {level}", **body)
        assert Complaint.objects.get(pk=complaint.pk).escalation_level == complaint.escalation_level == level
        event = last_event(complaint)
        assert event.kind == EventKind.MOVED_UP
        assert (event.from_level, event.to_level) == (level - 1, level)
        assert event.data["escalation_cause"] == EscalationCause.BEYOND_AUTHORITY
        assert event.note == f"to level {level}"


def test_move_up_at_the_highest_level_raises_and_changes_nothing(agent):
    complaint = new_complaint(agent, escalation_level=3)
    stored_before, events_before = row(complaint), events(complaint)

    with pytest.raises(InvalidTransition) as exc:
        complaint.move_up(actor=agent, cause=EscalationCause.EMOTIONAL)

    assert exc.value.code == "max_escalation_level"
    assert row(complaint) == stored_before
    assert events(complaint) == events_before


def test_move_up_to_a_person_makes_them_the_assignee(agent, supervisor):
    complaint = new_complaint(agent, is_emotional=True)

    complaint.move_up(actor=agent, cause=EscalationCause.EMOTIONAL, to_user=supervisor)

    complaint.refresh_from_db()
    assert complaint.assignee == supervisor
    assert complaint.received_by == agent
    assert complaint.status == S.IN_PROGRESS
    event = last_event(complaint)
    assert event.actor == agent
    assert (event.from_status, event.to_status, event.from_level, event.to_level) == (S.RECEIVED, S.IN_PROGRESS, 0, 1)
    assert event.data == {
        "escalation_cause": EscalationCause.EMOTIONAL,
        "to_user": supervisor.pk,
        "to_user_name": str(supervisor),
    }


def test_move_up_without_a_person_keeps_the_assignee(agent):
    complaint = new_complaint(agent)

    complaint.move_up(actor=agent, cause=EscalationCause.DEADLINE_MISSED)

    assert Complaint.objects.get(pk=complaint.pk).assignee == agent
    assert "to_user" not in last_event(complaint).data


@pytest.mark.parametrize("kind", ["other_office", "inactive"])
def test_move_up_to_someone_who_cannot_take_it_raises(agent, other_office, kind):
    complaint = new_complaint(agent)
    if kind == "other_office":
        to_user = UserFactory(role="supervisor", office=other_office)
    else:
        to_user = UserFactory(role="supervisor", office=agent.office, is_active=False)
    stored_before, events_before = row(complaint), events(complaint)

    with pytest.raises(ValidationError) as exc:
        complaint.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY, to_user=to_user)

    assert "to_user" in exc.value.message_dict
    assert row(complaint) == stored_before
    assert events(complaint) == events_before


def test_move_up_to_a_head_office_manager_of_another_office_is_allowed(agent, other_office):
    manager = UserFactory(role="manager", office=other_office)
    complaint = new_complaint(agent)

    complaint.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY, to_user=manager)

    assert Complaint.objects.get(pk=complaint.pk).assignee == manager


@pytest.mark.parametrize("cause", ["", "bored", None])
def test_move_up_with_an_invalid_cause_raises(agent, cause):
    complaint = new_complaint(agent)
    stored_before, events_before = row(complaint), events(complaint)

    with pytest.raises(ValidationError) as exc:
        complaint.move_up(actor=agent, cause=cause)

    assert "cause" in exc.value.message_dict
    assert row(complaint) == stored_before
    assert events(complaint) == events_before


@pytest.mark.parametrize(
    ("status", "cleared"), [(S.RESOLVED, "resolved_at"), (S.CALLBACK_DECLINED, "callback_declined_at")]
)
def test_move_up_reopens_a_resolved_complaint(agent, status, cleared):
    complaint = complaint_in(status, agent)
    assert getattr(complaint, cleared) is not None

    complaint.move_up(actor=agent, cause=EscalationCause.CALLBACK_UNSATISFIED)

    complaint.refresh_from_db()
    assert complaint.status == S.IN_PROGRESS
    assert getattr(complaint, cleared) is None


def test_move_up_while_handling_keeps_handling(agent):
    complaint = complaint_in(S.HANDLING, agent)

    complaint.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.escalation_level) == (S.HANDLING, 1)


def test_reassign_to_a_colleague_records_both(agent, supervisor):
    complaint = new_complaint(agent)

    complaint.reassign(actor=supervisor, assignee=supervisor, note="I take it over.")

    assert Complaint.objects.get(pk=complaint.pk).assignee == supervisor
    event = last_event(complaint)
    assert event.actor == supervisor
    assert event.data == {"from_user": agent.pk, "to_user": supervisor.pk, "to_user_name": str(supervisor)}


def test_reassign_to_staff_of_another_office_raises(agent, other_office):
    complaint = new_complaint(agent)
    outsider = UserFactory(role="agent", office=other_office)

    with pytest.raises(ValidationError) as exc:
        complaint.reassign(actor=agent, assignee=outsider)

    assert "assignee" in exc.value.message_dict
    assert Complaint.objects.get(pk=complaint.pk).assignee == agent


# ------------------------------------------------- solution (R-C7)
def test_accepted_solution_moves_to_handling(agent):
    complaint = complaint_in(S.SOLUTION_PROPOSED, agent)

    complaint.record_answer(actor=agent, accepted=True)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.escalation_level) == (S.HANDLING, 0)
    event = last_event(complaint)
    assert event.kind == EventKind.SOLUTION_ACCEPTED
    assert event.data == {"accepted": True}


def test_rejected_solution_goes_back_in_progress_one_level_up(agent, supervisor):
    complaint = complaint_in(S.SOLUTION_PROPOSED, agent)
    events_before = events(complaint)

    complaint.record_answer(actor=agent, accepted=False, note="Owner wants a new lift.", to_user=supervisor)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.escalation_level) == (S.IN_PROGRESS, 1)
    assert complaint.assignee == supervisor
    [event] = events(complaint)[len(events_before) :]  # one event, no separate "moved up"
    assert event.kind == EventKind.SOLUTION_REJECTED
    assert (event.from_status, event.to_status) == (S.SOLUTION_PROPOSED, S.IN_PROGRESS)
    assert event.from_level < event.to_level
    assert (event.from_level, event.to_level) == (0, 1)
    assert event.data["escalation_cause"] == EscalationCause.SOLUTION_REJECTED
    assert event.data["accepted"] is False


def test_rejected_solution_at_the_highest_level_stays_there(agent):
    complaint = complaint_in(S.SOLUTION_PROPOSED, agent, escalation_level=3)

    complaint.record_answer(actor=agent, accepted=False)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.escalation_level) == (S.IN_PROGRESS, 3)
    event = last_event(complaint)
    assert event.kind == EventKind.SOLUTION_REJECTED
    assert (event.from_level, event.to_level) == (3, 3)


def test_rejected_solution_to_someone_of_another_office_raises(agent, other_office):
    complaint = complaint_in(S.SOLUTION_PROPOSED, agent)
    stored_before = row(complaint)

    with pytest.raises(ValidationError):
        complaint.record_answer(actor=agent, accepted=False, to_user=UserFactory(role="agent", office=other_office))

    assert row(complaint) == stored_before


def test_proposing_again_after_a_rejection(agent):
    complaint = complaint_in(S.SOLUTION_PROPOSED, agent)
    complaint.record_answer(actor=agent, accepted=False)

    complaint.propose_solution(actor=agent, solution="Replace the whole lift.")

    complaint.refresh_from_db()
    assert complaint.status == S.SOLUTION_PROPOSED
    assert complaint.solution == "Replace the whole lift."


# -------------------------------------------------- handling (R-C9)
def test_commit_completion_records_the_date_and_counts_as_progress(agent):
    complaint = complaint_in(S.HANDLING, agent)
    when = timezone.now() + timedelta(days=3)

    complaint.commit_completion(actor=agent, completion_at=when, note="Parts arrive on Friday.")

    complaint.refresh_from_db()
    assert complaint.committed_completion_at == when
    assert complaint.status == S.HANDLING
    assert last_event(complaint).data == {"committed_completion_at": when.isoformat()}


@pytest.mark.parametrize(
    ("complaint_kwargs", "customer_kwargs"),
    [
        pytest.param({}, None, id="phone"),
        pytest.param({"contact_phone": "", "contact_email": "owner@example.com"}, None, id="email"),
        pytest.param({"contact_phone": "", "contact_wechat": "wang_fang88"}, None, id="wechat"),
        pytest.param({"contact_phone": "", "contact_qq": "123456"}, None, id="qq"),
        pytest.param({"contact_phone": ""}, {"phone": "13800138000"}, id="customer-phone"),
        pytest.param({"contact_phone": ""}, {"phone": "", "email": "c@example.com"}, id="customer-email"),
    ],
)
def test_mark_handled_awaits_a_call_back_when_the_complainant_can_be_reached(agent, complaint_kwargs, customer_kwargs):
    if customer_kwargs is not None:
        complaint_kwargs = {**complaint_kwargs, "customer": CustomerFactory(**customer_kwargs)}
    complaint = complaint_in(S.HANDLING, agent, **complaint_kwargs)

    complaint.mark_handled(actor=agent, note="Repaired.")

    complaint.refresh_from_db()
    assert complaint.status == S.RESOLVED
    assert complaint.resolved_at is not None
    assert complaint.close_reason == "" and complaint.closed_at is None
    event = last_event(complaint)
    assert (event.kind, event.to_status) == (EventKind.HANDLED, S.RESOLVED)
    assert event.data == {"needs_callback": True}


@pytest.mark.parametrize(
    ("complaint_kwargs", "customer_kwargs"),
    [
        pytest.param({"is_anonymous": True}, None, id="anonymous"),
        pytest.param({"is_sensitive": True}, None, id="sensitive"),
        pytest.param({"contact_phone": ""}, None, id="no-contact"),
        pytest.param({"contact_phone": ""}, {"phone": "", "email": ""}, id="customer-without-contact"),
    ],
)
def test_mark_handled_closes_when_no_call_back_is_needed(agent, complaint_kwargs, customer_kwargs):
    if customer_kwargs is not None:
        complaint_kwargs = {**complaint_kwargs, "customer": CustomerFactory(**customer_kwargs)}
    complaint = complaint_in(S.HANDLING, agent, **complaint_kwargs)

    complaint.mark_handled(actor=agent, note="Repaired.")

    complaint.refresh_from_db()
    assert complaint.status == S.CLOSED
    assert complaint.close_reason == CloseReason.NO_CALLBACK_NEEDED
    assert complaint.closed_at is not None
    assert complaint.resolved_at == complaint.closed_at
    event = last_event(complaint)
    assert (event.kind, event.from_status, event.to_status) == (EventKind.HANDLED, S.HANDLING, S.CLOSED)
    assert event.data == {"needs_callback": False}


# --------------------------------------------------- call-back (R-C10)
@pytest.mark.parametrize("method", CallbackMethod.values)
def test_satisfied_call_back_closes(agent, method):
    complaint = complaint_in(S.RESOLVED, agent)

    complaint.record_callback(
        actor=agent, method=method, satisfied=True, note="All fine.", answers={"sewage_operation_normal": True}
    )

    complaint.refresh_from_db()
    assert complaint.status == S.CLOSED
    assert complaint.close_reason == CloseReason.CALLBACK_SATISFIED
    assert complaint.closed_at is not None
    event = last_event(complaint)
    assert (event.kind, event.from_status, event.to_status) == (EventKind.CALLBACK_RECORDED, S.RESOLVED, S.CLOSED)
    assert event.data == {"method": method, "satisfied": True, "answers": {"sewage_operation_normal": True}}


def test_unsatisfied_call_back_moves_up_and_reopens(agent, supervisor):
    complaint = complaint_in(S.RESOLVED, agent)

    complaint.record_callback(actor=agent, method=CallbackMethod.PHONE, satisfied=False, to_user=supervisor)

    complaint.refresh_from_db()
    assert complaint.status == S.IN_PROGRESS
    assert complaint.escalation_level == 1
    assert complaint.assignee == supervisor
    assert complaint.resolved_at is None
    assert complaint.close_reason == "" and complaint.closed_at is None
    event = last_event(complaint)
    assert (event.from_status, event.to_status, event.from_level, event.to_level) == (S.RESOLVED, S.IN_PROGRESS, 0, 1)
    assert event.data["escalation_cause"] == EscalationCause.CALLBACK_UNSATISFIED
    assert event.data["satisfied"] is False


def test_unsatisfied_call_back_at_the_highest_level_stays_there(agent):
    complaint = complaint_in(S.RESOLVED, agent, escalation_level=3)

    complaint.record_callback(actor=agent, method=CallbackMethod.DOOR_VISIT, satisfied=False)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.escalation_level) == (S.IN_PROGRESS, 3)


def test_declined_call_back_is_recorded_then_auto_closed(agent):
    complaint = complaint_in(S.RESOLVED, agent)

    complaint.decline_callback(actor=agent, note="Customer does not want to be called.")
    declined = Complaint.objects.get(pk=complaint.pk)
    complaint.auto_close(note="7 days without a new complaint.")
    closed = Complaint.objects.get(pk=complaint.pk)

    assert declined.status == S.CALLBACK_DECLINED
    assert declined.callback_declined_at is not None
    assert declined.close_reason == ""
    assert closed.status == S.CLOSED
    assert closed.close_reason == CloseReason.AUTO_CLOSED
    assert closed.closed_at > closed.callback_declined_at
    event = last_event(complaint)
    assert event.kind == EventKind.AUTO_CLOSED
    assert event.actor is None  # the rules engine, not a person
    assert (event.from_status, event.to_status) == (S.CALLBACK_DECLINED, S.CLOSED)


# --------------------------------------------------- idempotent no-ops
@pytest.mark.parametrize(
    ("status", "call"),
    [
        pytest.param(S.RECEIVED, lambda c, x: c.reassign(actor=x.actor, assignee=x.colleague), id="reassign"),
        pytest.param(
            S.RECEIVED, lambda c, x: c.assign_department(actor=x.actor, department=x.department), id="assign_department"
        ),
        pytest.param(
            S.RECEIVED,
            lambda c, x: c.agree_reply_time(actor=x.actor, reply_due_at=c.received_at + timedelta(hours=20)),
            id="agree_reply_time",
        ),
        pytest.param(
            S.HANDLING,
            lambda c, x: c.commit_completion(actor=x.actor, completion_at=x.completion_at),
            id="commit_completion",
        ),
    ],
)
def test_repeating_a_change_writes_no_second_event(ctx, status, call):
    ctx.completion_at = timezone.now() + timedelta(days=2)
    complaint = complaint_in(status, ctx.actor)
    call(complaint, ctx)
    stored_before, events_before = row(complaint), events(complaint)

    call(complaint, ctx)
    call(Complaint.objects.get(pk=complaint.pk), ctx)  # also from a fresh object

    assert row(complaint) == stored_before  # not even updated_at moves
    assert events(complaint) == events_before


def test_reassign_to_the_current_assignee_writes_nothing(agent):
    complaint = new_complaint(agent)
    stored_before, events_before = row(complaint), events(complaint)

    complaint.reassign(actor=agent, assignee=agent)

    assert row(complaint) == stored_before
    assert events(complaint) == events_before


# ------------------------------------------------------ stale objects
def test_stale_object_cannot_act_on_a_complaint_closed_meanwhile(agent):
    complaint = new_complaint(agent)
    first = Complaint.objects.get(pk=complaint.pk)
    stale = Complaint.objects.get(pk=complaint.pk)
    first.resolve_on_the_spot(actor=agent, resolution="Explained.", signoff_name="Li", satisfied=True)
    stored_before, events_before = row(complaint), events(complaint)
    assert stale.status == S.RECEIVED  # still believes it is open

    with pytest.raises(InvalidTransition):
        stale.agree_reply_time(actor=agent, reply_due_at=stale.received_at + timedelta(hours=12))
    with pytest.raises(InvalidTransition):
        stale.resolve_on_the_spot(actor=agent, resolution="Again.", signoff_name="Li", satisfied=True)

    assert row(complaint) == stored_before
    assert events(complaint) == events_before
    assert [e.kind for e in events_before].count(EventKind.RESOLVED_ON_THE_SPOT) == 1


def test_stale_object_acts_on_the_current_state_not_its_own(agent):
    complaint = new_complaint(agent)
    first = Complaint.objects.get(pk=complaint.pk)
    stale = Complaint.objects.get(pk=complaint.pk)
    first.move_up(actor=agent, cause=EscalationCause.EMOTIONAL)

    stale.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY)

    # the second move builds on the first (no lost update) and refreshes the stale object
    assert Complaint.objects.get(pk=complaint.pk).escalation_level == 2
    assert (stale.escalation_level, stale.status) == (2, S.IN_PROGRESS)
    event = last_event(complaint)
    assert (event.from_status, event.from_level, event.to_level) == (S.IN_PROGRESS, 1, 2)


# ------------------------------------------------------------ the record
def test_the_event_log_of_a_whole_lifecycle_links_up_step_by_step(agent, supervisor):
    """R-C11: read in its own order, each step starts where the previous one ended."""
    complaint = Complaint.log(**log_kwargs(agent))
    complaint.agree_reply_time(actor=agent, reply_due_at=complaint.received_at + timedelta(hours=20))
    complaint.move_up(actor=agent, cause=EscalationCause.EMOTIONAL, to_user=supervisor)
    complaint.assign_department(actor=supervisor, department=department())
    complaint.record_findings(actor=supervisor, findings="Gate controller failed.")
    complaint.propose_solution(actor=supervisor, solution="Replace the controller.")
    complaint.record_answer(actor=supervisor, accepted=False)
    complaint.propose_solution(actor=supervisor, solution="Replace the controller and the cards.")
    complaint.record_answer(actor=supervisor, accepted=True)
    complaint.commit_completion(actor=supervisor, completion_at=timezone.now() + timedelta(days=1))
    complaint.mark_handled(actor=supervisor, note="Replaced.")
    complaint.record_callback(actor=supervisor, method=CallbackMethod.PHONE, satisfied=False)
    complaint.propose_solution(actor=supervisor, solution="Add a manual opener.")
    complaint.record_answer(actor=supervisor, accepted=True)
    complaint.mark_handled(actor=supervisor, note="Installed.")
    complaint.decline_callback(actor=supervisor)
    complaint.auto_close()

    history = list(Complaint.objects.get(pk=complaint.pk).events.all())  # the model's own ordering
    assert len(history) == 17
    for previous, event in zip(history, history[1:], strict=False):
        assert event.from_status == previous.to_status, event
        assert event.from_level == previous.to_level, event
        assert event.created_at >= previous.created_at
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (history[-1].to_status, history[-1].to_level) == (stored.status, stored.escalation_level) == (S.CLOSED, 3)

"""A hand-built October 2026 (Asia/Shanghai) with known answers, for the monthly summary (fixture `october`).

Offices: `office` (agent1 receives c1 … c6) and `other_office` (agent2 receives c7).
Times are local (UTC+8): the boundaries sit on the local month edges, where UTC is still
the previous day — c5 (Oct 31 23:59:59) and n1 (Nov 1 00:00:00) are both Oct 31 in UTC.
The report is made at NOW = Nov 1 12:00 local.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from complaints.choices import Channel, CloseReason, EscalationCause, EventKind, Status
from complaints.models import Category, Complaint, ComplaintEvent
from tests.factories import ComplaintFactory, CustomerFactory, department

OCTOBER = date(2026, 10, 1)
SEPTEMBER = date(2026, 9, 1)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.get_default_timezone())


NOW = local(2026, 11, 1, 12, 0)
H = timedelta(hours=1)


def make_complaint(
    office,
    agent,
    *,
    at,
    channel=Channel.PHONE,
    category=None,
    phone="",
    customer=None,
    replied_after=None,
    due_after=timedelta(hours=24),
    closed_after=None,
    reason="",
    level=0,
    status=None,
    **extra,
) -> Complaint:
    closed = closed_after is not None
    fields = dict(
        office=office,
        received_by=agent,
        assignee=agent,
        received_at=at,
        channel=channel,
        category=category or Category.objects.get(code="repairs"),
        contact_phone=phone,
        customer=customer,
        reply_due_at=at + due_after,
        first_replied_at=at + replied_after if replied_after is not None else None,
        closed_at=at + closed_after if closed else None,
        close_reason=reason if closed else "",
        status=Status.CLOSED if closed else (status or Status.IN_PROGRESS),
        escalation_level=level,
    )
    if reason == CloseReason.ON_THE_SPOT:
        fields["signoff_name"] = "Mr Huang"
    fields.update(extra)
    return ComplaintFactory(**fields)


def event(complaint, *, at, kind, from_level=0, to_level=0, **data) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=complaint, created_at=at, kind=kind, from_level=from_level, to_level=to_level, data=data
    )


@dataclass
class Month:
    office: object
    other_office: object
    agent1: object
    agent2: object
    noise: Category
    c: dict


@pytest.fixture
def october(office, other_office, make_user) -> Month:
    agent1 = make_user("agent", username="agent-one", first_name="Li", last_name="Na")
    agent2 = make_user("agent", office_=other_office, username="agent-two", first_name="Zhao", last_name="Lei")
    noise = Category.objects.create(name="噪音扰民", code="noise-zh")
    x = CustomerFactory(name="Customer X", tier="B")
    y = CustomerFactory(name="Customer Y", tier="A")
    c = {}
    # ---- October
    c[1] = make_complaint(
        office,
        agent1,
        at=local(2026, 10, 1, 0, 0, 0),
        customer=x,
        phone="13900000011",
        replied_after=H,
        closed_after=H,
        reason=CloseReason.ON_THE_SPOT,
    )
    c[2] = make_complaint(
        office,
        agent1,
        at=local(2026, 10, 5, 10),
        channel=Channel.WALK_IN,
        customer=x,
        phone="13900000012",
        due_after=4 * H,
        replied_after=2 * H,
        closed_after=72 * H,
        reason=CloseReason.CALLBACK_SATISFIED,
    )
    c[3] = make_complaint(
        office,
        agent1,
        at=local(2026, 10, 10, 9),
        channel=Channel.ONLINE,
        category=noise,
        phone="13900000001",
        due_after=4 * H,
        replied_after=10 * H,
        closed_after=240 * H,
        reason=CloseReason.AUTO_CLOSED,
        level=1,
    )
    c[4] = make_complaint(
        office,
        agent1,
        at=local(2026, 10, 20, 8),
        channel=Channel.LETTER,
        category=noise,
        phone="13900000001",
        level=2,
        department=department(),
    )
    c[5] = make_complaint(
        office, agent1, at=local(2026, 10, 31, 23, 59, 59), phone="13900000005", status=Status.RECEIVED
    )
    c[6] = make_complaint(
        office,
        agent1,
        at=local(2026, 10, 31, 20),
        customer=y,
        phone="13900000006",
        replied_after=H,
        closed_after=12 * H,
        reason=CloseReason.NO_CALLBACK_NEEDED,
    )
    c[7] = make_complaint(
        other_office,
        agent2,
        at=local(2026, 10, 15, 12),
        channel=Channel.FIELD_VISIT,
        is_anonymous=True,
        replied_after=H / 2,
        closed_after=24 * H,
        reason=CloseReason.CALLBACK_SATISFIED,
    )
    # ---- September (the previous month) and November (outside)
    c["p1"] = make_complaint(
        office,
        agent1,
        at=local(2026, 9, 30, 23, 59, 59),
        phone="13900000021",
        replied_after=2 * H,
        closed_after=34 * H,
        reason=CloseReason.CALLBACK_SATISFIED,
        level=1,
    )
    c["p2"] = make_complaint(
        office,
        agent1,
        at=local(2026, 9, 10, 10),
        phone="13900000022",
        replied_after=H / 2,
        closed_after=H / 2,
        reason=CloseReason.ON_THE_SPOT,
        level=1,
    )
    c["n1"] = make_complaint(
        office, agent1, at=local(2026, 11, 1, 0, 0, 0), phone="13900000031", status=Status.RECEIVED
    )
    # ---- events
    event(
        c[3],
        at=local(2026, 10, 10, 10),
        kind=EventKind.MOVED_UP,
        to_level=1,
        escalation_cause=EscalationCause.EMOTIONAL,
    )
    event(
        c[4],
        at=local(2026, 10, 21, 8, 1),
        kind=EventKind.REPLY_OVERDUE,
        to_level=1,
        escalation_cause=EscalationCause.DEADLINE_MISSED,
    )
    event(
        c[4],
        at=local(2026, 10, 22, 9),
        kind=EventKind.MOVED_UP,
        from_level=1,
        to_level=2,
        escalation_cause=EscalationCause.BEYOND_AUTHORITY,
    )
    event(c[4], at=local(2026, 10, 23, 9), kind=EventKind.REASSIGNED, from_level=2, to_level=2)  # no rise
    event(c[2], at=local(2026, 10, 8, 10), kind=EventKind.CALLBACK_RECORDED, satisfied=True, method="phone")
    event(c[7], at=local(2026, 10, 16, 12), kind=EventKind.CALLBACK_RECORDED, satisfied=True, method="phone")
    event(
        c["p1"],
        at=local(2026, 10, 1, 12),
        kind=EventKind.CALLBACK_RECORDED,
        to_level=1,
        satisfied=False,
        method="phone",
        escalation_cause=EscalationCause.CALLBACK_UNSATISFIED,
    )
    event(
        c["p1"],
        at=local(2026, 10, 2, 10),
        kind=EventKind.CALLBACK_RECORDED,
        from_level=1,
        to_level=1,
        satisfied=True,
        method="door_visit",
    )
    event(
        c["p2"],
        at=local(2026, 9, 10, 10, 10),
        kind=EventKind.MOVED_UP,
        to_level=1,
        escalation_cause=EscalationCause.EMOTIONAL,
    )
    event(
        c[5],
        at=local(2026, 11, 1, 0, 0, 0),
        kind=EventKind.MOVED_UP,
        to_level=1,
        escalation_cause=EscalationCause.EMOTIONAL,
    )  # November: not October's
    event(c[5], at=local(2026, 10, 31, 23, 59, 59), kind=EventKind.NOTE_ADDED)
    return Month(office=office, other_office=other_office, agent1=agent1, agent2=agent2, noise=noise, c=c)

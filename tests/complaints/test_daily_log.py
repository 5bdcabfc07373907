"""The daily log (R-C11): per local day (Asia/Shanghai) what was received, first replied to,
escalated and closed, scoped to the user's offices, for supervisors and managers."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.choices import CloseReason, EscalationCause, EventKind, Status
from complaints.daily_log import day_bounds, parse_day
from complaints.models import ComplaintEvent
from tests.factories import ComplaintFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 10, 5)
TODAY_URL = reverse("complaints:daily_log")


def local(day: date, hour=0, minute=0, second=0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


def day_url(day) -> str:
    return reverse("complaints:daily_log_day", args=[day.isoformat() if isinstance(day, date) else day])


def complaint_in(office, **kwargs):
    return ComplaintFactory(office=office, received_by__office=office, **kwargs)


def closed_in(office, *, closed_at, reason=CloseReason.CALLBACK_SATISFIED, **kwargs):
    kwargs.setdefault("received_at", closed_at - timedelta(days=3))
    return complaint_in(office, status=Status.CLOSED, close_reason=reason, closed_at=closed_at, **kwargs)


def escalation(
    complaint,
    *,
    at,
    from_level=0,
    to_level=1,
    kind=EventKind.MOVED_UP,
    cause=EscalationCause.BEYOND_AUTHORITY,
    actor=None,
):
    return ComplaintEvent.objects.create(
        complaint=complaint,
        actor=actor,
        created_at=at,
        kind=kind,
        from_status=Status.IN_PROGRESS,
        to_status=Status.IN_PROGRESS,
        from_level=from_level,
        to_level=to_level,
        data={"escalation_cause": cause},
    )


def section(response, key):
    return next(s for s in response.context["sections"] if s.key == key)


def subjects(response, key):
    rows = section(response, key).rows
    return [getattr(r, "complaint", r).subject for r in rows]


# ----------------------------------------------------------------------------- days
def test_day_bounds_are_local_midnights():
    # Given a local day in Shanghai (UTC+8)
    # When its bounds are computed
    start, end = day_bounds(DAY)

    # Then they are local midnight to the next local midnight, i.e. 16:00 UTC the day before
    assert start == datetime(2026, 10, 4, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 5, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-02-30",
        "2026-13-01",
        "abc",
        "20261005",
        "2026-10-5",
        "0000-01-01",
        "0001-01-01",
        "9999-12-31",
        "2026-10-05x",
        " 2026-10-05",
        "２０２６-10-05",
    ],
)
def test_bad_date_in_the_url_is_404_never_500(client, supervisor, value):
    # Given a supervisor
    client.force_login(supervisor)

    # When they ask for a day that is not a valid day
    response = client.get(reverse("complaints:daily_log_day", kwargs={"day": value}))

    # Then the answer is 404
    assert response.status_code == 404


def test_bad_date_from_the_picker_is_404(client, supervisor):
    client.force_login(supervisor)
    assert client.get(TODAY_URL, {"date": "2026-02-31"}).status_code == 404


def test_date_picker_redirects_to_the_day(client, supervisor):
    client.force_login(supervisor)
    response = client.get(TODAY_URL, {"date": "2026-10-05"})
    assert response.status_code == 302
    assert response["Location"] == day_url(DAY)


def test_parse_day_accepts_only_iso_days():
    assert parse_day("2026-10-05") == DAY
    assert parse_day("2028-02-29") == date(2028, 2, 29)


def test_without_a_date_the_log_shows_today_in_local_time(client, supervisor):
    # Given a supervisor
    client.force_login(supervisor)

    # When they open the daily log without a date
    response = client.get(TODAY_URL)

    # Then it is today's local day, with a link to the day before and none to tomorrow
    today = timezone.localdate(timezone.now(), timezone=SHANGHAI)
    assert response.status_code == 200
    assert response.context["day"] == today
    assert response.context["is_today"]
    assert response.context["previous_url"] == day_url(today - timedelta(days=1))
    assert response.context["next_url"] == ""


def test_previous_and_next_day_links_and_the_picker(client, supervisor):
    client.force_login(supervisor)
    page = client.get(day_url(DAY)).content.decode()
    assert f'href="{day_url(date(2026, 10, 4))}"' in page
    assert f'href="{day_url(date(2026, 10, 6))}"' in page
    assert 'type="date"' in page and 'value="2026-10-05"' in page


# ------------------------------------------------------------------- day boundaries
def test_received_section_follows_the_local_day_not_utc(client, supervisor):
    # Given complaints received around the edges of 5 October, Shanghai time
    office = supervisor.office
    complaint_in(office, subject="first second", received_at=local(DAY, 0, 0, 0))
    complaint_in(office, subject="last second", received_at=local(DAY, 23, 59, 59))
    complaint_in(office, subject="UTC trap", received_at=datetime(2026, 10, 4, 16, 30, tzinfo=UTC))  # 00:30 local
    complaint_in(office, subject="day before", received_at=local(DAY - timedelta(days=1), 23, 59, 59))
    complaint_in(office, subject="next midnight", received_at=local(DAY + timedelta(days=1), 0, 0, 0))
    complaint_in(office, subject="UTC same date", received_at=datetime(2026, 10, 5, 16, 30, tzinfo=UTC))  # 6th local
    client.force_login(supervisor)

    # When the supervisor opens the log of 5 October
    response = client.get(day_url(DAY))

    # Then exactly the complaints received that local day are listed, in time order
    assert response.status_code == 200
    assert subjects(response, "received") == ["first second", "UTC trap", "last second"]
    assert section(response, "received").total == 3
    # and the 16:30 UTC complaint is on the next local day
    assert "UTC same date" in subjects(client.get(day_url(DAY + timedelta(days=1))), "received")


def test_each_section_uses_the_local_day_boundaries(client, supervisor):
    # Given a reply, an escalation and a closure at 23:59:59 local and at 00:00:00 the next day
    office = supervisor.office
    last, next_midnight = local(DAY, 23, 59, 59), local(DAY + timedelta(days=1))
    for at, label in [(last, "in"), (next_midnight, "out")]:
        complaint_in(office, subject=f"replied {label}", received_at=at - timedelta(hours=2), first_replied_at=at)
        escalation(complaint_in(office, subject=f"escalated {label}", received_at=at - timedelta(days=1)), at=at)
        closed_in(office, subject=f"closed {label}", closed_at=at)
    client.force_login(supervisor)

    # When the log of the day is shown
    response = client.get(day_url(DAY))

    # Then only the 23:59:59 rows belong to it
    assert subjects(response, "replied") == ["replied in"]
    assert subjects(response, "escalated") == ["escalated in"]
    assert subjects(response, "closed") == ["closed in"]
    after = client.get(day_url(DAY + timedelta(days=1)))
    assert subjects(after, "replied") == ["replied out"]
    assert subjects(after, "escalated") == ["escalated out"]
    assert subjects(after, "closed") == ["closed out"]


# ------------------------------------------------------------------ section content
def test_replied_lists_first_replies_of_the_day_with_how_and_whether_in_time(client, supervisor):
    # Given one complaint first replied in time on the day, one late, one first replied the
    # day before (and replied again today: not a first reply)
    office = supervisor.office
    on_time = complaint_in(office, subject="on time", received_at=local(DAY, 9), first_replied_at=local(DAY, 10))
    ComplaintEvent.objects.create(
        complaint=on_time,
        created_at=local(DAY, 10),
        kind=EventKind.REPLIED,
        note="We will send a technician.",
        from_level=0,
        to_level=0,
    )
    late = complaint_in(
        office, subject="late", received_at=local(DAY, 1), reply_due_at=local(DAY, 2), first_replied_at=local(DAY, 11)
    )
    ComplaintEvent.objects.create(
        complaint=late, created_at=local(DAY, 11), kind=EventKind.SOLUTION_PROPOSED, from_level=0, to_level=0
    )
    earlier = complaint_in(
        office,
        subject="earlier",
        received_at=local(DAY, 0) - timedelta(hours=3),
        first_replied_at=local(DAY, 0) - timedelta(hours=1),
    )
    ComplaintEvent.objects.create(
        complaint=earlier, created_at=local(DAY, 12), kind=EventKind.REPLIED, from_level=0, to_level=0
    )
    client.force_login(supervisor)

    # When the log is shown
    response = client.get(day_url(DAY))

    # Then the first replies of the day are listed with the step that was the reply
    rows = section(response, "replied").rows
    assert [r.subject for r in rows] == ["on time", "late"]
    assert [r.first_reply_label for r in rows] == ["Replied to complainant", "Solution proposed"]
    assert [r.replied_in_time for r in rows] == [True, False]
    page = response.content.decode()
    assert "in time" in page and "late" in page


def test_replies_through_the_lifecycle_show_in_todays_log(client, agent, supervisor):
    # Given a complaint replied to through the lifecycle method (now)
    complaint = complaint_in(agent.office, subject="lifecycle reply")
    complaint.reply(actor=agent, note="Technician on the way.")
    complaint.refresh_from_db()
    client.force_login(supervisor)

    # When the log of the reply's local day is shown
    response = client.get(day_url(timezone.localdate(complaint.first_replied_at, timezone=SHANGHAI)))

    # Then the complaint is in Received and in Replied
    assert "lifecycle reply" in subjects(response, "received")
    assert [r.first_reply_label for r in section(response, "replied").rows] == ["Replied to complainant"]


def test_escalated_lists_every_level_rise_with_cause_and_level(client, supervisor, agent):
    # Given, on the day, steps that raised a level (moved up, deadline missed by the sweep,
    # solution rejected) and steps that did not (a reply, a rejection at the top level)
    office = supervisor.office
    moved = complaint_in(office, subject="moved up", received_at=local(DAY, 8))
    escalation(moved, at=local(DAY, 9), cause=EscalationCause.EMOTIONAL, actor=agent)
    overdue = complaint_in(office, subject="deadline missed", received_at=local(DAY, 1))
    escalation(overdue, at=local(DAY, 10), kind=EventKind.REPLY_OVERDUE, cause=EscalationCause.DEADLINE_MISSED)
    rejected = complaint_in(office, subject="rejected", received_at=local(DAY, 2))
    escalation(
        rejected,
        at=local(DAY, 11),
        from_level=1,
        to_level=2,
        kind=EventKind.SOLUTION_REJECTED,
        cause=EscalationCause.SOLUTION_REJECTED,
    )
    top = complaint_in(office, subject="already at the top", received_at=local(DAY, 3))
    escalation(top, at=local(DAY, 12), from_level=3, to_level=3, kind=EventKind.SOLUTION_REJECTED)
    ComplaintEvent.objects.create(
        complaint=top, created_at=local(DAY, 13), kind=EventKind.REPLIED, from_level=3, to_level=3
    )
    ComplaintEvent.objects.create(
        complaint=top, created_at=local(DAY, 13), kind=EventKind.RECEIVED, from_level=None, to_level=0
    )
    client.force_login(supervisor)

    # When the log is shown
    response = client.get(day_url(DAY))

    # Then exactly the level rises are listed, with their cause, levels and who did it
    rows = section(response, "escalated").rows
    assert [r.complaint.subject for r in rows] == ["moved up", "deadline missed", "rejected"]
    assert [r.cause_label for r in rows] == ["Emotional complainant", "Reply deadline missed", "Solution rejected"]
    assert [(r.from_level, r.to_level) for r in rows] == [(0, 1), (0, 1), (1, 2)]
    page = response.content.decode()
    assert "2 — responsible department head" in page
    assert str(agent) in page and "system" in page


def test_escalation_through_the_lifecycle_shows_in_todays_log(client, agent, supervisor):
    complaint = complaint_in(agent.office, subject="lifecycle move up")
    complaint.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY, to_user=supervisor)
    moved = complaint.events.get(kind=EventKind.MOVED_UP)
    client.force_login(supervisor)
    response = client.get(day_url(timezone.localdate(moved.created_at, timezone=SHANGHAI)))
    rows = section(response, "escalated").rows
    assert [(r.complaint_id, r.cause_label) for r in rows] == [(complaint.pk, "Beyond the receiver's authority")]
    assert f"→ {supervisor}" in response.content.decode()


def test_closed_lists_complaints_closed_that_day_with_the_reason(client, supervisor, agent):
    # Given complaints closed on the day for different reasons, one received the same day
    office = supervisor.office
    closed_in(office, subject="satisfied", closed_at=local(DAY, 15))
    closed_in(office, subject="auto", closed_at=local(DAY, 3), reason=CloseReason.AUTO_CLOSED)
    complaint_in(office, subject="still open", received_at=local(DAY, 4))
    client.force_login(supervisor)

    # When the log is shown
    response = client.get(day_url(DAY))

    # Then the closed ones are listed in time order with the reason
    assert subjects(response, "closed") == ["auto", "satisfied"]
    page = response.content.decode()
    assert "Auto-closed 7 days after declined call-back" in page and "Satisfied at call-back" in page


def test_on_the_spot_resolution_is_received_replied_and_closed_the_same_day(client, agent, supervisor):
    complaint = complaint_in(agent.office, subject="on the spot")
    complaint.resolve_on_the_spot(actor=agent, resolution="Explained.", signoff_name="Mr Huang", satisfied=True)
    client.force_login(supervisor)
    response = client.get(day_url(timezone.localdate(complaint.closed_at, timezone=SHANGHAI)))
    assert "on the spot" in subjects(response, "received")
    assert [r.first_reply_label for r in section(response, "replied").rows] == ["Resolved on the spot"]
    assert "on the spot" in subjects(response, "closed")


def test_counts_at_the_top_and_links_to_each_complaint(client, supervisor):
    # Given two received, one first replied, one escalated, no closed complaint on the day
    office = supervisor.office
    a = complaint_in(office, received_at=local(DAY, 8), first_replied_at=local(DAY, 9))
    b = complaint_in(office, received_at=local(DAY, 10))
    escalation(b, at=local(DAY, 11))
    client.force_login(supervisor)

    # When the log is shown
    response = client.get(day_url(DAY))

    # Then the counts are shown at the top and every row links to its complaint
    assert [(s.key, s.total) for s in response.context["sections"]] == [
        ("received", 2),
        ("replied", 1),
        ("escalated", 1),
        ("special_incidents", 0),  # issue 13 (R-C6.2)
        ("closed", 0),
    ]
    page = response.content.decode()
    assert '<strong class="count-received">2</strong>' in page
    assert '<strong class="count-closed">0</strong>' in page
    for complaint in (a, b):
        assert f'href="{reverse("complaints:detail", args=[complaint.pk])}"' in page
    assert "Nothing on this day." in page


def test_a_long_section_is_cut_but_its_count_is_exact(client, supervisor, monkeypatch):
    monkeypatch.setattr("complaints.daily_log.SECTION_LIMIT", 2)
    for hour in range(3):
        complaint_in(supervisor.office, received_at=local(DAY, 8 + hour))
    client.force_login(supervisor)
    response = client.get(day_url(DAY))
    received = section(response, "received")
    assert (len(received.rows), received.total) == (2, 3)
    assert "Showing the first 2 of 3." in response.content.decode()


# ------------------------------------------------------------------- office scoping
def _one_of_each(office, tag):
    received = complaint_in(
        office, subject=f"{tag} received", received_at=local(DAY, 8), first_replied_at=local(DAY, 9)
    )
    escalation(received, at=local(DAY, 10))
    closed_in(office, subject=f"{tag} closed", closed_at=local(DAY, 11))


def test_supervisor_sees_only_own_office_manager_sees_all(client, supervisor, manager, other_office):
    # Given a day's work in the supervisor's office and in another office
    _one_of_each(supervisor.office, "ours")
    _one_of_each(other_office, "theirs")

    # When the supervisor of office A opens the log
    client.force_login(supervisor)
    response = client.get(day_url(DAY))

    # Then nothing of the other office is shown in any section
    for key in ("received", "replied", "escalated"):
        assert subjects(response, key) == ["ours received"], key
    assert subjects(response, "closed") == ["ours closed"]
    assert "theirs" not in response.content.decode()

    # And the manager (head office) sees both offices
    client.force_login(manager)
    response = client.get(day_url(DAY))
    for key in ("received", "replied", "escalated"):
        assert sorted(subjects(response, key)) == ["ours received", "theirs received"], key
    assert sorted(subjects(response, "closed")) == ["ours closed", "theirs closed"]


# ------------------------------------------------------------------------ permission
ROLES = ["agent", "supervisor", "department_handler", "manager", "customer_info", "no_role"]
ALLOWED = {"supervisor", "manager"}


@pytest.mark.parametrize("url", [TODAY_URL, day_url(DAY)])
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, make_user, role, url):
    # Given a user in each role
    user = make_user(role if role != "no_role" else None)
    client.force_login(user)

    # When they open the daily log
    response = client.get(url)

    # Then supervisors and managers see it; everyone else is refused …
    if role in ALLOWED:
        assert response.status_code == 200
        return
    assert response.status_code == 403
    # … and the same request by a supervisor succeeds: the denial was the permission
    client.force_login(make_user("supervisor"))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", [TODAY_URL, day_url(DAY), day_url("not-a-day")])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_log_is_read_only(client, supervisor):
    client.force_login(supervisor)
    assert client.post(day_url(DAY)).status_code == 405


def test_nav_link_only_for_those_who_may(client, agent, supervisor):
    client.force_login(agent)
    assert f'href="{TODAY_URL}"' not in client.get(reverse("complaints:list")).content.decode()
    client.force_login(supervisor)
    assert f'href="{TODAY_URL}"' in client.get(reverse("complaints:list")).content.decode()


# ---------------------------------------------------------------------- query count
def _fill_day(office, n):
    for i in range(n):
        c = complaint_in(
            office,
            received_at=local(DAY, 8, i),
            first_replied_at=local(DAY, 9, i),
            is_special_incident=True,
            special_incident_at=local(DAY, 9, i),
            incident_contained_at=local(DAY, 9, 30 + i) if i % 2 else None,
        )
        ComplaintEvent.objects.create(
            complaint=c, created_at=local(DAY, 9, i), kind=EventKind.REPLIED, from_level=0, to_level=0
        )
        escalation(c, at=local(DAY, 10, i), actor=c.received_by)
        closed_in(office, closed_at=local(DAY, 11, i))


@pytest.mark.parametrize("user_fixture", ["supervisor", "manager"])
def test_query_count_does_not_grow_with_rows(client, request, user_fixture):
    # Given a supervisor or manager and a day with 2 complaints of each kind
    user = request.getfixturevalue(user_fixture)
    _fill_day(user.office, 2)
    client.force_login(user)
    with CaptureQueriesContext(connection) as small:
        response = client.get(day_url(DAY))
    assert [s.total for s in response.context["sections"]] == [2, 2, 2, 2, 2]

    # When the day has 20 of each
    _fill_day(user.office, 18)
    with CaptureQueriesContext(connection) as large:
        response = client.get(day_url(DAY))

    # Then the page costs the same queries: one per section, plus session, user, permissions,
    # the bell and the user's office in the header
    assert [s.total for s in response.context["sections"]] == [20, 20, 20, 20, 20]
    assert len(large.captured_queries) == len(small.captured_queries) <= 11, [q["sql"] for q in large.captured_queries]
    assert sum('FROM "complaints_' in q["sql"] for q in large.captured_queries) == 5

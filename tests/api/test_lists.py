"""The list endpoints of /api/v1/: a fixed number of queries whatever the page holds,
filters, search, ordering, pagination and office scoping.
Confidentiality parity (R-CU5) is tested in test_customers_confidential.py."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.choices import Channel, EscalationCause, EventKind, Status
from complaints.models import Category, Complaint, ComplaintEvent, Department
from customers.models import Customer
from tests.api.helpers import HANDLER_DEPARTMENT, LIST_URL, complaint_in
from tests.factories import ComplaintFactory, CustomerFactory, UserFactory, department

pytestmark = pytest.mark.django_db

S = Status
EVENTS_URL = "/api/v1/events/"
CUSTOMERS_URL = "/api/v1/customers/"
DEPARTMENTS_URL = "/api/v1/departments/"
CATEGORIES_URL = "/api/v1/categories/"

# Queries per list request, whatever the number of rows (measured): authentication (session:
# session + user; token: token joined with its user), the user's and the groups' permissions,
# the capped COUNT and the page itself.
QUERIES = {"session": 6, "token": 5}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def client_for(session_client, token_client):
    return {"session": session_client, "token": token_client}


# ----------------------------------------------------------------- rows for each list
def _complaints(n, users):
    """n complaints, each with its own customer, receiver, category, department and status."""
    office = users["agent"].office
    categories = list(Category.objects.all())
    departments = list(Department.objects.all())
    statuses = [S.RECEIVED, S.IN_PROGRESS, S.SOLUTION_PROPOSED, S.HANDLING, S.CLOSED]
    for i in range(n):
        receiver = UserFactory(role="agent", office=office)
        complaint = ComplaintFactory(
            office=office, received_by=receiver, customer=CustomerFactory(), category=categories[i % len(categories)]
        )
        complaint.assign_department(actor=receiver, department=departments[i % len(departments)])
        status = statuses[i % len(statuses)]
        if status in (S.SOLUTION_PROPOSED, S.HANDLING):
            complaint.propose_solution(actor=receiver, solution="Fix it.")
        if status == S.HANDLING:
            complaint.record_answer(actor=receiver, accepted=True)
        if status == S.CLOSED:
            complaint.resolve_on_the_spot(actor=receiver, resolution="Done.", signoff_name="Li", satisfied=True)


def _events(n, users):
    """n events, each by a different actor (on complaints received without an event)."""
    office = users["agent"].office
    for _ in range(n):
        actor = UserFactory(role="agent", office=office)
        complaint = ComplaintFactory(office=office, received_by=actor)
        complaint.add_note(actor=actor, note="Called back.")


def _customers(n, users):
    CustomerFactory.create_batch(n)


def _departments(n, users):
    Department.objects.all().delete()  # the seeded list, so the page holds exactly n
    Department.objects.bulk_create([Department(name=f"Department {i}") for i in range(n)])


def _categories(n, users):
    Category.objects.all().delete()
    Category.objects.bulk_create([Category(name=f"Category {i}", code=f"category-{i}") for i in range(n)])


LISTS = {
    LIST_URL: _complaints,
    EVENTS_URL: _events,
    CUSTOMERS_URL: _customers,
    DEPARTMENTS_URL: _departments,
    CATEGORIES_URL: _categories,
}


@pytest.mark.parametrize("auth", ["session", "token"])
@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize("url", list(LISTS))
def test_list_query_count_does_not_grow_with_rows(client_for, users, django_assert_max_num_queries, url, rows, auth):
    LISTS[url](rows, users)
    client = client_for[auth](users["supervisor"])

    with django_assert_max_num_queries(QUERIES[auth]):
        response = client.get(url, {"page_size": 100})

    assert response.status_code == 200
    assert response.json()["count"] == rows == len(response.json()["results"])


def test_complaint_list_query_count_for_a_manager_of_every_office(
    client_for, users, other_office, django_assert_max_num_queries
):
    _complaints(20, users)
    ComplaintFactory.create_batch(20, office=other_office, received_by__office=other_office)
    client = client_for["session"](users["manager"])
    with django_assert_max_num_queries(QUERIES["session"]):
        response = client.get(LIST_URL, {"page_size": 100})
    assert response.json()["count"] == 40


# ------------------------------------------------------------------------- filters
@pytest.fixture
def agent_client(session_client, users):
    return session_client(users["agent"])


def test_filter_by_status_one_or_several(agent_client, users):
    received = complaint_in(S.RECEIVED, users["agent"])
    in_progress = complaint_in(S.IN_PROGRESS, users["agent"])
    closed = complaint_in(S.CLOSED, users["agent"])

    assert ids(agent_client.get(LIST_URL, {"status": "in_progress"})) == [in_progress.pk]
    assert set(ids(agent_client.get(LIST_URL, {"status": ["received", "closed"]}))) == {received.pk, closed.pk}
    assert agent_client.get(LIST_URL, {"status": "lost"}).status_code == 400


def test_filter_by_channel(agent_client, users):
    phone = complaint_in(S.RECEIVED, users["agent"], channel=Channel.PHONE)
    letter = complaint_in(S.RECEIVED, users["agent"], channel=Channel.LETTER)
    assert ids(agent_client.get(LIST_URL, {"channel": "letter"})) == [letter.pk]
    assert ids(agent_client.get(LIST_URL, {"channel": "phone"})) == [phone.pk]


def test_filter_by_escalation_level(agent_client, users):
    complaint_in(S.RECEIVED, users["agent"])
    moved = complaint_in(S.RECEIVED, users["agent"])
    moved.move_up(actor=users["agent"], cause=EscalationCause.EMOTIONAL)
    assert ids(agent_client.get(LIST_URL, {"escalation_level": 1})) == [moved.pk]
    assert ids(agent_client.get(LIST_URL, {"escalation_level": 2})) == []


def test_filter_overdue(agent_client, users):
    long_ago = timezone.now() - timedelta(hours=30)
    overdue = complaint_in(S.RECEIVED, users["agent"], received_at=long_ago)
    replied_late = complaint_in(S.RECEIVED, users["agent"], received_at=long_ago)
    replied_late.reply(actor=users["agent"], note="Sorry for the wait.")
    on_time = complaint_in(S.RECEIVED, users["agent"])

    assert ids(agent_client.get(LIST_URL, {"overdue": "true"})) == [overdue.pk]
    assert set(ids(agent_client.get(LIST_URL, {"overdue": "false"}))) == {replied_late.pk, on_time.pk}
    assert agent_client.get(LIST_URL, {"overdue": "true"}).json()["results"][0]["is_overdue"] is True


def test_search_by_text_phone_id_and_customer(agent_client, users):
    lift = complaint_in(S.RECEIVED, users["agent"], subject="Lift stuck on floor 9", contact_phone="13911112222")
    door = complaint_in(
        S.RECEIVED,
        users["agent"],
        subject="Door broken",
        contact_phone="02162345678",
        customer=CustomerFactory(name="Riverside Water Works"),
    )

    assert ids(agent_client.get(LIST_URL, {"search": "floor 9"})) == [lift.pk]
    assert ids(agent_client.get(LIST_URL, {"search": "1111"})) == [lift.pk]  # part of the phone number
    assert ids(agent_client.get(LIST_URL, {"search": "021-6234"})) == [door.pk]  # separators ignored
    assert ids(agent_client.get(LIST_URL, {"search": f"#{door.pk}"})) == [door.pk]
    assert ids(agent_client.get(LIST_URL, {"search": "riverside"})) == [door.pk]
    assert ids(agent_client.get(LIST_URL, {"search": "no such thing"})) == []


def test_a_hash_and_digits_find_that_complaint_only_not_phones_that_contain_them(agent_client, users):
    numbered = complaint_in(S.RECEIVED, users["agent"], contact_phone="13900000000", id=987_654)
    digits = str(numbered.pk)  # six digits: a phone search of them would find the other one
    phone = complaint_in(S.RECEIVED, users["agent"], contact_phone=f"13{digits}000")
    assert digits in phone.contact_phone

    assert ids(agent_client.get(LIST_URL, {"search": f"#{numbered.pk}"})) == [numbered.pk]
    assert phone.pk in ids(agent_client.get(LIST_URL, {"search": digits}))  # without "#": the phone too


def test_filter_received_after_and_before(agent_client, users):
    now = timezone.now()
    old = complaint_in(S.RECEIVED, users["agent"], received_at=now - timedelta(days=3))
    new = complaint_in(S.RECEIVED, users["agent"], received_at=now - timedelta(hours=1))
    since = (now - timedelta(days=1)).isoformat()

    assert ids(agent_client.get(LIST_URL, {"received_after": since})) == [new.pk]
    assert ids(agent_client.get(LIST_URL, {"received_before": since})) == [old.pk]
    assert agent_client.get(LIST_URL, {"received_after": "last week"}).status_code == 400


@pytest.mark.parametrize(
    ("url", "name", "value"),
    [
        (LIST_URL, "received_after", "2026-11-15T08:12:24-19:24"),  # PostgreSQL holds offsets up to ±15:59 only
        (LIST_URL, "received_before", "2026-11-15T08:12:24+16:00"),
        (EVENTS_URL, "created_after", "2026-11-15T08:12:24-19:24"),
        (LIST_URL, "received_after", "0001-01-01T00:00:00+08:00"),
        (LIST_URL, "received_before", "9999-12-31T23:59:59-08:00"),
        (EVENTS_URL, "created_before", "0001-01-01T00:00:00+08:00"),
        (LIST_URL, "received_after", "2026-02-30T10:00:00"),
        (EVENTS_URL, "created_after", "10000-01-01T00:00:00"),
    ],
)
def test_date_time_filters_answer_200_or_400_for_any_iso_value(agent_client, users, url, name, value):
    """Found by fuzzing (test_schemathesis.py): valid ISO 8601 values at the edges of what the
    database can hold. A 400 with the field, or a filtered 200; never a 500."""
    complaint_in(S.IN_PROGRESS, users["agent"])
    agent_client.raise_request_exception = False
    response = agent_client.get(url, {name: value})
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert name in response.json()


def test_ordering(agent_client, users):
    now = timezone.now()
    first = complaint_in(S.RECEIVED, users["agent"], received_at=now - timedelta(hours=3))
    second = complaint_in(S.RECEIVED, users["agent"], received_at=now - timedelta(hours=2))
    third = complaint_in(S.RECEIVED, users["agent"], received_at=now - timedelta(hours=1))
    second.move_up(actor=users["agent"], cause=EscalationCause.EMOTIONAL)

    assert ids(agent_client.get(LIST_URL)) == [third.pk, second.pk, first.pk]  # newest first
    assert ids(agent_client.get(LIST_URL, {"ordering": "received_at"})) == [first.pk, second.pk, third.pk]
    assert ids(agent_client.get(LIST_URL, {"ordering": "reply_due_at"})) == [first.pk, second.pk, third.pk]
    assert ids(agent_client.get(LIST_URL, {"ordering": "-escalation_level,id"}))[0] == second.pk
    assert ids(agent_client.get(LIST_URL, {"ordering": "-id"})) == [third.pk, second.pk, first.pk]
    # A field that is not offered for ordering is ignored: the default order.
    assert ids(agent_client.get(LIST_URL, {"ordering": "complainant_name"})) == [third.pk, second.pk, first.pk]


def test_pagination_page_size_and_its_cap(agent_client, users):
    office = users["agent"].office
    now = timezone.now()
    Complaint.objects.bulk_create(
        [
            ComplaintFactory.build(
                office=office,
                received_by=users["agent"],
                assignee=users["agent"],
                received_at=now - timedelta(minutes=i),
            )
            for i in range(130)
        ]
    )

    default = agent_client.get(LIST_URL).json()
    assert default["count"] == 130 and len(default["results"]) == 25 and default["next"]
    page = agent_client.get(LIST_URL, {"page_size": 10, "page": 2}).json()
    assert len(page["results"]) == 10 and page["previous"] and page["next"]
    capped = agent_client.get(LIST_URL, {"page_size": 1000}).json()
    assert len(capped["results"]) == 100
    last = agent_client.get(LIST_URL, {"page_size": 100, "page": 2}).json()
    assert len(last["results"]) == 30 and last["next"] is None
    assert agent_client.get(LIST_URL, {"page": 99}).status_code == 404


# ------------------------------------------------------------------ office scoping
@pytest.fixture
def two_offices(users, make_user, other_office):
    lane = department(HANDLER_DEPARTMENT)  # the handler's: only the office keeps theirs hidden
    mine = complaint_in(S.IN_PROGRESS, users["agent"], department=lane)
    outsider = make_user("agent", office_=other_office, username="outsider")
    theirs = complaint_in(S.IN_PROGRESS, outsider, subject="Elsewhere", department=lane)
    return mine, theirs


@pytest.mark.parametrize("role", ["agent", "supervisor", "department_handler", "customer_info"])
def test_office_staff_never_see_another_offices_complaints_or_events(session_client, users, two_offices, role):
    mine, theirs = two_offices
    client = session_client(users[role])

    assert ids(client.get(LIST_URL)) == [mine.pk]
    assert ids(client.get(LIST_URL, {"office": theirs.office_id})) == []
    assert ids(client.get(LIST_URL, {"search": f"#{theirs.pk}"})) == []
    assert ids(client.get(LIST_URL, {"search": "Elsewhere"})) == []
    assert client.get(f"{LIST_URL}{theirs.pk}/").status_code == 404
    events = client.get(EVENTS_URL).json()["results"]
    assert events and {e["complaint"] for e in events} == {mine.pk}
    assert ids(client.get(EVENTS_URL, {"complaint": theirs.pk})) == []
    their_event = ComplaintEvent.objects.filter(complaint=theirs).first()
    assert client.get(f"{EVENTS_URL}{their_event.pk}/").status_code == 404


def test_manager_sees_every_office(session_client, users, two_offices):
    mine, theirs = two_offices
    client = session_client(users["manager"])

    assert set(ids(client.get(LIST_URL))) == {mine.pk, theirs.pk}
    assert ids(client.get(LIST_URL, {"office": theirs.office_id})) == [theirs.pk]
    assert client.get(f"{LIST_URL}{theirs.pk}/").status_code == 200
    assert {e["complaint"] for e in client.get(EVENTS_URL).json()["results"]} == {mine.pk, theirs.pk}


def test_a_user_who_may_not_see_complaints_gets_403_on_the_lists(session_client, make_user):
    nobody = make_user(None, username="nobody")
    client = session_client(nobody)
    for url in LISTS:
        assert client.get(url).status_code == 403, url


def test_customer_info_may_not_list_departments(session_client, users):
    assert session_client(users["customer_info"]).get(DEPARTMENTS_URL).status_code == 403
    assert session_client(users["agent"]).get(DEPARTMENTS_URL).status_code == 200


# ----------------------------------------------------------------- the other lists
def test_event_list_filters_by_complaint_and_kind(session_client, users):
    one = complaint_in(S.IN_PROGRESS, users["agent"])
    other = complaint_in(S.RECEIVED, users["agent"])
    other.add_note(actor=users["agent"], note="Left a message.")
    client = session_client(users["agent"])

    events = client.get(EVENTS_URL, {"complaint": one.pk}).json()["results"]
    assert [e["kind"] for e in events] == [EventKind.REPLIED]
    assert events[0]["actor"] == users["agent"].pk and events[0]["actor_name"] == str(users["agent"])
    assert ids(client.get(EVENTS_URL, {"kind": EventKind.NOTE_ADDED})) == [
        ComplaintEvent.objects.get(complaint=other, kind=EventKind.NOTE_ADDED).pk
    ]


def test_event_list_filters_by_time(session_client, users):
    now = timezone.now()
    complaint = complaint_in(S.RECEIVED, users["agent"])
    old = ComplaintEvent.objects.create(
        complaint=complaint,
        actor=users["agent"],
        kind=EventKind.NOTE_ADDED,
        created_at=now - timedelta(days=3),
        note="Old.",
    )
    new = ComplaintEvent.objects.create(
        complaint=complaint,
        actor=users["agent"],
        kind=EventKind.NOTE_ADDED,
        created_at=now - timedelta(hours=1),
        note="New.",
    )
    since = (now - timedelta(days=1)).isoformat()
    client = session_client(users["agent"])

    assert ids(client.get(EVENTS_URL, {"created_after": since})) == [new.pk]
    assert ids(client.get(EVENTS_URL, {"created_before": since})) == [old.pk]
    assert ids(client.get(EVENTS_URL)) == [old.pk, new.pk]  # oldest first, like the timeline
    assert client.get(EVENTS_URL, {"created_after": "last week"}).status_code == 400


def test_customer_list_search_filter_and_ordering(session_client, users):
    a = CustomerFactory(name="Acme Water", tier="A", phone="13900001111")
    b = CustomerFactory(name="Bright Chemicals", tier="B", contact_person="Ms Zhou")
    client = session_client(users["customer_info"])

    assert ids(client.get(CUSTOMERS_URL, {"search": "acme"})) == [a.pk]
    assert ids(client.get(CUSTOMERS_URL, {"search": "zhou"})) == [b.pk]
    assert ids(client.get(CUSTOMERS_URL, {"search": "00001111"})) == [a.pk]
    assert ids(client.get(CUSTOMERS_URL, {"tier": "B"})) == [b.pk]
    assert ids(client.get(CUSTOMERS_URL, {"ordering": "-name"})) == [b.pk, a.pk]
    assert Customer.objects.count() == 2


def test_category_and_department_lists(session_client, users):
    client = session_client(users["agent"])
    categories = client.get(CATEGORIES_URL, {"page_size": 100}).json()
    assert categories["count"] == Category.objects.count()
    assert {c["code"] for c in categories["results"]} == set(Category.objects.values_list("code", flat=True))
    departments = client.get(DEPARTMENTS_URL, {"page_size": 100}).json()
    assert [d["name"] for d in departments["results"]] == list(
        Department.objects.order_by("name").values_list("name", flat=True)
    )

"""Through HTTP: the bell, the list (own rows only, newest first, fixed query count),
marking read (another user's notification is a 404), login required, the managers' admin."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from notifications.context_processors import unread
from notifications.models import EmailStatus, Kind, Notification
from tests.factories import ComplaintFactory

from .factories import NotificationFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("notifications:list")
READ_ALL_URL = reverse("notifications:mark_all_read")
# session, user, page count, page rows; from base.html: the bell's unread count, the permissions (2), the office
LIST_MAX_QUERIES = 8


def read_url(note):
    return reverse("notifications:mark_read", args=[note.pk])


# ---------------------------------------------------------------------- access
@pytest.mark.parametrize(
    "method, url",
    [
        ("get", LIST_URL),
        ("post", READ_ALL_URL),
        ("post", reverse("notifications:mark_read", args=[1])),
    ],
)
def test_anonymous_is_sent_to_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_marking_read_needs_a_post(client, agent):
    note = NotificationFactory(recipient=agent)
    client.force_login(agent)
    assert client.get(read_url(note)).status_code == 405
    assert client.get(READ_ALL_URL).status_code == 405
    note.refresh_from_db()
    assert note.read_at is None


# ------------------------------------------------------------------ the bell
def test_context_processor_counts_the_users_unread_in_one_query(agent, supervisor, django_assert_num_queries):
    NotificationFactory.create_batch(3, recipient=agent)
    NotificationFactory(recipient=agent, read_at=timezone.now())
    NotificationFactory(recipient=supervisor)
    request = RequestFactory().get("/")
    request.user = agent

    with django_assert_num_queries(0):  # counted only when a page uses it ...
        context = unread(request)
    with django_assert_num_queries(1):  # ... and then once, however often it is used
        assert context == {"unread_notifications": 3}
        assert int(context["unread_notifications"]) == 3 and str(context["unread_notifications"]) == "3"
        template = Template("{{ n }} {{ n|add:1 }} {% if n %}yes{% endif %}")
        assert template.render(Context({"n": context["unread_notifications"]})) == "3 4 yes"


def test_the_bell_counts_unordered_so_the_unread_index_serves_it(agent):
    """The count reads only the unread entries of (recipient, read_at); ordered newest first it
    walked every notification of the user, read ones included (1.4 ms a page at 1M)."""
    request = RequestFactory().get("/")
    request.user = agent
    with CaptureQueriesContext(connection) as ctx:
        int(unread(request)["unread_notifications"])
    (query,) = ctx.captured_queries
    assert "ORDER BY" not in query["sql"] and "LIMIT 100" in query["sql"]


def test_a_page_without_the_bell_does_not_count(client, manager):
    NotificationFactory(recipient=manager)
    client.force_login(manager)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("admin:index")).status_code == 200
    assert not any("notifications_notification" in q["sql"] for q in captured.captured_queries)


def test_context_processor_gives_nothing_to_anonymous(django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert unread(request) == {}


def test_the_bell_shows_the_unread_count(client, agent):
    NotificationFactory.create_batch(3, recipient=agent)
    client.force_login(agent)

    page = client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f'href="{LIST_URL}"' in page
    assert 'aria-label="Notifications (3 unread)"' in page
    assert "🔔 3" in page


def test_the_bell_is_on_every_page_and_zero_when_all_is_read(client, agent):
    client.force_login(agent)
    page = client.get(LIST_URL).content.decode()
    assert 'aria-label="Notifications (0 unread)"' in page and "🔔 0" in page


def test_no_bell_for_anonymous(client):
    page = client.get(reverse("login")).content.decode()
    assert "🔔" not in page and LIST_URL not in page


# --------------------------------------------------------------------- the list
def test_the_list_shows_only_the_users_notifications_newest_first(client, agent, supervisor):
    complaint = ComplaintFactory(office=agent.office)
    older = NotificationFactory(
        recipient=agent,
        complaint=complaint,
        kind=Kind.REASSIGNED,
        created_at=timezone.now() - timedelta(hours=2),
        read_at=timezone.now(),
    )
    newer = NotificationFactory(
        recipient=agent, complaint=complaint, kind=Kind.PROGRESS_REPORT_DUE, data={"due_at": timezone.now().isoformat()}
    )
    NotificationFactory(recipient=supervisor, complaint=complaint)
    client.force_login(agent)

    response = client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [newer, older]
    html = response.content.decode()
    assert html.index(f'id="notification-{newer.pk}"') < html.index(f'id="notification-{older.pk}"')
    assert f'<tr class="unread" id="notification-{newer.pk}">' in html
    assert f'<tr class="read" id="notification-{older.pk}">' in html
    assert f'href="{reverse("complaints:detail", args=[complaint.pk])}"' in html
    assert f"Complaint #{complaint.pk} needs a progress report to the complainant" in html
    assert f"Complaint #{complaint.pk} was assigned to you." in html
    assert html.count('class="mark-read"') == 1


def test_the_list_query_count_does_not_grow_with_rows(client, agent, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            NotificationFactory(
                recipient=agent,
                complaint=complaint,
                kind=Kind.values[i % len(Kind.values)],
                data={"to_level": 1, "due_at": timezone.now(), "newer_complaint": complaint.pk},
                read_at=timezone.now() if i % 2 else None,
            )

    complaint = ComplaintFactory(office=agent.office)
    client.force_login(agent)
    add(3)
    with django_assert_max_num_queries(LIST_MAX_QUERIES) as small:
        response = client.get(LIST_URL)
    assert len(response.context["page"].object_list) == 3

    add(37)
    with django_assert_max_num_queries(LIST_MAX_QUERIES) as large:
        response = client.get(LIST_URL)
    assert len(response.context["page"].object_list) == 25  # paginated by 25
    assert len(large.captured_queries) == len(small.captured_queries)

    second = client.get(LIST_URL, {"page": 2})
    assert len(second.context["page"].object_list) == 15


def test_the_list_is_translated(client, agent):
    NotificationFactory(recipient=agent, kind=Kind.MOVED_UP)
    client.force_login(agent)
    page = client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page
    assert "已上移" in page  # the kind "Moved up", rendered in the reader's language


# ------------------------------------------------------------------ marking read
def test_marking_one_read_and_going_back(client, agent):
    note = NotificationFactory(recipient=agent)
    other = NotificationFactory(recipient=agent)
    client.force_login(agent)

    response = client.post(read_url(note), {"next": f"{LIST_URL}?page=1"})

    assert response.status_code == 302 and response["Location"] == f"{LIST_URL}?page=1"
    note.refresh_from_db()
    other.refresh_from_db()
    assert note.read_at is not None and other.read_at is None


def test_marking_read_twice_keeps_the_first_read_time(client, agent):
    first_read = timezone.now() - timedelta(days=1)
    note = NotificationFactory(recipient=agent, read_at=first_read)
    client.force_login(agent)
    assert client.post(read_url(note)).status_code == 302
    note.refresh_from_db()
    assert note.read_at == first_read


def test_another_users_notification_is_404(client, agent, supervisor):
    theirs = NotificationFactory(recipient=supervisor)
    client.force_login(agent)

    assert client.post(read_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    # the same request by its recipient works: the 404 was the ownership
    client.force_login(supervisor)
    assert client.post(read_url(theirs)).status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is not None


def test_mark_all_read_touches_only_the_users_own(client, agent, supervisor):
    mine = NotificationFactory.create_batch(3, recipient=agent)
    theirs = NotificationFactory(recipient=supervisor)
    client.force_login(agent)

    response = client.post(READ_ALL_URL)

    assert response.status_code == 302 and response["Location"] == LIST_URL
    assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "🔔 0" in client.get(LIST_URL).content.decode()


@pytest.mark.parametrize("target", ["https://evil.example.com/", "//evil.example.com/x"])
def test_an_outside_next_is_ignored(client, agent, target):
    client.force_login(agent)
    response = client.post(READ_ALL_URL, {"next": target}, HTTP_REFERER=target)
    assert response["Location"] == LIST_URL


def test_the_referring_page_is_the_way_back(client, agent):
    client.force_login(agent)
    detail = "http://testserver" + reverse("complaints:list")
    response = client.post(READ_ALL_URL, HTTP_REFERER=detail)
    assert response["Location"] == detail


# ------------------------------------------------------------------ the message
def test_the_message_is_rendered_at_display_time_in_local_time(agent):
    complaint = ComplaintFactory(office=agent.office)
    due = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    note = NotificationFactory(
        recipient=agent, complaint=complaint, kind=Kind.REPLY_OVERDUE, data={"to_level": 2, "due_at": due}
    )
    note.refresh_from_db()  # data as stored (JSON)

    with translation.override("en"):
        assert note.message == (
            f"Complaint #{complaint.pk} missed its reply deadline (2026-03-01 10:30) and was "
            f"moved up to level 2 — responsible department head."
        )


@pytest.mark.parametrize(
    "kind, data, expected",
    [
        (Kind.COMPLETION_OVERDUE, {}, "is past its committed completion date (—)"),
        (Kind.NEWER_COMPLAINT_LINKED, {"newer_complaint": 42}, "made a newer complaint, #42."),
        (Kind.NEWER_COMPLAINT_LINKED, {"newer_complaint_id": 43}, "made a newer complaint, #43."),
        (Kind.MOVED_UP, {"to_level": 1, "cause": "solution_rejected"}, "Cause: Solution rejected."),
        (Kind.MOVED_UP, {"to_level": "x"}, "was moved up to you (level —)."),
    ],
)
def test_every_kind_has_a_sentence_even_with_missing_data(agent, kind, data, expected):
    note = NotificationFactory(recipient=agent, kind=kind, data=data)
    with translation.override("en"):
        assert expected in note.message
        assert note.message.startswith("Complaint #—")


# ------------------------------------------------------------------------ admin
def test_managers_read_notifications_in_the_admin(client, manager, agent, django_assert_max_num_queries):
    complaint = ComplaintFactory(office=agent.office)
    NotificationFactory.create_batch(
        3,
        recipient=agent,
        complaint=complaint,
        email_status=EmailStatus.FAILED,
        email_last_error="SMTPServerDisconnected: gone",
    )
    client.force_login(manager)
    url = reverse("admin:notifications_notification_changelist")

    with django_assert_max_num_queries(12) as small:
        response = client.get(url, {"email_status__exact": "failed", "kind__exact": Kind.REASSIGNED})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 3

    NotificationFactory.create_batch(30, recipient=agent, complaint=complaint)
    with django_assert_max_num_queries(12) as large:
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 33
    assert len(large.captured_queries) <= len(small.captured_queries) + 1  # + the unfiltered date hierarchy

    note = Notification.objects.first()
    change = client.get(reverse("admin:notifications_notification_change", args=[note.pk]))
    assert change.status_code == 200 and b'name="_save"' not in change.content  # read-only
    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403
    assert (
        client.post(reverse("admin:notifications_notification_delete", args=[note.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Notification.objects.filter(pk=note.pk).exists()


def test_supervisors_do_not_get_the_notifications_admin(client, supervisor):
    client.force_login(supervisor)
    assert client.get(reverse("admin:notifications_notification_changelist")).status_code == 403


def test_the_bell_counts_up_to_99_and_then_shows_99_plus(client, agent, monkeypatch):
    from notifications import context_processors

    monkeypatch.setattr(context_processors, "UNREAD_CAP", 3)
    NotificationFactory.create_batch(3, recipient=agent)
    request = RequestFactory().get("/")
    request.user = agent
    assert str(unread(request)["unread_notifications"]) == "3"
    NotificationFactory.create_batch(2, recipient=agent)
    count = unread(request)["unread_notifications"]
    assert str(count) == "3+" and int(count) == 4 and count
    client.force_login(agent)
    page = client.get(reverse("complaints:list")).content.decode()
    assert "🔔 3+" in page, page[page.find('class="bell') : page.find('class="bell') + 300]

"""Attachments over HTTP (issue 11): the permission matrix of the download and thumbnail
views, their headers, withdrawal and the training mark, the timeline's partial and its fixed
query count, and the training library showing only what was marked safe."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints import rules
from complaints.attachments import ComplaintAttachment, mark_safe_for_training, store_attachments, withdraw_attachment
from complaints.choices import CloseReason, Status
from tests.complaints.test_attachments import jpeg_with_gps, pdf
from tests.factories import ComplaintFactory, department


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.HELPDESK_PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture
def complaint(agent):
    # the department's of the handlers below (issue 13: a handler sees only their department's)
    complaint = ComplaintFactory(office=agent.office, received_by=agent, department=department())
    complaint.add_note(actor=agent, note="Photos of the lobby")
    return complaint


@pytest.fixture
def photo(complaint, agent):
    event = complaint.events.latest("id")
    (photo,) = store_attachments(event, [jpeg_with_gps("大堂照片.jpg")], by=agent)
    return photo


def urls(photo: ComplaintAttachment) -> dict[str, str]:
    args = [photo.complaint_id, photo.pk]
    return {
        "download": reverse("complaints:attachment_download", args=args),
        "thumbnail": reverse("complaints:attachment_thumbnail", args=args),
    }


# ------------------------------------------------------------------ permission matrix
@pytest.mark.parametrize("view", ["download", "thumbnail"])
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("agent_of_office", 200),
        ("supervisor_of_office", 200),
        ("handler_of_office", 200),
        ("manager_of_head_office", 200),
        ("agent_of_other_office", 404),
        ("user_without_view", 403),
        ("anonymous", 302),
    ],
)
def test_permission_matrix(client, make_user, other_office, agent, photo, view, who, expected):
    users = {
        "agent_of_office": lambda: agent,
        "supervisor_of_office": lambda: make_user("supervisor"),
        "handler_of_office": lambda: make_user("department_handler", department=department()),
        "manager_of_head_office": lambda: make_user("manager", office_=other_office),
        "agent_of_other_office": lambda: make_user("agent", office_=other_office),
        "user_without_view": lambda: make_user(None),
        "anonymous": lambda: None,
    }
    user = users[who]()
    if user is not None:
        client.force_login(user)
    url = urls(photo)[view]
    response = client.get(url)
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(reverse("login"))
    if expected != 200:
        # the same request by someone who may: the denial was the permission, not the URL
        client.force_login(agent)
        assert client.get(url).status_code == 200


def test_download_headers(client, agent, photo):
    client.force_login(agent)
    response = client.get(urls(photo)["download"])
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E5%A4%A7%E5%A0%82%E7%85%A7%E7%89%87.jpg" in disposition
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/jpeg"
    assert "sandbox" in response["Content-Security-Policy"]  # a file is never run as a page
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xff\xd8\xff") and b"Exif" not in body


def test_thumbnail_is_inline(client, agent, photo):
    client.force_login(agent)
    response = client.get(urls(photo)["thumbnail"])
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Cache-Control"] == "private, no-store"


def test_a_document_has_no_thumbnail(client, agent, complaint):
    (document,) = store_attachments(complaint.events.latest("id"), [pdf()], by=agent)
    client.force_login(agent)
    assert client.get(urls(document)["thumbnail"]).status_code == 404
    response = client.get(urls(document)["download"])
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="report.pdf"' in response["Content-Disposition"]


def test_attachment_of_another_complaint_is_404(client, agent, photo):
    other = ComplaintFactory(office=agent.office, received_by=agent)
    client.force_login(agent)
    assert client.get(reverse("complaints:attachment_download", args=[other.pk, photo.pk])).status_code == 404


def test_no_delete_over_http(client, supervisor, photo):
    client.force_login(supervisor)
    for view in ("download", "thumbnail"):
        assert client.delete(urls(photo)[view]).status_code == 405
        assert client.post(urls(photo)[view]).status_code == 405
    assert ComplaintAttachment.objects.filter(pk=photo.pk).exists()


# ------------------------------------------------------------------------- withdrawal
def test_withdraw_over_http(client, agent, photo):
    client.force_login(agent)
    url = reverse("complaints:attachment_withdraw", args=[photo.complaint_id, photo.pk])
    # no reason: refused, nothing changes
    response = client.post(url, {"reason": ""})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert not photo.is_withdrawn
    # with a reason: a new event, and the file is no longer served
    response = client.post(url, {"reason": "Photo of the wrong flat"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.withdrawn_by_event.note == "Photo of the wrong flat"
    assert client.get(urls(photo)["download"]).status_code == 404
    assert client.get(urls(photo)["thumbnail"]).status_code == 404
    page = client.get(reverse("complaints:detail", args=[photo.complaint_id])).content.decode()
    assert "<del>大堂照片.jpg</del>" in page
    assert urls(photo)["download"] not in page


def test_withdraw_needs_receive_permission_or_own_upload(client, make_user, other_office, agent, photo):
    url = reverse("complaints:attachment_withdraw", args=[photo.complaint_id, photo.pk])
    client.force_login(make_user("department_handler", department=department()))
    assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(make_user("agent", office_=other_office))
    assert client.post(url, {"reason": "x"}).status_code == 404
    assert client.get(url).status_code == 405
    client.force_login(make_user("supervisor"))
    assert client.post(url, {"reason": "x"}).status_code == 302
    photo.refresh_from_db()
    assert photo.is_withdrawn


def test_the_uploader_may_withdraw_their_own(client, make_user, complaint):
    handler = make_user("department_handler", department=department())
    (own,) = store_attachments(complaint.events.latest("id"), [pdf()], by=handler)
    client.force_login(handler)
    url = reverse("complaints:attachment_withdraw", args=[own.complaint_id, own.pk])
    assert client.post(url, {"reason": "wrong file"}).status_code == 302
    own.refresh_from_db()
    assert own.is_withdrawn


# ------------------------------------------------------------------------- timeline
def test_timeline_shows_thumbnails_and_chips(client, agent, complaint, photo):
    (document,) = store_attachments(complaint.events.latest("id"), [pdf("现场报告.pdf")], by=agent)
    client.force_login(agent)
    page = client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert f'src="{urls(photo)["thumbnail"]}"' in page
    assert f'href="{urls(document)["download"]}"' in page and "现场报告.pdf" in page
    assert "<script" not in page.split('<ol class="timeline">')[1].split("</ol>")[0]
    assert " onclick=" not in page


def test_timeline_query_count_does_not_grow_with_attachments(client, agent, complaint):
    client.force_login(agent)
    url = reverse("complaints:detail", args=[complaint.pk])
    event = complaint.events.latest("id")
    store_attachments(event, [pdf("a.pdf")], by=agent)
    client.get(url)  # warm caches (permissions, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    complaint.add_note(actor=agent, note="More photos")
    second = complaint.events.latest("id")
    store_attachments(event, [pdf("b.pdf"), jpeg_with_gps("c.jpg")], by=agent)
    (withdrawn,) = store_attachments(second, [jpeg_with_gps("d.jpg")], by=agent)
    store_attachments(second, [pdf("e.pdf"), pdf("f.pdf")], by=agent)
    withdraw_attachment(withdrawn, by=agent, reason="wrong")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert page.count('class="attachment') >= 6
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# ------------------------------------------------------------------- training library
@pytest.fixture
def training_case(agent):
    now = timezone.now()
    case = ComplaintFactory(
        office=agent.office,
        received_by=agent,
        status=Status.CLOSED,
        close_reason=CloseReason.CALLBACK_SATISFIED,
        closed_at=now,
        is_training_case=True,
        training_lesson="Photograph the fault before the repair.",
        training_marked_at=now,
    )
    case.add_note(actor=agent, note="photos")
    return case


def test_training_case_shows_only_safe_attachments(client, make_user, other_office, agent, supervisor, training_case):
    event = training_case.events.latest("id")
    safe, unsafe = store_attachments(event, [jpeg_with_gps("黄先生家.jpg"), pdf("私人.pdf")], by=agent)
    reader = make_user("agent", office_=other_office)  # the library is for every office
    client.force_login(reader)
    detail = reverse("complaints:training_detail", args=[training_case.pk])
    safe_url = reverse("complaints:training_attachment_download", args=[training_case.pk, safe.pk])
    unsafe_url = reverse("complaints:training_attachment_download", args=[training_case.pk, unsafe.pk])
    # nothing marked safe: nothing shown, nothing served
    assert "Attachments" not in client.get(detail).content.decode()
    assert client.get(safe_url).status_code == 404
    # a supervisor marks one safe: that one only, under a neutral name
    client.force_login(supervisor)
    mark_url = reverse("complaints:attachment_mark_safe", args=[training_case.pk, safe.pk])
    assert client.post(mark_url, follow=True).status_code == 200  # (follow: its message shown to the supervisor)
    client.force_login(reader)
    page = client.get(detail).content.decode()
    assert safe_url in page and unsafe_url not in page
    assert "黄先生" not in page and "私人" not in page
    response = client.get(safe_url)
    assert response.status_code == 200
    assert "黄先生" not in response["Content-Disposition"]
    thumb = reverse("complaints:training_attachment_thumbnail", args=[training_case.pk, safe.pk])
    assert client.get(thumb).status_code == 200
    assert client.get(unsafe_url).status_code == 404
    # the ordinary views stay office-scoped
    assert client.get(reverse("complaints:attachment_download", args=[training_case.pk, safe.pk])).status_code == 404
    # withdrawn later: gone from the library too
    withdraw_attachment(safe, by=supervisor, reason="shows a face")
    assert client.get(safe_url).status_code == 404


def test_marking_safe_needs_the_training_permission(client, agent, supervisor, training_case):
    (attachment,) = store_attachments(training_case.events.latest("id"), [pdf()], by=agent)
    url = reverse("complaints:attachment_mark_safe", args=[training_case.pk, attachment.pk])
    client.force_login(agent)
    assert client.post(url).status_code == 403
    client.force_login(supervisor)
    assert client.post(url).status_code == 302
    attachment.refresh_from_db()
    assert attachment.safe_for_training


def test_training_views_need_view_permission(client, make_user, supervisor, agent, training_case):
    (attachment,) = store_attachments(training_case.events.latest("id"), [pdf()], by=agent)
    mark_safe_for_training(attachment, by=supervisor)
    url = reverse("complaints:training_attachment_download", args=[training_case.pk, attachment.pk])
    client.force_login(make_user(None))
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(agent)
    assert client.get(url).status_code == 200


def test_case_file_row_shows_what_is_not_withdrawn_sharing_the_timeline_query(
    rf, agent, complaint, photo, django_assert_num_queries
):
    from django.template import RequestContext, Template

    (gone,) = store_attachments(complaint.events.latest("id"), [pdf("gone.pdf")], by=agent)
    withdraw_attachment(gone, by=agent, reason="wrong")
    request = rf.get("/")
    request.user = agent
    agent.has_perm(rules.RECEIVE)  # permissions cached, as on a page that has checked them
    events = list(complaint.events.all())
    template = Template(
        '{% include "complaints/_attachments.html" with case_file=complaint %}'
        '{% for e in events %}{% include "complaints/_attachments.html" with event=e %}{% endfor %}'
    )
    with django_assert_num_queries(1):  # one query for both the case file and every step
        html = template.render(RequestContext(request, {"complaint": complaint, "events": events}))
    case_file = html.split("<ul", 2)[1]
    assert urls(photo)["thumbnail"] in case_file and "gone.pdf" not in case_file
    assert "<del>gone.pdf</del>" in html

"""The complainant's pages through HTTP (R-P1 … R-P3): the online form of an office, the
progress page, adding information, answering a solution and the questionnaire — Chinese by
default, a clear 4xx for bad input, never a 500 and never a half-written record."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from complainants import services
from complainants.models import AccessToken, ComplainantAccess
from complaints.attachments import ComplaintAttachment
from complaints.choices import Channel, CloseReason, EventKind, Status
from complaints.models import Category, Complaint, ComplaintEvent
from customers.storage import get_private_storage
from tests.complainants.helpers import form_data, jpeg_with_gps
from tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db


def form_url(office):
    return reverse("complainants:form", args=[office.code])


def test_the_form_is_chinese_by_default_and_english_on_request(client, office):
    response = client.get(form_url(office))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="zh-hans"' in page
    assert "个人信息" in page  # the personal-information notice, in Chinese
    assert response["Cache-Control"] == "no-store, private"

    client.cookies["django_language"] = "en"
    page = client.get(form_url(office)).content.decode()
    assert 'lang="en"' in page and "Make a complaint" in page


def test_unknown_and_head_offices_have_no_form(client):
    head = OfficeFactory(is_head_office=True)
    assert client.get(reverse("complainants:form", args=["no-such-office"])).status_code == 404
    assert client.get(form_url(head)).status_code == 404


def test_a_valid_complaint_is_received_and_opens_its_progress_page(client, office, category):
    response = client.post(form_url(office), form_data(category))

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.ONLINE and complaint.status == Status.RECEIVED
    assert complaint.received_by is None
    assert complaint.contact_phone == "13912345678"  # normalised
    assert response["Location"].startswith("/c/t/")
    page = client.get(response["Location"]).content.decode()
    assert f"#{complaint.pk}" in page and "楼上漏水" in page


def test_photos_are_kept_without_their_location(client, office, category):
    data = form_data(category)
    data["photos"] = [jpeg_with_gps("a.jpg"), jpeg_with_gps("b.jpg")]

    response = client.post(form_url(office), data)

    assert response.status_code == 302
    attachments = list(ComplaintAttachment.objects.all())
    assert len(attachments) == 2
    for attachment in attachments:
        with get_private_storage().open(attachment.stored_name) as stored:
            image = Image.open(stored)
            assert dict(image.getexif()) == {}


def test_the_public_form_sets_nothing_but_a_received_complaint(client, office, category, agent):
    data = form_data(
        category,
        status="closed",
        escalation_level="3",
        received_by=str(agent.pk),
        assignee=str(agent.pk),
        channel="walk_in",
        is_sensitive="on",
        close_reason="on_the_spot",
    )
    assert client.post(form_url(office), data).status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.status, complaint.escalation_level, complaint.received_by, complaint.assignee) == (
        Status.RECEIVED,
        0,
        None,
        None,
    )
    assert complaint.channel == Channel.ONLINE and not complaint.is_sensitive and complaint.close_reason == ""


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"consent": None}, "consent", "个人信息告知"),
        ({"contact_phone": "12345"}, "contact_phone", ""),
        ({"contact_phone": ""}, "contact_phone", ""),
        ({"complainant_name": ""}, "complainant_name", ""),
        ({"incident_at": "2099-01-01T10:00"}, "incident_at", ""),
        ({"incident_at": "yesterday"}, "incident_at", ""),
        ({"category": "999999"}, "category", ""),
        ({"category": "<script>"}, "category", ""),
        ({"subject": ""}, "subject", ""),
        ({"description": "x" * 5000}, "description", ""),
        ({"contact_email": "not-an-address"}, "contact_email", ""),
        ({"contact_qq": "0123"}, "contact_qq", ""),
        ({"incident_place": "x" * 500}, "incident_place", ""),
    ],
)
def test_bad_input_is_a_400_with_the_reason_and_writes_nothing(client, office, category, change, field, message):
    response = client.post(form_url(office), form_data(category, **change))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    if message:
        assert message in response.content.decode()
    assert not Complaint.objects.exists() and not ComplainantAccess.objects.exists()


def test_a_private_category_is_not_offered(client, office, category):
    hidden = Category.objects.exclude(pk=category.pk).first()
    hidden.is_public = False
    hidden.save()

    page = client.get(form_url(office)).content.decode()
    assert f'value="{hidden.pk}"' not in page
    assert client.post(form_url(office), form_data(category, category=str(hidden.pk))).status_code == 400


def test_anonymous_without_contact_is_accepted(client, office, category):
    data = form_data(category, complainant_name="", contact_phone="", is_anonymous="on")
    assert client.post(form_url(office), data).status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.is_anonymous and complaint.complainant_name == ""


def test_too_many_photos_or_a_non_photo_are_refused(client, office, category, settings):
    settings.HELPDESK_PUBLIC_PHOTOS = 1
    data = form_data(category)
    data["photos"] = [jpeg_with_gps("a.jpg"), jpeg_with_gps("b.jpg")]
    assert client.post(form_url(office), data).status_code == 400

    data = form_data(category)
    data["photos"] = [SimpleUploadedFile("report.pdf", b"%PDF-1.4 fake", content_type="application/pdf")]
    assert client.post(form_url(office), data).status_code == 400

    data = form_data(category)
    data["photos"] = [SimpleUploadedFile("fake.jpg", b"MZ\x90\x00 not a jpeg", content_type="image/jpeg")]
    assert client.post(form_url(office), data).status_code == 400
    assert not Complaint.objects.exists()


def test_hostile_input_never_gives_a_500(client, office, category, settings):
    settings.HELPDESK_PUBLIC_SUBMIT_RATE = "100/h"
    for data in (
        {"description": "\x00\x01", "subject": "\x00"},
        {"incident_at": "9" * 200},
        {"incident_at": "-1"},
        {"category": "1e400"},
        {"contact_phone": "１３９" * 50},
        {"complainant_name": "<img src=x onerror=alert(1)>" * 30},
    ):
        response = client.post(form_url(office), form_data(category, **data))
        assert response.status_code == 400, (data, response.status_code)
    assert not Complaint.objects.exists()
    page = client.post(form_url(office), form_data(category, subject="<script>alert(1)</script>", consent=None))
    assert "<script>alert(1)</script>" not in page.content.decode()


def test_the_honeypot_turns_robots_away(client, office, category):
    response = client.post(form_url(office), form_data(category, website="http://spam.example"))
    assert response.status_code == 400
    assert not Complaint.objects.exists()


def test_submissions_are_rate_limited_per_address(client, office, category, settings):
    settings.HELPDESK_PUBLIC_SUBMIT_RATE = "2/h"
    settings.HELPDESK_PUBLIC_CONTACT_RATE = "10/h"
    for n in range(2):
        assert client.post(form_url(office), form_data(category, contact_phone=f"1391234567{n}")).status_code == 302
    response = client.post(form_url(office), form_data(category, contact_phone="13912345679"))
    assert response.status_code == 429
    assert "Retry-After" in response
    assert Complaint.objects.count() == 2


def test_submissions_are_rate_limited_per_contact(client, office, category, settings):
    settings.HELPDESK_PUBLIC_CONTACT_RATE = "1/h"
    assert client.post(form_url(office), form_data(category)).status_code == 302
    other = client.post(form_url(office), form_data(category), REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 429
    assert Complaint.objects.count() == 1


def test_a_flooded_office_asks_a_question(client, office, category, settings):
    settings.HELPDESK_PUBLIC_CHALLENGE = "on"
    page = client.get(form_url(office))
    form = page.context["form"]
    token = form.initial["challenge_token"]
    a, b = (int(n) for n in __import__("re").findall(r"\d+", form.challenge_question)[:2])

    wrong = client.post(form_url(office), form_data(category, challenge_token=token, challenge_answer=str(a + b + 1)))
    assert wrong.status_code == 400 and "challenge_answer" in wrong.context["form"].errors
    right = client.post(form_url(office), form_data(category, challenge_token=token, challenge_answer=str(a + b)))
    assert right.status_code == 302
    replay = client.post(form_url(office), form_data(category, challenge_token=token, challenge_answer=str(a + b)))
    assert replay.status_code == 400
    assert Complaint.objects.count() == 1


def test_auto_challenge_switches_on_past_the_flood_threshold(client, office, category, settings):
    settings.HELPDESK_PUBLIC_FLOOD_PER_HOUR = 1
    settings.HELPDESK_PUBLIC_CHALLENGE = "auto"
    assert client.get(form_url(office)).context["form"].needs_challenge is False
    assert client.post(form_url(office), form_data(category)).status_code == 302
    assert client.get(form_url(office)).context["form"].needs_challenge is True


# ----------------------------------------------------------------- the progress page
@pytest.fixture
def submitted(submit):
    return submit()


def progress_url(token, name="progress"):
    return reverse(f"complainants:{name}", args=[token])


def test_the_progress_page_shows_status_promise_and_public_timeline(client, submitted, agent):
    complaint = submitted.complaint
    complaint.claim(actor=agent)
    complaint.reply(actor=agent, note="明天上午派维修工上门查看。")

    page = client.get(progress_url(submitted.token)).content.decode()

    assert "明天上午派维修工上门查看。" in page
    assert "正在处理" in page  # the status in plain words, in Chinese by default
    assert agent.last_name not in page and agent.username not in page  # no staff names


def test_adding_information_with_a_photo(client, submitted):
    response = client.post(progress_url(submitted.token, "add"), {"note": "今天又漏了。", "photos": [jpeg_with_gps()]})

    assert response.status_code == 302
    event = ComplaintEvent.objects.filter(kind=EventKind.INFORMATION_ADDED).get()
    assert event.note == "今天又漏了。" and event.attachments.count() == 1
    page = client.get(progress_url(submitted.token)).content.decode()
    assert "今天又漏了。" in page


def test_adding_nothing_is_a_400(client, submitted):
    response = client.post(progress_url(submitted.token, "add"), {"note": " "})
    assert response.status_code == 400
    assert not ComplaintEvent.objects.filter(kind=EventKind.INFORMATION_ADDED).exists()


def test_answering_a_solution_online(client, submitted, agent):
    complaint = submitted.complaint
    complaint.claim(actor=agent)
    complaint.propose_solution(actor=agent, solution="明天上午更换水管。")
    page = client.get(progress_url(submitted.token)).content.decode()
    assert "明天上午更换水管。" in page and 'id="answer"' in page

    response = client.post(progress_url(submitted.token, "answer"), {"answer": "reject", "note": "太慢"})

    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS and complaint.escalation_level == 1
    again = client.post(progress_url(submitted.token, "answer"), {"answer": "accept"})
    assert again.status_code == 302  # answered already: said so, nothing changed
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS


def test_a_bad_answer_is_a_400(client, submitted, agent):
    submitted.complaint.claim(actor=agent)
    submitted.complaint.propose_solution(actor=agent, solution="明天上午更换水管。")
    assert client.post(progress_url(submitted.token, "answer"), {"answer": "maybe"}).status_code == 400


def _resolved(submitted, agent):
    complaint = submitted.complaint
    complaint.claim(actor=agent)
    complaint.propose_solution(actor=agent, solution="明天上午更换水管。")
    services.answer_solution(complaint, accepted=True)
    complaint.mark_handled(actor=agent, note="已更换。")
    return complaint


def test_the_questionnaire_closes_a_satisfied_complaint(client, submitted, agent):
    complaint = _resolved(submitted, agent)
    url = progress_url(submitted.token, "questionnaire")
    assert client.get(url).status_code == 200

    response = client.post(url, {"satisfied": "yes", "rating": "5", "about_result": "修好了"})

    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.close_reason == CloseReason.CALLBACK_SATISFIED
    # the link now says the call-back is recorded
    page = client.get(url).content.decode()
    assert 'id="already"' in page


def test_the_questionnaire_declines_the_call_back(client, submitted, agent):
    complaint = _resolved(submitted, agent)
    assert client.post(progress_url(submitted.token, "questionnaire"), {"decline": "1"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.CALLBACK_DECLINED


def test_the_questionnaire_after_the_agent_called_back(client, submitted, agent):
    from complaints.choices import CallbackMethod

    complaint = _resolved(submitted, agent)
    complaint.record_callback(actor=agent, method=CallbackMethod.PHONE, satisfied=True)
    url = progress_url(submitted.token, "questionnaire")

    assert 'id="already"' in client.get(url).content.decode()
    response = client.post(url, {"satisfied": "no", "rating": "1"})
    assert response.status_code == 409
    complaint.refresh_from_db()
    assert complaint.close_reason == CloseReason.CALLBACK_SATISFIED


def test_an_incomplete_questionnaire_is_a_400(client, submitted, agent):
    _resolved(submitted, agent)
    response = client.post(progress_url(submitted.token, "questionnaire"), {"satisfied": "yes", "rating": "7"})
    assert response.status_code == 400


def test_stopping_and_resuming_notices(client, submitted):
    assert client.post(progress_url(submitted.token, "notices"), {"notices": "stop"}).status_code == 302
    assert ComplainantAccess.objects.get().notices_stopped_at is not None
    assert client.post(progress_url(submitted.token, "notices"), {"notices": "resume"}).status_code == 302
    assert ComplainantAccess.objects.get().notices_stopped_at is None
    assert client.post(progress_url(submitted.token, "notices"), {"notices": "?"}).status_code == 400


def test_the_progress_page_has_a_fixed_number_of_queries(client, submitted, agent, django_assert_max_num_queries):
    complaint = submitted.complaint
    complaint.claim(actor=agent)
    complaint.reply(actor=agent, note="收到")
    for n in range(15):
        complaint.report_progress(actor=agent, note=f"进展 {n}")
    with django_assert_max_num_queries(8):
        assert client.get(progress_url(submitted.token)).status_code == 200
    assert AccessToken.objects.count() == 1

"""Issue 11 wired together: photos and documents at intake and at the evidence steps (findings,
handled, call-back) through the pages and the API, and the complainant's signature on an
on-the-spot sign-off and a door-visit call-back, filed in the customer's archive."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from complaints.attachments import ComplaintAttachment
from complaints.choices import CallbackMethod, CloseReason, EventKind, Status
from complaints.models import Category, Complaint
from customers.models import CustomerDocument, DocumentKind
from customers.storage import get_private_storage
from tests.complaint_paths import complaint_in
from tests.complaints.test_attachments import jpeg_with_gps, pdf
from tests.complaints.test_paper_forms import signature_png
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.HELPDESK_PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def walk_in(**overrides):
    now = timezone.localtime()
    data = {
        "complainant_name": "王芳",
        "contact_phone": "13912345678",
        "incident_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "incident_place": "5 號樓 1203 室",
        "subject": "廚房漏水",
        "description": "水從天花板滴下。",
        "category": str(Category.objects.get(code="repairs").pk),
        "outcome": "on_the_spot",
        "resolution": "已修好。",
        "signoff_name": "王芳",
        "satisfied": "on",
    }
    data.update(overrides)
    return data


def test_walk_in_with_photos_and_a_signature_files_the_signed_form(client, agent):
    customer = CustomerFactory(name="王芳物業")
    client.force_login(agent)
    response = client.post(
        "/complaints/new/walk-in/",
        walk_in(
            customer=f"{customer.name} · #{customer.pk}",
            attachments=[jpeg_with_gps("漏水.jpg"), pdf("報告.pdf")],
            signature=data_url(signature_png()),
        ),
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    complaint = Complaint.objects.get()
    assert complaint.close_reason == CloseReason.ON_THE_SPOT
    received = complaint.events.get(kind=EventKind.RECEIVED)
    files = list(ComplaintAttachment.objects.filter(event=received).order_by("id"))
    assert [f.original_name for f in files] == ["漏水.jpg", "報告.pdf"]
    with get_private_storage().open(files[0].stored_name) as handle:
        assert "GPSInfo" not in str(Image.open(handle).getexif().get_ifd(0x8825) or "")
    signed = complaint.events.get(kind=EventKind.RESOLVED_ON_THE_SPOT)
    assert signed.data["signature"].startswith("signatures/")
    document = CustomerDocument.objects.get(customer=customer)
    assert document.kind == DocumentKind.COMPLAINT_FORM


def test_a_bad_upload_at_intake_saves_nothing(client, agent):
    client.force_login(agent)
    fake = pdf("photo.jpg")  # a PDF pretending to be a photo
    response = client.post("/complaints/new/walk-in/", walk_in(attachments=[fake]))
    assert response.status_code == 400
    assert "attachments" in response.context["form"].errors
    assert Complaint.objects.count() == 0 and ComplaintAttachment.objects.count() == 0


@pytest.mark.parametrize(
    ("status", "action", "fields"),
    [
        (Status.IN_PROGRESS, "record_findings", {"findings": "天花板水管破裂。"}),
        (Status.HANDLING, "mark_handled", {"note": "已更換水管。"}),
        (Status.RESOLVED, "record_callback", {"method": CallbackMethod.PHONE, "satisfied": "yes"}),
    ],
)
def test_each_evidence_step_takes_photos_on_the_page(client, agent, status, action, fields):
    complaint = complaint_in(status, agent)
    client.force_login(agent)
    data = {f"{action}-{k}": v for k, v in fields.items()}
    data[f"{action}-attachments"] = [jpeg_with_gps("a.jpg"), jpeg_with_gps("b.jpg")]
    response = client.post(f"/complaints/{complaint.pk}/actions/{action.replace('_', '-')}/", data)
    assert response.status_code == 302
    event = complaint.events.latest("id")
    assert ComplaintAttachment.objects.filter(event=event).count() == 2


def test_the_api_takes_photos_as_multipart(client, agent):
    complaint = complaint_in(Status.IN_PROGRESS, agent)
    client.force_login(agent)
    response = client.post(
        f"/api/v1/complaints/{complaint.pk}/actions/record-findings/",
        {"findings": "水管破裂。", "attachments": [jpeg_with_gps("a.jpg")]},
    )
    assert response.status_code == 200, response.content
    assert ComplaintAttachment.objects.filter(complaint=complaint).count() == 1


def test_the_api_refuses_a_disguised_file_with_a_400(client, agent):
    complaint = complaint_in(Status.IN_PROGRESS, agent)
    client.force_login(agent)
    response = client.post(
        f"/api/v1/complaints/{complaint.pk}/actions/record-findings/",
        {"findings": "水管破裂。", "attachments": [pdf("photo.jpg")]},
    )
    assert response.status_code == 400 and "attachments" in response.json()
    assert not complaint.events.filter(kind=EventKind.FINDINGS_RECORDED).exists()


def test_a_door_visit_call_back_keeps_the_signature_and_files_the_visit_form(client, agent):
    customer = CustomerFactory()
    complaint = complaint_in(Status.RESOLVED, agent)
    Complaint.objects.filter(pk=complaint.pk).update(customer=customer)
    client.force_login(agent)
    response = client.post(
        f"/complaints/{complaint.pk}/actions/record-callback/",
        {
            "record_callback-method": CallbackMethod.DOOR_VISIT,
            "record_callback-satisfied": "yes",
            "record_callback-about_result": "很滿意。",
            "record_callback-signature": data_url(signature_png()),
        },
    )
    assert response.status_code == 302
    event = complaint.events.get(kind=EventKind.CALLBACK_RECORDED)
    assert event.data["signature"].startswith("signatures/")
    assert CustomerDocument.objects.get(customer=customer).kind == DocumentKind.VISIT_FORM


def test_the_api_takes_a_signature_as_a_data_url_and_refuses_garbage(client, agent):
    complaint = complaint_in(Status.RECEIVED, agent)
    client.force_login(agent)
    url = f"/api/v1/complaints/{complaint.pk}/actions/resolve-on-the-spot/"
    body = {"resolution": "已解釋。", "signoff_name": "王芳", "satisfied": True}
    bad = client.post(url, {**body, "signature": "data:image/png;base64,bm90IGEgcG5n"}, content_type="application/json")
    assert bad.status_code == 400 and "signature" in bad.json()
    complaint.refresh_from_db()
    assert complaint.status == Status.RECEIVED
    good = client.post(url, {**body, "signature": data_url(signature_png())}, content_type="application/json")
    assert good.status_code == 200, good.json()
    assert complaint.events.get(kind=EventKind.RESOLVED_ON_THE_SPOT).data["signature"]

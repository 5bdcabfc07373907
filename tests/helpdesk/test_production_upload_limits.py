"""Request-body limits (issue 16 item 9): an oversized upload is refused before its body is
read — 413, not a 500 and not a file on disk — and the limits fit HELPDESK_UPLOAD_MAX_BYTES."""

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import CustomerDocument
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_limits_leave_room_for_a_file_of_the_allowed_size():
    from complaints.attachments import per_step_limit

    # a complaint step's files, each of the allowed size, fit in one request
    assert django_settings.HELPDESK_REQUEST_MAX_BYTES > django_settings.HELPDESK_UPLOAD_MAX_BYTES * per_step_limit()
    # above these, files go to a temporary file and fields are refused: never the whole body in memory
    assert django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= django_settings.HELPDESK_REQUEST_MAX_BYTES
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= django_settings.HELPDESK_REQUEST_MAX_BYTES


def test_an_oversized_upload_is_a_413_before_the_view(client, make_user, settings):
    # Given a maintainer of the archive and a limit of 4 KiB
    settings.HELPDESK_REQUEST_MAX_BYTES = 4096
    client.force_login(make_user("customer_info"))
    customer = CustomerFactory()
    # When a 64 KiB file is posted
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 65536, content_type="application/pdf")
    response = client.post(
        reverse("customers:upload_document", args=[customer.pk]), {"kind": "contract", "title": "Big", "file": big}
    )
    # Then it is refused as too large, and nothing is stored
    assert response.status_code == 413
    assert not CustomerDocument.objects.exists()


def test_a_request_under_the_limit_reaches_the_view(client, make_user, settings):
    settings.HELPDESK_REQUEST_MAX_BYTES = 4096
    client.force_login(make_user("agent"))  # not allowed to upload: the view's 403, not the limit's 413
    response = client.post(
        reverse("customers:upload_document", args=[CustomerFactory().pk]),
        {"kind": "contract", "title": "Small", "file": SimpleUploadedFile("s.pdf", PDF)},
    )
    assert response.status_code == 403


def test_too_many_form_bytes_are_a_400_not_a_500(client, make_user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client.force_login(make_user("customer_info"))
    customer = CustomerFactory()
    response = client.post(
        reverse("customers:edit_archive", args=[customer.pk]),
        {"licence_no": "X" * 5000, "credit_status": "good", "credit_rating": "A"},
    )
    assert response.status_code == 400


def test_an_oversized_api_request_gets_the_apis_json_413(client, settings):
    settings.HELPDESK_REQUEST_MAX_BYTES = 1024
    response = client.generic(
        "POST", "/api/v1/complaints/", "x" * 10, content_type="application/json", CONTENT_LENGTH=str(10 * 1024)
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request is too large.", "code": "too_large"}

"""Archive files on S3-compatible object storage (HELPDESK_PRIVATE_STORAGE=s3, django-storages).

The object store is a stand-in: moto's S3 server (ThreadedMotoServer), started by this module on
127.0.0.1 and a free port, with a fresh private bucket. It speaks the S3 HTTP API the way
MinIO, Ceph or a cloud provider does; no real cloud account is involved."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import ArchiveAccess, CustomerDocument
from customers.storage import get_private_storage
from tests.factories import CustomerFactory

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
KEYS = {"aws_access_key_id": "stand-in-key", "aws_secret_access_key": "stand-in-secret", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    """A fresh private bucket, and STORAGES["private"] pointing at it as the s3 setting does."""
    name = f"helpdesk-test-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, **KEYS)
    s3.create_bucket(Bucket=name, ACL="private")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "region_name": KEYS["region_name"],
                "access_key": KEYS["aws_access_key_id"],
                "secret_key": KEYS["aws_secret_access_key"],
                "location": "archive",
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    return s3, name


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Huanan Water Plant", tier="A")


def _upload(client, customer, name="contract.pdf", content=PDF):
    return client.post(
        reverse("customers:upload_document", args=[customer.pk]),
        {"kind": "contract", "title": "Operation contract", "file": SimpleUploadedFile(name, content)},
    )


def test_upload_through_the_view_lands_in_the_private_bucket(client, info_user, customer, bucket):
    s3, name = bucket
    assert type(get_private_storage()).__name__ == "S3Storage"
    client.force_login(info_user)

    response = _upload(client, customer)

    assert response.status_code == 302
    doc = CustomerDocument.objects.get()
    key = f"archive/{doc.file.name}"
    assert s3.get_object(Bucket=name, Key=key)["Body"].read() == PDF
    # private: only the owner has a grant, nobody "AllUsers"/"AuthenticatedUsers"
    grants = s3.get_object_acl(Bucket=name, Key=key)["Grants"]
    assert all("URI" not in g["Grantee"] for g in grants), grants
    assert ArchiveAccess.objects.filter(action="upload", document=doc).exists()


def test_download_through_the_view_streams_the_same_bytes_and_is_logged(client, info_user, customer, bucket):
    client.force_login(info_user)
    _upload(client, customer)
    doc = CustomerDocument.objects.get()

    response = client.get(reverse("customers:download_document", args=[customer.pk, doc.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert ArchiveAccess.objects.filter(action="download", document=doc, user=info_user).exists()


def test_no_bucket_url_is_ever_rendered(client, info_user, customer, bucket, s3_endpoint):
    s3, name = bucket
    client.force_login(info_user)
    _upload(client, customer)
    doc = CustomerDocument.objects.get()

    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert reverse("customers:download_document", args=[customer.pk, doc.pk]) in page
    for leak in (s3_endpoint, name, "X-Amz-", "Signature=", doc.file.name):
        assert leak not in page
    with pytest.raises(ValueError):
        doc.file.url  # noqa: B018


def test_download_is_still_permission_checked(client, make_user, info_user, customer, bucket):
    client.force_login(info_user)
    _upload(client, customer)
    doc = CustomerDocument.objects.get()
    agent = make_user("agent")
    client.force_login(agent)

    response = client.get(reverse("customers:download_document", args=[customer.pk, doc.pk]))

    assert response.status_code == 403
    assert not ArchiveAccess.objects.filter(action="download", user=agent).exists()


def test_object_missing_from_the_bucket_is_a_404(client, info_user, customer, bucket):
    s3, name = bucket
    client.force_login(info_user)
    _upload(client, customer)
    doc = CustomerDocument.objects.get()
    s3.delete_object(Bucket=name, Key=f"archive/{doc.file.name}")

    response = client.get(reverse("customers:download_document", args=[customer.pk, doc.pk]))

    assert response.status_code == 404


def test_complaint_attachments_use_the_same_bucket(client, agent, bucket):
    """The other kind of private file: a complaint's photo goes to the same bucket and comes
    back through its permission-checked download view."""
    from complaints.attachments import store_attachments
    from tests.complaints.test_attachments import jpeg_with_gps
    from tests.factories import ComplaintFactory

    s3, name = bucket
    complaint = ComplaintFactory(office=agent.office, received_by=agent)
    complaint.add_note(actor=agent, note="Photos of the lobby")
    (photo,) = store_attachments(complaint.events.latest("id"), [jpeg_with_gps("lobby.jpg")], by=agent)
    stored = s3.get_object(Bucket=name, Key=f"archive/{photo.stored_name}")["Body"].read()
    client.force_login(agent)

    response = client.get(reverse("complaints:attachment_download", args=[complaint.pk, photo.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored


def _private_storage_setting(env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HELPDESK_"))}
    code = "from django.conf import settings; print(settings.STORAGES['private'])"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_setting_picks_the_folder_by_default_and_the_bucket_with_s3():
    local = _private_storage_setting({"DJANGO_SETTINGS_MODULE": "helpdesk.settings.local"})
    assert "customers.storage.LocalPrivateStorage" in local

    s3 = _private_storage_setting(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production",
            "DJANGO_SECRET_KEY": "x" * 60,
            "DJANGO_ALLOWED_HOSTS": "helpdesk.example.com",
            "DATABASE_URL": "sqlite:////tmp/hd15b-unused.sqlite3",
            "HELPDESK_SITE_URL": "https://helpdesk.example.com",
            "HELPDESK_PRIVATE_STORAGE": "s3",
            "HELPDESK_S3_BUCKET": "helpdesk-archive",
            "HELPDESK_S3_ENDPOINT_URL": "https://s3.example.com",
        }
    )
    assert "storages.backends.s3.S3Storage" in s3
    assert "'bucket_name': 'helpdesk-archive'" in s3 and "'default_acl': 'private'" in s3

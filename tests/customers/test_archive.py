"""R-CU2 / R-CU5: the confidential archive — each role against each confidential view or
download (403 where denied, the access log written where allowed), and upload validation."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.access import can_view_confidential
from customers.models import ArchiveAccess, Customer, CustomerDocument, CustomerTransaction
from customers.uploads import safe_name, validate_upload
from tests.factories import CustomerFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLES = ["agent", "supervisor", "department_handler", "manager", "customer_info"]
CONFIDENTIAL_ROLES = {"supervisor", "manager", "customer_info"}
MAINTAINERS = {"manager", "customer_info"}  # upload, transactions, archive edits, access log


@pytest.fixture
def customer(db):
    return CustomerFactory(
        name="Huanan Water Plant",
        tier="A",
        licence_no="91440101-SECRET-LIC",
        credit_rating="AA-SECRET",
        contact_person="Ms Chen",
    )


@pytest.fixture
def document(customer, make_user):
    uploader = make_user("customer_info")
    doc = CustomerDocument(
        customer=customer,
        kind="contract",
        title="Operation contract 2026",
        original_name="contract.pdf",
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=uploader,
    )
    doc.file.save("contract.pdf", SimpleUploadedFile("contract.pdf", PDF), save=True)
    return doc


def client_for(client, make_user, role):
    user = make_user(role)
    client.force_login(user)
    return user


@pytest.mark.parametrize("role", ROLES)
def test_customer_page_shows_the_archive_only_to_its_roles_and_logs_each_look(
    client, make_user, customer, document, role
):
    user = client_for(client, make_user, role)
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ms Chen" in body and "Huanan Water Plant" in body  # name, tier and contacts for all
    allowed = role in CONFIDENTIAL_ROLES
    assert can_view_confidential(user) is allowed
    for secret in ("91440101-SECRET-LIC", "AA-SECRET", "contract.pdf", "Operation contract 2026"):
        assert (secret in body) is allowed
    log = ArchiveAccess.objects.filter(user=user, customer=customer)
    assert list(log.values_list("action", flat=True)) == (["view_archive"] if allowed else [])


@pytest.mark.parametrize("role", ROLES)
def test_document_download_is_permission_checked_and_logged(client, make_user, customer, document, role):
    user = client_for(client, make_user, role)
    url = reverse("customers:download_document", args=[customer.pk, document.pk])
    response = client.get(url)
    log = ArchiveAccess.objects.filter(user=user, document=document)
    if role in CONFIDENTIAL_ROLES:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert 'attachment; filename="contract.pdf"' in response["Content-Disposition"]
        assert response["Cache-Control"] == "private, no-store"
        entry = log.get()
        assert (entry.action, entry.customer_id) == ("download", customer.pk) and entry.at is not None
    else:
        assert response.status_code == 403
        assert not log.exists()


@pytest.mark.parametrize("role", ROLES)
def test_upload_permission(client, make_user, customer, role):
    client_for(client, make_user, role)
    response = client.post(
        reverse("customers:upload_document", args=[customer.pk]),
        {"kind": "contract", "title": "Signed", "file": SimpleUploadedFile("c.pdf", PDF)},
    )
    if role in MAINTAINERS:
        assert response.status_code == 302
        assert CustomerDocument.objects.get().original_name == "c.pdf"
    else:
        assert response.status_code == 403
        assert not CustomerDocument.objects.exists()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "view, data",
    [
        ("customers:edit_archive", {"licence_no": "NEW", "credit_status": "good", "credit_rating": "A"}),
        ("customers:add_transaction", {"date": "2026-10-01", "description": "Operation fee Q3", "amount": "12000.50"}),
    ],
)
def test_archive_edits_permission(client, make_user, customer, role, view, data):
    client_for(client, make_user, role)
    response = client.post(reverse(view, args=[customer.pk]), data)
    customer.refresh_from_db()
    if role in MAINTAINERS:
        assert response.status_code == 302
        if view == "customers:edit_archive":
            assert (customer.licence_no, customer.credit_status, customer.credit_rating) == ("NEW", "good", "A")
        else:
            saved = CustomerTransaction.objects.get(customer=customer)
            assert (saved.description, str(saved.amount)) == ("Operation fee Q3", "12000.50")
    else:
        assert response.status_code == 403
        assert customer.licence_no == "91440101-SECRET-LIC"
        assert not CustomerTransaction.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_access_log_page(client, make_user, customer, document, role):
    client_for(client, make_user, role)
    response = client.get(reverse("customers:access_log", args=[customer.pk]))
    assert response.status_code == (200 if role in MAINTAINERS else 403)


def test_the_file_is_not_under_any_public_folder(customer, document, settings, private_media):
    path = Path(document.file.path)
    assert path.is_relative_to(private_media)
    assert not path.is_relative_to(Path(settings.STATIC_ROOT))
    assert path.name != "contract.pdf"  # stored under a random name
    with pytest.raises(ValueError):
        document.file.url  # noqa: B018


def test_missing_file_is_a_404_not_a_500(client, manager, customer, document):
    Path(document.file.path).unlink()
    client.force_login(manager)
    response = client.get(reverse("customers:download_document", args=[customer.pk, document.pk]))
    assert response.status_code == 404


def test_document_of_another_customer_is_404(client, manager, customer, document):
    client.force_login(manager)
    other = CustomerFactory()
    assert client.get(reverse("customers:download_document", args=[other.pk, document.pk])).status_code == 404


# --------------------------------------------------------------------------- uploads
@pytest.mark.parametrize(
    "name, content, message",
    [
        ("tool.exe", b"MZ\x90\x00", "Files of type “exe” are not accepted"),
        ("noext", b"hello", "Files of type “(none)” are not accepted"),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "The content of the file is not a “.pdf” file"),
        ("photo.png", PDF, "The content of the file is not a “.png” file"),
        ("notes.txt", b"abc\x00\x01binary", "is not a text file"),
        ("empty.pdf", b"", "The submitted file is empty"),
        (".htaccess.txt", b"deny", "is not an acceptable file name"),
        ("a..b.pdf", PDF, "is not an acceptable file name"),
    ],
)
def test_upload_rejections_are_clear_400s(client, info_user, customer, name, content, message):
    client.force_login(info_user)
    response = client.post(
        reverse("customers:upload_document", args=[customer.pk]),
        {"kind": "contract", "file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CustomerDocument.objects.exists()
    assert not ArchiveAccess.objects.filter(action="upload").exists()


def test_oversize_upload_is_rejected(client, info_user, customer, settings, private_media):
    settings.HELPDESK_UPLOAD_MAX_BYTES = 1024
    client.force_login(info_user)
    response = client.post(
        reverse("customers:upload_document", args=[customer.pk]),
        {"kind": "contract", "file": SimpleUploadedFile("big.pdf", PDF + b"0" * 2000)},
    )
    assert response.status_code == 400
    assert "The file is 2.0\xa0KB; the limit is 1.0\xa0KB." in response.content.decode()
    assert not CustomerDocument.objects.exists()
    assert not any(private_media.rglob("*")) if private_media.exists() else True


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "..\\..\\boot.ini.pdf",
        "/etc/shadow.pdf",
        "C:\\Windows\\x.pdf",
        "evil\x00.pdf",
        "..",
        "",
        "dir/file.pdf",
    ],
)
def test_path_traversal_names_are_rejected_by_the_validator(name):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        safe_name(name)


def test_traversal_in_a_posted_name_never_leaves_the_store(client, info_user, customer, private_media):
    """Django's multipart parser already cuts the folders off a posted name; what is left is
    checked again and stored under a random name inside the private store."""
    client.force_login(info_user)
    response = client.post(
        reverse("customers:upload_document", args=[customer.pk]),
        {"kind": "contract", "file": SimpleUploadedFile("../../../etc/passwd.pdf", PDF)},
    )
    assert response.status_code == 302
    doc = CustomerDocument.objects.get()
    assert doc.original_name == "passwd.pdf"
    assert Path(doc.file.path).resolve().is_relative_to(private_media.resolve())
    assert ArchiveAccess.objects.filter(action="upload", document=doc).exists()


def test_valid_upload_types():
    for name, content in [
        ("a.pdf", PDF),
        ("b.png", b"\x89PNG\r\n\x1a\n...."),
        ("c.docx", b"PK\x03\x04..."),
        ("d.txt", "客戶回訪表".encode()),
        ("e.JPG", b"\xff\xd8\xff\xe0.."),
    ]:
        assert validate_upload(SimpleUploadedFile(name, content))[0] == name


# ----------------------------------------------------------------- list, new, tier
def test_customer_list_filters_by_tier_with_a_fixed_query_count(client, agent, django_assert_max_num_queries):
    for tier in "AABCC":
        CustomerFactory(tier=tier, account_manager=agent)
    client.force_login(agent)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("customers:list"), {"tier": "A"})
    assert [c.tier for c in response.context["page"]] == ["A", "A"]
    for _ in range(30):
        CustomerFactory(tier="A")
    with django_assert_max_num_queries(8):
        assert len(client.get(reverse("customers:list"), {"tier": "A"}).context["page"]) == 25
    assert client.get(reverse("customers:list"), {"tier": "Z"}).status_code == 200  # invalid filter ignored


def test_new_customer(client, info_user, agent):
    client.force_login(agent)
    assert client.get(reverse("customers:new")).status_code == 403
    client.force_login(info_user)
    bad = client.post(reverse("customers:new"), {"name": "", "tier": "A", "phone": "abc"})
    assert bad.status_code == 400
    response = client.post(
        reverse("customers:new"),
        {"name": "Jade Brewery", "tier": "B", "tier_reason": "12,000 t", "phone": "020-8888 1234"},
    )
    assert response.status_code == 302
    assert Customer.objects.get(name="Jade Brewery").tier == "B"


@pytest.mark.parametrize(
    "role, allowed", [("agent", False), ("supervisor", False), ("customer_info", True), ("manager", True)]
)
def test_tier_change_page(client, make_user, customer, role, allowed):
    client_for(client, make_user, role)
    url = reverse("customers:change_tier", args=[customer.pk])
    response = client.post(url, {"new_tier": "B", "reason": "Scale fell to 15,000 t"})
    customer.refresh_from_db()
    if allowed:
        assert response.status_code == 302 and customer.tier == "B"
        assert customer.tier_changes.get().reason == "Scale fell to 15,000 t"
        again = client.post(url, {"new_tier": "B", "reason": "again"})
        assert again.status_code == 400 and "already in tier B" in again.content.decode()
        assert client.post(url, {"new_tier": "C", "reason": ""}).status_code == 400
        assert customer.tier_changes.count() == 1
    else:
        assert response.status_code == 403 and customer.tier == "A"


@pytest.mark.parametrize("documents", [1, 15])
def test_customer_page_query_count_is_fixed(client, manager, customer, documents, django_assert_max_num_queries):
    from customers.models import CustomerTransaction

    for i in range(documents):
        doc = CustomerDocument(
            customer=customer,
            kind="correspondence",
            original_name=f"letter-{i}.pdf",
            content_type="application/pdf",
            size=len(PDF),
            uploaded_by=manager,
        )
        doc.file.save("x.pdf", SimpleUploadedFile("x.pdf", PDF), save=True)
        CustomerTransaction.objects.create(customer=customer, date="2026-01-01", description=f"Fee {i}")
    client.force_login(manager)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.content.decode().count("letter-") == documents


def test_a_new_customer_gets_visits_and_a_new_account_manager_takes_them_over(client, info_user, agent):
    from followups.models import Visit

    client.force_login(info_user)
    client.post(reverse("customers:new"), {"name": "Jade Brewery", "tier": "C"})
    customer = Customer.objects.get(name="Jade Brewery")
    visits = Visit.objects.filter(customer=customer, visitor_role="account_manager")
    assert visits.count() >= 5 and not visits.filter(visitor__isnull=False).exists()
    response = client.post(
        reverse("customers:edit_contacts", args=[customer.pk]), {"name": "Jade Brewery", "account_manager": agent.pk}
    )
    assert response.status_code == 302
    assert set(visits.values_list("visitor", flat=True)) == {agent.pk}

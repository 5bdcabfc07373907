"""The complaint on paper (issue 11): the complaint form (顧客投訴單) and the call-back form
(客戶回訪表) as print pages and PDFs, with the complainant's signature; the permission matrix;
filing the signed form in the customer's archive."""

import base64
import io
from urllib.parse import quote

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from complaints import paper
from complaints.choices import CallbackMethod, Channel, CloseReason, EventKind, Status
from complaints.models import ComplaintEvent
from customers.models import ArchiveAccess, CustomerDocument, DocumentKind
from tests.complaint_paths import complaint_in
from tests.factories import ComplaintFactory, CustomerFactory, OfficeFactory, department

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.HELPDESK_PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    return tmp_path / "private"


def signature_png(size=(360, 120)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(20, 90), (80, 30), (140, 95), (220, 25), (330, 80)], fill=(17, 24, 39, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def signed_on_the_spot(agent, *, customer=None):
    """A walk-in complaint resolved on the spot, with the event the sign-off step writes
    (signoff_name, apologised, satisfied and the stored signature)."""
    now = timezone.now()
    complaint = ComplaintFactory(
        office=agent.office,
        received_by=agent,
        channel=Channel.WALK_IN,
        customer=customer,
        complainant_name="王芳",
        incident_place="3号楼大堂",
        subject="电梯故障",
        description="电梯从早上开始停运。",
        status=Status.CLOSED,
        close_reason=CloseReason.ON_THE_SPOT,
        closed_at=now,
        resolution="已解释电梯维修计划，并致歉。",
        apologised=True,
        signoff_name="王芳",
        signed_off_at=now,
        first_replied_at=now,
    )
    name = paper.store_signature(signature_png(), complaint=complaint)
    ComplaintEvent.objects.create(
        complaint=complaint,
        actor=agent,
        kind=EventKind.RESOLVED_ON_THE_SPOT,
        from_status=Status.RECEIVED,
        to_status=Status.CLOSED,
        from_level=0,
        to_level=0,
        note=complaint.resolution,
        data={"signoff_name": "王芳", "apologised": True, "satisfied": True, paper.SIGNATURE: name},
    )
    return complaint


def pdf_text_and_images(pdf: bytes) -> tuple[str, int]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # distinct images: a form running onto a second page lists its resources on both pages
    images = len({image.name for page in reader.pages for image in page.images})
    return text, images


# ------------------------------------------------------------------------------- PDF
def test_complaint_form_pdf_has_the_chinese_name_labels_and_the_signature(agent):
    complaint = signed_on_the_spot(agent)

    pdf = paper.form_pdf(complaint, form=paper.COMPLAINT_FORM)

    assert pdf.startswith(b"%PDF")
    text, images = pdf_text_and_images(pdf)
    assert "王芳" in text  # the complainant's Chinese name, extracted back from the PDF
    assert "投诉人" in text and "Complainant" in text  # a bilingual label: Chinese, English beside
    assert "电梯故障" in text and "3号楼大堂" in text  # the case file's event and place
    assert complaint.reference in text
    assert images == 1  # the signature, embedded


def test_callback_form_pdf_has_the_script_questions_answers_and_the_signature(agent):
    complaint = complaint_in(Status.RESOLVED, agent, complainant_name="王芳")
    name = paper.store_signature(signature_png(), complaint=complaint)
    ComplaintEvent.objects.create(
        complaint=complaint,
        actor=agent,
        kind=EventKind.CALLBACK_RECORDED,
        from_status=Status.RESOLVED,
        to_status=Status.CLOSED,
        data={
            "method": CallbackMethod.DOOR_VISIT,
            "satisfied": True,
            "answers": {"about_process": "接待很及时", "suggestions": "希望定期检修"},
            paper.SIGNATURE: name,
        },
    )

    text, images = pdf_text_and_images(paper.form_pdf(complaint, form=paper.CALLBACK_FORM))

    assert "王芳" in text
    assert "接待很及时" in text and "希望定期检修" in text
    assert "对投诉受理过程的意见" in text  # the script's first question (R-C10), in Chinese
    assert "Is the complainant satisfied?" in text
    assert images == 1


def test_callback_form_before_any_call_back_is_a_blank_form_to_fill_in(agent):
    complaint = complaint_in(Status.RESOLVED, agent)

    context = paper.callback_form_context(complaint)

    assert context["callback"] is None and context["satisfied"] is None and context["signature"] == ""
    assert [answer for _, answer in context["questions"]] == ["", "", "", "", ""]
    text, images = pdf_text_and_images(paper.render_pdf(paper.TEMPLATES[paper.CALLBACK_FORM], context))
    assert "Opinions and suggestions" in text and images == 0


def test_complaint_form_context_reads_the_real_lifecycle(agent):
    complaint = complaint_in(Status.CLOSED, agent)  # resolve_on_the_spot, signed off by "Li Wei"

    context = paper.complaint_form_context(complaint)

    assert context["on_the_spot"] is True
    assert context["signoff"]["name"] == "Li Wei" and context["signoff"]["satisfied"] is True
    assert context["signoff"]["signature"] == ""  # no signature captured: a line to sign by hand


def test_complaint_form_of_a_handled_complaint_lists_the_handling(agent):
    complaint = complaint_in(Status.RESOLVED, agent)
    complaint.record_callback(
        actor=agent, method=CallbackMethod.PHONE, satisfied=True, answers={"about_result": "Fine now."}
    )

    context = paper.complaint_form_context(complaint)

    assert context["signoff"] is None
    kinds = [e.kind for e in context["handling"]]
    assert kinds == [
        EventKind.SOLUTION_PROPOSED,
        EventKind.SOLUTION_ACCEPTED,
        EventKind.HANDLED,
        EventKind.CALLBACK_RECORDED,
    ]
    callback = paper.callback_form_context(complaint)
    assert callback["method"] == CallbackMethod.PHONE and callback["satisfied"] is True
    assert ("Fine now." in [answer for _, answer in callback["questions"]]) is True


# ------------------------------------------------------------------------ signatures
def test_signature_is_stored_privately_under_a_random_name(agent, private_media):
    complaint = ComplaintFactory(office=agent.office, received_by=agent)
    png = signature_png()

    first = paper.store_signature(png, complaint=complaint)
    second = paper.store_signature(png, complaint=complaint)

    assert first != second and first.startswith(f"signatures/complaints/{complaint.pk}/")
    assert (private_media / first).read_bytes() == png
    assert paper.signature_bytes(first) == png
    assert paper.signature_data_uri(first) == "data:image/png;base64," + base64.b64encode(png).decode()


def test_signature_bytes_reads_only_the_signature_folder(agent):
    with pytest.raises(FileNotFoundError):
        paper.signature_bytes("customers/1/contract")
    with pytest.raises(FileNotFoundError):
        paper.signature_bytes("signatures/complaints/../../customers/1/x")
    assert paper.signature_data_uri("signatures/complaints/9/missing.png") == ""


# ------------------------------------------------------------------------ HTML views
def test_print_view_shows_the_form_with_print_button_and_signature(client, agent):
    complaint = signed_on_the_spot(agent)
    client.force_login(agent)

    response = client.get(reverse("complaints:paper_form", args=[complaint.pk, paper.COMPLAINT_FORM]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "王芳" in page and "投诉人" in page and "Complainant" in page
    assert 'src="data:image/png;base64,' in page  # the signature, never a storage URL
    assert "data-print" in page and "/static/js/paper-form.js" in page
    assert "/static/css/print.css" in page
    assert "onclick" not in page and "<script>" not in page  # the strict CSP: no inline script
    assert response["Cache-Control"] == "private, no-store"


def test_callback_print_view(client, agent):
    complaint = complaint_in(Status.RESOLVED, agent)
    client.force_login(agent)

    response = client.get(reverse("complaints:paper_form", args=[complaint.pk, paper.CALLBACK_FORM]))

    assert response.status_code == 200
    assert "Opinion of the measures taken" in response.content.decode()


def test_pdf_download_is_an_attachment_with_a_utf8_name(client, agent):
    complaint = signed_on_the_spot(agent)
    client.force_login(agent)

    response = client.get(reverse("complaints:paper_form_pdf", args=[complaint.pk, paper.COMPLAINT_FORM]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f"attachment; filename=\"complaint-form-{complaint.pk}.pdf\"; filename*=UTF-8''")
    assert quote("客户投诉单") in disposition
    text, images = pdf_text_and_images(response.content)
    assert "王芳" in text and images == 1


def test_unknown_form_is_404(client, agent):
    complaint = ComplaintFactory(office=agent.office, received_by=agent)
    client.force_login(agent)
    assert client.get(reverse("complaints:paper_form", args=[complaint.pk, "nonsense"])).status_code == 404
    assert client.get(reverse("complaints:paper_form_pdf", args=[complaint.pk, "nonsense"])).status_code == 404


# ------------------------------------------------------------------ permission matrix
def paper_urls(complaint):
    return [
        reverse(name, args=[complaint.pk, form])
        for name in ("complaints:paper_form", "complaints:paper_form_pdf")
        for form in (paper.COMPLAINT_FORM, paper.CALLBACK_FORM)
    ]


@pytest.mark.parametrize(
    ("role", "same_office", "expected"),
    [
        ("agent", True, 200),
        ("supervisor", True, 200),
        ("department_handler", True, 200),
        ("manager", False, 200),  # head office sees every office (R-C11)
        ("agent", False, 404),  # another office's complaint
        ("supervisor", False, 404),
        (None, True, 403),  # no complaint permission
    ],
)
def test_permission_matrix(client, make_user, office, role, same_office, expected):
    # the handler's department's complaint (issue 13: a handler sees only their department's)
    complaint = ComplaintFactory(
        office=office, received_by__office=office, complainant_name="王芳", department=department()
    )
    user = make_user(role, office_=office if same_office else OfficeFactory(), department=department())
    client.force_login(user)

    for url in paper_urls(complaint):
        assert client.get(url).status_code == expected, url

    # the denial was the permission: the same requests by an agent of the office succeed
    client.force_login(make_user("agent", office_=office))
    for url in paper_urls(complaint):
        assert client.get(url).status_code == 200, url


def test_anonymous_is_sent_to_login(client, office):
    complaint = ComplaintFactory(office=office, received_by__office=office)
    for url in paper_urls(complaint):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_paper_views_are_get_only(client, agent):
    complaint = ComplaintFactory(office=agent.office, received_by=agent)
    client.force_login(agent)
    assert client.post(paper_urls(complaint)[0]).status_code == 405


# ---------------------------------------------------------------------- archive filing
def test_signed_complaint_form_is_filed_in_the_customers_archive(client, agent, supervisor, info_user):
    customer = CustomerFactory(name="珠江纺织")
    complaint = signed_on_the_spot(agent, customer=customer)

    doc = paper.file_signed_form(complaint, kind=DocumentKind.COMPLAINT_FORM, by=agent)

    assert doc is not None and doc.customer == customer and doc.kind == DocumentKind.COMPLAINT_FORM
    assert doc.content_type == "application/pdf" and doc.uploaded_by == agent
    assert doc.original_name == f"complaint-form-{complaint.pk}.pdf"
    stored = doc.file.read()
    assert stored.startswith(b"%PDF") and len(stored) == doc.size
    text, images = pdf_text_and_images(stored)
    assert "王芳" in text and images == 1
    assert not doc.file.name.endswith(".pdf")  # a random name on disk, like every upload
    access = ArchiveAccess.objects.get(document=doc)
    assert access.action == "upload" and access.user == agent and access.customer == customer

    # visible to the archive roles only (R-CU5), through the archive's own download view
    url = reverse("customers:download_document", args=[customer.pk, doc.pk])
    client.force_login(agent)
    assert client.get(url).status_code == 403
    for user in (supervisor, info_user):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(agent)
    assert doc.original_name.encode() not in client.get(reverse("customers:detail", args=[customer.pk])).content
    client.force_login(info_user)
    assert doc.original_name.encode() in client.get(reverse("customers:detail", args=[customer.pk])).content


def test_call_back_form_is_filed_as_a_visit_form(agent):
    customer = CustomerFactory()
    complaint = complaint_in(Status.RESOLVED, agent, customer=customer)
    complaint.record_callback(actor=agent, method=CallbackMethod.DOOR_VISIT, satisfied=True)

    doc = paper.file_signed_form(complaint, kind=DocumentKind.VISIT_FORM, by=agent)

    assert doc.kind == DocumentKind.VISIT_FORM and doc.original_name == f"callback-form-{complaint.pk}.pdf"
    assert CustomerDocument.objects.filter(customer=customer).count() == 1


def test_nothing_is_filed_without_a_linked_customer(agent):
    complaint = signed_on_the_spot(agent)

    assert paper.file_signed_form(complaint, kind=DocumentKind.COMPLAINT_FORM, by=agent) is None
    assert not CustomerDocument.objects.exists() and not ArchiveAccess.objects.exists()


def test_filing_refuses_other_document_kinds(agent):
    complaint = signed_on_the_spot(agent, customer=CustomerFactory())
    with pytest.raises(ValueError):
        paper.file_signed_form(complaint, kind=DocumentKind.CONTRACT, by=agent)


def test_complaint_page_links_the_paper_forms(client, agent):
    waiting = complaint_in(Status.RESOLVED, agent)  # a call-back is due: both forms
    on_the_spot = complaint_in(Status.CLOSED, agent)  # no call-back (R-C10): the complaint form only
    client.force_login(agent)

    page = client.get(reverse("complaints:detail", args=[waiting.pk])).content.decode()
    for url in paper_urls(waiting):
        assert f'href="{url}"' in page
    page = client.get(reverse("complaints:detail", args=[on_the_spot.pk])).content.decode()
    complaint_form, complaint_pdf = paper_urls(on_the_spot)[0], paper_urls(on_the_spot)[2]
    assert f'href="{complaint_form}"' in page and f'href="{complaint_pdf}"' in page
    assert paper.CALLBACK_FORM not in page


def test_pdf_without_the_engine_libraries_is_a_clear_503(client, agent, monkeypatch):
    complaint = ComplaintFactory(office=agent.office, received_by=agent)

    def unavailable(*args, **kwargs):
        raise paper.PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(paper, "form_pdf", unavailable)
    client.force_login(agent)

    response = client.get(reverse("complaints:paper_form_pdf", args=[complaint.pk, paper.COMPLAINT_FORM]))

    assert response.status_code == 503
    assert "use Print instead" in response.content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_signed_call_back_form_fits_one_a4_page(agent, language):
    from django.utils import translation

    complaint = complaint_in(Status.RESOLVED, agent, complainant_name="王芳")
    name = paper.store_signature(signature_png(), complaint=complaint)
    ComplaintEvent.objects.create(
        complaint=complaint,
        actor=agent,
        kind=EventKind.CALLBACK_RECORDED,
        from_status=Status.RESOLVED,
        to_status=Status.CLOSED,
        data={"method": CallbackMethod.DOOR_VISIT, "satisfied": True, "answers": {}, paper.SIGNATURE: name},
    )
    with translation.override(language):
        pdf = paper.form_pdf(complaint, form=paper.CALLBACK_FORM)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1

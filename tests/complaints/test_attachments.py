"""Attachments on complaints (issue 11): the checks, the re-encoding of photos (no EXIF, no
GPS), append-only rows, withdrawal by a new event, the training mark, and no orphan file
when the transaction rolls back."""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from PIL import Image

from complaints.attachments import (
    ComplaintAttachment,
    attachments_for,
    check_uploads,
    mark_safe_for_training,
    orphan_files,
    store_attachments,
    training_attachments,
    withdraw_attachment,
)
from complaints.choices import CloseReason, Status
from customers.storage import get_private_storage
from helpdesk.db import AppendOnlyError
from tests.factories import ComplaintFactory

GPS_IFD = 34853  # EXIF GPSInfo
ORIENTATION = 274


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.HELPDESK_PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    return tmp_path / "private"


def jpeg_with_gps(name: str = "flat.jpg", *, size=(40, 20), orientation: int | None = None) -> SimpleUploadedFile:
    """A real JPEG whose EXIF carries a GPS position (and, optionally, an orientation)."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}
    if orientation:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"owner: Mr Huang")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def png_with_text(name: str = "plan.png") -> SimpleUploadedFile:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Mr Huang, 13912345678")
    out = io.BytesIO()
    Image.new("RGBA", (30, 30), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def pdf(name: str = "report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


@pytest.fixture
def event(db, agent):
    complaint = ComplaintFactory(office=agent.office, received_by=agent)
    complaint.add_note(actor=agent, note="Photos of the lobby")
    return complaint.events.latest("id")


def read_image(name: str) -> Image.Image:
    with get_private_storage().open(name, "rb") as fh:
        image = Image.open(io.BytesIO(fh.read()))
        image.load()
        return image


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


# ------------------------------------------------------------------------------ checks
def test_the_test_photo_really_carries_gps():
    upload = jpeg_with_gps()
    image = Image.open(io.BytesIO(upload.read()))
    assert GPS_IFD in image.getexif()


def test_valid_photos_and_documents_pass_the_checks():
    assert (
        check_uploads([jpeg_with_gps(), png_with_text(), pdf(), SimpleUploadedFile("notes.txt", b"lift broken")]) == []
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"%PDF-1.4 a pdf pretending to be a photo"),  # a .jpg that is a PDF
        ("setup.pdf", b"MZ\x90\x00\x03 an exe renamed"),  # an .exe renamed
        ("photo.png", jpeg_with_gps().read()),  # a JPEG named .png
        ("broken.jpg", b"\xff\xd8\xff\xe0 then garbage, not a JPEG"),  # the signature only
    ],
)
def test_wrong_type_by_content_is_refused(name, content):
    errors = check_uploads([SimpleUploadedFile(name, content)])
    assert len(errors) == 1
    assert name in errors[0].messages[0]
    assert errors[0].code in {"content", "pixels"}


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "script.svg", "archive.zip", "noextension"])
def test_types_that_are_not_attachments_are_refused(name):
    errors = check_uploads([SimpleUploadedFile(name, b"MZ\x90\x00")])
    assert [e.code for e in errors] == ["type"]


def test_csv_is_an_archive_type_but_not_an_attachment_type():
    errors = check_uploads([SimpleUploadedFile("list.csv", b"a,b\n1,2\n")])
    assert [e.code for e in errors] == ["type"]


def test_oversize_is_refused(settings):
    settings.HELPDESK_UPLOAD_MAX_BYTES = 1000
    errors = check_uploads([SimpleUploadedFile("big.txt", b"x" * 1001)])
    assert [e.code for e in errors] == ["size"]
    assert "big.txt" in errors[0].messages[0]


@pytest.mark.parametrize(
    "name", ["../../x.jpg", "a/b.jpg", "a\\b.jpg", "/etc/passwd.jpg", "x\x00.jpg", "x\x07y.jpg", "x\ny.jpg", ".x.jpg"]
)
def test_traversal_and_control_character_names_are_refused(name):
    errors = check_uploads([SimpleUploadedFile("placeholder.jpg", jpeg_with_gps().read())])
    assert errors == []
    upload = SimpleUploadedFile("placeholder.jpg", jpeg_with_gps().read())
    # Django's UploadedFile keeps only the base name; the check refuses the raw name as well,
    # whatever reaches it (another client of the service, a future parser)
    upload._name = name
    errors = check_uploads([upload])
    assert [e.code for e in errors] == ["unsafe_name"]


def test_more_files_than_the_step_limit_are_refused(settings):
    settings.HELPDESK_ATTACHMENTS_PER_STEP = 2
    errors = check_uploads([pdf("a.pdf"), pdf("b.pdf"), pdf("c.pdf")])
    assert [e.code for e in errors] == ["too_many"]


# ---------------------------------------------------------------------------- storing
def test_photo_is_stored_without_exif_and_gps_and_upright(event, agent):
    # given a 40x20 photo with GPS whose EXIF says "rotate 90° clockwise to view"
    upload = jpeg_with_gps(size=(40, 20), orientation=6)
    # when it is stored
    (attachment,) = store_attachments(event, [upload], by=agent)
    # then the stored photo and its thumbnail have no EXIF at all (no GPS), and are upright
    for name in (attachment.stored_name, attachment.thumbnail_name):
        image = read_image(name)
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert GPS_IFD not in image.getexif()
        assert "exif" not in image.info and "comment" not in image.info
    stored = read_image(attachment.stored_name)
    assert stored.size == (20, 40) == (attachment.width, attachment.height)
    with get_private_storage().open(attachment.stored_name, "rb") as fh:
        raw = fh.read()
    assert b"Exif" not in raw and b"PhoneMaker" not in raw and b"Huang" not in raw
    assert attachment.kind == "image" and attachment.content_type == "image/jpeg"
    assert attachment.size == len(raw) and len(attachment.sha256) == 64
    assert attachment.stored_name.startswith("complaints/") and "flat" not in attachment.stored_name
    assert attachment.original_name == "flat.jpg" and attachment.uploaded_by == agent


def test_png_stays_png_without_its_text_chunks(event, agent):
    (attachment,) = store_attachments(event, [png_with_text()], by=agent)
    image = read_image(attachment.stored_name)
    assert image.format == "PNG" and image.mode == "RGBA"
    assert "Author" not in image.info and not image.getexif()
    assert attachment.stored_name.endswith(".png") and attachment.thumbnail_name.endswith(".png")


def test_large_photos_are_scaled_down(event, agent, monkeypatch):
    monkeypatch.setattr("complaints.attachments.MAX_IMAGE_SIDE", 50)
    (attachment,) = store_attachments(event, [jpeg_with_gps(size=(200, 100))], by=agent)
    assert (attachment.width, attachment.height) == (50, 25)
    assert max(read_image(attachment.thumbnail_name).size) <= 50


def test_documents_are_stored_as_they_are(event, agent):
    upload = pdf("现场报告.pdf")
    (attachment,) = store_attachments(event, [upload], by=agent)
    with get_private_storage().open(attachment.stored_name, "rb") as fh:
        assert fh.read() == upload.file.getvalue()
    assert attachment.kind == "document" and attachment.thumbnail_name == ""
    assert attachment.original_name == "现场报告.pdf" and attachment.width is None


def test_bad_uploads_store_nothing(event, agent, private_media):
    with pytest.raises(ValidationError) as raised:
        store_attachments(event, [pdf(), SimpleUploadedFile("photo.jpg", b"%PDF-1.4")], by=agent)
    assert "attachments" in raised.value.error_dict
    assert ComplaintAttachment.objects.count() == 0
    assert stored_files(private_media) == []


def test_rolled_back_savepoint_leaves_no_file(event, agent, private_media):
    # given attachments stored inside a transaction (here a savepoint of the test's)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            store_attachments(event, [jpeg_with_gps(), pdf()], by=agent)
            assert len(stored_files(private_media)) == 3  # photo, thumbnail, document
            # when the step fails after the files were written
            raise RuntimeError("the lifecycle method failed after storing")
    # then neither the rows nor the files are left
    assert ComplaintAttachment.objects.count() == 0
    assert stored_files(private_media) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded role groups
def test_rolled_back_transaction_leaves_no_file_and_a_commit_keeps_them(agent, private_media):
    complaint = ComplaintFactory(office=agent.office, received_by=agent)
    complaint.add_note(actor=agent, note="x")
    event = complaint.events.latest("id")
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            store_attachments(event, [jpeg_with_gps()], by=agent)
            raise RuntimeError
    assert stored_files(private_media) == []
    with transaction.atomic():
        (kept,) = store_attachments(event, [jpeg_with_gps()], by=agent)
    assert stored_files(private_media) == sorted([kept.stored_name, kept.thumbnail_name])
    assert orphan_files() == []


def test_orphan_files_lists_files_no_row_names(event, agent):
    store_attachments(event, [pdf()], by=agent)
    get_private_storage().save("complaints/2026/12/left-behind.pdf", io.BytesIO(b"%PDF-1.4"))
    assert orphan_files() == ["complaints/2026/12/left-behind.pdf"]


# ------------------------------------------------------------------------ append-only
def test_no_delete_and_no_change_path(event, agent):
    (attachment,) = store_attachments(event, [pdf()], by=agent)
    with pytest.raises(AppendOnlyError):
        attachment.delete()
    with pytest.raises(AppendOnlyError):
        ComplaintAttachment.objects.filter(pk=attachment.pk).delete()
    with pytest.raises(AppendOnlyError):
        ComplaintAttachment.objects.filter(pk=attachment.pk).update(original_name="x.pdf")
    attachment.original_name = "renamed.pdf"
    with pytest.raises(AppendOnlyError):
        attachment.save()
    with pytest.raises(AppendOnlyError):
        attachment.save(update_fields=["original_name", "withdrawn_by_event"])
    attachment.refresh_from_db()
    assert attachment.original_name == "report.pdf"


def test_admin_shows_attachments_read_only_and_cannot_delete(rf, supervisor):
    from complaints.admin import ComplaintAttachmentInline

    assert ComplaintAttachment not in admin.site._registry  # no change list, no delete view
    inline = ComplaintAttachmentInline(ComplaintAttachment, admin.site)
    request = rf.get("/")
    request.user = supervisor
    assert not inline.has_delete_permission(request)
    assert not inline.has_change_permission(request)
    assert not inline.has_add_permission(request, None)
    assert inline.can_delete is False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_database_refuses_delete_and_changes_but_allows_the_withdrawal(event, agent):
    from django.db import DatabaseError

    (attachment,) = store_attachments(event, [pdf()], by=agent)
    table = ComplaintAttachment._meta.db_table
    for sql in (f"DELETE FROM {table}", f"UPDATE {table} SET original_name = 'x.pdf'", f"TRUNCATE {table}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL helpdesk.allow_truncate = off")  # as in production
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred FK checks left pending
            cursor.execute(sql)
    withdraw_attachment(attachment, by=agent, reason="wrong complaint")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET withdrawn_by_event_id = NULL")
    mark = ComplaintAttachment.objects.get(pk=attachment.pk)
    assert mark.withdrawn_by_event_id is not None


# ---------------------------------------------------------------------------- withdrawal
def test_withdrawal_is_a_new_event_named_by_the_attachment(event, agent):
    (attachment,) = store_attachments(event, [pdf()], by=agent)
    before = event.complaint.events.count()
    withdrawal = withdraw_attachment(attachment, by=agent, reason="Photo of the wrong flat")
    assert event.complaint.events.count() == before + 1
    assert withdrawal.pk != event.pk and withdrawal.note == "Photo of the wrong flat"
    assert withdrawal.actor == agent and withdrawal.data["withdrawn_attachment"] == attachment.pk
    attachment.refresh_from_db()
    assert attachment.withdrawn_by_event == withdrawal and attachment.event == event
    assert ComplaintAttachment.objects.active().count() == 0
    with pytest.raises(ValidationError):
        withdraw_attachment(attachment, by=agent, reason="again")


def test_withdrawal_needs_a_reason(event, agent):
    (attachment,) = store_attachments(event, [pdf()], by=agent)
    with pytest.raises(ValidationError) as raised:
        withdraw_attachment(attachment, by=agent, reason="  ")
    assert "reason" in raised.value.error_dict
    attachment.refresh_from_db()
    assert not attachment.is_withdrawn


def test_withdrawal_event_can_come_from_the_lifecycle(event, agent):
    (attachment,) = store_attachments(event, [pdf()], by=agent)
    calls = []

    def write(complaint, *, actor, note, data):
        calls.append((complaint.pk, actor, note, data))
        return complaint._log(
            actor=actor,
            kind="note_added",
            from_status=complaint.status,
            from_level=0,
            now=event.created_at,
            note=note,
            data=data,
        )

    withdraw_attachment(attachment, by=agent, reason="duplicate", write_event=write)
    assert calls[0][:3] == (event.complaint_id, agent, "duplicate")


# ----------------------------------------------------------------------- training mark
def test_training_shows_only_attachments_marked_safe(agent, supervisor):
    complaint = ComplaintFactory(
        office=agent.office,
        received_by=agent,
        status=Status.CLOSED,
        close_reason=CloseReason.CALLBACK_SATISFIED,
        closed_at=event_time(),
        is_training_case=True,
        training_marked_at=event_time(),
    )
    complaint.add_note(actor=agent, note="x")
    event = complaint.events.latest("id")
    safe, unsafe, withdrawn = store_attachments(event, [pdf("a.pdf"), pdf("b.pdf"), pdf("c.pdf")], by=agent)
    assert training_attachments(complaint.pk) == []
    mark_safe_for_training(safe, by=supervisor)
    mark_safe_for_training(withdrawn, by=supervisor)
    withdraw_attachment(withdrawn, by=supervisor, reason="shows a face")
    assert training_attachments(complaint.pk) == [safe]
    safe.refresh_from_db()
    assert safe.safe_marked_by == supervisor and safe.safe_marked_at is not None
    with pytest.raises(ValidationError):
        mark_safe_for_training(withdrawn, by=supervisor)


def event_time():
    from django.utils import timezone

    return timezone.now()


def test_attachments_for_groups_by_event_in_one_query(event, agent, django_assert_num_queries):
    store_attachments(event, [pdf("a.pdf"), jpeg_with_gps()], by=agent)
    with django_assert_num_queries(1):
        by_event = attachments_for(event.complaint)
    assert [a.original_name for a in by_event[event.pk]] == ["a.pdf", "flat.jpg"]


# ------------------------------------------------------------------------------ form field
def test_multiple_file_field_cleans_a_list_and_reports_every_bad_file():
    from django import forms
    from django.utils.datastructures import MultiValueDict

    from complaints.attachments import MultipleFileField, uploaded_files

    class StepForm(forms.Form):
        attachments = MultipleFileField()

    good = StepForm(data={}, files=MultiValueDict({"attachments": [jpeg_with_gps(), pdf()]}))
    assert good.is_valid(), good.errors
    assert [f.name for f in good.cleaned_data["attachments"]] == ["flat.jpg", "report.pdf"]
    html = str(good["attachments"])
    assert " multiple" in html and 'accept=".jpg,' in html
    bad = StepForm(
        data={}, files=MultiValueDict({"attachments": [SimpleUploadedFile("a.jpg", b"%PDF-1.4"), pdf("b.exe")]})
    )
    assert not bad.is_valid()
    assert len(bad.errors["attachments"]) == 2
    assert StepForm(data={}, files=MultiValueDict()).is_valid()  # optional
    files = MultiValueDict({"attachments": [pdf("a.pdf"), pdf("b.pdf")]})
    assert [f.name for f in uploaded_files(files)] == ["a.pdf", "b.pdf"]


def test_a_truncated_photo_is_refused_even_after_weasyprint_was_imported():
    """WeasyPrint sets PIL's LOAD_TRUNCATED_IMAGES for the whole process on import (the PDFs
    import it); storing a photo must still refuse one that does not decode to the end."""
    import os

    import weasyprint  # noqa: F401  (the import is the point)
    from PIL import ImageFile

    from complaints.attachments import _reencode

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # what the import did
    out = io.BytesIO()
    Image.frombytes("RGB", (200, 150), os.urandom(200 * 150 * 3)).save(out, "JPEG")
    truncated = io.BytesIO(out.getvalue()[:2000])
    with pytest.raises(ValidationError):
        _reencode(truncated, "jpg")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as WeasyPrint wants it for the PDFs

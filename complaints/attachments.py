"""Attachments on complaints (issue 11): photos and documents brought by a step of the
procedure — intake, findings (R-C6), handling finished (R-C9), call-back (R-C10).

An attachment belongs to the `ComplaintEvent` that brought it and is as append-only as that
event: the row is never deleted, and never changed except by the two services here —
`withdraw_attachment` (a wrong upload is withdrawn by a *new* event, which the row then
names) and `mark_safe_for_training` (a supervisor clears it for the training library, where
nothing else is shown). The ORM, the admin (a read-only inline) and, on PostgreSQL, a trigger
(migration 0013) refuse everything else.

Files live in the private storage of the customer archive (`customers.storage`), under random
names (`complaints/<yyyy>/<mm>/<hex>.<ext>`), and leave it only through the permission-checked
views of `complaints/views_attachments.py`; uploads pass the archive's checks
(`customers.uploads`: type by extension *and* content, size limit, safe names) plus the
attachment types and a count per step. Photos are decoded and re-encoded with Pillow before
they are stored: EXIF orientation applied, every piece of metadata dropped (EXIF with its GPS
position, XMP, ICC, comments), at most `MAX_IMAGE_SIDE` pixels a side; a thumbnail is stored
beside each.

Files and rollback. `store_attachments` runs inside the caller's transaction (the lifecycle
method that wrote the event), so a failure anywhere rolls the rows back; the files it wrote
must go too. Django has no on-rollback hook, so each call registers an on-commit callback
(`_FilesGuard`) that is the only reference to a guard object: when the transaction (or the
savepoint) commits, the callback marks the files as kept; when it rolls back, Django drops
its pending callbacks, the guard is freed and its `weakref.finalize` removes the files (at
once on CPython, by reference counting; at interpreter exit at the latest). A process killed
between the write and the commit still leaves files that no row names:
`orphan_files()` lists them for a clean-up job.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from customers.storage import get_private_storage
from customers.uploads import allowed_extensions, extension_of, safe_name, validate_upload
from helpdesk.db import AppendOnlyError, AppendOnlyQuerySet

from .choices import EventKind

if TYPE_CHECKING:
    from .models import Complaint, ComplaintEvent
    from .types import Actor, Staff

# extension -> kind. Photos are JPEG or PNG (phones' HEIC/WebP are not accepted: Pillow cannot
# read HEIC without a plug-in, and the archive's content check knows neither).
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png")
DOCUMENT_EXTENSIONS = ("pdf", "doc", "docx", "xls", "xlsx", "txt")
MAX_IMAGE_SIDE = 4096  # stored photos are scaled down to fit
MAX_IMAGE_PIXELS = 60_000_000  # refused before decoding (a "decompression bomb" guard)
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
STORAGE_FOLDER = "complaints"


def per_step_limit() -> int:
    """How many files one step may bring (HELPDESK_ATTACHMENTS_PER_STEP, default 5)."""
    return int(getattr(settings, "HELPDESK_ATTACHMENTS_PER_STEP", 5))


def attachment_extensions() -> list[str]:
    """The attachment types that the archive's settings also allow (HELPDESK_UPLOAD_EXTENSIONS)."""
    allowed = set(allowed_extensions())
    return [e for e in (*IMAGE_EXTENSIONS, *DOCUMENT_EXTENSIONS) if e in allowed]


# =============================================================================== model
class AttachmentKind(models.TextChoices):
    IMAGE = "image", gettext_lazy("Photo")
    DOCUMENT = "document", gettext_lazy("Document")


class ComplaintAttachmentQuerySet(AppendOnlyQuerySet):
    """Append-only (queryset update() and delete() refused)."""

    def active(self) -> ComplaintAttachmentQuerySet:
        return self.filter(withdrawn_by_event__isnull=True)

    def for_training(self) -> ComplaintAttachmentQuerySet:
        """What the training library may show: not withdrawn, cleared by a supervisor, of a
        training case."""
        return self.active().filter(safe_for_training=True, complaint__is_training_case=True)


# the only columns a stored row may change, and only through the services below
_SERVICE_FIELDS = frozenset({"withdrawn_by_event", "safe_for_training", "safe_marked_by", "safe_marked_at"})


class ComplaintAttachment(models.Model):
    """A photo or document brought by one step (event) of a complaint."""

    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=gettext_lazy("complaint"),
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    event = models.ForeignKey(
        "complaints.ComplaintEvent",
        verbose_name=gettext_lazy("step"),
        on_delete=models.PROTECT,
        related_name="attachments",
        help_text=gettext_lazy("The step that brought the file."),
    )
    kind = models.CharField(gettext_lazy("kind"), max_length=10, choices=AttachmentKind)
    original_name = models.CharField(gettext_lazy("file name"), max_length=160)
    stored_name = models.CharField(gettext_lazy("stored as"), max_length=200, unique=True)
    thumbnail_name = models.CharField(gettext_lazy("thumbnail stored as"), max_length=200, blank=True)
    content_type = models.CharField(gettext_lazy("content type"), max_length=100)
    size = models.PositiveBigIntegerField(gettext_lazy("size (bytes)"))
    sha256 = models.CharField(gettext_lazy("SHA-256"), max_length=64)
    width = models.PositiveIntegerField(gettext_lazy("width"), null=True, blank=True)
    height = models.PositiveIntegerField(gettext_lazy("height"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(gettext_lazy("uploaded at"), default=timezone.now)
    safe_for_training = models.BooleanField(gettext_lazy("safe for training cases"), default=False)
    safe_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("marked safe by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    safe_marked_at = models.DateTimeField(gettext_lazy("marked safe at"), null=True, blank=True)
    withdrawn_by_event = models.ForeignKey(
        "complaints.ComplaintEvent",
        verbose_name=gettext_lazy("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="withdrawn_attachments",
    )

    objects = ComplaintAttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("attachment")
        verbose_name_plural = gettext_lazy("attachments")
        ordering = ["event_id", "id"]
        indexes = [models.Index(fields=["complaint", "event"], name="attachment_complaint_event")]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=AttachmentKind.values), name="attachment_kind_valid"),
            models.CheckConstraint(
                condition=~models.Q(kind=AttachmentKind.IMAGE)
                | models.Q(width__isnull=False, height__isnull=False) & ~models.Q(thumbnail_name=""),
                name="attachment_image_has_size_and_thumbnail",
            ),
            models.CheckConstraint(
                condition=models.Q(safe_for_training=False) | models.Q(safe_marked_at__isnull=False),
                name="attachment_safe_is_dated",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            fields = set(kwargs.get("update_fields") or ())
            if not fields or not fields <= _SERVICE_FIELDS:
                raise AppendOnlyError(
                    "Attachments are append-only: only withdraw_attachment() and mark_safe_for_training() change them."
                )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Attachments are never deleted; withdraw a wrong one (withdraw_attachment()).")

    @property
    def is_image(self) -> bool:
        return self.kind == AttachmentKind.IMAGE

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_by_event_id is not None

    @property
    def extension(self) -> str:
        return extension_of(self.stored_name)


# ============================================================================ checks
def _labelled(name: str, error: ValidationError) -> ValidationError:
    messages = " ".join(error.messages)
    return ValidationError(
        _("“%(name)s”: %(error)s") % {"name": name[:80], "error": messages}, code=getattr(error, "code", None)
    )


@contextmanager
def strict_decoding() -> Iterator[None]:
    """Decode with Pillow's default again: a truncated photo is an error. WeasyPrint (the PDFs)
    sets `ImageFile.LOAD_TRUNCATED_IMAGES = True` for the whole process when it is imported, and
    from then on a truncated JPEG decoded "fine" — half grey — in that process and was stored."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def _check_image_header(upload: Any, ext: str) -> None:
    """Pillow can read the photo's header, it is the format its name says, and it is not
    absurdly large. Decoding (and so the rest of the check) happens when it is stored."""
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            expected = "PNG" if ext == "png" else "JPEG"
            if image.format != expected:
                raise ValidationError(
                    _("The content of the file is not a “.%(ext)s” file.") % {"ext": ext}, code="content"
                )
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ValidationError(_("The photo has too many pixels."), code="pixels")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError(_("The photo cannot be read."), code="content") from None
    finally:
        upload.seek(0)


def check_uploads(files: Sequence[Any]) -> list[ValidationError]:
    """Every reason to refuse these files for one step (empty: they may be stored). The
    archive's checks (customers.uploads.validate_upload: safe name, size limit, content
    signature) plus the attachment types and HELPDESK_ATTACHMENTS_PER_STEP."""
    errors: list[ValidationError] = []
    limit = per_step_limit()
    if len(files) > limit:
        errors.append(
            ValidationError(
                _("At most %(limit)s files can be attached to one step.") % {"limit": limit}, code="too_many"
            )
        )
    extensions = attachment_extensions()
    for upload in files:
        raw = getattr(upload, "name", "") or ""
        try:
            name = safe_name(raw)
            ext = extension_of(name)
            if ext not in extensions:
                raise ValidationError(
                    _("Files of type “%(ext)s” cannot be attached. Allowed types: %(allowed)s.")
                    % {"ext": ext or _("(none)"), "allowed": ", ".join(extensions)},
                    code="type",
                )
            validate_upload(upload)
            if ext in IMAGE_EXTENSIONS:
                _check_image_header(upload, ext)
        except ValidationError as error:
            if error.code == "unsafe_name":  # the message names the file already
                errors.append(error)
            else:
                errors.append(_labelled(raw, error))
    return errors


# ========================================================================= re-encoding
@dataclass(frozen=True)
class _Prepared:
    kind: str
    name: str  # safe original name
    ext: str  # extension of the stored file
    content_type: str
    data: bytes | None  # re-encoded photo; None: store the upload as it is
    thumbnail: bytes | None
    width: int | None
    height: int | None


def _clean_copy(image: Image.Image, *, keep_alpha: bool) -> Image.Image:
    """The pixels only: a new image built from raw bytes carries no EXIF, XMP, ICC or text."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if keep_alpha and has_alpha:
        mode = "RGBA"
    elif image.mode in ("L", "1", "I;16", "I", "F") and not has_alpha:
        mode = "L"
    else:
        mode = "RGB"
    converted = image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encode(image: Image.Image, fmt: str, *, quality: int = JPEG_QUALITY) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=quality, optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _reencode(upload: Any, ext: str) -> tuple[bytes, bytes, int, int]:
    """(photo, thumbnail, width, height): orientation applied, metadata gone, size capped."""
    fmt = "PNG" if ext == "png" else "JPEG"
    upload.seek(0)
    try:
        with Image.open(upload) as source:
            if source.width * source.height > MAX_IMAGE_PIXELS:
                raise ValidationError(_("The photo has too many pixels."), code="pixels")
            with strict_decoding():
                source.load()
            upright = ImageOps.exif_transpose(source)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise ValidationError(_("The photo cannot be read."), code="content") from None
    clean = _clean_copy(upright, keep_alpha=fmt == "PNG")
    clean.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.LANCZOS)
    thumb = clean.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return _encode(clean, fmt), _encode(thumb, fmt, quality=80), clean.width, clean.height


def _prepare(upload: Any) -> _Prepared:
    name, content_type = validate_upload(upload)
    ext = extension_of(name)
    if ext not in IMAGE_EXTENSIONS:
        return _Prepared(AttachmentKind.DOCUMENT, name, ext, content_type, None, None, None, None)
    data, thumbnail, width, height = _reencode(upload, ext)
    stored_ext = "png" if ext == "png" else "jpg"
    return _Prepared(AttachmentKind.IMAGE, name, stored_ext, content_type, data, thumbnail, width, height)


# ===================================================================== files and rollback
class _FilesGuard:
    """The on-commit callback of one `store_attachments` call; see the module docstring."""

    def __init__(self, storage: Storage, names: list[str]):
        self.kept = {"committed": False}
        weakref.finalize(self, _remove_unless_committed, storage, names, self.kept)

    def __call__(self) -> None:
        self.kept["committed"] = True


def _remove_unless_committed(storage: Storage, names: list[str], kept: Mapping[str, bool]) -> None:
    if kept["committed"]:
        return
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # noqa: BLE001 — a file left behind is found by orphan_files()
            pass


def _remove_on_rollback(storage: Storage, names: list[str]) -> None:
    """Register the guard; this frame is its only other reference and ends here, so nothing
    (a traceback, a local variable) keeps it alive after Django drops the callback."""
    transaction.on_commit(_FilesGuard(storage, names))


def _storage_path(ext: str, *, suffix: str = "") -> str:
    now = timezone.localtime()
    return f"{STORAGE_FOLDER}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}{suffix}.{ext}"


def _sha256(upload: Any) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


# =========================================================================== services
def store_attachments(event: ComplaintEvent, files: Iterable[Any], *, by: Actor) -> list[ComplaintAttachment]:
    """Store `files` (UploadedFiles) as attachments of `event`. Call it inside the lifecycle
    method's transaction, right after the event is written: a ValidationError (the checks of
    `check_uploads`, or a photo that cannot be decoded) or any later failure of that
    transaction rolls the rows back and removes the files (module docstring)."""
    files = [f for f in files if f]
    if not files:
        return []
    errors = check_uploads(files)
    if errors:
        raise ValidationError({"attachments": errors})
    storage = get_private_storage()
    written: list[str] = []
    created: list[ComplaintAttachment] = []
    with transaction.atomic():
        _remove_on_rollback(storage, written)  # filled below; removed unless this commits
        for upload in files:
            prepared = _prepare(upload)
            if prepared.data is None:
                content: Any = upload
                upload.seek(0)
                sha256, size = _sha256(upload), upload.size
            else:
                content = ContentFile(prepared.data)
                sha256, size = hashlib.sha256(prepared.data).hexdigest(), len(prepared.data)
            stored = storage.save(_storage_path(prepared.ext), content)
            written.append(stored)
            thumbnail = ""
            if prepared.thumbnail is not None:
                thumbnail = storage.save(_storage_path(prepared.ext, suffix=".thumb"), ContentFile(prepared.thumbnail))
                written.append(thumbnail)
            created.append(
                ComplaintAttachment.objects.create(
                    complaint_id=event.complaint_id,
                    event=event,
                    kind=prepared.kind,
                    original_name=prepared.name,
                    stored_name=stored,
                    thumbnail_name=thumbnail,
                    content_type=prepared.content_type,
                    size=size,
                    sha256=sha256,
                    width=prepared.width,
                    height=prepared.height,
                    uploaded_by=by,
                )
            )
    return created


class WithdrawalWriter(Protocol):
    """Writes the event that withdraws an attachment, on the locked complaint, and returns it."""

    def __call__(self, complaint: Complaint, *, actor: Actor, note: str, data: dict[str, Any]) -> ComplaintEvent: ...


# Until the lifecycle has its own event kind for it (see the report of issue 11), the
# withdrawal is a note-kind step: it changes neither status nor level, and is allowed in
# every status, closed included.
WITHDRAWAL_KIND = getattr(EventKind, "ATTACHMENT_WITHDRAWN", EventKind.NOTE_ADDED)


def _write_withdrawal_event(complaint: Complaint, *, actor: Actor, note: str, data: dict[str, Any]) -> ComplaintEvent:
    return complaint._log(
        actor=actor,
        kind=WITHDRAWAL_KIND,
        from_status=complaint.status,
        from_level=complaint.escalation_level,
        now=timezone.now(),
        note=note,
        data=data,
    )


def withdraw_attachment(
    attachment: ComplaintAttachment,
    *,
    by: Staff,
    reason: str,
    write_event: WithdrawalWriter | None = None,
) -> ComplaintEvent:
    """Withdraw a wrong upload: a new event (its note: the reason) that the attachment then
    names; the file stays in the store (the record is kept) but is no longer offered or served.
    Locks the complaint, then the attachment (the house's lock order)."""
    # the model from the registry: complaints.models imports this module
    complaints = apps.get_model("complaints", "Complaint")._default_manager
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the attachment is withdrawn.")})
    with transaction.atomic():
        complaint = cast("Complaint", complaints.select_for_update().get(pk=attachment.complaint_id))
        locked = ComplaintAttachment.objects.select_for_update().get(pk=attachment.pk)
        if locked.withdrawn_by_event_id is not None:
            raise ValidationError(_("This attachment has already been withdrawn."), code="withdrawn")
        data = {"withdrawn_attachment": locked.pk, "attachment_name": locked.original_name}
        event = (write_event or _write_withdrawal_event)(complaint, actor=by, note=reason, data=data)
        locked.withdrawn_by_event = event
        locked.save(update_fields=["withdrawn_by_event"])
    attachment.withdrawn_by_event = event
    return event


def mark_safe_for_training(attachment: ComplaintAttachment, *, by: Staff) -> None:
    """A supervisor clears an attachment for the training library (nothing else is shown
    there). Once, and never for a withdrawn one; who and when are kept on the row."""
    with transaction.atomic():
        locked = ComplaintAttachment.objects.select_for_update().get(pk=attachment.pk)
        if locked.withdrawn_by_event_id is not None:
            raise ValidationError(_("A withdrawn attachment cannot be used in training cases."), code="withdrawn")
        if locked.safe_for_training:
            return
        locked.safe_for_training, locked.safe_marked_by, locked.safe_marked_at = True, by, timezone.now()
        locked.save(update_fields=["safe_for_training", "safe_marked_by", "safe_marked_at"])
    attachment.safe_for_training = True
    attachment.safe_marked_by, attachment.safe_marked_at = locked.safe_marked_by, locked.safe_marked_at


# ========================================================================== selectors
def attachments_for(complaint: Complaint | int) -> dict[int, list[ComplaintAttachment]]:
    """Every attachment of a complaint, by the id of the event that brought it (one query,
    whatever their number): the timeline shows each under its step."""
    complaint_id = complaint if isinstance(complaint, int) else complaint.pk
    by_event: dict[int, list[ComplaintAttachment]] = {}
    qs = ComplaintAttachment.objects.filter(complaint_id=complaint_id).select_related("withdrawn_by_event__actor")
    for attachment in qs.order_by("event_id", "id"):
        by_event.setdefault(attachment.event_id, []).append(attachment)
    return by_event


def training_attachments(complaint_id: int) -> list[ComplaintAttachment]:
    """The attachments the training library shows for a case: cleared and not withdrawn."""
    return list(ComplaintAttachment.objects.for_training().filter(complaint_id=complaint_id).order_by("event_id", "id"))


def orphan_files(storage: Storage | None = None) -> list[str]:
    """Files under complaints/ that no attachment names (left by a process killed between
    writing and committing). For a clean-up job; lists, never deletes."""
    storage = storage or get_private_storage()
    known = set(ComplaintAttachment.objects.values_list("stored_name", flat=True))
    known |= set(ComplaintAttachment.objects.exclude(thumbnail_name="").values_list("thumbnail_name", flat=True))
    found: list[str] = []

    def walk(folder: str) -> None:
        try:
            dirs, names = storage.listdir(folder)
        except FileNotFoundError:
            return
        for d in dirs:
            walk(f"{folder}/{d}")
        found.extend(f"{folder}/{n}" for n in names if f"{folder}/{n}" not in known)

    walk(STORAGE_FOLDER)
    return sorted(found)


# ============================================================================== forms
class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (`attachments`); cleans to a list of UploadedFiles that
    passed `check_uploads`. Optional by default."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        accept = ",".join(f".{e}" for e in (*IMAGE_EXTENSIONS, *DOCUMENT_EXTENSIONS))
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("Photos and documents"))
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "Photos (JPEG, PNG) and documents (PDF, Word, Excel, text); location data is removed from photos."
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        if not items and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        files = [forms.FileField.clean(self, item, initial) for item in items if item]
        errors = check_uploads(files)
        if errors:
            raise ValidationError(errors)
        return files


def uploaded_files(files: Any, field: str = "attachments") -> list[Any]:
    """The uploads of a multipart request under `field` (request.FILES or DRF's request.FILES)."""
    getlist: Callable[[str], list[Any]] | None = getattr(files, "getlist", None)
    return list(getlist(field)) if getlist else []

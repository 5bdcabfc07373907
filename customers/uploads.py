"""Validation of archive uploads: allowed types (by extension *and* content), the size limit
from settings, and safe names. Every rejection is a ValidationError with a clear message."""

import os
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# extension -> the leading bytes a genuine file of that type starts with (None: plain text)
_SIGNATURES: dict[str, tuple[bytes, ...] | None] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "txt": None,
    "csv": None,
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")


def allowed_extensions() -> list[str]:
    return [e for e in settings.HELPDESK_UPLOAD_EXTENSIONS if e in _SIGNATURES]


def safe_name(raw: str) -> str:
    """The uploaded name as a plain file name. Names that try to leave the folder (`../`,
    absolute paths, drive letters), hidden names and control characters are rejected."""
    name = unicodedata.normalize("NFC", raw or "").strip()
    if not name:
        raise ValidationError(_("The file has no name."), code="no_name")
    if "/" in name or "\\" in name or ".." in name or name.startswith(".") or _UNSAFE.search(name):
        raise ValidationError(
            _(
                "“%(name)s” is not an acceptable file name: use a plain name without folders, “..” "
                "or special characters."
            )
            % {"name": name[:80]},
            code="unsafe_name",
        )
    if len(name) > 150:
        stem, ext = os.path.splitext(name)
        name = stem[: 150 - len(ext)] + ext
    return name


def extension_of(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")


def validate_upload(upload) -> tuple[str, str]:
    """Check an UploadedFile; return (safe name, content type)."""
    name = safe_name(upload.name)
    ext = extension_of(name)
    allowed = allowed_extensions()
    if ext not in allowed:
        raise ValidationError(
            _("Files of type “%(ext)s” are not accepted. Allowed types: %(allowed)s.")
            % {"ext": ext or _("(none)"), "allowed": ", ".join(allowed)},
            code="type",
        )
    limit = settings.HELPDESK_UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="size",
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    signatures = _SIGNATURES[ext]
    if signatures is None:
        if b"\x00" in head:
            raise ValidationError(
                _("The file is not a text file, although its name ends in “.%(ext)s”.") % {"ext": ext}, code="content"
            )
    elif not head.startswith(signatures):
        raise ValidationError(_("The content of the file is not a “.%(ext)s” file.") % {"ext": ext}, code="content")
    return name, CONTENT_TYPES[ext]

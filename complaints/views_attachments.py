"""The only ways a complaint attachment leaves the private store (issue 11), and the two
changes an attachment may see (withdrawal, clearing for training).

Every view checks the permission first (403 without complaints.view_complaint), then scopes
the complaint through `complaints_visible_to(user)` (another office's complaint is a 404, as
everywhere), and streams the file through Django: `Content-Disposition` (RFC 6266, a Chinese
name as `filename*=UTF-8''…`), `Cache-Control: private, no-store`, `nosniff`. A withdrawn
attachment is never served. The training library has its own two views: every office's staff
may read a training case, but only the attachments a supervisor marked safe, under a neutral
name (the original name may carry personal data).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from customers.storage import get_private_storage
from helpdesk.views_tools import require_perms

from . import rules, selectors
from .attachments import ComplaintAttachment, mark_safe_for_training, withdraw_attachment

if TYPE_CHECKING:
    from .types import Staff

VIEW = "complaints.view_complaint"


def may_withdraw(user, attachment: ComplaintAttachment) -> bool:
    """Receivers and supervisors (complaints.receive_complaint), or whoever uploaded it."""
    return user.has_perm(rules.RECEIVE) or (
        attachment.uploaded_by_id is not None and attachment.uploaded_by_id == user.pk
    )


def _visible_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> ComplaintAttachment:
    require_perms(request.user, VIEW)
    qs = ComplaintAttachment.objects.filter(complaint__in=selectors.complaints_visible_to(request.user))
    return get_object_or_404(qs, pk=attachment_pk, complaint_id=pk)


def _stream(name: str, *, content_type: str, filename: str, as_attachment: bool) -> FileResponse:
    try:
        handle = get_private_storage().open(name, "rb")
    except FileNotFoundError:
        raise Http404(_("The file of this attachment is missing from the store.")) from None
    response = FileResponse(handle, as_attachment=as_attachment, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"  # a file is never a page
    return response


def _thumbnail_name(attachment: ComplaintAttachment, filename: str) -> str:
    stem = filename.rsplit(".", 1)[0]
    return f"{stem}-thumbnail.{attachment.thumbnail_name.rsplit('.', 1)[-1]}"


def _served_content_type(attachment: ComplaintAttachment) -> str:
    return "image/png" if attachment.extension == "png" else "image/jpeg"


# ------------------------------------------------------------------ the complaint's own
@require_safe
@login_required
def download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    attachment = _visible_attachment(request, pk, attachment_pk)
    if attachment.is_withdrawn:
        raise Http404(_("This attachment was withdrawn."))
    content_type = _served_content_type(attachment) if attachment.is_image else attachment.content_type
    return _stream(
        attachment.stored_name,
        content_type=content_type,
        filename=attachment.original_name,
        as_attachment=True,
    )


@require_safe
@login_required
def thumbnail(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    attachment = _visible_attachment(request, pk, attachment_pk)
    if attachment.is_withdrawn or not attachment.thumbnail_name:
        raise Http404(_("No thumbnail."))
    return _stream(
        attachment.thumbnail_name,
        content_type=_served_content_type(attachment),
        filename=_thumbnail_name(attachment, attachment.original_name),
        as_attachment=False,
    )


@require_POST
@login_required
def withdraw(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    attachment = _visible_attachment(request, pk, attachment_pk)
    if not may_withdraw(request.user, attachment):
        raise PermissionDenied(_("You do not have permission to do this."))
    try:
        withdraw_attachment(attachment, by=cast("Staff", request.user), reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Attachment “%(name)s” withdrawn.") % {"name": attachment.original_name})
    return redirect("complaints:detail", pk=pk)


@require_POST
@login_required
def mark_safe(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    attachment = _visible_attachment(request, pk, attachment_pk)
    require_perms(request.user, rules.MARK_TRAINING)
    try:
        mark_safe_for_training(attachment, by=cast("Staff", request.user))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Attachment “%(name)s” may be shown in training cases.") % {"name": attachment.original_name}
        )
    return redirect("complaints:detail", pk=pk)


# ------------------------------------------------------------------ the training library
def training_file_name(attachment: ComplaintAttachment) -> str:
    """The neutral name a training case shows instead of the original one."""
    word = _("attachment")  # outside the f-string: xgettext does not look inside one
    return f"{word}-{attachment.pk}.{attachment.extension}"


def _training_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> ComplaintAttachment:
    require_perms(request.user, VIEW)
    return get_object_or_404(ComplaintAttachment.objects.for_training(), pk=attachment_pk, complaint_id=pk)


@require_safe
@login_required
def training_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    attachment = _training_attachment(request, pk, attachment_pk)
    content_type = _served_content_type(attachment) if attachment.is_image else attachment.content_type
    return _stream(
        attachment.stored_name, content_type=content_type, filename=training_file_name(attachment), as_attachment=True
    )


@require_safe
@login_required
def training_thumbnail(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    attachment = _training_attachment(request, pk, attachment_pk)
    if not attachment.thumbnail_name:
        raise Http404(_("No thumbnail."))
    return _stream(
        attachment.thumbnail_name,
        content_type=_served_content_type(attachment),
        filename=_thumbnail_name(attachment, training_file_name(attachment)),
        as_attachment=False,
    )


# included by complaints/urls.py (app_name "complaints")
urlpatterns = [
    path("<int:pk>/attachments/<int:attachment_pk>/", download, name="attachment_download"),
    path("<int:pk>/attachments/<int:attachment_pk>/thumbnail/", thumbnail, name="attachment_thumbnail"),
    path("<int:pk>/attachments/<int:attachment_pk>/withdraw/", withdraw, name="attachment_withdraw"),
    path("<int:pk>/attachments/<int:attachment_pk>/safe-for-training/", mark_safe, name="attachment_mark_safe"),
    path("training/<int:pk>/attachments/<int:attachment_pk>/", training_download, name="training_attachment_download"),
    path(
        "training/<int:pk>/attachments/<int:attachment_pk>/thumbnail/",
        training_thumbnail,
        name="training_attachment_thumbnail",
    ),
]

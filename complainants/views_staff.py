"""Staff actions on the complainant's private link (from the complaint page): revoke every
link (a link that leaked), or send the complainant a new one by SMS / e-mail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints import rules, selectors
from helpdesk.views_tools import require_perms

from . import notices, tokens
from .models import ComplainantAccess


@login_required
@require_POST
def revoke_link(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = selectors.complaint_for(request.user, pk)
    if not rules.COMPLAINANT_ACTIONS["revoke_link"].permitted_for(request.user):
        raise PermissionDenied(_("You do not have permission to do this."))
    count = tokens.revoke(complaint, actor=request.user)
    if count:
        messages.success(request, _("The complainant's private links were revoked."))
    else:
        messages.info(request, _("There was no active private link to revoke."))
    return redirect("complaints:detail", pk=complaint.pk)


@login_required
@require_POST
def new_link(request: HttpRequest, pk: int) -> HttpResponse:
    require_perms(request.user, rules.RECEIVE)
    complaint = selectors.complaint_for(request.user, pk)
    access = ComplainantAccess.objects.filter(complaint=complaint).first()
    if access is None:
        messages.error(request, _("This complaint was not made online: there is no private link to send."))
        return redirect("complaints:detail", pk=complaint.pk)
    with transaction.atomic():
        token = tokens.issue(complaint)
        sent = notices.queue_for(complaint, "link", access=access, token=token, force=True)
    if sent:
        messages.success(request, _("A new private link was sent to the complainant."))
    else:
        messages.warning(
            request, _("A new private link was made, but the complainant has no mobile or e-mail to send it to.")
        )
    return redirect("complaints:detail", pk=complaint.pk)

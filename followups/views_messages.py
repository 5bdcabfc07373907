"""HTML pages of the messages for absent colleagues (R-F6): take a message, my desk of open
messages (a supervisor: the office's), and a message with "Mark done" and "Make it a complaint".

The views check permissions and the user's office, bind the forms and call the services in
`followups.messages`; a message of another office is a 404 through `message_for`. Every form
posts, redirects and shows a message; bad input re-renders the page with 400, a message that is
already done answers 409 to "Make it a complaint".
"""

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from complaints.exceptions import InvalidTransition
from complaints.selectors import complaints_visible_to
from customers.models import Customer
from helpdesk.views_tools import apply_validation_error, paginate, query_without_page, require_perms

from . import messages
from .forms_messages import ConvertForm, DeskFilterForm, DoneForm, MessageForm
from .frontdesk import require_office


def _id_or_404(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise Http404(_("Not found."))
    return int(text)


def _prefill(request) -> dict:
    """?complaint=<id> or ?customer=<id>: the link, and the caller's name and phone, taken
    from a complaint or customer the user may see (else 404)."""
    user = request.user
    initial: dict[str, Any] = {}
    if request.GET.get("complaint"):
        complaint = (
            complaints_visible_to(user)
            .select_related("customer")
            .filter(pk=_id_or_404(request.GET["complaint"]))
            .first()
        )
        if complaint is None:
            raise Http404(_("No such complaint."))
        initial.update(
            complaint=complaint,
            customer=complaint.customer,
            caller_name=complaint.complainant_name or (complaint.customer.contact_person if complaint.customer else ""),
            contact_phone=complaint.contact_phone,
        )
    elif request.GET.get("customer"):
        if not user.has_perm("customers.view_customer"):
            raise Http404(_("No such customer."))
        customer = Customer.objects.filter(pk=_id_or_404(request.GET["customer"])).first()
        if customer is None:
            raise Http404(_("No such customer."))
        initial.update(customer=customer, caller_name=customer.contact_person, contact_phone=customer.phone)
    return initial


# --------------------------------------------------------------------------- desk
@login_required
@require_safe
def message_list(request):
    """My open messages, urgent first, then by call-back time; those past it are marked. Who
    oversees the office may list every colleague's (?scope=office, optionally &for_user=<id>)."""
    user = request.user
    require_perms(user, messages.VIEW)
    require_office(user)
    supervises = user.has_perm(messages.SUPERVISE)
    scope, for_user_id, filters = "mine", None, None
    if supervises:
        filters = DeskFilterForm(request.GET or None, user=user)
        if filters.is_valid():
            chosen = filters.cleaned_data["for_user"]
            for_user_id = chosen.pk if chosen else None
            scope = "office" if chosen else filters.cleaned_data["scope"] or "mine"
    return render(
        request,
        "followups/messages/list.html",
        {
            "page": paginate(request, messages.open_messages(user, scope=scope, for_user_id=for_user_id)),
            "query": query_without_page(request),
            "scope": scope,
            "filters": filters,
            "can_add": user.has_perm(messages.ADD),
        },
    )


# --------------------------------------------------------------------------- take
@login_required
@require_http_methods(["GET", "POST"])
def message_new(request):
    """Take a message for a colleague who is away."""
    user = request.user
    require_perms(user, messages.VIEW, messages.ADD)
    require_office(user)
    status = 200
    if request.method == "POST":
        form = MessageForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                message = messages.take_message(
                    by=user,
                    for_user=data["for_user"],
                    caller_name=data["caller_name"],
                    contact_phone=data["contact_phone"],
                    contact_other=data["contact_other"],
                    about=data["about"],
                    urgency=data["urgency"],
                    call_back_by=data["call_back_by"],
                    complaint=data["complaint"],
                    customer=data["customer"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                flash.success(
                    request,
                    _("Message for %(colleague)s saved; they have been notified.") % {"colleague": message.for_user},
                )
                return redirect("followups:message_list")
        status = 400
    else:
        form = MessageForm(user=user, initial=_prefill(request))
    return render(request, "followups/messages/new.html", {"form": form}, status=status)


# ------------------------------------------------------------------------- detail
def _message_page(request, message, *, done_form=None, convert_form=None, status=200):
    user = request.user
    is_open = message.done_at is None
    can_done = is_open and messages.may_handle(user, message)
    can_convert = is_open and messages.may_convert(user, message)
    return render(
        request,
        "followups/messages/detail.html",
        {
            "message": message,
            "is_overdue": is_open and (message.overdue_flagged_at is not None or message.call_back_by < timezone.now()),
            "done_form": done_form or (DoneForm() if can_done else None),
            "convert_form": convert_form or (ConvertForm(message=message) if can_convert else None),
        },
        status=status,
    )


@login_required
@require_safe
def message_detail(request, pk: int):
    require_perms(request.user, messages.VIEW)
    return _message_page(request, messages.message_for(request.user, pk))


@login_required
@require_POST
def message_done(request, pk: int):
    """Mark the message done (idempotent: a second time changes nothing)."""
    user = request.user
    require_perms(user, messages.VIEW, messages.CHANGE)
    message = messages.message_for(user, pk)
    if not messages.may_handle(user, message):
        raise PermissionDenied(_("Only the colleague it is for, who took it, or a supervisor may do this."))
    form = DoneForm(request.POST)
    if not form.is_valid():
        return _message_page(request, message, done_form=form, status=400)
    was_open = message.done_at is None
    try:
        messages.mark_done(message, by=user, note=form.cleaned_data["note"])
    except ValidationError as error:
        apply_validation_error(form, error)
        return _message_page(request, message, done_form=form, status=400)
    if was_open:
        flash.success(request, _("Message from %(caller)s marked done.") % {"caller": message.caller_name})
    else:
        flash.info(request, _("This message was already done."))
    return redirect("followups:message_list")


@login_required
@require_POST
def message_convert(request, pk: int):
    """Make a complaint of the message, through the intake, and mark the message done."""
    user = request.user
    require_perms(user, messages.VIEW, messages.CHANGE, *messages.CONVERT)
    message = messages.message_for(user, pk)
    if not messages.may_convert(user, message):
        raise PermissionDenied(_("You may not make a complaint of this message."))
    if message.done_at is not None:
        flash.error(request, _("This message is already done."))
        return _message_page(request, message, status=409)
    form = ConvertForm(request.POST, message=message)
    if form.is_valid():
        try:
            complaint = messages.convert_to_complaint(
                message, by=user, reply_due_at=form.cleaned_data["reply_due_at"], **form.case_fields()
            )
        except messages.MessageAlreadyDone as error:
            flash.error(request, str(error))
            return _message_page(request, messages.message_for(user, pk), status=409)
        except ValidationError as error:
            apply_validation_error(form, error)
        except InvalidTransition as error:
            form.add_error(None, str(error))
        else:
            flash.success(request, _("Complaint %(ref)s logged from the phone message.") % {"ref": complaint.reference})
            return redirect("complaints:detail", pk=complaint.pk)
    return _message_page(request, message, convert_form=form, status=400)


urlpatterns = [
    path("", message_list, name="message_list"),
    path("new/", message_new, name="message_new"),
    path("<int:pk>/", message_detail, name="message_detail"),
    path("<int:pk>/done/", message_done, name="message_done"),
    path("<int:pk>/convert/", message_convert, name="message_convert"),
]

"""HTML views for agents, handlers and supervisors. Rules live in the lifecycle methods;
these views check permissions, bind forms and show the domain error as a message."""

import dataclasses
from functools import partial

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from helpdesk.pagination import ComplaintPaginator
from helpdesk.views_tools import apply_validation_error, paginate, query_without_page, require_perms

from . import event_text, rules, selectors
from .exceptions import InvalidTransition
from .filters import ComplaintListFilter
from .forms import (
    ACTION_FORMS,
    FieldVisitIntakeForm,
    LetterIntakeForm,
    OnlineIntakeForm,
    PhoneIntakeForm,
    WalkInIntakeForm,
)

VIEW = "complaints.view_complaint"


# ----------------------------------------------------------------------------- list
@login_required
def complaint_list(request):
    require_perms(request.user, VIEW)
    qs = selectors.complaints_visible_to(request.user).with_list_relations()
    filters = ComplaintListFilter(request.GET or None, queryset=qs, request=request)
    if filters.is_valid():  # invalid values are reported on the form; the list stays unfiltered
        qs = filters.qs
    searching = bool(filters.form.cleaned_data.get("q", "").strip()) if filters.is_valid() else False
    page = paginate(
        request,
        qs.order_by("-received_at", "-id"),
        paginator=partial(ComplaintPaginator, searching=searching, html=True),
    )
    return render(
        request,
        "complaints/list.html",
        {
            "form": filters.form,
            "page": page,
            "now": timezone.now(),
            "query": query_without_page(request),
            "can_log": request.user.has_perm("complaints.add_complaint") and request.user.has_perm(rules.RECEIVE),
        },
    )


# --------------------------------------------------------------------------- intake
def _intake(request, form_class, template: str):
    require_perms(request.user, "complaints.add_complaint", rules.RECEIVE)
    if request.user.office_id is None:
        raise PermissionDenied(_("Your account is not attached to an office; ask a manager."))
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                complaint = form.log()  # the complaint and its outcome, or nothing (one transaction)
            except ValidationError as error:
                apply_validation_error(form, error)
            except InvalidTransition as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Complaint %(ref)s logged.") % {"ref": complaint.reference})
                # e.g. a letter that arrived before the weekend; a new complaint's only deadline is
                # its reply time, so the overdue rule is asked (a query) only once that has passed
                if complaint.reply_due_at <= timezone.now() and complaint.is_overdue():
                    messages.warning(
                        request,
                        _("Its reply deadline (%(due)s) has already passed: reply to the complainant now.")
                        % {"due": date_format(timezone.localtime(complaint.reply_due_at), "DATETIME_FORMAT")},
                    )
                return redirect("complaints:detail", pk=complaint.pk)
        status = 400
    else:
        form = form_class(user=request.user)
    context = {"form": form, "backdate_days": settings.HELPDESK_BACKDATE_DAYS}
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def intake_walk_in(request):
    return _intake(request, WalkInIntakeForm, "complaints/intake_walk_in.html")


@login_required
@require_http_methods(["GET", "POST"])
def intake_phone(request):
    return _intake(request, PhoneIntakeForm, "complaints/intake_phone.html")


@login_required
@require_http_methods(["GET", "POST"])
def intake_online(request):
    return _intake(request, OnlineIntakeForm, "complaints/intake_online.html")


@login_required
@require_http_methods(["GET", "POST"])
def intake_letter(request):
    return _intake(request, LetterIntakeForm, "complaints/intake_letter.html")


@login_required
@require_http_methods(["GET", "POST"])
def intake_field_visit(request):
    return _intake(request, FieldVisitIntakeForm, "complaints/intake_field_visit.html")


# --------------------------------------------------------------------------- detail
PANEL_HEADER = "X-Action-Panel"  # action-panels.js asks for a panel's form with it


def _available(request, complaint) -> list[rules.Action]:
    return list(
        rules.available_actions(
            request.user,
            complaint.status,
            close_reason=complaint.close_reason,
            claimed=complaint.is_claimed,
            facts=complaint.facts,
        )
    )


def _media_of(actions) -> forms.Media:
    """The scripts and styles of the action forms' widgets (the signature pad): on the page
    before any panel's form is fetched."""
    media = forms.Media()
    for act in actions:
        for field in ACTION_FORMS[act.name].base_fields.values():
            media += field.widget.media
    return media


def _detail_context(request, complaint, bound=None):
    """The complaint page. Each action open to the user is a folded panel whose form is
    fetched when it opens (complaints/templatetags/action_panels.py; its own page without
    JavaScript) — all but the one that came back with errors, shown open with them."""
    actions = _available(request, complaint)
    forms_ = [(act, bound if bound is not None and bound.action == act.name else None) for act in actions]
    events = list(selectors.timeline(complaint))  # read once: the timeline and the recorded facts
    return {
        "complaint": complaint,
        "events": events,
        "records": event_text.recorded(complaint, events),
        "action_forms": forms_,
        "action_media": _media_of(actions),
        "is_overdue": complaint.is_overdue(),
        "duplicates": selectors.merged_duplicates(complaint),  # issue 14: one query, whatever their number
        "history": selectors.complainant_history(
            request.user, selectors.Complainant.of(complaint), exclude=complaint.pk
        ),
    }


@login_required
def complaint_detail(request, pk):
    require_perms(request.user, VIEW)
    complaint = selectors.complaint_for(request.user, pk)
    return render(request, "complaints/detail.html", _detail_context(request, complaint))


def _action_form_page(request, complaint, act):
    """GET of an action: its form, on a page of its own (a panel's link without JavaScript),
    or only the panel's content for action-panels.js (the PANEL_HEADER). 409 when the action is
    not open to the user in the complaint's state (it changed since the page was shown)."""
    panel = request.headers.get(PANEL_HEADER) == "1"
    if act.name not in {a.name for a in _available(request, complaint)}:
        message = _("This action is not open in the complaint's present state.")
        if panel:
            response = render(request, "complaints/_action_closed.html", {"message": message}, status=409)
        else:
            messages.error(request, message)
            response = redirect("complaints:detail", pk=complaint.pk)
    else:
        form = ACTION_FORMS[act.name](complaint=complaint)
        context = {"complaint": complaint, "act": act, "form": form}
        template = "complaints/_action_panel.html" if panel else "complaints/action.html"
        response = render(request, template, context)
    patch_vary_headers(response, [PANEL_HEADER])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def complaint_action(request, pk, action):
    require_perms(request.user, VIEW)
    # The form and the step need the complaint's own row; its relations (six joins, which cost
    # PostgreSQL more to plan than the rest of the query) only if the page is shown again.
    complaint = get_object_or_404(selectors.complaints_visible_to(request.user), pk=pk)
    name = action.replace("-", "_")
    if name not in rules.ACTIONS:
        raise Http404(_("No such action."))
    act = rules.ACTIONS[name]
    if not act.permitted_for(request.user):
        raise PermissionDenied(_("You do not have permission to do this."))
    if request.method == "GET":
        return _action_form_page(request, complaint, act)
    form = ACTION_FORMS[name](request.POST, request.FILES, complaint=complaint)
    status = 400
    if form.is_valid():
        try:
            form.apply(request.user)
        except InvalidTransition as error:
            messages.error(request, str(error))
            complaint = selectors.complaint_for(request.user, pk)
            return render(request, "complaints/detail.html", _detail_context(request, complaint), status=409)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("%(action)s: done.") % {"action": act.label})
            return redirect("complaints:detail", pk=complaint.pk)
    messages.error(request, _("Please correct the errors below."))
    complaint = selectors.complaint_for(request.user, pk)
    return render(request, "complaints/detail.html", _detail_context(request, complaint, bound=form), status=status)


# ------------------------------------------------------------- repeat complainant
@login_required
@require_GET
def repeat_check(request):
    """While the agent types the contact at intake: has this complainant complained before?
    JSON with a ready message (in the request's language) and the latest few complaints."""
    require_perms(request.user, VIEW, rules.RECEIVE)
    get = request.GET
    who = selectors.Complainant.typed(
        phone=get.get("phone", "")[:40],
        email=get.get("email", "")[:254],
        qq=get.get("qq", "")[:20],
        wechat=get.get("wechat", "")[:40],
    )
    customer = get.get("customer", "")
    if customer.isdigit():
        who = dataclasses.replace(who, customer_id=int(customer))
    history = selectors.complainant_history(request.user, who, limit=5)
    count = len(history)
    message = ""
    if count:
        message = ngettext(
            "Repeat complainant: %(count)s earlier complaint, the latest %(ref)s on %(day)s (%(status)s).",
            "Repeat complainant: %(count)s earlier complaints, the latest %(ref)s on %(day)s (%(status)s).",
            count,
        ) % {
            "count": f"{count}+" if count == 5 else count,
            "ref": history[0].reference,
            "day": f"{timezone.localtime(history[0].received_at):%Y-%m-%d}",
            "status": history[0].get_status_display(),
        }
    return JsonResponse(
        {
            "count": count,
            "message": message,
            "complaints": [
                {
                    "reference": c.reference,
                    "url": reverse("complaints:detail", args=[c.pk]),
                    "subject": c.subject,
                    "status": c.get_status_display(),
                    "received_at": timezone.localtime(c.received_at).isoformat(),
                }
                for c in history
            ],
        }
    )


# ------------------------------------------------------------------- call-back queue
@login_required
def callback_queue(request):
    """R-C10 "my call-backs due" (`selectors.callbacks_due`); `?office=1` shows the whole
    office to those who may reassign."""
    require_perms(request.user, VIEW, rules.RECEIVE)
    whole_office = request.GET.get("office") == "1" and request.user.has_perm(rules.REASSIGN)
    qs = selectors.callbacks_due(request.user, whole_office=whole_office).with_list_relations()
    page = paginate(request, qs)
    return render(
        request,
        "complaints/callbacks.html",
        {
            "page": page,
            "now": timezone.now(),
            "whole_office": whole_office,
            "can_see_office": request.user.has_perm(rules.REASSIGN),
            "query": "office=1" if whole_office else "",
        },
    )

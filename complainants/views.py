"""The complainant's pages (no login): the online complaint form of each office, the progress
page behind the private link, the answer to a proposed solution and the call-back
questionnaire. Chinese by default (English by the switch); nothing without a valid token;
every page rate-limited; bad input answered with its reason and a 4xx."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Office
from complaints import rules
from complaints.choices import Status
from complaints.exceptions import InvalidTransition
from helpdesk.views_tools import apply_validation_error

from . import challenge, limits, privacy, services, timeline, tokens
from .forms import AddInformationForm, OnlineComplaintForm, QuestionnaireForm, SolutionAnswerForm
from .models import ComplainantAccess, Source

View = Callable[..., HttpResponse]


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "complainants/limited.html",
        {"message": _("Too many requests from your connection. Please wait a while and try again.")},
        status=429,
    )
    response["Retry-After"] = "600"
    return response


def public_page(view: View) -> View:
    """Chinese unless the visitor chose a language; never cached or indexed; rate-limited
    per client address."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        chosen = settings.LANGUAGE_COOKIE_NAME in request.COOKIES
        language = translation.get_language() if chosen else "zh-hans"
        with translation.override(language):  # for this request only
            request.LANGUAGE_CODE = language
            if not limits.hit("page", limits.client_address(request), "HELPDESK_PUBLIC_PAGE_RATE"):
                return _too_many(request)
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        response["Cache-Control"] = "no-store, private"
        response["X-Robots-Tag"] = "noindex, nofollow"
        # the private link never leaves the site in a Referer (same-origin still sends the Origin header
        # that CSRF checks; no-referrer would make browsers send "Origin: null" and fail every form)
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapped


def _complaint_or_404(request: HttpRequest, token: str):
    """The complaint the token opens; any other token is a 404 that says nothing more (and
    counts against the address: guessing is rate-limited)."""
    complaint = tokens.find(token)
    if complaint is None:
        if not limits.hit("bad-token", limits.client_address(request), "HELPDESK_PUBLIC_BAD_TOKEN_RATE"):
            raise _TooMany
        raise Http404(_("This link is not valid. Check that you copied all of it, or contact the service centre."))
    return complaint


class _TooMany(Exception):
    pass


def _guard_tokens(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except _TooMany:
            return _too_many(request)

    return wrapped


# ------------------------------------------------------------------------ the form
@public_page
@require_http_methods(["GET"])
def office_list(request: HttpRequest) -> HttpResponse:
    offices = Office.objects.filter(is_head_office=False).order_by("name")
    return render(request, "complainants/offices.html", {"offices": offices})


@public_page
@require_http_methods(["GET", "POST"])
def complaint_form(request: HttpRequest, office_code: str) -> HttpResponse:
    office = get_object_or_404(Office, code=office_code, is_head_office=False)
    needs_challenge = challenge.required_for(office.pk)
    status = 200
    if request.method == "POST":
        form = OnlineComplaintForm(request.POST, request.FILES, office=office, needs_challenge=needs_challenge)
        if form.robot():
            return render(
                request,
                "complainants/limited.html",
                {"message": _("Your complaint could not be accepted. Please call or visit the service centre.")},
                status=400,
            )
        if not limits.hit("submit", limits.client_address(request), "HELPDESK_PUBLIC_SUBMIT_RATE"):
            return _too_many(request)
        if form.is_valid():
            contact = form.cleaned_data.get("contact_phone") or form.cleaned_data.get("contact_email") or ""
            if contact and not limits.hit("contact", contact, "HELPDESK_PUBLIC_CONTACT_RATE"):
                return _too_many(request)
            try:
                submitted = services.submit_online(
                    office=office,
                    fields=form.complaint_fields(),
                    attachments=form.cleaned_data.get("photos") or (),
                    via=Source.WEB,
                    consented=form.cleaned_data["consent"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                limits.note_office_submission(office.pk)
                messages.success(
                    request,
                    _(
                        "Your complaint was received: reference %(ref)s. Keep this page's address — it is your"
                        " private link to follow the complaint."
                    )
                    % {"ref": submitted.complaint.reference},
                )
                return redirect("complainants:progress", token=submitted.token)
        status = 400
        if needs_challenge and "challenge_answer" not in form.errors:
            form.renew_challenge()
    else:
        form = OnlineComplaintForm(office=office, needs_challenge=needs_challenge)
    context = {
        "office": office,
        "form": form,
        "privacy_paragraphs": privacy.notice_paragraphs(office.name),
        "privacy_version": privacy.VERSION,
    }
    return render(request, "complainants/form.html", context, status=status)


# --------------------------------------------------------------------- the progress page
def _progress_context(complaint, token: str, **forms: Any) -> dict[str, Any]:
    access = ComplainantAccess.objects.filter(complaint=complaint).first()
    return {
        "complaint": complaint,
        "token": token,
        "access": access,
        "entries": timeline.public_timeline(complaint),
        "status_text": timeline.status_text(complaint),
        "can_add": rules.action("add_information").allowed_in(complaint.status),
        "can_answer": rules.action("record_answer").allowed_in(complaint.status),
        "can_callback": complaint.status == Status.RESOLVED,
        "add_form": forms.get("add_form") or AddInformationForm(),
        "answer_form": forms.get("answer_form") or SolutionAnswerForm(),
    }


@_guard_tokens
@public_page
@require_http_methods(["GET"])
def progress(request: HttpRequest, token: str) -> HttpResponse:
    complaint = _complaint_or_404(request, token)
    return render(request, "complainants/progress.html", _progress_context(complaint, token))


@_guard_tokens
@public_page
@require_POST
def add_information(request: HttpRequest, token: str) -> HttpResponse:
    complaint = _complaint_or_404(request, token)
    form = AddInformationForm(request.POST, request.FILES)
    if form.robot():
        raise Http404
    if form.is_valid():
        try:
            services.add_information(
                complaint, note=form.cleaned_data.get("note", ""), attachments=form.cleaned_data.get("photos") or ()
            )
        except InvalidTransition:
            messages.error(request, _("This complaint is closed: information can no longer be added here."))
            return redirect("complainants:progress", token=token)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Thank you: your information was added and the staff were told."))
            return redirect("complainants:progress", token=token)
    context = _progress_context(complaint, token, add_form=form)
    return render(request, "complainants/progress.html", context, status=400)


@_guard_tokens
@public_page
@require_POST
def answer_solution(request: HttpRequest, token: str) -> HttpResponse:
    complaint = _complaint_or_404(request, token)
    form = SolutionAnswerForm(request.POST)
    if form.is_valid():
        accepted = form.cleaned_data["answer"] == "accept"
        try:
            services.answer_solution(complaint, accepted=accepted, note=form.cleaned_data.get("note", ""))
        except InvalidTransition:
            messages.error(request, _("This solution was already answered, or the complaint has moved on."))
            return redirect("complainants:progress", token=token)
        if accepted:
            messages.success(request, _("Thank you: you accepted the solution. We will now carry it out."))
        else:
            messages.success(
                request, _("Thank you: your answer was recorded and your complaint was passed to a senior colleague.")
            )
        return redirect("complainants:progress", token=token)
    context = _progress_context(complaint, token, answer_form=form)
    return render(request, "complainants/progress.html", context, status=400)


@_guard_tokens
@public_page
@require_POST
def notices(request: HttpRequest, token: str) -> HttpResponse:
    complaint = _complaint_or_404(request, token)
    if request.POST.get("notices") == "stop":
        services.stop_notices(complaint)
        messages.success(request, _("You will get no more notices about this complaint."))
    elif request.POST.get("notices") == "resume":
        services.resume_notices(complaint)
        messages.success(request, _("You will be told again when your complaint moves on."))
    else:
        return render(
            request,
            "complainants/limited.html",
            {"message": _("Choose whether to stop or resume notices.")},
            status=400,
        )
    return redirect("complainants:progress", token=token)


# --------------------------------------------------------------------- the questionnaire
@_guard_tokens
@public_page
@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, token: str) -> HttpResponse:
    complaint = _complaint_or_404(request, token)
    context: dict[str, Any] = {"complaint": complaint, "token": token}
    if complaint.status != Status.RESOLVED:
        context["already"] = timeline.callback_outcome(complaint)
        return render(
            request, "complainants/questionnaire.html", context, status=200 if request.method == "GET" else 409
        )
    status = 200
    form = QuestionnaireForm()
    if request.method == "POST":
        if request.POST.get("decline") == "1":
            try:
                services.decline_callback(complaint)
            except InvalidTransition:
                return redirect("complainants:questionnaire", token=token)
            messages.success(request, _("Understood: we will not call you about this complaint."))
            return redirect("complainants:progress", token=token)
        form = QuestionnaireForm(request.POST)
        if form.is_valid():
            try:
                services.answer_questionnaire(
                    complaint,
                    satisfied=form.cleaned_data["satisfied"],
                    rating=form.cleaned_data["rating"],
                    answers=form.answers(),
                )
            except InvalidTransition:
                return redirect("complainants:questionnaire", token=token)
            if form.cleaned_data["satisfied"]:
                messages.success(request, _("Thank you for your answers. Your complaint is now closed."))
            else:
                messages.success(
                    request,
                    _("Thank you. We are sorry you are not satisfied: a senior colleague will take your complaint up."),
                )
            return redirect("complainants:progress", token=token)
        status = 400
    context["form"] = form
    return render(request, "complainants/questionnaire.html", context, status=status)

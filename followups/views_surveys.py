"""HTML views for satisfaction surveys (R-CU6): the list of rounds, a new round, a round's
results per customer tier with its responses, and recording one customer's answers.
The rules live in `followups.surveys`; these views check permissions, bind forms and put the
service's ValidationError back on the form (status 400, nothing saved)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from customers.widgets import suggestions
from helpdesk.views_tools import apply_validation_error, paginate, require_perms

from . import surveys
from .forms_surveys import SurveyResponseForm, SurveyRoundForm
from .models import SurveyResponse, SurveyRound

VIEW = "followups.view_surveyround"
CREATE = "followups.add_surveyround"
RECORD = "followups.add_surveyresponse"


# ------------------------------------------------------------------------------ list
@login_required
def survey_list(request):
    require_perms(request.user, VIEW)
    page = paginate(request, surveys.rounds_with_counts())
    return render(
        request,
        "followups/surveys/list.html",
        {
            "page": page,
            "today": timezone.localdate(),
            "can_create": request.user.has_perm(CREATE),
        },
    )


# ---------------------------------------------------------------------------- create
@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request):
    require_perms(request.user, VIEW, CREATE)
    status = 200
    if request.method == "POST":
        form = SurveyRoundForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                survey = surveys.create_round(
                    title=data["title"],
                    questions=data["questions"],
                    customers=form.chosen_customers(),
                    by=request.user,
                    closes_on=data["closes_on"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(
                    request,
                    _("Survey “%(title)s” created and sent to %(count)d customers.")
                    % {"title": survey.title, "count": survey.customers.count()},
                )
                return redirect("followups:survey_detail", pk=survey.pk)
        status = 400
    else:
        form = SurveyRoundForm()
    return render(request, "followups/surveys/create.html", {"form": form}, status=status)


# ---------------------------------------------------------------------------- detail
@login_required
def survey_detail(request, pk):
    require_perms(request.user, VIEW)
    survey = get_object_or_404(SurveyRound.objects.select_related("created_by"), pk=pk)
    results = surveys.results_by_tier(survey)
    responses = (
        SurveyResponse.objects.filter(round=survey)
        .select_related("customer", "recorded_by")
        .prefetch_related("answers")
        .order_by("-recorded_at", "-id")
    )
    page = paginate(request, responses)
    overall = results.overall
    closed = surveys.is_closed(survey)
    return render(
        request,
        "followups/surveys/detail.html",
        {
            "survey": survey,
            "results": results,
            "overall": overall,
            "closed": closed,
            "page": page,
            "rows": list(zip(page, surveys.scores_of(page, results.questions), strict=True)),
            "can_record": (request.user.has_perm(RECORD) and not closed and overall.responded < overall.invited),
        },
    )


# ---------------------------------------------------------------------- record answer
@login_required
@require_http_methods(["GET", "POST"])
def survey_record_response(request, pk):
    require_perms(request.user, VIEW, RECORD)
    survey = get_object_or_404(SurveyRound, pk=pk)
    questions = list(survey.questions.order_by("position", "pk"))
    closed = surveys.is_closed(survey)
    status = 200
    if request.method == "POST":
        form = SurveyResponseForm(request.POST, round=survey, questions=questions)
        if not closed and form.is_valid():
            data = form.cleaned_data
            try:
                response = surveys.record_response(
                    round=survey,
                    customer=data["customer"],
                    scores=form.scores(),
                    channel=data["channel"],
                    comments=data["comments"],
                    by=request.user,
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Answers of %(customer)s recorded.") % {"customer": response.customer})
                return redirect("followups:survey_detail", pk=survey.pk)
        status = 400
    else:
        form = SurveyResponseForm(round=survey, questions=questions)
    return render(
        request,
        "followups/surveys/record_response.html",
        {"survey": survey, "form": form, "closed": closed},
        status=status,
    )


@login_required
@require_GET
def survey_pending_customers(request, pk):
    """Suggestions for the record-answers form: only the round's customers still to answer."""
    require_perms(request.user, VIEW, RECORD)
    survey = get_object_or_404(SurveyRound, pk=pk)
    return suggestions(surveys.pending_customers(survey), request.GET.get("q", ""))


urlpatterns = [
    path("", survey_list, name="survey_list"),
    path("new/", survey_create, name="survey_create"),
    path("<int:pk>/", survey_detail, name="survey_detail"),
    path("<int:pk>/responses/new/", survey_record_response, name="survey_record_response"),
    path("<int:pk>/pending-customers/", survey_pending_customers, name="survey_pending_customers"),
]

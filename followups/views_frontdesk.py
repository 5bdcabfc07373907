"""HTML pages of the front desk: the visitor reception log (R-F2), field trips (R-F3) and the
daily work log with its monthly summary (R-F4).

The views check permissions and the user's office, bind the forms and call the service
functions in `followups.frontdesk`; records of another office are a 404 through its selectors.
Every form posts, redirects and shows a message; bad input re-renders the form with 400.
"""

import re
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.access import sees_every_office
from helpdesk.dates import (
    FIRST_DAY,
    LAST_DAY,
    add_months,
    iso_day_or_404,
    local_today,
    month_or_404,
    month_start,
    previous_month_of,
)
from helpdesk.views_tools import apply_validation_error, paginate, query_without_page, require_perms

from . import frontdesk
from .forms_frontdesk import (
    TRIP_STATUS_CHOICES,
    ReceptionFilterForm,
    ReceptionForm,
    TripPlanForm,
    TripReportForm,
    WorkLogForm,
    WorkSummaryForm,
)
from .frontdesk import require_office
from .models import TripStatus, WorkLog, WorkSummary

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


# ------------------------------------------------------------------ reception (R-F2)
@login_required
@require_http_methods(["GET", "POST"])
def reception_list(request):
    """The office's visitor log, newest first, with the form to log a visitor."""
    user = request.user
    require_perms(user, "followups.view_reception")
    office_id = require_office(user)
    can_add = user.has_perm("followups.add_reception")
    form, status = None, 200
    if request.method == "POST":
        require_perms(user, "followups.add_reception")
        form = ReceptionForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reception = frontdesk.log_reception(
                    by=user,
                    office_id=office_id,
                    arrived_at=data["arrived_at"],
                    visitor_name=data["visitor_name"],
                    organisation=data["organisation"],
                    customer=data["customer"],
                    purpose=data["purpose"],
                    received_by=data["received_by"],
                    summary=data["summary"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Visitor %(name)s logged.") % {"name": reception.visitor_name})
                return redirect("followups:reception_list")
        status = 400
    elif can_add:
        form = ReceptionForm(user=user)
    filters = ReceptionFilterForm(request.GET or None)
    qs = frontdesk.receptions_of(office_id)
    if filters.is_valid():
        f = filters.cleaned_data
        qs = frontdesk.filter_receptions(qs, date_from=f["date_from"], date_to=f["date_to"], text=f["q"])
    return render(
        request,
        "followups/frontdesk/reception_list.html",
        {
            "form": form,
            "filters": filters,
            "page": paginate(request, qs),
            "query": query_without_page(request),
        },
        status=status,
    )


# ---------------------------------------------------------------- field trips (R-F3)
@login_required
@require_safe
def trip_list(request):
    """My field trips, or the whole office's (?scope=office), newest planned date first."""
    user = request.user
    require_perms(user, "followups.view_fieldtrip")
    qs = frontdesk.trips_of(require_office(user))
    scope = "office" if request.GET.get("scope") == "office" else "mine"
    if scope == "mine":
        qs = qs.filter(agent=user)
    status = request.GET.get("status", "")
    if status in TripStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    return render(
        request,
        "followups/frontdesk/trip_list.html",
        {
            "page": paginate(request, qs),
            "query": query_without_page(request),
            "scope": scope,
            "status": status,
            "status_choices": TRIP_STATUS_CHOICES,
            "can_plan": user.has_perm("followups.add_fieldtrip"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def trip_plan(request):
    user = request.user
    require_perms(user, "followups.view_fieldtrip", "followups.add_fieldtrip")
    require_office(user)
    status = 200
    if request.method == "POST":
        form = TripPlanForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            trip = frontdesk.plan_trip(
                by=user,
                customer=data["customer"],
                planned_on=data["planned_on"],
                route=data["route"],
                appointment=data["appointment"],
            )
            messages.success(
                request,
                _("Field trip to %(customer)s planned for %(day)s.")
                % {"customer": trip.customer, "day": trip.planned_on.isoformat()},
            )
            return redirect("followups:trip_detail", pk=trip.pk)
        status = 400
    else:
        form = TripPlanForm()
    return render(request, "followups/frontdesk/trip_plan.html", {"form": form}, status=status)


def _trip_page(request, trip, *, form=None, status=200):
    can_report = trip.status == TripStatus.PLANNED and frontdesk.may_report(request.user, trip)
    if can_report and form is None:
        form = TripReportForm()
    return render(
        request,
        "followups/frontdesk/trip_detail.html",
        {
            "trip": trip,
            "form": form if can_report else None,
        },
        status=status,
    )


@login_required
@require_safe
def trip_detail(request, pk: int):
    require_perms(request.user, "followups.view_fieldtrip")
    return _trip_page(request, frontdesk.trip_for(request.user, pk))


@login_required
@require_POST
def trip_report(request, pk: int):
    """The trip report (once, by the trip's agent or their supervisor)."""
    user = request.user
    require_perms(user, "followups.view_fieldtrip", "followups.change_fieldtrip")
    trip = frontdesk.trip_for(user, pk)
    if not frontdesk.may_report(user, trip):
        raise PermissionDenied(_("Only the trip's agent or their supervisor may report this trip."))
    if trip.status != TripStatus.PLANNED:
        messages.error(request, _("This trip has already been reported."))
        return _trip_page(request, trip, status=409)
    form = TripReportForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            frontdesk.report_trip(
                trip,
                by=user,
                feedback=data["feedback"],
                second_contract_potential=data["second_contract_potential"],
                next_appointment=data["next_appointment"],
                report=data["report"],
            )
        except frontdesk.TripAlreadyReported as error:
            messages.error(request, str(error))
            return _trip_page(request, frontdesk.trip_for(user, pk), status=409)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Trip report saved."))
            return redirect("followups:trip_detail", pk=trip.pk)
    return _trip_page(request, trip, form=form, status=400)


# ---------------------------------------------------------------- work logs (R-F4)
def _month_in_range(day: date) -> date:
    """The month shown with a day; a day outside the calendar the pages handle shows today's."""
    return month_start(day if FIRST_DAY <= day <= LAST_DAY else local_today())


@login_required
@require_http_methods(["GET", "POST"])
def worklog(request):
    """My work log: the form for one day (?day=YYYY-MM-DD, today by default; a day that has
    an entry edits it) and my entries of that day's month."""
    user = request.user
    require_perms(user, "followups.view_worklog")
    require_office(user)
    today = local_today()
    status = 200
    if request.method == "POST":
        form = WorkLogForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            exists = WorkLog.objects.filter(agent=user, day=data["day"]).exists()
            require_perms(user, "followups.change_worklog" if exists else "followups.add_worklog")
            try:
                entry, created = frontdesk.save_work_log(
                    agent=user,
                    day=data["day"],
                    work_done=data["work_done"],
                    lessons=data["lessons"],
                    special_situations=data["special_situations"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(
                    request,
                    (_("Work log for %(day)s saved.") if created else _("Work log for %(day)s updated."))
                    % {"day": entry.day.isoformat()},
                )
                return redirect(f"{reverse('followups:worklog')}?day={entry.day.isoformat()}")
        status = 400
        day = form.cleaned_data.get("day") or today
    else:
        day = iso_day_or_404(request.GET["day"]) if request.GET.get("day") else today
        entry = WorkLog.objects.filter(agent=user, day=day).first()
        if entry is None:
            form = WorkLogForm(initial={"day": day})
        else:
            form = WorkLogForm(instance=entry)
    month = _month_in_range(day)
    entries = list(frontdesk.logs_of_month(user.pk, month))
    return render(
        request,
        "followups/frontdesk/worklog.html",
        {
            "form": form,
            "day": day,
            "month": month,
            "entries": entries,
            "editing": any(e.day == day for e in entries),
            "can_write": user.has_perm("followups.add_worklog") or user.has_perm("followups.change_worklog"),
            "summary_url": reverse("followups:work_summary", args=[user.pk, month.year, month.month]),
            "can_read_team": user.has_perm(frontdesk.VIEW_TEAM_LOGS),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def work_summary(request, agent_id: int, year: int, month: int):
    """An agent's month: the daily entries (one query) and the monthly summary, which the
    agent writes and their supervisor or manager reads."""
    user = request.user
    require_perms(user, "followups.view_worklog", "followups.view_worksummary")
    agent = frontdesk.log_author_for(user, agent_id)
    first = month_or_404(year, month)
    summary = WorkSummary.objects.filter(agent=agent, month=first).first()
    own = agent.pk == user.pk
    can_write = own and user.has_perm("followups.change_worksummary" if summary else "followups.add_worksummary")
    status, form = 200, None
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied(_("Only the agent writes their own monthly summary."))
        form = WorkSummaryForm(request.POST)
        if form.is_valid():
            try:
                _saved, created = frontdesk.save_work_summary(
                    agent=user,
                    month=first,
                    summary=form.cleaned_data["summary"],
                    special_situations=form.cleaned_data["special_situations"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(
                    request,
                    (_("Summary of %(month)s saved.") if created else _("Summary of %(month)s updated."))
                    % {"month": first.strftime("%Y-%m")},
                )
                return redirect("followups:work_summary", agent_id=agent.pk, year=first.year, month=first.month)
        status = 400
    elif can_write:
        form = WorkSummaryForm(instance=summary)
    previous = previous_month_of(first) if first.year > FIRST_DAY.year or first.month > 1 else None
    following = add_months(first, 1) if first < month_start(local_today()) else None
    return render(
        request,
        "followups/frontdesk/work_summary.html",
        {
            "agent": agent,
            "own": own,
            "month": first,
            "entries": frontdesk.logs_of_month(agent.pk, first),
            "summary": summary,
            "form": form,
            "previous_url": reverse("followups:work_summary", args=[agent.pk, previous.year, previous.month])
            if previous
            else "",
            "next_url": reverse("followups:work_summary", args=[agent.pk, following.year, following.month])
            if following
            else "",
        },
        status=status,
    )


@login_required
@require_safe
def worklog_team(request):
    """Supervisors and managers: the office's agents (every office's, for the head office)
    with the days they logged in the month (?month=YYYY-MM) and whether they summarised it."""
    user = request.user
    require_perms(user, "followups.view_worklog", frontdesk.VIEW_TEAM_LOGS)
    require_office(user)
    picked = request.GET.get("month", "")
    if picked:
        match = _MONTH.fullmatch(picked)
        if not match:
            raise Http404(_("No such month."))
        month = month_or_404(int(match[1]), int(match[2]))
    else:
        month = month_start(local_today())
    return render(
        request,
        "followups/frontdesk/worklog_team.html",
        {
            "month": month,
            "page": paginate(request, frontdesk.team_for_month(user, month)),
            "query": query_without_page(request),
            "all_offices": sees_every_office(user),
        },
    )


urlpatterns = [
    path("reception/", reception_list, name="reception_list"),
    path("trips/", trip_list, name="trip_list"),
    path("trips/new/", trip_plan, name="trip_plan"),
    path("trips/<int:pk>/", trip_detail, name="trip_detail"),
    path("trips/<int:pk>/report/", trip_report, name="trip_report"),
    path("worklog/", worklog, name="worklog"),
    path("worklog/team/", worklog_team, name="worklog_team"),
    path("worklog/<int:agent_id>/<int:year>/<int:month>/", work_summary, name="work_summary"),
]

"""Visit pages (R-CU3, R-CU4, R-T5): the agenda per person and per customer, recording a
visit, and the account managers' monthly visit plans with the manager's review."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.models import Customer
from helpdesk.views_tools import paginate, query_without_page, require_perms

from .forms_visits import (
    AgendaFilterForm,
    AssignVisitForm,
    CancelVisitForm,
    PlanDecisionForm,
    PlanForm,
    RecordVisitForm,
)
from .models import PlanStatus, Visit, VisitPlan, VisitStatus

VIEW = "followups.view_visit"
VIEW_ALL = "followups.view_all_visits"
RECORD = "followups.record_visit"
MANAGE = "followups.change_visit"
APPROVE = "followups.approve_visitplan"
AGENDA_PAGE_SIZE = 100


def _staff():
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def visits_visible_to(user):
    """Everyone's visits for supervisors, managers and customer-information staff; one's own
    (and those of one's customers) for the rest."""
    qs = Visit.objects.all()
    if user.has_perm(VIEW_ALL):
        return qs
    return qs.filter(Q(visitor=user) | Q(customer__account_manager=user))


# ------------------------------------------------------------------------------ agenda
@login_required
@require_GET
def agenda(request):
    require_perms(request.user, VIEW)
    see_all = request.user.has_perm(VIEW_ALL)
    form = AgendaFilterForm(request.GET or None, people=_staff() if see_all else None)
    today = timezone.localdate()
    start, end = today, today + timedelta(days=settings.HELPDESK_VISIT_PLAN_DAYS)
    qs = visits_visible_to(request.user).exclude(status=VisitStatus.CANCELLED)
    customer = person = None
    status = 400 if form.is_bound and not form.is_valid() else 200
    if form.is_valid():
        f = form.cleaned_data
        start, end = f["start"] or start, f["end"] or end
        if f.get("person"):
            person = f["person"]
        if f["customer"]:
            customer = Customer.objects.filter(pk=f["customer"]).first()
            if customer is None:
                raise Http404(_("No such customer."))
            qs = qs.filter(customer=customer)
        if f["status"]:
            qs = qs.filter(status=f["status"])
    if person is None and customer is None and not (see_all and form.is_valid() and "person" in request.GET):
        person = request.user
    if person is not None:
        qs = qs.filter(visitor=person)
    qs = (
        qs.filter(due_on__gte=start, due_on__lte=end)
        .select_related("customer", "visitor")
        .order_by("due_on", "customer__name", "id")
    )
    page = paginate(request, qs, AGENDA_PAGE_SIZE)
    days: list[tuple[date, list[Visit]]] = []
    for visit in page:
        if not days or days[-1][0] != visit.due_on:
            days.append((visit.due_on, []))
        days[-1][1].append(visit)
    return render(
        request,
        "followups/agenda.html",
        {
            "form": form,
            "page": page,
            "days": days,
            "person": person,
            "customer": customer,
            "start": start,
            "end": end,
            "today": today,
            "query": query_without_page(request),
        },
        status=status,
    )


# ------------------------------------------------------------------------------- visit
def _visit_for(request, pk: int) -> Visit:
    require_perms(request.user, VIEW)
    return get_object_or_404(
        visits_visible_to(request.user).select_related("customer", "visitor", "recorded_by"), pk=pk
    )


def _visit_page(request, visit, *, status=200, record_form=None, cancel_form=None, assign_form=None):
    user = request.user
    can_manage = user.has_perm(MANAGE)
    open_ = visit.status in (VisitStatus.PLANNED, VisitStatus.MISSED)
    plan = None
    if visit.visitor_role == "account_manager" and visit.visitor_id:
        plan = VisitPlan.objects.filter(account_manager_id=visit.visitor_id, month=visit.due_on.replace(day=1)).first()
    return render(
        request,
        "followups/visit.html",
        {
            "visit": visit,
            "plan": plan,
            "can_record": open_ and user.has_perm(RECORD) and (visit.visitor_id in (None, user.pk) or can_manage),
            "can_manage": can_manage and visit.status == VisitStatus.PLANNED,
            "record_form": record_form or RecordVisitForm(visit=visit, initial={"method": "door_visit"}),
            "cancel_form": cancel_form or CancelVisitForm(),
            "assign_form": assign_form or AssignVisitForm(people=_staff(), initial={"visitor": visit.visitor_id}),
        },
        status=status,
    )


@login_required
@require_GET
def visit_detail(request, pk: int):
    return _visit_page(request, _visit_for(request, pk))


@login_required
@require_POST
def record_visit(request, pk: int):
    visit = _visit_for(request, pk)
    require_perms(request.user, RECORD)
    form = RecordVisitForm(request.POST, visit=visit)
    if form.is_valid():
        f = form.cleaned_data
        try:
            visit.record(
                by=request.user,
                method=f["method"],
                checklist={i: True for i in f["items"]},
                feedback=f["feedback"],
                next_appointment=f["next_appointment"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Visit recorded."))
            return redirect("followups:visit", pk=pk)
    return _visit_page(request, visit, status=400, record_form=form)


@login_required
@require_POST
def cancel_visit(request, pk: int):
    visit = _visit_for(request, pk)
    require_perms(request.user, MANAGE)
    form = CancelVisitForm(request.POST)
    if form.is_valid():
        try:
            visit.cancel(by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Visit cancelled."))
            return redirect("followups:visit", pk=pk)
    return _visit_page(request, visit, status=400, cancel_form=form)


@login_required
@require_POST
def assign_visit(request, pk: int):
    visit = _visit_for(request, pk)
    require_perms(request.user, MANAGE)
    form = AssignVisitForm(request.POST, people=_staff())
    if form.is_valid() and visit.status != VisitStatus.PLANNED:
        form.add_error(None, _("Only planned visits can be assigned."))
    if form.is_valid():
        visit.visitor = form.cleaned_data["visitor"]
        visit.save(update_fields=["visitor"])
        messages.success(request, _("Visitor assigned."))
        return redirect("followups:visit", pk=pk)
    return _visit_page(request, visit, status=400, assign_form=form)


# ------------------------------------------------------------------------------- plans
def _month(value: str) -> date:
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise Http404(_("Months are written as YYYY-MM.")) from None


@login_required
@require_GET
def plan_list(request):
    """My plans, and for the manager the plans waiting for review."""
    require_perms(request.user, "followups.view_visitplan")
    mine = VisitPlan.objects.filter(account_manager=request.user).order_by("-month")[:24]
    waiting = None
    if request.user.has_perm(APPROVE):
        waiting = (
            VisitPlan.objects.filter(status=PlanStatus.SUBMITTED)
            .select_related("account_manager")
            .order_by("month", "submitted_at")[:200]
        )
    this_month = timezone.localdate().replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    return render(
        request,
        "followups/plan_list.html",
        {
            "mine": mine,
            "waiting": waiting,
            "this_month": this_month,
            "next_month": next_month,
        },
    )


def _plan_page(request, plan, *, status=200, plan_form=None, decision_form=None):
    user = request.user
    visits = (
        Visit.objects.filter(
            visitor=plan.account_manager,
            due_on__gte=plan.month,
            due_on__lt=(plan.month + timedelta(days=32)).replace(day=1),
        )
        .exclude(status=VisitStatus.CANCELLED)
        .select_related("customer")
        .order_by("due_on", "id")
    )
    return render(
        request,
        "followups/plan.html",
        {
            "plan": plan,
            "visits": visits,
            "events": plan.events.select_related("actor") if plan.pk else [],
            "can_edit": user.pk == plan.account_manager_id and plan.status in (PlanStatus.DRAFT, PlanStatus.RETURNED),
            "can_decide": user.has_perm(APPROVE) and plan.status == PlanStatus.SUBMITTED,
            "plan_form": plan_form or PlanForm(initial={"route": plan.route, "appointments": plan.appointments}),
            "decision_form": decision_form or PlanDecisionForm(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_plan(request, month: str):
    """The signed-in account manager's plan of a month: write it and submit it for review."""
    require_perms(request.user, "followups.view_visitplan", "followups.add_visitplan")
    plan = VisitPlan.objects.filter(account_manager=request.user, month=_month(month)).first() or VisitPlan(
        account_manager=request.user, month=_month(month)
    )
    if request.method == "GET":
        return _plan_page(request, plan)
    form = PlanForm(request.POST)
    if form.is_valid():
        new = plan.pk is None
        try:
            with transaction.atomic():  # a plan that fails to submit is not left behind as a draft
                if new:
                    plan.save()
                plan.submit(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            if new:
                plan.pk = None
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Visit plan submitted to the manager."))
            return redirect("followups:my_plan", month=month)
    return _plan_page(request, plan, status=400, plan_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def review_plan(request, pk: int):
    require_perms(request.user, "followups.view_visitplan")
    plan = get_object_or_404(VisitPlan.objects.select_related("account_manager", "decided_by"), pk=pk)
    if plan.account_manager_id != request.user.pk and not request.user.has_perm(APPROVE):
        raise PermissionDenied(_("You do not have permission to do this."))
    if request.method == "GET":
        return _plan_page(request, plan)
    require_perms(request.user, APPROVE)
    form = PlanDecisionForm(request.POST)
    if form.is_valid():
        try:
            plan.decide(
                by=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request,
                _("Visit plan approved.")
                if plan.status == PlanStatus.APPROVED
                else _("Visit plan returned to the account manager."),
            )
            return redirect("followups:plan", pk=pk)
    return _plan_page(request, plan, status=400, decision_form=form)


urlpatterns = [
    path("visits/", agenda, name="agenda"),
    path("visits/<int:pk>/", visit_detail, name="visit"),
    path("visits/<int:pk>/record/", record_visit, name="record_visit"),
    path("visits/<int:pk>/cancel/", cancel_visit, name="cancel_visit"),
    path("visits/<int:pk>/assign/", assign_visit, name="assign_visit"),
    path("plans/", plan_list, name="plans"),
    path("plans/mine/<str:month>/", my_plan, name="my_plan"),
    path("plans/<int:pk>/", review_plan, name="plan"),
]

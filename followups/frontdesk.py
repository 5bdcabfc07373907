"""Front-desk work (seed 000, chapter 4–5): the visitor reception log (R-F2), field trips
(R-F3) and each agent's daily work log and monthly summary (R-F4).

Reads go through the `*_for` / `*_visible_to` selectors below, so a record of another office
is a 404 everywhere at once; writes go through the service functions, which the views call
after the form has validated the input's shape.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import sees_every_office
from helpdesk.dates import add_months, day_bounds, local_today, month_start

from .models import FieldTrip, Reception, TripStatus, WorkLog, WorkSummary

VIEW_TEAM_LOGS = "followups.view_team_logs"


class TripAlreadyReported(Exception):
    """A field trip is reported once; a second report is refused (the view answers 409)."""


# ---------------------------------------------------------------------------- access
def require_office(user) -> int:
    """The user's office id; front-desk records always belong to one office."""
    if user.office_id is None:
        raise PermissionDenied(_("Your account is not attached to an office; ask a manager."))
    return user.office_id


# ------------------------------------------------------------------------ reception
def receptions_of(office_id: int) -> QuerySet[Reception]:
    return (
        Reception.objects.filter(office_id=office_id)
        .select_related("customer", "received_by", "logged_by")
        .order_by("-arrived_at", "-id")
    )


def filter_receptions(
    qs: QuerySet[Reception], *, date_from: date | None = None, date_to: date | None = None, text: str = ""
) -> QuerySet[Reception]:
    """Local days [date_from, date_to], both inclusive, and a free-text match on the visitor,
    organisation, purpose, summary or customer name."""
    if date_from:
        qs = qs.filter(arrived_at__gte=day_bounds(date_from)[0])
    if date_to:
        qs = qs.filter(arrived_at__lt=day_bounds(date_to)[1])
    text = (text or "").strip()
    if text:
        qs = qs.filter(
            Q(visitor_name__icontains=text)
            | Q(organisation__icontains=text)
            | Q(purpose__icontains=text)
            | Q(summary__icontains=text)
            | Q(customer__name__icontains=text)
        )
    return qs


def log_reception(
    *,
    by,
    office_id: int,
    arrived_at,
    visitor_name: str,
    organisation: str,
    customer,
    purpose: str,
    received_by,
    summary: str,
) -> Reception:
    if received_by.office_id != office_id:
        raise ValidationError({"received_by": _("Choose a member of staff of your office.")})
    return Reception.objects.create(
        office_id=office_id,
        arrived_at=arrived_at,
        visitor_name=visitor_name.strip(),
        organisation=organisation.strip(),
        customer=customer,
        purpose=purpose.strip(),
        received_by=received_by,
        summary=summary.strip(),
        logged_by=by,
    )


# ---------------------------------------------------------------------- field trips
def trips_of(office_id: int) -> QuerySet[FieldTrip]:
    return (
        FieldTrip.objects.filter(office_id=office_id).select_related("customer", "agent").order_by("-planned_on", "-id")
    )


def trip_for(user, pk: int) -> FieldTrip:
    """A field trip of the user's office, or 404."""
    return get_object_or_404(trips_of(require_office(user)), pk=pk)


def may_report(user, trip: FieldTrip) -> bool:
    """The trip's agent reports it; a supervisor or manager of the office may report for them."""
    return (
        user.has_perm("followups.change_fieldtrip")
        and trip.office_id == user.office_id
        and (trip.agent_id == user.pk or user.has_perm(VIEW_TEAM_LOGS))
    )


def plan_trip(*, by, customer, planned_on: date, route: str, appointment: str) -> FieldTrip:
    return FieldTrip.objects.create(
        office_id=require_office(by),
        agent=by,
        customer=customer,
        planned_on=planned_on,
        route=route.strip(),
        appointment=appointment.strip(),
    )


def report_trip(
    trip: FieldTrip, *, by, feedback: str, second_contract_potential: bool, next_appointment: date | None, report: str
) -> FieldTrip:
    """R-F3 trip report: on-site feedback, second-contract potential, next appointment and
    the report. Once only."""
    with transaction.atomic():
        locked = FieldTrip.objects.select_for_update().get(pk=trip.pk)
        if not may_report(by, locked):
            raise PermissionDenied(_("Only the trip's agent or their supervisor may report this trip."))
        if locked.status != TripStatus.PLANNED:
            raise TripAlreadyReported(_("This trip has already been reported."))
        if next_appointment is not None and next_appointment < locked.planned_on:
            raise ValidationError({"next_appointment": _("The next appointment cannot be before the trip.")})
        locked.feedback, locked.report = feedback.strip(), report.strip()
        locked.second_contract_potential, locked.next_appointment = second_contract_potential, next_appointment
        locked.status, locked.reported_at = TripStatus.REPORTED, timezone.now()
        locked.save(
            update_fields=[
                "feedback",
                "report",
                "second_contract_potential",
                "next_appointment",
                "status",
                "reported_at",
            ]
        )
    return locked


# ------------------------------------------------------------------------ work logs
def logs_of_month(agent_id: int, month: date) -> QuerySet[WorkLog]:
    return WorkLog.objects.filter(agent_id=agent_id, day__gte=month, day__lt=add_months(month, 1)).order_by("day")


def log_author_for(user, agent_id: int):
    """The agent whose logs and summaries `user` asks to read. Oneself always; someone else
    only with view_team_logs, within one's own office (every office with view_all_offices).
    Someone else without the permission is a 403; an agent out of reach is a 404."""
    require_office(user)
    if agent_id == user.pk:
        return user
    if not user.has_perm(VIEW_TEAM_LOGS):
        raise PermissionDenied(_("You can only read your own work log."))
    qs = get_user_model().objects.select_related("office")
    if not sees_every_office(user):
        qs = qs.filter(office_id=user.office_id)
    return get_object_or_404(qs, pk=agent_id)


def save_work_log(*, agent, day: date, work_done: str, lessons: str, special_situations: str) -> tuple[WorkLog, bool]:
    """Write the agent's log for the day: the day's existing entry is updated (one per day)."""
    if day > local_today():
        raise ValidationError({"day": _("You cannot log a day that has not happened yet.")})
    return WorkLog.objects.update_or_create(
        agent=agent,
        day=day,
        defaults={
            "office_id": require_office(agent),
            "work_done": work_done.strip(),
            "lessons": lessons.strip(),
            "special_situations": special_situations.strip(),
        },
    )


def save_work_summary(*, agent, month: date, summary: str, special_situations: str) -> tuple[WorkSummary, bool]:
    """Write the agent's summary of the month (one per month: an existing one is updated)."""
    if month_start(month) > month_start(local_today()):
        raise ValidationError(_("You cannot summarise a month that has not started yet."))
    return WorkSummary.objects.update_or_create(
        agent=agent,
        month=month_start(month),
        defaults={
            "office_id": require_office(agent),
            "summary": summary.strip(),
            "special_situations": special_situations.strip(),
        },
    )


def team_for_month(user, month: date) -> QuerySet:
    """The staff whose logs `user` may read (those who write work logs), each with the number
    of days logged in the month and whether the month's summary is written."""
    User = get_user_model()
    writers = User.objects.filter(
        Q(groups__permissions__codename="add_worklog", groups__permissions__content_type__app_label="followups")
        | Q(user_permissions__codename="add_worklog", user_permissions__content_type__app_label="followups")
    )
    qs = User.objects.filter(is_active=True, office__isnull=False, pk__in=writers.values("pk"))
    if not sees_every_office(user):
        qs = qs.filter(office_id=user.office_id)
    return (
        qs.select_related("office")
        .annotate(
            days_logged=Count(
                "work_logs", filter=Q(work_logs__day__gte=month, work_logs__day__lt=add_months(month, 1))
            ),
            has_summary=Exists(WorkSummary.objects.filter(agent_id=OuterRef("pk"), month=month)),
        )
        .order_by("office__name", "first_name", "username")
    )

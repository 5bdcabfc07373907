"""Tier visit schedules and monthly visit plans (R-CU3, R-CU4, R-T5): the visits, the
visit-holiday list, the account managers' plans and their history."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Tier
from helpdesk.bounds import NOTE_MAX, TEXT_MAX, text_limit, validate_day_in_range
from helpdesk.db import AppendOnlyModel, AppendOnlyQuerySet
from helpdesk.fields import ChoiceDisplayMixin
from notifications.models import Kind
from notifications.services import notify, page_link

USER = settings.AUTH_USER_MODEL
APPROVE_PLAN = "followups.approve_visitplan"


class VisitorRole(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("account manager")
    DEPARTMENT_MANAGER = "department_manager", _("department manager")
    DIVISION_HEAD = "division_head", _("division head")
    PRESIDENT = "president", _("president")


class VisitReason(models.TextChoices):
    CADENCE = "cadence", _("tier cadence")
    HOLIDAY = "holiday", _("holiday visit")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    DONE = "done", _("done")
    MISSED = "missed", _("missed")
    CANCELLED = "cancelled", _("cancelled")


class VisitMethod(models.TextChoices):
    PHONE = "phone", _("phone")
    DOOR_VISIT = "door_visit", _("door visit")


class ContentItem(models.TextChoices):
    """R-CU4 visit content."""

    POLICY = "policy_notice", _("policy notices (environmental policy)")
    NEWS = "company_news", _("company news")
    MAGAZINE = "magazine", _("internal magazine")
    LECTURE = "lecture_or_trip", _("lecture or inspection trip")


CONTENT_BY_TIER: dict[str, tuple[str, ...]] = {
    Tier.A: (ContentItem.POLICY, ContentItem.NEWS, ContentItem.MAGAZINE, ContentItem.LECTURE),
    Tier.B: (ContentItem.POLICY, ContentItem.NEWS, ContentItem.MAGAZINE),
    Tier.C: (ContentItem.POLICY, ContentItem.NEWS, ContentItem.MAGAZINE),
}


def checklist_for(tier: str) -> dict[str, bool]:
    return {str(item): False for item in CONTENT_BY_TIER[tier]}


class VisitHoliday(models.Model):
    """A festival on which every customer gets a holiday visit (R-CU3); managed in the admin.
    Not the working calendar's days off (`complaints.CalendarHoliday`)."""

    name = models.CharField(_("name"), max_length=100)
    date = models.DateField(_("date"), unique=True, validators=[validate_day_in_range])

    class Meta:
        verbose_name = _("visit holiday")
        verbose_name_plural = _("visit holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%Y-%m-%d})"


class Visit(ChoiceDisplayMixin, models.Model):
    """One planned or made customer visit (R-CU3, R-CU4). Planned by
    `followups.tasks.plan_visits`; `due_on` is the last day of the cadence period."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="visits")
    visitor_role = models.CharField(_("visitor role"), max_length=20, choices=VisitorRole)
    reason = models.CharField(_("reason"), max_length=10, choices=VisitReason, default=VisitReason.CADENCE)
    due_on = models.DateField(_("due on"))
    visitor = models.ForeignKey(
        USER, verbose_name=_("visitor"), null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    status = models.CharField(_("status"), max_length=10, choices=VisitStatus, default=VisitStatus.PLANNED)
    method = models.CharField(_("method"), max_length=12, choices=VisitMethod, blank=True)
    checklist = models.JSONField(_("content checklist"), default=dict, blank=True)
    feedback = models.TextField(_("customer feedback"), blank=True, **text_limit(TEXT_MAX))
    next_appointment = models.DateTimeField(
        _("next appointment"), null=True, blank=True, validators=[validate_day_in_range]
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        USER, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    missed_at = models.DateTimeField(_("flagged missed at"), null=True, blank=True)
    cancelled_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["due_on", "id"]
        permissions = [
            ("record_visit", _("Can record customer visits")),
            ("view_all_visits", _("Can see everyone's visits")),
        ]
        constraints = [
            # one live visit per customer, role, reason and period: planning is idempotent
            models.UniqueConstraint(
                fields=["customer", "visitor_role", "reason", "due_on"],
                condition=~Q(status="cancelled"),
                name="visit_one_live_per_slot",
            ),
        ]
        indexes = [
            models.Index(fields=["visitor", "due_on"], name="visit_visitor_due"),
            models.Index(fields=["status", "due_on"], name="visit_status_due"),
            models.Index(fields=["customer", "due_on"], name="visit_customer_due"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.get_visitor_role_display()} · {self.due_on:%Y-%m-%d}"

    @property
    def checklist_items(self) -> list[dict]:
        labels = dict(ContentItem.choices)
        return [{"key": k, "label": labels.get(k, k), "done": done} for k, done in self.checklist.items()]

    def record(self, *, by, method: str, checklist: dict[str, bool], feedback: str = "", next_appointment=None) -> None:
        """Record the visit as made. An account manager's visit needs the approved visit plan
        of its month (R-CU3: the manager reviews the plans before the visits are made).
        The row is locked, so two people recording the same visit cannot both succeed."""
        with transaction.atomic():
            self._lock()
            if self.status not in (VisitStatus.PLANNED, VisitStatus.MISSED):
                raise ValidationError(
                    gettext("This visit is %(status)s and cannot be recorded.") % {"status": self.get_status_display()}
                )
            if self.visitor_id not in (None, by.pk) and not by.has_perm("followups.change_visit"):
                raise PermissionDenied(gettext("This visit is assigned to someone else."))
            if method not in VisitMethod.values:
                raise ValidationError({"method": gettext("Choose how the visit was made.")})
            visitor_id = self.visitor_id or by.pk
            if (
                self.visitor_role == VisitorRole.ACCOUNT_MANAGER
                and not VisitPlan.objects.filter(
                    account_manager_id=visitor_id, month=self.due_on.replace(day=1), status=PlanStatus.APPROVED
                ).exists()
            ):
                raise ValidationError(
                    gettext("The visit plan for %(month)s has not been approved yet: submit it to the manager first.")
                    % {"month": self.due_on.strftime("%Y-%m")}
                )
            expected = set(self.checklist) or set(checklist_for(self.customer.tier))
            self.checklist = {item: bool(checklist.get(item)) for item in expected}
            self.method, self.feedback, self.next_appointment = method, feedback.strip(), next_appointment
            self.visitor_id, self.recorded_by, self.done_at = visitor_id, by, timezone.now()
            self.status = VisitStatus.DONE
            self.save()

    def cancel(self, *, by, reason: str) -> None:
        if not by.has_perm("followups.change_visit"):
            raise PermissionDenied(gettext("Only supervisors and managers cancel visits."))
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"cancelled_reason": gettext("Give the reason for cancelling.")})
        with transaction.atomic():
            self._lock()
            if self.status != VisitStatus.PLANNED:
                raise ValidationError(gettext("Only planned visits can be cancelled."))
            self.status, self.cancelled_reason = VisitStatus.CANCELLED, reason[:200]
            self.save(update_fields=["status", "cancelled_reason"])

    def _lock(self) -> None:
        """Lock the row and take its current status and visitor (someone may have changed them)."""
        current = Visit.objects.select_for_update().only("status", "visitor_id").get(pk=self.pk)
        self.status, self.visitor_id = current.status, current.visitor_id


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    APPROVED = "approved", _("approved")
    RETURNED = "returned", _("returned for changes")


def plan_reviewers(office_id: int | None) -> list[int]:
    """Who is told that a visit plan waits for review (R-CU3: the customer-service manager):
    the active holders of followups.approve_visitplan in the account manager's office, or,
    when that office has none (the usual case: one manager, at the head office), every holder.
    Any holder may decide any office's plan (the review queue on the plans page is not scoped
    by office), so a plan never waits unseen. One query."""
    holders = list(
        get_user_model()
        .objects.with_perm(APPROVE_PLAN, include_superusers=False, backend="django.contrib.auth.backends.ModelBackend")
        .order_by("pk")
        .values_list("pk", "office_id")
    )
    same_office = [pk for pk, office in holders if office_id is not None and office == office_id]
    return same_office or [pk for pk, _office in holders]


class VisitPlan(models.Model):
    """An account manager's visit plan for one month: route and appointments, reviewed by the
    customer-service manager before the visits go ahead (seed 000, R-CU3)."""

    account_manager = models.ForeignKey(
        USER, verbose_name=_("account manager"), on_delete=models.PROTECT, related_name="visit_plans"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    route = models.TextField(_("route"), blank=True, **text_limit(TEXT_MAX))
    appointments = models.TextField(_("appointments"), blank=True, **text_limit(TEXT_MAX))
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus, default=PlanStatus.DRAFT)
    manager_comment = models.TextField(_("manager's comment"), blank=True, **text_limit(NOTE_MAX))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        USER, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        ordering = ["-month", "account_manager_id"]
        permissions = [("approve_visitplan", _("Can approve or return visit plans"))]
        constraints = [
            models.UniqueConstraint(fields=["account_manager", "month"], name="visitplan_one_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="visitplan_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.account_manager} · {self.month:%Y-%m}"

    def _event(self, action: str, by, comment: str = "") -> None:
        VisitPlanEvent.objects.create(plan=self, action=action, actor=by, comment=comment)

    def _notify(self, kind: str, recipient_ids, **data) -> None:
        """Written with the change (e-mailed after commit); the link opens the plan's page."""
        notify(
            recipient_ids,
            kind=kind,
            data={
                "plan": self.pk,
                "month": self.month.strftime("%Y-%m"),
                **data,
                "link": page_link("followups:plan", self.pk),
            },
        )

    def submit(self, *, by, route: str, appointments: str) -> None:
        if by.pk != self.account_manager_id:
            raise PermissionDenied(gettext("Only the account manager submits their own plan."))
        if self.status not in (PlanStatus.DRAFT, PlanStatus.RETURNED):
            raise ValidationError(
                gettext("This plan is %(status)s and cannot be submitted again.")
                % {"status": self.get_status_display()}
            )
        route = (route or "").strip()
        if not route:
            raise ValidationError({"route": gettext("Describe the route of the month's visits.")})
        with transaction.atomic():
            self.route, self.appointments = route, (appointments or "").strip()
            self.status, self.submitted_at = PlanStatus.SUBMITTED, timezone.now()
            self.save()
            self._event(PlanStatus.SUBMITTED, by)
            reviewers = [pk for pk in plan_reviewers(by.office_id) if pk != by.pk]
            self._notify(Kind.VISIT_PLAN_SUBMITTED, reviewers, account_manager=str(by))

    def decide(self, *, by, approve: bool, comment: str = "") -> None:
        if not by.has_perm("followups.approve_visitplan"):
            raise PermissionDenied(gettext("Only the customer-service manager reviews visit plans."))
        if self.status != PlanStatus.SUBMITTED:
            raise ValidationError(gettext("Only a submitted plan can be approved or returned."))
        comment = (comment or "").strip()
        if not approve and not comment:
            raise ValidationError({"comment": gettext("Say what must change before returning the plan.")})
        with transaction.atomic():
            self.status = PlanStatus.APPROVED if approve else PlanStatus.RETURNED
            self.manager_comment, self.decided_by, self.decided_at = comment, by, timezone.now()
            self.save()
            self._event(self.status, by, comment)
            self._notify(
                Kind.VISIT_PLAN_APPROVED if approve else Kind.VISIT_PLAN_RETURNED,
                [self.account_manager_id],
                by=str(by),
                comment=comment,
            )


class VisitPlanEvent(AppendOnlyModel, models.Model):
    """The history of a visit plan: submitted, approved, returned. Append-only: the ORM, the
    admin and (on PostgreSQL) a trigger refuse UPDATE, DELETE and TRUNCATE (`helpdesk.db`)."""

    plan = models.ForeignKey(VisitPlan, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=10, choices=PlanStatus)
    actor = models.ForeignKey(USER, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("comment"), blank=True, **text_limit(NOTE_MAX))
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit plan event")
        verbose_name_plural = _("visit plan events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_action_display()}"

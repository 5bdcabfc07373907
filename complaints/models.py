"""Complaints, their departments and categories, and the append-only event log."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from helpdesk.bounds import TEXT_MAX, text_limit, validate_day_in_range
from helpdesk.fields import ChoiceDisplayMixin, EmailAddressField, PhoneField
from helpdesk.validators import validate_qq, validate_wechat

from .choices import (
    MAX_ESCALATION_LEVEL,
    OPEN_STATUSES,
    Channel,
    CloseReason,
    EscalationLevel,
    EventKind,
    OutsideBodyKind,
    Status,
)
from .deadlines import MAX_REPLY_WINDOW
from .lifecycle import ComplaintLifecycle
from .sweep_rules import AWAITING_REPLY, SWEEP_RULES


class Department(models.Model):
    """A responsible department (R-C6); an editable list seeded by a data migration."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    # R-C8 level 2: the responsible department head a complaint is moved up to
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("department head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
        help_text=_("Receives the complaints of this department moved up to level 2."),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return gettext(self.name)  # seeded names are in the catalogue; others pass through


class Category(models.Model):
    """A complaint category (R-C1); an editable list seeded by a data migration."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_public = models.BooleanField(
        _("on the public form"), default=True, help_text=_("Complainants may choose it on the online complaint form.")
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return gettext(self.name)


class ComplaintQuerySet(models.QuerySet):
    def open(self) -> ComplaintQuerySet:
        return self.exclude(status=Status.CLOSED)

    def overdue_q(self, now: datetime | None = None) -> Q:
        """Open and past the agreed reply time without a reply (R-T1), or past the
        committed completion date while still being handled (R-T3)."""
        now = now or timezone.now()
        return Q(status__in=OPEN_STATUSES) & (
            Q(first_replied_at__isnull=True, reply_due_at__lt=now)
            | Q(status=Status.HANDLING, committed_completion_at__lt=now)
        )

    def overdue(self, now: datetime | None = None) -> ComplaintQuerySet:
        return self.filter(self.overdue_q(now))

    def with_overdue(self, now: datetime | None = None) -> ComplaintQuerySet:
        """Annotate `overdue_now` from the one overdue rule (read by `Complaint.is_overdue()`)."""
        return self.annotate(overdue_now=ExpressionWrapper(self.overdue_q(now), output_field=BooleanField()))

    def with_list_relations(self) -> ComplaintQuerySet:
        return self.select_related("office", "category", "department", "assignee", "customer").with_overdue()


class ComplaintManager(models.Manager.from_queryset(ComplaintQuerySet)):
    pass


class Complaint(ChoiceDisplayMixin, ComplaintLifecycle, models.Model):
    """One complaint from intake to closure. Change its state only through the methods
    of `ComplaintLifecycle` (complaints/lifecycle.py): each validates, locks the row and
    writes one `ComplaintEvent`. A complaint enters through `Complaint.receive()`."""

    # Intake (R-C1)
    # The foreign keys' own indexes are left out where a composite index starts with the same
    # column (Meta.indexes): each index costs every write, and the sweeps update 10,000 rows at a
    # time (issue 17).
    office = models.ForeignKey(
        "accounts.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="complaints", db_index=False
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # The receiver (R-C1). An online complaint arrives with none: it waits, unclaimed, in its
    # office's queue until an agent claims it (`Complaint.claim()`) and becomes its receiver.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="received_complaints",
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now, validators=[validate_day_in_range])

    # Complainant: a linked customer, or a free-text person; anonymous allowed.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,  # complaint_customer_received
    )
    complainant_name = models.CharField(_("complainant"), max_length=120, blank=True)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    contact_phone = PhoneField(_("phone"), max_length=40, blank=True)  # stored normalised, validate_phone
    contact_email = EmailAddressField(_("e-mail"), blank=True)
    contact_qq = models.CharField(_("QQ"), max_length=20, blank=True, validators=[validate_qq])
    contact_wechat = models.CharField(_("WeChat"), max_length=40, blank=True, validators=[validate_wechat])

    # Case file: time, place, person, event (時間、地點、人物、事件)
    incident_at = models.DateTimeField(_("time of incident"), validators=[validate_day_in_range])
    incident_place = models.CharField(_("place"), max_length=200)
    persons_involved = models.CharField(_("persons involved"), max_length=200, blank=True)
    subject = models.CharField(_("event"), max_length=200)
    description = models.TextField(_("description"), **text_limit(TEXT_MAX))
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="complaints"
    )
    is_emotional = models.BooleanField(_("emotional complainant"), default=False)
    is_sensitive = models.BooleanField(_("sensitive"), default=False)

    # Lifecycle (set only by the lifecycle methods)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    close_reason = models.CharField(_("close reason"), max_length=20, choices=CloseReason.choices, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"), choices=EscalationLevel.choices, default=EscalationLevel.RECEIVER
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_complaints",
        db_index=False,  # complaint_assignee_status, complaint_assignee_recent
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,  # complaint_department_status
    )
    reply_due_at = models.DateTimeField(_("reply due at"), validators=[validate_day_in_range])
    first_replied_at = models.DateTimeField(_("first replied at"), null=True, blank=True)
    last_progress_at = models.DateTimeField(_("last progress report at"), null=True, blank=True)
    committed_completion_at = models.DateTimeField(
        _("committed completion at"), null=True, blank=True, validators=[validate_day_in_range]
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    callback_declined_at = models.DateTimeField(_("call-back declined at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # Deadlines are computed once, when set (complaints/deadlines.py), and stored, so each
    # periodic rule is one indexed comparison with `now`.
    progress_due_at = models.DateTimeField(_("progress report due at"), null=True, blank=True)
    auto_close_due_at = models.DateTimeField(_("auto-close due at"), null=True, blank=True)
    # Set by the periodic rules (R-T1 … R-T4); each guard makes its sweep run exactly once.
    reply_overdue_at = models.DateTimeField(_("reply deadline missed at"), null=True, blank=True)
    progress_flagged_at = models.DateTimeField(_("progress report flagged at"), null=True, blank=True)
    completion_overdue_at = models.DateTimeField(_("completion date missed at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_duplicates",
        db_index=False,  # complaint_merged_into: partial, as almost every row has none
        help_text=_("The complaint this duplicate was merged into (closed as merged)."),
    )
    newer_complaint = models.ForeignKey(
        "self",
        verbose_name=_("newer complaint from the same complainant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="older_complaints",
        db_index=False,  # complaint_newer_complaint: partial, as almost every row has none
    )

    # Outcome records
    resolution = models.TextField(_("explanation / resolution"), blank=True, **text_limit(TEXT_MAX))
    apologised = models.BooleanField(_("apologised"), default=False)
    signoff_name = models.CharField(_("signed off by"), max_length=120, blank=True)
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True, **text_limit(TEXT_MAX))
    solution = models.TextField(_("proposed solution"), blank=True, **text_limit(TEXT_MAX))

    # Level 3, outside bodies (R-C8, 原則8.3): which body, its name and contact, when it was
    # referred and its answer. The assignee stays the office's internal owner who follows it.
    outside_body_kind = models.CharField(_("outside body"), max_length=20, choices=OutsideBodyKind.choices, blank=True)
    outside_body_name = models.CharField(_("outside body's name"), max_length=200, blank=True)
    outside_body_contact = models.CharField(_("outside body's contact"), max_length=200, blank=True)
    outside_body_referred_at = models.DateTimeField(_("referred to the outside body at"), null=True, blank=True)
    outside_body_answer = models.TextField(_("outside body's answer"), blank=True, **text_limit(TEXT_MAX))
    outside_body_answered_at = models.DateTimeField(_("outside body answered at"), null=True, blank=True)

    # Special incident (R-C6.2): first contained, then reported upward (to whom, when).
    is_special_incident = models.BooleanField(_("special incident"), default=False)
    special_incident_at = models.DateTimeField(_("flagged as a special incident at"), null=True, blank=True)
    incident_containment = models.TextField(_("containment steps"), blank=True, **text_limit(TEXT_MAX))
    incident_contained_at = models.DateTimeField(_("contained at"), null=True, blank=True)
    incident_reported_to = models.CharField(_("reported to"), max_length=200, blank=True)
    incident_reported_at = models.DateTimeField(_("reported upward at"), null=True, blank=True)

    is_training_case = models.BooleanField(_("training case"), default=False)  # R-C11
    training_lesson = models.TextField(_("lesson for training"), blank=True, **text_limit(TEXT_MAX))
    training_marked_at = models.DateTimeField(_("marked as training case at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ComplaintManager()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-id"]
        permissions = [
            ("receive_complaint", _("Can log, reply to and resolve complaints")),
            ("investigate_complaint", _("Can investigate complaints and report progress")),
            ("move_up_complaint", _("Can move complaints up a level")),
            ("reassign_complaint", _("Can reassign complaints")),
            ("comment_on_complaint", _("Can add notes to complaints")),
            ("view_all_offices", _("Can see the complaints of every office")),
            ("view_reports", _("Can see the complaint dashboards and the daily log")),
            ("download_summary", _("Can download the monthly complaint summary")),
            ("mark_training_case", _("Can mark closed complaints as training cases")),
            ("merge_complaint", _("Can merge duplicate complaints")),
            # agents, supervisors, customer information: the whole office; a department handler
            # only what their department was asked to investigate or was handed to them (issue 13)
            ("view_office_complaints", _("Can see every complaint of their own office")),
            ("handle_special_incident", _("Can flag and report special incidents")),
        ]
        indexes = [
            models.Index(fields=["office", "-received_at"], name="complaint_office_recent"),
            models.Index(fields=["office", "status", "-received_at"], name="complaint_office_status"),
            # Partial where most complaints have no value (issue 17: 89 % have no assignee, 55 %
            # no department, 61 % no customer, 75 % no e-mail at 1M): an equality lookup is
            # served the same, and a change of status adds no entry to them for those.
            models.Index(
                fields=["assignee", "status"], name="complaint_assignee_status", condition=Q(assignee__isnull=False)
            ),
            # "assigned to me" and the API's ?assignee=, newest first (issue 17)
            models.Index(
                fields=["assignee", "-received_at", "-id"],
                name="complaint_assignee_recent",
                condition=Q(assignee__isnull=False),
            ),
            models.Index(
                fields=["department", "status"],
                name="complaint_department_status",
                condition=Q(department__isnull=False),
            ),
            models.Index(fields=["escalation_level", "status"], name="complaint_level_status"),
            models.Index(fields=["reply_due_at"], name="complaint_reply_due_open", condition=AWAITING_REPLY),
            # one index per periodic rule (R-T1 … R-T4), built from the rule's own guard
            *(rule.index() for rule in SWEEP_RULES),
            models.Index(
                fields=["customer", "received_at"],
                name="complaint_customer_received",
                condition=Q(customer__isnull=False),
            ),
            models.Index(
                fields=["-training_marked_at"], name="complaint_training_cases", condition=Q(is_training_case=True)
            ),
            models.Index(
                fields=["special_incident_at"],
                name="complaint_special_incidents",
                condition=Q(is_special_incident=True),
            ),
            models.Index(fields=["contact_phone", "received_at"], name="complaint_phone_received"),
            # a lookup by a column's value (a parameter) must say `<> ''` to use it (R-T4's probe)
            models.Index(
                fields=["contact_email", "received_at"],
                name="complaint_email_received",
                condition=~Q(contact_email=""),
            ),
            # the complainant's history and search by QQ / WeChat (most complaints have neither)
            models.Index(
                fields=["contact_qq", "received_at"], name="complaint_qq_received", condition=~Q(contact_qq="")
            ),
            models.Index(
                fields=["contact_wechat", "received_at"],
                name="complaint_wechat_received",
                condition=~Q(contact_wechat=""),
            ),
            models.Index(fields=["-received_at", "-id"], name="complaint_recent"),
            # an office's open complaints newest first, with what the overdue rule reads: the
            # overdue, by-status and open-only lists walk it (index-only) instead of the table
            models.Index(
                fields=["office", "-received_at", "-id"],
                include=["status", "first_replied_at", "reply_due_at", "committed_completion_at"],
                condition=~Q(status=Status.CLOSED),
                name="complaint_open_recent",
            ),
            models.Index(fields=["merged_into"], name="complaint_merged_into", condition=Q(merged_into__isnull=False)),
            models.Index(
                fields=["newer_complaint"], name="complaint_newer_complaint", condition=Q(newer_complaint__isnull=False)
            ),
            # the office's queue of online complaints nobody has claimed yet
            models.Index(
                fields=["office", "received_at"], name="complaint_unclaimed", condition=Q(received_by__isnull=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(escalation_level__gte=0, escalation_level__lte=MAX_ESCALATION_LEVEL),
                name="complaint_level_0_3",
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="complaint_status_valid"),
            models.CheckConstraint(
                condition=Q(close_reason__in=["", *CloseReason.values]), name="complaint_close_reason_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status=Status.CLOSED) & ~Q(close_reason="") & Q(closed_at__isnull=False))
                | (~Q(status=Status.CLOSED) & Q(close_reason="")),
                name="complaint_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(reply_due_at__lte=F("received_at") + MAX_REPLY_WINDOW), name="complaint_reply_within_24h"
            ),
            models.CheckConstraint(
                condition=~Q(close_reason=CloseReason.ON_THE_SPOT) | ~Q(signoff_name=""),
                name="complaint_on_the_spot_signed",
            ),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="complaint_channel_valid"),
            # a merged duplicate names the complaint it was merged into, and only it does
            models.CheckConstraint(
                condition=(Q(close_reason=CloseReason.MERGED) & Q(merged_into__isnull=False))
                | (~Q(close_reason=CloseReason.MERGED) & Q(merged_into__isnull=True)),
                name="complaint_merged_has_target",
            ),
            # only an online complaint may wait for its receiver (claimed later)
            models.CheckConstraint(
                condition=Q(received_by__isnull=False) | Q(channel=Channel.ONLINE), name="complaint_receiver_or_online"
            ),
            models.CheckConstraint(
                condition=Q(outside_body_kind__in=["", *OutsideBodyKind.values]), name="complaint_outside_body_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"#{self.pk}" if self.pk else "#—"

    @property
    def is_claimed(self) -> bool:
        return self.received_by_id is not None

    @property
    def complainant_display(self) -> str:
        if self.is_anonymous:
            return str(_("Anonymous"))
        if self.complainant_name:
            return self.complainant_name
        return self.customer.name if self.customer_id else str(_("Unknown"))

    @property
    def has_contact(self) -> bool:
        if any([self.contact_phone, self.contact_email, self.contact_qq, self.contact_wechat]):
            return True
        return bool(self.customer_id and (self.customer.phone or self.customer.email))

    @property
    def needs_callback(self) -> bool:
        """R-C10: no call-back for on-the-spot, anonymous/unreachable or sensitive complaints."""
        return not (
            self.close_reason == CloseReason.ON_THE_SPOT
            or self.is_anonymous
            or self.is_sensitive
            or not self.has_contact
        )

    def is_overdue(self, now=None) -> bool:
        """The one overdue rule (`ComplaintQuerySet.overdue_q`): read from the `overdue_now`
        annotation of list and detail querysets, or evaluated by the database for this row."""
        if now is None and "overdue_now" in self.__dict__:
            return bool(self.overdue_now)
        against = self._get_field_expression_map(meta=self._meta)
        return Complaint.objects.overdue_q(now).check(against)


class ComplaintEventQuerySet(models.QuerySet):
    """Append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise PermissionError("Complaint events are append-only.")

    def delete(self):
        raise PermissionError("Complaint events are append-only.")


class ComplaintEvent(ChoiceDisplayMixin, models.Model):
    """One step of a complaint (R-C11: who, what, when). Never edited, never deleted —
    on PostgreSQL a trigger enforces it as well (migration 0003)."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaint_events",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices)
    from_status = models.CharField(_("from status"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=Status.choices, blank=True)
    from_level = models.PositiveSmallIntegerField(_("from level"), null=True, blank=True)
    to_level = models.PositiveSmallIntegerField(_("to level"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, **text_limit(TEXT_MAX))
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = ComplaintEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["complaint", "created_at"], name="event_complaint_time"),
            models.Index(fields=["kind", "created_at"], name="event_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Complaint events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Complaint events are append-only.")


from .attachments import ComplaintAttachment  # noqa: E402,F401  (photos and documents of a step, issue 11)
from .calendar import CalendarHoliday, WorkingHours  # noqa: E402,F401  (models of the working calendar)

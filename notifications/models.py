"""In-app notifications for staff, each also delivered once by e-mail (notifications/delivery.py).

A notification stores *what happened* (kind, complaint, JSON data), never a frozen sentence:
the text is rendered when it is shown, in the reader's language (notifications/texts.py).
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.fields import ChoiceDisplayMixin


class Kind(models.TextChoices):
    """What the notification is about. The data keys each kind reads are listed in texts.py."""

    REPLY_OVERDUE = "reply_overdue", _("Reply deadline missed")  # R-T1
    PROGRESS_REPORT_DUE = "progress_report_due", _("Progress report due")  # R-T2
    COMPLETION_OVERDUE = "completion_overdue", _("Committed completion date missed")  # R-T3
    NEWER_COMPLAINT_LINKED = "newer_complaint_linked", _("Newer complaint from the same complainant")  # R-T4
    MOVED_UP = "moved_up", _("Moved up")  # R-C8
    REASSIGNED = "reassigned", _("Reassigned")
    OFFICE_WITHOUT_SUPERVISOR = "office_without_supervisor", _("Office without a supervisor")  # to managers
    INFORMATION_ADDED = "information_added", _("Information added by the complainant")  # R-P2
    COMPLAINANT_ANSWERED = "complainant_answered", _("The complainant answered online")  # R-P3
    MESSAGE_LEFT = "message_left", _("Phone message for you")  # R-F6
    MESSAGE_OVERDUE = "message_overdue", _("Phone message not called back in time")  # R-F6, to supervisors
    # issue 13: the procedure's people at every step
    DEPARTMENT_ASSIGNED = "department_assigned", _("Your department is asked to investigate")  # R-C6
    DEPARTMENT_PROGRESS = "department_progress", _("Progress reported by the department")  # R-C9.3
    SPECIAL_INCIDENT = "special_incident", _("Special incident")  # R-C6.2, to supervisors and managers
    OUTSIDE_BODY_ANSWERED = "outside_body_answered", _("The outside body answered")  # R-C8 level 3
    VISIT_PLAN_SUBMITTED = "visit_plan_submitted", _("Visit plan submitted for review")  # R-CU3, to managers
    VISIT_PLAN_RETURNED = "visit_plan_returned", _("Visit plan returned")  # to the account manager
    VISIT_PLAN_APPROVED = "visit_plan_approved", _("Visit plan approved")  # to the account manager
    VISIT_MISSED = "visit_missed", _("Customer visit missed")  # R-T5, to the visitor and supervisors


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (no e-mail address)")


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(recipient_id=user.pk)

    def unread(self):
        return self.filter(read_at__isnull=True)

    def mark_read(self, now=None) -> int:
        """One UPDATE; rows already read keep their first read time."""
        return self.filter(read_at__isnull=True).update(read_at=now or timezone.now())


class Notification(ChoiceDisplayMixin, models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind)
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    email_status = models.CharField(_("e-mail status"), max_length=10, choices=EmailStatus, default=EmailStatus.PENDING)
    email_attempts = models.PositiveSmallIntegerField(
        _("e-mail attempts"), default=0, help_text=_("How many times sending the e-mail was tried.")
    )
    email_last_error = models.TextField(_("last e-mail error"), blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # the bell's unread count and "mark all as read"
            models.Index(fields=["recipient", "read_at"], name="notification_recipient_read"),
            # the user's list, newest first
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recipient_recent"),
            # the periodic redelivery of pending e-mails
            models.Index(fields=["email_status", "created_at"], name="notification_email_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="notification_kind_valid"),
            models.CheckConstraint(
                condition=Q(email_status__in=EmailStatus.values), name="notification_email_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(email_status=EmailStatus.SENT) | Q(emailed_at__isnull=False),
                name="notification_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference} → {self.recipient_id}"

    @property
    def reference(self) -> str:
        """The complaint's reference, "#<id>" (no query: only the id is read)."""
        return f"#{self.complaint_id}" if self.complaint_id else "#—"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def link(self) -> str:
        """The path of the page a notification without a complaint is about (a visit plan, a
        visit): `data["link"]`, a URL name and its arguments (`services.page_link`), reversed
        when shown, so a page whose URL moved is still found. Empty if there is none or it no
        longer resolves. No query."""
        target = (self.data or {}).get("link")
        if not isinstance(target, dict) or not target.get("name"):
            return ""
        args = target.get("args") or []
        try:
            return reverse(str(target["name"]), args=list(args) if isinstance(args, list) else [])
        except NoReverseMatch:
            return ""

    @property
    def message(self) -> str:
        """The sentence for the reader, in the active language."""
        from .texts import render_message

        return render_message(self.kind, complaint_id=self.complaint_id, data=self.data)


# ============================================================================ the outbox
class NoticeChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Notice(models.Model):
    """One message to someone who is not a user — a complainant (R-P4) — by SMS or e-mail.

    The caller renders the text in the recipient's language and writes the row inside its own
    transaction (`notifications.outbox.queue_notice`); it is sent after commit, retried with
    backoff and, when sent, announced with `notifications.signals.notice_sent` (the
    complainant's timeline records it). Nothing here knows what a complaint is: `complaint`
    only names the row the notice is about, and `kind` is the caller's word for why."""

    channel = models.CharField(_("channel"), max_length=10, choices=NoticeChannel)
    to = models.CharField(_("to"), max_length=254)
    language = models.CharField(_("language"), max_length=10)
    kind = models.CharField(_("kind"), max_length=40)
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    not_before = models.DateTimeField(_("not before"), default=timezone.now, help_text=_("SMS quiet hours."))
    status = models.CharField(_("status"), max_length=10, choices=NoticeStatus, default=NoticeStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    parts = models.PositiveSmallIntegerField(
        _("parts"), default=0, help_text=_("SMS messages the text was split into.")
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "not_before"], name="notice_pending", condition=Q(status="pending")),
            models.Index(fields=["complaint", "created_at"], name="notice_complaint"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=NoticeChannel.values), name="notice_channel_valid"),
            models.CheckConstraint(condition=Q(status__in=NoticeStatus.values), name="notice_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=NoticeStatus.SENT) | Q(sent_at__isnull=False), name="notice_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.kind} → {self.masked_to}"

    @property
    def masked_to(self) -> str:
        from .outbox import mask_address

        return mask_address(self.channel, self.to)

"""Messages for absent colleagues (R-F6, 同事不在幫接電話時，要有留言): a call taken for someone
who is away becomes a message on their desk until they mark it done."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from helpdesk.bounds import NOTE_MAX, text_limit, validate_day_in_range
from helpdesk.fields import ChoiceDisplayMixin, PhoneField

USER = settings.AUTH_USER_MODEL


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")


class PhoneMessage(ChoiceDisplayMixin, models.Model):
    """Who called, how to reach them, about what, how urgent, and by when they were promised a
    call back. Done when the colleague marks it so (or it became a complaint); a message still
    open past its call-back time is flagged to the supervisors once (`overdue_flagged_at`)."""

    office = models.ForeignKey("accounts.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+")
    taken_by = models.ForeignKey(USER, verbose_name=_("taken by"), on_delete=models.PROTECT, related_name="+")
    for_user = models.ForeignKey(USER, verbose_name=_("for"), on_delete=models.PROTECT, related_name="phone_messages")
    caller_name = models.CharField(_("caller"), max_length=120)
    contact_phone = PhoneField(_("phone"), max_length=40, blank=True)
    contact_other = models.CharField(_("other contact"), max_length=120, blank=True)
    about = models.TextField(_("about"), **text_limit(NOTE_MAX))
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="phone_messages",
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency, default=Urgency.NORMAL)
    call_back_by = models.DateTimeField(_("call back by"), validators=[validate_day_in_range])
    created_at = models.DateTimeField(_("taken at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        USER, verbose_name=_("done by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_note = models.TextField(_("what was done"), blank=True, **text_limit(NOTE_MAX))
    overdue_flagged_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    converted_to = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("became complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("phone message")
        verbose_name_plural = _("phone messages")
        ordering = ["call_back_by", "id"]
        indexes = [
            # a colleague's desk: their open messages
            models.Index(
                fields=["for_user", "call_back_by"], name="message_open_for", condition=Q(done_at__isnull=True)
            ),
            # the overdue sweep: open, not flagged yet, by call-back time
            models.Index(
                fields=["call_back_by"],
                name="message_overdue_due",
                condition=Q(done_at__isnull=True, overdue_flagged_at__isnull=True),
            ),
            models.Index(fields=["office", "-created_at"], name="message_office_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(urgency__in=Urgency.values), name="message_urgency_valid"),
            models.CheckConstraint(
                condition=Q(converted_to__isnull=True) | Q(done_at__isnull=False), name="message_converted_is_done"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.caller_name} → {self.for_user_id}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

"""What the complainant's side keeps beside a complaint: the complainant's preferences and
consent, their private links (hashed), and the e-mails already taken in."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    WEB = "web", _("Online form")
    EMAIL = "email", _("E-mail")
    DESK = "desk", _("Logged by staff")


class ComplainantAccess(models.Model):
    """One per complaint the complainant can follow: their language, how they want to be told
    (R-P4) and the personal-information notice they accepted (R-P1, PIPL)."""

    complaint = models.OneToOneField(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.PROTECT,
        related_name="complainant_access",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.WEB)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    notify_sms = models.BooleanField(_("notices by SMS"), default=True)
    notify_email = models.BooleanField(_("notices by e-mail"), default=True)
    notices_stopped_at = models.DateTimeField(_("notices stopped at"), null=True, blank=True)
    consent_version = models.CharField(_("privacy notice version"), max_length=20, blank=True)
    consent_sha256 = models.CharField(_("privacy notice text (SHA-256)"), max_length=64, blank=True)
    consented_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("complainant access")
        verbose_name_plural = _("complainant access")

    def __str__(self) -> str:
        return f"#{self.complaint_id}"

    @property
    def notices_on(self) -> bool:
        return self.notices_stopped_at is None


class AccessTokenQuerySet(models.QuerySet):
    def active(self) -> AccessTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class AccessToken(models.Model):
    """A private link to one complaint. Only the SHA-256 of the token is stored: the link is
    shown once (and sent to the complainant), and cannot be read back from the database."""

    complaint = models.ForeignKey(
        "complaints.Complaint", verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="access_tokens"
    )
    nonce = models.CharField(_("nonce"), max_length=64, unique=True)
    token_hash = models.CharField(_("token (SHA-256)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("private link")
        verbose_name_plural = _("private links")
        indexes = [models.Index(fields=["complaint", "created_at"], name="token_complaint")]

    def __str__(self) -> str:
        return f"#{self.complaint_id} {'revoked' if self.revoked_at else 'active'}"


class InboundOutcome(models.TextChoices):
    CREATED = "created", _("New complaint")
    APPENDED = "appended", _("Added to a complaint")
    IGNORED = "ignored", _("Ignored (automatic reply, bounce or loop)")
    REJECTED = "rejected", _("Rejected")


class InboundEmail(models.Model):
    """An e-mail taken in (R-C1 online), once: its Message-ID is unique, written in the same
    transaction as the complaint it created or the information it added."""

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    sender = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=InboundOutcome)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbound_emails",
    )

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.message_id

"""The manager's satisfaction sampling for the agents' performance review (R-F5, seed 000:
抽查部門員工的服務客戶的滿意度作為績效考核): a random — but reproducible — sample of each agent's
closed complaints of a month, each re-checked by phone and recorded as an event on the
complaint (`satisfaction_rechecked`)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.bounds import NOTE_MAX, text_limit

USER = settings.AUTH_USER_MODEL


class KpiSample(models.Model):
    """One agent's sample for one month, drawn with `seed` (the same seed draws the same
    complaints from the same month)."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    agent = models.ForeignKey(USER, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="kpi_samples")
    size = models.PositiveSmallIntegerField(_("sample size"))
    seed = models.BigIntegerField(_("seed"))
    drawn_by = models.ForeignKey(USER, verbose_name=_("drawn by"), on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(_("drawn at"), default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction sample")
        verbose_name_plural = _("satisfaction samples")
        ordering = ["-month", "agent_id"]
        permissions = [("view_agent_kpis", _("Can see the agents' performance figures and draw samples"))]
        constraints = [
            models.UniqueConstraint(fields=["month", "agent"], name="one_sample_per_agent_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="sample_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agent_id}"


class KpiSampleItem(models.Model):
    """A sampled complaint and its re-check (empty until the manager has phoned)."""

    sample = models.ForeignKey(KpiSample, verbose_name=_("sample"), on_delete=models.CASCADE, related_name="items")
    complaint = models.ForeignKey(
        "complaints.Complaint", verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    rechecked_at = models.DateTimeField(_("re-checked at"), null=True, blank=True)
    rechecked_by = models.ForeignKey(
        USER, verbose_name=_("re-checked by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reached = models.BooleanField(_("complainant reached"), null=True, blank=True)
    satisfied = models.BooleanField(_("satisfied"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating (1–5)"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, **text_limit(NOTE_MAX))

    class Meta:
        verbose_name = _("sampled complaint")
        verbose_name_plural = _("sampled complaints")
        ordering = ["sample_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "complaint"], name="sample_complaint_once"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="sample_rating_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sample} #{self.complaint_id}"

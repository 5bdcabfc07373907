"""Each agent's daily work log and monthly summary (R-F4)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpdesk.bounds import TEXT_MAX, text_limit, validate_day_in_range

USER = settings.AUTH_USER_MODEL


class WorkLog(models.Model):
    """An agent's daily work log (R-F4): the day's work, lessons worth sharing, and special
    customer situations to report to the department."""

    agent = models.ForeignKey(USER, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="work_logs")
    office = models.ForeignKey(
        "accounts.Office", verbose_name=_("office"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("day"), validators=[validate_day_in_range])
    work_done = models.TextField(_("work done"), **text_limit(TEXT_MAX))
    lessons = models.TextField(_("lessons worth sharing"), blank=True, **text_limit(TEXT_MAX))
    special_situations = models.TextField(_("special customer situations"), blank=True, **text_limit(TEXT_MAX))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("daily work log")
        verbose_name_plural = _("daily work logs")
        ordering = ["-day"]
        permissions = [("view_team_logs", _("Can read the work logs and summaries of the office's agents"))]
        constraints = [models.UniqueConstraint(fields=["agent", "day"], name="worklog_one_per_day")]

    def __str__(self) -> str:
        return f"{self.agent} · {self.day:%Y-%m-%d}"


class WorkSummary(models.Model):
    """An agent's monthly work summary (R-F4), written from the month's daily logs."""

    agent = models.ForeignKey(USER, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="work_summaries")
    office = models.ForeignKey(
        "accounts.Office", verbose_name=_("office"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))
    summary = models.TextField(_("summary"), **text_limit(TEXT_MAX))
    special_situations = models.TextField(_("special customer situations"), blank=True, **text_limit(TEXT_MAX))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("monthly work summary")
        verbose_name_plural = _("monthly work summaries")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "month"], name="worksummary_one_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="worksummary_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} · {self.month:%Y-%m}"

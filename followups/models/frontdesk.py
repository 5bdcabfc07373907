"""The front desk: the visitor reception log (R-F2) and field trips (R-F3)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from helpdesk.bounds import TEXT_MAX, text_limit, validate_day_in_range

USER = settings.AUTH_USER_MODEL


class Reception(models.Model):
    """A visitor received at the service centre (R-F2, 來賓接待)."""

    office = models.ForeignKey("accounts.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+")
    arrived_at = models.DateTimeField(_("arrived at"), default=timezone.now, validators=[validate_day_in_range])
    visitor_name = models.CharField(_("visitor"), max_length=120)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT, related_name="receptions"
    )
    purpose = models.CharField(_("purpose"), max_length=300)
    received_by = models.ForeignKey(USER, verbose_name=_("received by"), on_delete=models.PROTECT, related_name="+")
    summary = models.TextField(_("summary"), blank=True, **text_limit(TEXT_MAX))
    logged_by = models.ForeignKey(USER, verbose_name=_("logged by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visitor reception")
        verbose_name_plural = _("visitor receptions")
        ordering = ["-arrived_at", "-id"]
        indexes = [models.Index(fields=["office", "-arrived_at"], name="reception_office_recent")]

    def __str__(self) -> str:
        return f"{self.arrived_at:%Y-%m-%d %H:%M} {self.visitor_name}"


class TripStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    REPORTED = "reported", _("reported")


class FieldTrip(models.Model):
    """Field service (R-F3, 外出客服): planned route and appointment, then the trip report."""

    office = models.ForeignKey("accounts.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(USER, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="field_trips")
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="field_trips"
    )
    planned_on = models.DateField(_("planned on"), validators=[validate_day_in_range])
    route = models.CharField(_("route"), max_length=300)
    appointment = models.CharField(_("appointment"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TripStatus, default=TripStatus.PLANNED)
    feedback = models.TextField(_("on-site feedback"), blank=True, **text_limit(TEXT_MAX))
    second_contract_potential = models.BooleanField(_("second-contract potential"), default=False)
    next_appointment = models.DateField(
        _("next appointment"), null=True, blank=True, validators=[validate_day_in_range]
    )
    report = models.TextField(_("trip report"), blank=True, **text_limit(TEXT_MAX))
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("field trip")
        verbose_name_plural = _("field trips")
        ordering = ["-planned_on", "-id"]
        indexes = [models.Index(fields=["office", "-planned_on"], name="fieldtrip_office_recent")]

    def __str__(self) -> str:
        return f"{self.planned_on:%Y-%m-%d} {self.customer}"

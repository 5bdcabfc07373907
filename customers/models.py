"""The customer archive (R-CU1, R-CU2). Issue 4 adds the confidential archive parts."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.validators import validate_phone


class Tier(models.TextChoices):
    """R-CU1 customer tiers."""

    A = "A", _("A — government, ≥ 20,000 t or brand influence")
    B = "B", _("B — second-contract potential, 10,000–20,000 t")
    C = "C", _("C — ordinary customer")


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200, db_index=True)
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, default=Tier.C, db_index=True)
    tier_reason = models.TextField(_("tier reason"), blank=True)
    contact_person = models.CharField(_("contact person"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[validate_phone])
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(tier__in=["A", "B", "C"]), name="customer_tier_valid"),
        ]

    def __str__(self) -> str:
        return self.name

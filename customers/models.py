"""The customer archive (R-CU1, R-CU2, R-CU5): customers with their A/B/C tier, the
confidential archive (licence, credit, production facts, transactions, documents), the
tier history and the log of every look at confidential material."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.bounds import ARCHIVE_TEXT_MAX, NOTE_MAX, text_limit, validate_day_in_range
from helpdesk.db import AppendOnlyModel, AppendOnlyQuerySet
from helpdesk.fields import ChoiceDisplayMixin, EmailAddressField, PhoneField

from .storage import private_storage


class Tier(models.TextChoices):
    """R-CU1 customer tiers."""

    A = "A", _("A — government, ≥ 20,000 t or brand influence")
    B = "B", _("B — second-contract potential, 10,000–20,000 t")
    C = "C", _("C — ordinary customer")


class CreditStatus(models.TextChoices):
    UNKNOWN = "", _("not assessed")
    GOOD = "good", _("good")
    NORMAL = "normal", _("normal")
    WATCH = "watch", _("on watch")
    BAD = "bad", _("bad")


# The archive fields only manager, supervisor and customer-information roles may see (R-CU5).
# The HTML pages and the API both read this tuple and `customers.access`.
CONFIDENTIAL_FIELDS = (
    "licence_no",
    "tax_registration_no",
    "credit_status",
    "credit_rating",
    "production_process",
    "scale_tonnes",
    "raw_materials",
    "investment",
    "archive_notes",
)


class Customer(ChoiceDisplayMixin, models.Model):
    name = models.CharField(_("name"), max_length=200, db_index=True)
    tier = models.CharField(_("tier"), max_length=1, choices=Tier, default=Tier.C, db_index=True)
    tier_reason = models.TextField(_("tier reason"), blank=True, **text_limit(NOTE_MAX))
    contact_person = models.CharField(_("contact person"), max_length=120, blank=True)
    phone = PhoneField(_("phone"), max_length=40, blank=True)  # stored normalised, validate_phone
    email = EmailAddressField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
        help_text=_("Visits twice a month (R-CU3) and submits the monthly visit plan."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # ---- confidential archive (R-CU2, R-CU5) ----
    licence_no = models.CharField(_("business licence no."), max_length=60, blank=True)
    tax_registration_no = models.CharField(_("tax registration no."), max_length=60, blank=True)
    credit_status = models.CharField(
        _("credit status"), max_length=10, choices=CreditStatus, blank=True, default=CreditStatus.UNKNOWN
    )
    credit_rating = models.CharField(_("credit rating"), max_length=20, blank=True)
    production_process = models.TextField(_("production process"), blank=True, **text_limit(ARCHIVE_TEXT_MAX))
    scale_tonnes = models.PositiveIntegerField(_("scale (tonnes)"), null=True, blank=True)
    raw_materials = models.TextField(_("raw materials"), blank=True, **text_limit(ARCHIVE_TEXT_MAX))
    investment = models.TextField(_("production investment"), blank=True, **text_limit(ARCHIVE_TEXT_MAX))
    archive_notes = models.TextField(_("archive notes"), blank=True, **text_limit(ARCHIVE_TEXT_MAX))

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(tier__in=["A", "B", "C"]), name="customer_tier_valid"),
        ]
        permissions = [
            ("view_confidential", _("Can see the confidential customer archive")),
            ("view_churn", _("Can see the churn analysis")),  # R-CU7
        ]

    def __str__(self) -> str:
        return self.name

    def change_tier(self, *, new_tier: str, reason: str, by) -> "TierChange":
        """R-CU1: the only way a tier changes — see `customers.services.change_tier`."""
        from .services import change_tier

        return change_tier(self, new_tier=new_tier, reason=reason, by=by)


class TierChange(AppendOnlyModel, models.Model):
    """One tier change (R-CU1). Append-only: the ORM, the admin and (on PostgreSQL) a
    trigger refuse UPDATE, DELETE and TRUNCATE (`helpdesk.db`)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tier_changes"
    )
    old_tier = models.CharField(_("old tier"), max_length=1, choices=Tier)
    new_tier = models.CharField(_("new tier"), max_length=1, choices=Tier)
    reason = models.TextField(_("reason"), **text_limit(NOTE_MAX))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer}: {self.old_tier} → {self.new_tier}"


class CreditRating(models.TextChoices):
    """R-CU7 credit evaluation (客戶信用調查及信用度評估)."""

    A = "A", _("A — good: pays on time")
    B = "B", _("B — fair: occasional delays")
    C = "C", _("C — poor: frequent delays or disputes")
    D = "D", _("D — bad: defaulted")


class CreditEvaluation(AppendOnlyModel, models.Model):
    """One credit evaluation of a customer by the customer-information specialist (R-CU7): the
    rating, its basis, the date it refers to and who made it. The history is kept like tier
    changes (append-only); confidential like the archive (`customers.access`)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="credit_evaluations"
    )
    rating = models.CharField(_("credit rating"), max_length=1, choices=CreditRating)
    basis = models.TextField(_("basis"), **text_limit(NOTE_MAX))
    evaluated_on = models.DateField(_("evaluated on"), validators=[validate_day_in_range])
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("evaluated by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit evaluation")
        verbose_name_plural = _("credit evaluations")
        ordering = ["-evaluated_on", "-id"]
        indexes = [models.Index(fields=["customer", "-evaluated_on", "-id"], name="credit_customer_latest")]
        constraints = [models.CheckConstraint(condition=Q(rating__in=CreditRating.values), name="credit_rating_valid")]

    def __str__(self) -> str:
        return f"{self.customer}: {self.rating} ({self.evaluated_on})"


class CustomerTransaction(models.Model):
    """A past transaction (R-CU2) — confidential."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="transactions"
    )
    date = models.DateField(_("date"), validators=[validate_day_in_range])
    description = models.CharField(_("description"), max_length=300)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.description}"


class DocumentKind(models.TextChoices):
    CONTRACT = "contract", _("contract")
    CORRESPONDENCE = "correspondence", _("correspondence")
    PAYMENT_REQUEST = "payment_request", _("payment request")
    SURVEY_FORM = "survey_form", _("signed survey form")
    VISIT_FORM = "visit_form", _("signed visit form")
    COMPLAINT_FORM = "complaint_form", _("complaint form")
    LICENCE = "licence", _("licence or tax registration")
    OTHER = "other", _("other")


def _document_path(instance, filename: str) -> str:
    # never the uploaded name on disk: a random name inside the customer's folder
    return f"customers/{instance.customer_id}/{uuid.uuid4().hex}"


class CustomerDocument(models.Model):
    """An archive document (R-CU2) — confidential; served only by the download view."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind)
    title = models.CharField(_("title"), max_length=200, blank=True)
    file = models.FileField(_("file"), storage=private_storage, upload_to=_document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=160)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("archive document")
        verbose_name_plural = _("archive documents")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.title or self.original_name


class AccessAction(models.TextChoices):
    VIEW_ARCHIVE = "view_archive", _("viewed the confidential archive")
    DOWNLOAD = "download", _("opened a document")
    UPLOAD = "upload", _("uploaded a document")
    API_VIEW = "api_view", _("read the archive over the API")


class ArchiveAccess(AppendOnlyModel, models.Model):
    """Who looked at which confidential material, and when (R-CU5). Append-only: the ORM,
    the admin and (on PostgreSQL) a trigger refuse UPDATE, DELETE and TRUNCATE (`helpdesk.db`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="access_log"
    )
    document = models.ForeignKey(
        CustomerDocument,
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_log",
    )
    action = models.CharField(_("action"), max_length=20, choices=AccessAction)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("archive access")
        verbose_name_plural = _("archive access log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_action_display()} · {self.at:%Y-%m-%d %H:%M}"

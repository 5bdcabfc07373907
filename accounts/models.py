"""Staff users and the offices (管理處 / service centres) they belong to."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Office(models.Model):
    """A management office / service centre. Each logs and handles its own complaints;
    the head-office customer-service centre (R-C11) sees all of them."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    is_head_office = models.BooleanField(_("head office"), default=False)
    # R-T1 / R-C8: the supervisor a complaint that missed its reply time is moved up to (its
    # receiver at level 1). Empty: the office's active supervisors take them in turn.
    supervisor_on_duty = models.ForeignKey(
        "accounts.User",
        verbose_name=_("supervisor on duty"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Receives the complaints moved up for a missed reply time. Empty: the office's supervisors in turn."
        ),
    )

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """The SPEC's roles; each is a Django group of the same name (data migration)."""

    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    MANAGER = "manager", _("Manager")
    CUSTOMER_INFO = "customer_info", _("Customer-information specialist")
    EXECUTIVE = "executive", _("Executive")  # 分管領導 / 總裁: read-only dashboards, senior visits


class ExecutivePost(models.TextChoices):
    """The executive visits of R-CU3 (分管領導 / 總裁): who makes the division-head and the
    president visits of the tier schedules. Values match followups.VisitorRole."""

    DIVISION_HEAD = "division_head", _("division head")
    PRESIDENT = "president", _("president")


class User(AbstractUser):
    """A member of staff. `office` scopes what they see; `department` is the department a
    handler answers for (R-C6)."""

    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    department = models.ForeignKey(
        "complaints.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    # the language of this person's e-mails and notifications (empty: the site's language)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    # an executive who makes the senior visits of the tier schedules (R-CU3)
    executive_post = models.CharField(_("executive post"), max_length=20, choices=ExecutivePost, blank=True)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]  # django-stubs 5.2 omits Meta
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        full = self.get_full_name()
        return full or self.username

    def has_role(self, role: str) -> bool:
        return self.groups.filter(name=role).exists()

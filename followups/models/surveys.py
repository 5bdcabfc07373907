"""Satisfaction survey rounds, questions, responses and answers (R-CU6)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from helpdesk.bounds import TEXT_MAX, text_limit, validate_day_in_range

USER = settings.AUTH_USER_MODEL


class SurveyRound(models.Model):
    """A satisfaction survey sent to a set of customers (R-CU6)."""

    title = models.CharField(_("title"), max_length=200)
    customers = models.ManyToManyField(Customer, verbose_name=_("customers"), related_name="survey_rounds")
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True, validators=[validate_day_in_range])

    class Meta:
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class SurveyQuestion(models.Model):
    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("question"), max_length=300)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "position"], name="surveyquestion_position")]

    def __str__(self) -> str:
        return self.text


class SurveyChannel(models.TextChoices):
    LETTER = "letter", _("letter")
    DOOR_VISIT = "door_visit", _("door visit")
    PHONE = "phone", _("phone")
    ONLINE = "online", _("online")


class SurveyResponse(models.Model):
    round = models.ForeignKey(
        SurveyRound, verbose_name=_("survey round"), on_delete=models.PROTECT, related_name="responses"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="survey_responses"
    )
    channel = models.CharField(_("collected by"), max_length=12, choices=SurveyChannel)
    comments = models.TextField(_("comments"), blank=True, **text_limit(TEXT_MAX))
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-recorded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["round", "customer"], name="surveyresponse_one_per_customer")]

    def __str__(self) -> str:
        return f"{self.round} · {self.customer}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="answers")
    score = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="surveyanswer_one_per_question"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="surveyanswer_score_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.score}"

"""Forms for satisfaction surveys (R-CU6). They check shape only; `followups.surveys` holds
the rules and the views pass its ValidationError back onto the form."""

from django import forms
from django.db.models import BLANK_CHOICE_DASH, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Tier
from customers.widgets import CustomerChoiceField, CustomerListField
from helpdesk.bounds import TEXT_MAX, BoundedDateField

from . import surveys
from .models import SurveyChannel, SurveyRound

SCORE_CHOICES = [(score, str(score)) for score in range(surveys.MIN_SCORE, surveys.MAX_SCORE + 1)]


def _customer_label(customer: Customer) -> str:
    return f"{customer.name} · {customer.tier}"


class SurveyRoundForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=surveys.TITLE_MAX, error_messages={"required": _("Give the survey a title.")}
    )
    questions = forms.CharField(
        label=_("Questions"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One question per line; each is answered with a score from 1 (very dissatisfied) to 5 (very satisfied)."
        ),
        error_messages={"required": _("Add at least one question.")},
    )
    tiers = forms.MultipleChoiceField(
        label=_("Customer tiers"),
        choices=Tier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every customer of the ticked tiers receives the survey."),
    )
    customers = CustomerListField(
        label=_("Other customers"),
        queryset=Customer.objects.all(),
        required=False,
        help_text=_("Customers to add one by one, whatever their tier: one per line."),
    )
    closes_on = BoundedDateField(
        label=_("Closes on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional: the last day on which answers are recorded."),
    )

    def clean_questions(self) -> list[str]:
        """One question per line; empty lines are ignored, the rest is checked by the service."""
        return [line.strip() for line in self.cleaned_data["questions"].splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        if not data.get("tiers") and not data.get("customers") and not self.has_error("customers"):
            self.add_error("customers", _("Tick at least one tier or choose customers to survey."))
        return data

    def chosen_customers(self):
        """The customers of the ticked tiers plus those chosen one by one (a queryset)."""
        tiers = self.cleaned_data.get("tiers") or []
        picked = self.cleaned_data.get("customers") or []
        return Customer.objects.filter(Q(tier__in=tiers) | Q(pk__in=[c.pk for c in picked]))


def question_field_name(question_id: int) -> str:
    return f"question_{question_id}"


class SurveyResponseForm(forms.Form):
    """One customer's answers. Built for a round: the customer select lists those who have
    not answered yet; one 1–5 choice per question."""

    customer = CustomerChoiceField(
        label=_("Customer"),
        queryset=Customer.objects.none(),
        error_messages={
            "required": _("Choose the customer who answered."),
            "invalid_choice": _("Choose a customer of this survey who has not answered yet."),
        },
    )
    channel = forms.ChoiceField(
        label=_("Collected by"),
        choices=[*BLANK_CHOICE_DASH, *SurveyChannel.choices],
        error_messages={"required": _("Choose how the answers were collected.")},
    )
    comments = forms.CharField(
        label=_("Comments and suggestions"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, round: SurveyRound, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round
        self.questions = list(questions)
        self.fields["customer"].queryset = surveys.pending_customers(round)
        self.fields["customer"].widget.search_url = reverse("followups:survey_pending_customers", args=[round.pk])
        for question in self.questions:
            self.fields[question_field_name(question.pk)] = forms.TypedChoiceField(
                label=f"{question.position}. {question.text}",
                choices=SCORE_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Give a score from 1 to 5."),
                    "invalid_choice": _("Choose a score from 1 to 5."),
                },
            )

    def question_fields(self):
        return [self[question_field_name(q.pk)] for q in self.questions]

    def scores(self) -> dict[int, int]:
        return {q.pk: self.cleaned_data[question_field_name(q.pk)] for q in self.questions}

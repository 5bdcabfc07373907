"""Satisfaction surveys (R-CU6): send a round of questions to a set of customers, record each
customer's answers (by letter, door visit, phone or online), and read the results per
customer tier (R-CU1). The views and the admin call these functions; the rules live here."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from customers.models import Customer, Tier

from .models import SurveyAnswer, SurveyChannel, SurveyQuestion, SurveyResponse, SurveyRound

MIN_SCORE, MAX_SCORE = 1, 5
TITLE_MAX = SurveyRound._meta.get_field("title").max_length
QUESTION_MAX = SurveyQuestion._meta.get_field("text").max_length


# ============================================================================== rules
def is_closed(round: SurveyRound, *, today: datetime.date | None = None) -> bool:
    """A round takes answers up to and including its closing day."""
    if round.closes_on is None:
        return False
    return (today or timezone.localdate()) > round.closes_on


def _customer_ids(customers) -> list[int]:
    """A queryset of customers, or an iterable of customers or their ids -> distinct ids."""
    if isinstance(customers, QuerySet):
        ids = customers.order_by().values_list("pk", flat=True)
    else:
        ids = [getattr(c, "pk", c) for c in customers or ()]
    seen: dict[int, None] = {}
    for pk in ids:
        try:
            seen[int(pk)] = None
        except (TypeError, ValueError):
            raise ValidationError({"customers": gettext("“%(value)s” is not a customer.") % {"value": pk}}) from None
    return list(seen)


def create_round(
    *,
    title: str,
    questions: list[str],
    customers,
    by,
    closes_on: datetime.date | None = None,
) -> SurveyRound:
    """Open a survey round: its numbered questions and the customers it is sent to."""
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors.setdefault("title", []).append(gettext("Give the survey a title."))
    elif len(title) > TITLE_MAX:
        errors.setdefault("title", []).append(
            gettext("The title is too long (at most %(max)d characters).") % {"max": TITLE_MAX}
        )

    texts = [(q or "").strip() for q in (questions or [])]
    if not texts:
        errors.setdefault("questions", []).append(gettext("Add at least one question."))
    seen: set[str] = set()
    for number, text in enumerate(texts, start=1):
        if not text:
            errors.setdefault("questions", []).append(gettext("Question %(number)d is blank.") % {"number": number})
        elif len(text) > QUESTION_MAX:
            errors.setdefault("questions", []).append(
                gettext("Question %(number)d is too long (at most %(max)d characters).")
                % {"number": number, "max": QUESTION_MAX}
            )
        elif text.casefold() in seen:
            errors.setdefault("questions", []).append(
                gettext("Question %(number)d repeats an earlier question.") % {"number": number}
            )
        seen.add(text.casefold())

    if closes_on is not None and closes_on < timezone.localdate():
        errors.setdefault("closes_on", []).append(gettext("The closing date cannot be in the past."))

    ids = _customer_ids(customers)
    if not ids:
        errors.setdefault("customers", []).append(gettext("Choose at least one customer to survey."))
    else:
        known = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if missing := [pk for pk in ids if pk not in known]:
            errors.setdefault("customers", []).append(
                ngettext("Unknown customer: %(ids)s.", "Unknown customers: %(ids)s.", len(missing))
                % {"ids": ", ".join(map(str, missing))}
            )
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        survey = SurveyRound.objects.create(title=title, created_by=by, closes_on=closes_on)
        SurveyQuestion.objects.bulk_create(
            SurveyQuestion(round=survey, position=position, text=text) for position, text in enumerate(texts, start=1)
        )
        through = SurveyRound.customers.through
        through.objects.bulk_create(through(surveyround_id=survey.pk, customer_id=pk) for pk in ids)
    return survey


def _valid_score(score) -> bool:
    return isinstance(score, int) and not isinstance(score, bool) and MIN_SCORE <= score <= MAX_SCORE


def record_response(
    *, round: SurveyRound, customer: Customer, scores: Mapping[int, int], channel: str, comments: str = "", by
) -> SurveyResponse:
    """Record one customer's answers to a round: every question scored 1–5, once per customer."""
    customer_id = getattr(customer, "pk", customer)
    with transaction.atomic():
        # re-read the round under a lock: its closing day, and one response at a time per round
        survey = SurveyRound.objects.select_for_update().get(pk=round.pk)
        if is_closed(survey):
            raise ValidationError(
                gettext("This survey closed on %(date)s; no more responses can be recorded.")
                % {"date": survey.closes_on.isoformat()}
            )
        errors: dict[str, list[str]] = {}
        if channel not in SurveyChannel.values:
            errors["channel"] = [gettext("Choose how the answers were collected.")]
        if not survey.customers.filter(pk=customer_id).exists():
            errors["customer"] = [gettext("This customer was not sent this survey.")]
        elif SurveyResponse.objects.filter(round=survey, customer_id=customer_id).exists():
            errors["customer"] = [gettext("This customer has already answered this survey.")]

        questions = list(survey.questions.order_by("position", "pk"))
        by_id = {q.pk: q for q in questions}
        given: dict[int, int] = {}
        mentioned: set[int] = set()
        for key, score in (scores or {}).items():
            question_id = getattr(key, "pk", key)
            try:
                question_id = int(question_id)
            except (TypeError, ValueError):
                question_id = None
            if question_id not in by_id:
                errors.setdefault("scores", []).append(
                    gettext("“%(key)s” is not a question of this survey.") % {"key": key}
                )
                continue
            mentioned.add(question_id)
            if not _valid_score(score):
                errors.setdefault("scores", []).append(
                    gettext("Question %(number)d: the score must be a whole number from 1 to 5.")
                    % {"number": by_id[question_id].position}
                )
                continue
            given[question_id] = score
        unanswered = [q for q in questions if q.pk not in mentioned]
        if unanswered:
            errors.setdefault("scores", []).append(
                ngettext(
                    "Question %(numbers)s is not answered.", "Questions %(numbers)s are not answered.", len(unanswered)
                )
                % {"numbers": ", ".join(str(q.position) for q in unanswered)}
            )
        if errors:
            raise ValidationError(errors)

        try:
            with transaction.atomic():
                response = SurveyResponse.objects.create(
                    round=survey,
                    customer_id=customer_id,
                    channel=channel,
                    comments=(comments or "").strip(),
                    recorded_by=by,
                )
        except IntegrityError:  # another clerk recorded the same customer in the meantime
            raise ValidationError({"customer": gettext("This customer has already answered this survey.")}) from None
        SurveyAnswer.objects.bulk_create(
            SurveyAnswer(response=response, question_id=question_id, score=given[question_id])
            for question_id in (q.pk for q in questions)
        )
    return response


# ============================================================================ selectors
def _count_per_round(model_qs: QuerySet, round_field: str) -> Coalesce:
    counted = (
        model_qs.filter(**{round_field: OuterRef("pk")})
        .order_by()
        .values(round_field)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def rounds_with_counts() -> QuerySet[SurveyRound]:
    """Survey rounds with the number of customers invited, of responses and of questions,
    each counted in SQL (one query for the page, whatever its length)."""
    through = SurveyRound.customers.through
    return (
        SurveyRound.objects.select_related("created_by")
        .annotate(
            invited=_count_per_round(through.objects.all(), "surveyround"),
            responded=_count_per_round(SurveyResponse.objects.all(), "round"),
            question_count=_count_per_round(SurveyQuestion.objects.all(), "round"),
        )
        .order_by("-created_at", "-id")
    )


def pending_customers(round: SurveyRound) -> QuerySet[Customer]:
    """The round's customers who have not answered yet."""
    return round.customers.exclude(survey_responses__round=round).order_by("name", "pk")


@dataclass(frozen=True)
class TierScore:
    tier: str
    average: float | None
    answers: int


@dataclass
class QuestionResult:
    question_id: int
    position: int
    text: str
    cells: list[TierScore] = field(default_factory=list)
    total: int = 0  # sum of the scores: the overall average is exact, not an average of averages
    answers: int = 0

    @property
    def average(self) -> float | None:
        return self.total / self.answers if self.answers else None

    def for_tier(self, tier: str) -> TierScore:
        return next(cell for cell in self.cells if cell.tier == tier)


@dataclass(frozen=True)
class TierTurnout:
    tier: str
    label: str
    invited: int
    responded: int

    @property
    def rate(self) -> float | None:
        """Responses per customer invited, 0–1 (None when the tier had nobody to ask)."""
        return self.responded / self.invited if self.invited else None

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else 100 * self.rate


@dataclass
class SurveyResults:
    tiers: list[TierTurnout]
    questions: list[QuestionResult]

    def turnout(self, tier: str) -> TierTurnout:
        return next(t for t in self.tiers if t.tier == tier)

    @property
    def overall(self) -> TierTurnout:
        return TierTurnout(
            "", gettext("All tiers"), sum(t.invited for t in self.tiers), sum(t.responded for t in self.tiers)
        )


def results_by_tier(round: SurveyRound) -> SurveyResults:
    """The round's results per customer tier, aggregated in the database in two queries:
    (1) per question and tier, the average score, the number of answers and their sum;
    (2) per tier, the customers invited and those who answered. Tiers are the customers'
    current tiers."""
    rows = (
        SurveyQuestion.objects.filter(round=round)
        .values("pk", "position", "text", tier=F("answers__response__customer__tier"))
        .annotate(average=Avg("answers__score"), answer_count=Count("answers"), score_total=Sum("answers__score"))
        .order_by("position", "pk", "tier")
    )
    turnout = (
        Customer.objects.filter(survey_rounds=round)
        .values("tier")
        .annotate(
            invited=Count("pk", distinct=True),
            responded=Count("survey_responses", filter=Q(survey_responses__round=round), distinct=True),
        )
        .order_by("tier")
    )

    questions: dict[int, QuestionResult] = {}
    per_cell: dict[tuple[int, str], dict] = {}
    for row in rows:
        result = questions.setdefault(row["pk"], QuestionResult(row["pk"], row["position"], row["text"]))
        if row["tier"] is not None and row["answer_count"]:
            per_cell[(row["pk"], row["tier"])] = row
            result.total += row["score_total"]
            result.answers += row["answer_count"]
    for result in questions.values():
        for tier in Tier.values:
            row = per_cell.get((result.question_id, tier))
            result.cells.append(
                TierScore(tier, row["average"], row["answer_count"]) if row else TierScore(tier, None, 0)
            )

    counts = {row["tier"]: row for row in turnout}
    tiers = [
        TierTurnout(tier, str(label), counts.get(tier, {}).get("invited", 0), counts.get(tier, {}).get("responded", 0))
        for tier, label in Tier.choices
    ]
    return SurveyResults(tiers=tiers, questions=list(questions.values()))


def scores_of(responses: Iterable[SurveyResponse], questions: list[QuestionResult]) -> list[list[int | None]]:
    """For display: each response's scores in question order (answers prefetched)."""
    rows = []
    for response in responses:
        score_by_question = {answer.question_id: answer.score for answer in response.answers.all()}
        rows.append([score_by_question.get(q.question_id) for q in questions])
    return rows

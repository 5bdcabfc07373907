"""Satisfaction surveys (R-CU6), service level: opening a round, recording answers, and the
results per customer tier (R-CU1) aggregated in the database."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Customer
from followups import surveys
from followups.models import SurveyAnswer, SurveyQuestion, SurveyResponse, SurveyRound
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

QUESTIONS = ["Are you satisfied with our service?", "Is the wastewater treatment running normally?"]


def counts():
    return (
        SurveyRound.objects.count(),
        SurveyQuestion.objects.count(),
        SurveyResponse.objects.count(),
        SurveyAnswer.objects.count(),
    )


def new_round(by, customers, questions=QUESTIONS, **kwargs):
    return surveys.create_round(title="Spring 2025", questions=list(questions), customers=customers, by=by, **kwargs)


def answer(survey, customer, by, *scores, channel="phone", comments=""):
    questions = list(survey.questions.order_by("position"))
    return surveys.record_response(
        round=survey,
        customer=customer,
        by=by,
        channel=channel,
        comments=comments,
        scores={q.pk: s for q, s in zip(questions, scores, strict=True)},
    )


def error_messages(excinfo) -> list[str]:
    return excinfo.value.messages


# ------------------------------------------------------------------------ create_round
def test_a_round_numbers_its_questions_and_lists_its_customers(manager):
    # given
    a, b = CustomerFactory(tier="A"), CustomerFactory(tier="B")
    CustomerFactory(tier="C")
    # when
    survey = surveys.create_round(
        title="  Spring 2025 ",
        questions=[" First? ", "Second?"],
        customers=Customer.objects.filter(tier__in=["A", "B"]),
        by=manager,
        closes_on=timezone.localdate() + timedelta(days=30),
    )
    # then
    survey.refresh_from_db()
    assert survey.title == "Spring 2025" and survey.created_by == manager
    assert list(survey.questions.values_list("position", "text")) == [(1, "First?"), (2, "Second?")]
    assert set(survey.customers.all()) == {a, b}


@pytest.mark.parametrize("as_", ["ids", "instances", "strings"])
def test_customers_may_be_given_as_ids_or_instances_and_are_counted_once(manager, as_):
    a, c = CustomerFactory(tier="A"), CustomerFactory(tier="C")
    given = {"ids": [a.pk, c.pk, a.pk], "instances": [a, c, a], "strings": [str(a.pk), str(c.pk)]}[as_]
    survey = new_round(manager, given)
    assert sorted(survey.customers.values_list("pk", flat=True)) == sorted([a.pk, c.pk])


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"questions": []}, "questions", "Add at least one question."),
        ({"questions": ["Fine?", "   "]}, "questions", "Question 2 is blank."),
        ({"questions": ["Fine?", "fine?"]}, "questions", "Question 2 repeats an earlier question."),
        ({"questions": ["x" * 301]}, "questions", "Question 1 is too long (at most 300 characters)."),
        ({"title": "  "}, "title", "Give the survey a title."),
        ({"customers": []}, "customers", "Choose at least one customer to survey."),
        ({"customers": "empty queryset"}, "customers", "Choose at least one customer to survey."),
        ({"customers": [999_999]}, "customers", "Unknown customer: 999999."),
        ({"closes_on": "yesterday"}, "closes_on", "The closing date cannot be in the past."),
    ],
)
def test_bad_rounds_are_refused_with_a_clear_message_and_nothing_saved(manager, kwargs, field, message):
    # given
    customer = CustomerFactory()
    args = {"title": "Spring", "questions": QUESTIONS, "customers": [customer.pk], "by": manager}
    args.update(kwargs)
    if args["customers"] == "empty queryset":
        args["customers"] = Customer.objects.filter(tier="A")
    if args.get("closes_on") == "yesterday":
        args["closes_on"] = timezone.localdate() - timedelta(days=1)
    before = counts()
    # when
    with pytest.raises(ValidationError) as excinfo:
        surveys.create_round(**args)
    # then
    assert message in excinfo.value.message_dict[field]
    assert counts() == before


def test_a_round_may_close_today(manager):
    survey = new_round(manager, [CustomerFactory()], closes_on=timezone.localdate())
    assert surveys.is_closed(survey) is False


# ---------------------------------------------------------------------- record_response
def test_a_response_stores_one_score_per_question(manager, info_user):
    # given
    customer = CustomerFactory(tier="B")
    survey = new_round(manager, [customer])
    # when
    response = answer(survey, customer, info_user, 4, 5, channel="door_visit", comments="  Keep it up. ")
    # then
    response.refresh_from_db()
    assert (response.round, response.customer, response.channel, response.comments, response.recorded_by) == (
        survey,
        customer,
        "door_visit",
        "Keep it up.",
        info_user,
    )
    assert list(response.answers.order_by("question__position").values_list("score", flat=True)) == [4, 5]


def bad_scores(survey, case):
    q1, q2 = survey.questions.order_by("position")
    return {
        "missing": {q1.pk: 4},
        "zero": {q1.pk: 0, q2.pk: 3},
        "six": {q1.pk: 6, q2.pk: 3},
        "text": {q1.pk: "abc", q2.pk: 3},
        "numeric string": {q1.pk: "4", q2.pk: 3},
        "fraction": {q1.pk: 3.5, q2.pk: 3},
        "boolean": {q1.pk: True, q2.pk: 3},
        "none": {q1.pk: None, q2.pk: 3},
        "other round's question": {q1.pk: 4, q2.pk: 3, 999_999: 2},
    }[case]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "Question 2 is not answered."),
        ("zero", "Question 1: the score must be a whole number from 1 to 5."),
        ("six", "Question 1: the score must be a whole number from 1 to 5."),
        ("text", "Question 1: the score must be a whole number from 1 to 5."),
        ("numeric string", "Question 1: the score must be a whole number from 1 to 5."),
        ("fraction", "Question 1: the score must be a whole number from 1 to 5."),
        ("boolean", "Question 1: the score must be a whole number from 1 to 5."),
        ("none", "Question 1: the score must be a whole number from 1 to 5."),
        ("other round's question", "“999999” is not a question of this survey."),
    ],
)
def test_every_question_needs_a_whole_score_from_1_to_5(manager, case, message):
    customer = CustomerFactory()
    survey = new_round(manager, [customer])
    before = counts()
    with pytest.raises(ValidationError) as excinfo:
        surveys.record_response(
            round=survey, customer=customer, scores=bad_scores(survey, case), channel="phone", comments="", by=manager
        )
    assert excinfo.value.message_dict["scores"] == [message]
    assert counts() == before


def test_no_scores_at_all_names_every_question(manager):
    customer = CustomerFactory()
    survey = new_round(manager, [customer])
    with pytest.raises(ValidationError) as excinfo:
        surveys.record_response(round=survey, customer=customer, scores={}, channel="phone", comments="", by=manager)
    assert excinfo.value.message_dict["scores"] == ["Questions 1, 2 are not answered."]


def test_a_customer_who_was_not_sent_the_survey_cannot_answer_it(manager):
    invited, outsider = CustomerFactory(), CustomerFactory()
    survey = new_round(manager, [invited])
    with pytest.raises(ValidationError) as excinfo:
        answer(survey, outsider, manager, 4, 4)
    assert excinfo.value.message_dict["customer"] == ["This customer was not sent this survey."]
    assert SurveyResponse.objects.count() == 0


def test_a_customer_answers_a_round_once(manager, info_user):
    # given
    customer = CustomerFactory()
    survey = new_round(manager, [customer])
    answer(survey, customer, manager, 4, 4)
    before = counts()
    # when: a second response for the same customer
    with pytest.raises(ValidationError) as excinfo:
        answer(survey, customer, info_user, 1, 1)
    # then: a clear error, not an IntegrityError, and the first answers stand
    assert excinfo.value.message_dict["customer"] == ["This customer has already answered this survey."]
    assert counts() == before
    assert set(SurveyAnswer.objects.values_list("score", flat=True)) == {4}


def test_the_same_customer_may_answer_another_round(manager):
    customer = CustomerFactory()
    first, second = new_round(manager, [customer]), new_round(manager, [customer])
    answer(first, customer, manager, 4, 4)
    answer(second, customer, manager, 2, 3)
    assert SurveyResponse.objects.filter(customer=customer).count() == 2


def test_an_unknown_channel_is_refused(manager):
    customer = CustomerFactory()
    survey = new_round(manager, [customer])
    with pytest.raises(ValidationError) as excinfo:
        answer(survey, customer, manager, 4, 4, channel="fax")
    assert excinfo.value.message_dict["channel"] == ["Choose how the answers were collected."]


def test_no_answers_are_recorded_after_the_closing_day(manager):
    # given a round that closed yesterday
    customer = CustomerFactory()
    survey = new_round(manager, [customer], closes_on=timezone.localdate())
    SurveyRound.objects.filter(pk=survey.pk).update(closes_on=timezone.localdate() - timedelta(days=1))
    survey.refresh_from_db()
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        answer(survey, customer, manager, 4, 4)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert excinfo.value.messages == [f"This survey closed on {yesterday}; no more responses can be recorded."]
    assert SurveyResponse.objects.count() == 0
    assert surveys.is_closed(survey)


def test_answers_are_recorded_on_the_closing_day(manager):
    customer = CustomerFactory()
    survey = new_round(manager, [customer], closes_on=timezone.localdate())
    answer(survey, customer, manager, 5, 5)
    assert SurveyResponse.objects.count() == 1


# ---------------------------------------------------------------------- results_by_tier
@pytest.fixture
def spring(manager):
    """Tier A: 3 invited, 2 answer; tier B: 3 invited, 3 answer; tier C: 1 invited, none answer.
    Scores (question 1, question 2): a1 5,4  a2 4,2 · b1 3,5  b2 2,5  b3 2,4."""
    a1, a2, a3 = (CustomerFactory(tier="A") for _ in range(3))
    b1, b2, b3 = (CustomerFactory(tier="B") for _ in range(3))
    c1 = CustomerFactory(tier="C")
    CustomerFactory(tier="C")  # not surveyed
    survey = new_round(manager, [a1, a2, a3, b1, b2, b3, c1])
    for customer, scores in [(a1, (5, 4)), (a2, (4, 2)), (b1, (3, 5)), (b2, (2, 5)), (b3, (2, 4))]:
        answer(survey, customer, manager, *scores)
    # another round with other answers from the same customers must not count
    other = new_round(manager, [a1, a3, c1])
    for customer in (a1, a3, c1):
        answer(other, customer, manager, 1, 1)
    return survey


def test_results_give_the_average_per_question_and_tier(spring):
    # when
    results = surveys.results_by_tier(spring)
    # then
    q1, q2 = results.questions
    assert (q1.position, q1.text, q2.position) == (1, QUESTIONS[0], 2)
    # question 1: A (5+4)/2, B (3+2+2)/3, C no answers; all (5+4+3+2+2)/5
    assert (q1.for_tier("A").average, q1.for_tier("A").answers) == (4.5, 2)
    assert q1.for_tier("B").average == pytest.approx(7 / 3) and q1.for_tier("B").answers == 3
    assert (q1.for_tier("C").average, q1.for_tier("C").answers) == (None, 0)
    assert (q1.average, q1.answers) == (3.2, 5)
    # question 2: A (4+2)/2, B (5+5+4)/3; all (4+2+5+5+4)/5
    assert q2.for_tier("A").average == 3.0
    assert q2.for_tier("B").average == pytest.approx(14 / 3)
    assert (q2.average, q2.answers) == (4.0, 5)
    assert [cell.tier for cell in q1.cells] == ["A", "B", "C"]


def test_results_give_the_response_rate_per_tier(spring):
    results = surveys.results_by_tier(spring)
    assert [(t.tier, t.invited, t.responded) for t in results.tiers] == [("A", 3, 2), ("B", 3, 3), ("C", 1, 0)]
    assert results.turnout("A").rate == pytest.approx(2 / 3)
    assert results.turnout("B").percent == 100
    assert results.turnout("C").rate == 0
    assert (results.overall.invited, results.overall.responded) == (7, 5)


def test_results_are_aggregated_in_two_queries(spring, django_assert_num_queries):
    with django_assert_num_queries(2):
        surveys.results_by_tier(spring)


def test_a_round_without_answers_has_empty_results(manager):
    survey = new_round(manager, [CustomerFactory(tier="A")])
    results = surveys.results_by_tier(survey)
    assert [(q.average, q.answers) for q in results.questions] == [(None, 0), (None, 0)]
    assert [(t.tier, t.invited, t.responded, t.rate) for t in results.tiers] == [
        ("A", 1, 0, 0),
        ("B", 0, 0, None),
        ("C", 0, 0, None),
    ]


def test_rounds_with_counts_counts_in_sql(spring, manager, django_assert_num_queries):
    with django_assert_num_queries(1):
        rounds = {
            r.pk: (r.invited, r.responded, r.question_count, r.created_by.username)
            for r in surveys.rounds_with_counts()
        }
    assert rounds[spring.pk] == (7, 5, 2, manager.username)
    assert sorted(rounds.values())[0][:3] == (3, 3, 2)

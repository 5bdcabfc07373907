"""Satisfaction surveys (R-CU6) through HTTP: the list of rounds, a new round, a round's
results per tier with its responses, recording answers; permissions per role, bad input
answered with 400 and nothing saved, and query counts that do not grow with the rows."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from followups import surveys
from followups.models import SurveyAnswer, SurveyQuestion, SurveyResponse, SurveyRound
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("followups:survey_list")
CREATE_URL = reverse("followups:survey_create")
# session, user, 2 × permissions, base.html (unread notifications, the user's office), then
# list: count + page (counts annotated in SQL);
# detail: round, 2 for the results per tier, count + page of responses + their answers.
LIST_MAX_QUERIES = 8
DETAIL_MAX_QUERIES = 12


def counts():
    return (
        SurveyRound.objects.count(),
        SurveyQuestion.objects.count(),
        SurveyResponse.objects.count(),
        SurveyAnswer.objects.count(),
    )


def detail_url(survey):
    return reverse("followups:survey_detail", args=[survey.pk])


def record_url(survey):
    return reverse("followups:survey_record_response", args=[survey.pk])


def new_round(by, customers, questions=("Satisfied with our service?", "Wastewater running normally?"), **kw):
    return surveys.create_round(title="Spring 2025", questions=list(questions), customers=customers, by=by, **kw)


def answer(survey, customer, by, *scores):
    questions = survey.questions.order_by("position")
    return surveys.record_response(
        round=survey,
        customer=customer,
        by=by,
        channel="letter",
        comments="",
        scores={q.pk: s for q, s in zip(questions, scores, strict=True)},
    )


def response_data(survey, customer, *scores, channel="phone", comments="All good."):
    data = {"customer": str(getattr(customer, "pk", customer)), "channel": channel, "comments": comments}
    for question, score in zip(survey.questions.order_by("position"), scores, strict=True):
        data[f"question_{question.pk}"] = str(score)
    return data


def success_messages(response):
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "success"]


# -------------------------------------------------------------------- permission matrix
ROLES = ["agent", "supervisor", "department_handler", "manager", "customer_info", "anonymous"]
OK, DENIED = "ok", "denied"
MATRIX = {
    "survey_list": dict(supervisor=OK, manager=OK, customer_info=OK),
    "survey_create": dict(manager=OK, customer_info=OK),
    "survey_detail": dict(supervisor=OK, manager=OK, customer_info=OK),
    "survey_record_response": dict(manager=OK, customer_info=OK),
}
MAY = {
    "survey_list": "supervisor",
    "survey_create": "customer_info",
    "survey_detail": "supervisor",
    "survey_record_response": "manager",
}


@pytest.fixture
def users(agent, supervisor, handler, manager, info_user):
    return {
        "agent": agent,
        "supervisor": supervisor,
        "department_handler": handler,
        "manager": manager,
        "customer_info": info_user,
        "anonymous": None,
    }


@pytest.mark.parametrize("name", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, users, manager, name, role):
    # given
    survey = new_round(manager, [CustomerFactory()])
    url = reverse(f"followups:{name}", kwargs={"pk": survey.pk} if "pk" in reverse_args(name) else {})
    if users[role]:
        client.force_login(users[role])
    # when
    response = client.get(url)
    # then
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        return
    expected = MATRIX[name].get(role, DENIED)
    assert response.status_code == (200 if expected == OK else 403), (name, role)
    if expected == DENIED:  # the same request by a role that may: the denial was the permission
        client.force_login(users[MAY[name]])
        assert client.get(url).status_code == 200


def reverse_args(name):
    return {"pk"} if name in ("survey_detail", "survey_record_response") else set()


@pytest.mark.parametrize("role", ["agent", "supervisor", "department_handler"])
def test_roles_without_permission_cannot_post(client, users, manager, role):
    customer = CustomerFactory(tier="A")
    survey = new_round(manager, [customer])
    client.force_login(users[role])
    before = counts()
    assert client.post(CREATE_URL, {"title": "X", "questions": "Q?", "tiers": ["A"]}).status_code == 403
    assert client.post(record_url(survey), response_data(survey, customer, 4, 4)).status_code == 403
    assert counts() == before


# --------------------------------------------------------------------------------- list
def test_the_list_shows_each_round_with_its_counts(client, info_user, manager):
    # given
    customers = [CustomerFactory(tier="A") for _ in range(4)]
    survey = new_round(manager, customers)
    answer(survey, customers[0], manager, 5, 5)
    client.force_login(info_user)
    # when
    response = client.get(LIST_URL)
    # then
    assert response.status_code == 200
    row = response.context["page"][0]
    assert (row.invited, row.responded, row.question_count) == (4, 1, 2)
    assert detail_url(survey).encode() in response.content
    assert b"25 %" in response.content
    assert CREATE_URL.encode() in response.content


def test_the_supervisor_sees_no_new_survey_button(client, supervisor, manager):
    new_round(manager, [CustomerFactory()])
    client.force_login(supervisor)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert CREATE_URL.encode() not in response.content


def test_the_list_query_count_does_not_grow_with_rows(client, manager, django_assert_max_num_queries):
    customers = [CustomerFactory() for _ in range(3)]
    client.force_login(manager)
    new_round(manager, customers[:1])
    with django_assert_max_num_queries(LIST_MAX_QUERIES) as small:
        assert client.get(LIST_URL).status_code == 200
    for _ in range(20):
        survey = new_round(manager, customers)
        answer(survey, customers[0], manager, 3, 4)
    with django_assert_max_num_queries(LIST_MAX_QUERIES) as large:
        response = client.get(LIST_URL)
    assert len(response.context["page"]) == 21
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_list_is_paginated(client, manager, settings):
    settings.HELPDESK_LIST_PAGE_SIZE = 2
    customer = CustomerFactory()
    for _ in range(3):
        new_round(manager, [customer])
    client.force_login(manager)
    response = client.get(LIST_URL, {"page": 2})
    assert len(response.context["page"]) == 1
    assert b"Page 2 of 2" in response.content


# ------------------------------------------------------------------------------- create
def test_a_round_is_created_for_ticked_tiers_and_chosen_customers(client, info_user):
    # given
    a1, a2 = CustomerFactory(tier="A"), CustomerFactory(tier="A")
    b = CustomerFactory(tier="B")
    c_chosen, _c_other = CustomerFactory(tier="C"), CustomerFactory(tier="C")
    client.force_login(info_user)
    closes_on = timezone.localdate() + timedelta(days=14)
    # when
    response = client.post(
        CREATE_URL,
        {
            "title": "Spring 2025",
            "questions": "Satisfied with our service?\n\n  Running normally?  \r\n",
            "tiers": ["A", "B"],
            "customers": [str(c_chosen.pk), str(a1.pk)],
            "closes_on": closes_on.isoformat(),
        },
    )
    # then
    survey = SurveyRound.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(survey)
    assert set(survey.customers.all()) == {a1, a2, b, c_chosen}
    assert list(survey.questions.values_list("text", flat=True)) == ["Satisfied with our service?", "Running normally?"]
    assert (survey.closes_on, survey.created_by) == (closes_on, info_user)
    assert success_messages(response) == ["Survey “Spring 2025” created and sent to 4 customers."]


def test_the_create_form_renders(client, manager):
    CustomerFactory(name="Harbour Water Works", tier="A")
    client.force_login(manager)
    response = client.get(CREATE_URL)
    assert response.status_code == 200
    assert b'name="tiers"' in response.content and b'name="customers"' in response.content
    # customers are suggested as one types, never all rendered into the page
    assert b"Harbour Water Works" not in response.content
    assert b'class="customer-picker customer-adder"' in response.content


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"questions": " \n \n"}, "questions", "Add at least one question."),
        ({"questions": "Same?\nsame?"}, "questions", "Question 2 repeats an earlier question."),
        ({"title": ""}, "title", "Give the survey a title."),
        ({"tiers": [], "customers": []}, "customers", "Tick at least one tier or choose customers to survey."),
        ({"tiers": ["B"]}, "customers", "Choose at least one customer to survey."),  # nobody in tier B
        ({"tiers": ["Z"]}, "tiers", None),
        ({"customers": ["999999"]}, "customers", None),
        ({"customers": ["abc"]}, "customers", None),
        ({"closes_on": "not a date"}, "closes_on", None),
        ({"closes_on": "2000-01-01"}, "closes_on", "The closing date cannot be in the past."),
    ],
)
def test_bad_rounds_are_shown_again_with_400_and_nothing_saved(client, manager, data, field, message):
    # given
    CustomerFactory(tier="A")
    client.force_login(manager)
    post = {"title": "Spring", "questions": "Satisfied?", "tiers": ["A"], "customers": [], "closes_on": ""}
    post.update(data)
    before = counts()
    # when
    response = client.post(CREATE_URL, post)
    # then
    assert response.status_code == 400
    assert counts() == before
    errors = response.context["form"].errors[field]
    if message:
        assert message in errors
    assert b"The survey was not saved" in response.content


# ------------------------------------------------------------------------------- detail
def test_the_detail_page_shows_results_per_tier_and_the_responses(client, supervisor, manager):
    # given: question 1 scored A 5 and 4, B 2; question 2 A 3 and 3, B 5
    a1, a2, a3 = (CustomerFactory(tier="A") for _ in range(3))
    b1, c1 = CustomerFactory(tier="B", name="Riverside Plant"), CustomerFactory(tier="C")
    survey = new_round(manager, [a1, a2, a3, b1, c1])
    answer(survey, a1, manager, 5, 3)
    answer(survey, a2, manager, 4, 3)
    answer(survey, b1, manager, 2, 5)
    client.force_login(supervisor)
    # when
    response = client.get(detail_url(survey))
    # then
    assert response.status_code == 200
    results = response.context["results"]
    q1, q2 = results.questions
    assert [(c.tier, c.average, c.answers) for c in q1.cells] == [("A", 4.5, 2), ("B", 2.0, 1), ("C", None, 0)]
    assert q1.average == pytest.approx(11 / 3) and q2.average == pytest.approx(11 / 3)
    html = response.content.decode()
    assert "4.50" in html and "3.67" in html and "67 %" in html and "100 %" in html and "0 %" in html
    assert "Riverside Plant" in html
    assert [scores for _response, scores in response.context["rows"]] == [[2, 5], [4, 3], [5, 3]]
    # a supervisor reads the results but does not record answers
    assert record_url(survey).encode() not in response.content


def test_the_detail_page_offers_recording_to_those_who_may(client, manager):
    survey = new_round(manager, [CustomerFactory()])
    client.force_login(manager)
    assert record_url(survey).encode() in client.get(detail_url(survey)).content


def test_an_unknown_round_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("followups:survey_detail", args=[999_999])).status_code == 404
    assert client.get(reverse("followups:survey_record_response", args=[999_999])).status_code == 404


def test_the_detail_query_count_does_not_grow_with_responses(client, manager, django_assert_max_num_queries):
    customers = [CustomerFactory(tier="ABC"[i % 3]) for i in range(24)]
    survey = new_round(manager, customers, questions=[f"Question {n}?" for n in range(1, 6)])
    answer(survey, customers[0], manager, 1, 2, 3, 4, 5)
    client.force_login(manager)
    with django_assert_max_num_queries(DETAIL_MAX_QUERIES) as small:
        assert client.get(detail_url(survey)).status_code == 200
    for customer in customers[1:]:
        answer(survey, customer, manager, 5, 4, 3, 2, 1)
    with django_assert_max_num_queries(DETAIL_MAX_QUERIES) as large:
        response = client.get(detail_url(survey))
    assert len(response.context["rows"]) == 24
    assert len(large.captured_queries) == len(small.captured_queries)


# ------------------------------------------------------------------------ record answers
def test_the_customer_select_lists_only_those_who_have_not_answered(client, info_user, manager):
    answered, pending = CustomerFactory(name="Answered Co"), CustomerFactory(name="Pending Co")
    CustomerFactory(name="Outsider Co")
    survey = new_round(manager, [answered, pending])
    answer(survey, answered, manager, 4, 4)
    client.force_login(info_user)
    response = client.get(record_url(survey))
    assert response.status_code == 200
    assert list(response.context["form"].fields["customer"].queryset) == [pending]
    html = response.content.decode()
    assert "Pending Co" not in html and "Answered Co" not in html and "Outsider Co" not in html
    # the suggestions of this form are the round's customers still to answer
    suggest = reverse("followups:survey_pending_customers", args=[survey.pk])
    assert suggest in html
    assert [r["label"] for r in client.get(suggest, {"q": "co"}).json()["results"]] == [f"Pending Co · #{pending.pk}"]


def test_answers_are_recorded_and_the_clerk_is_sent_back_to_the_round(client, info_user, manager):
    # given
    customer = CustomerFactory(name="Riverside Plant", tier="B")
    survey = new_round(manager, [customer])
    client.force_login(info_user)
    # when
    response = client.post(record_url(survey), response_data(survey, customer, 4, 2, channel="door_visit"))
    # then
    assert response.status_code == 302 and response["Location"] == detail_url(survey)
    saved = SurveyResponse.objects.get()
    assert (saved.customer, saved.channel, saved.comments, saved.recorded_by) == (
        customer,
        "door_visit",
        "All good.",
        info_user,
    )
    assert sorted(saved.answers.values_list("question__position", "score")) == [(1, 4), (2, 2)]
    assert success_messages(response) == ["Answers of Riverside Plant recorded."]


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("non-numeric score", "question"),
        ("score 0", "question"),
        ("score 6", "question"),
        ("missing score", "question"),
        ("customer not in the round", "customer"),
        ("unknown customer", "customer"),
        ("no customer", "customer"),
        ("second response", "customer"),
        ("unknown channel", "channel"),
    ],
)
def test_bad_answers_are_shown_again_with_400_and_nothing_saved(client, manager, case, field):
    # given
    invited, outsider = CustomerFactory(), CustomerFactory()
    survey = new_round(manager, [invited])
    q1 = survey.questions.get(position=1)
    data = response_data(survey, invited, 4, 4)
    if case == "second response":
        answer(survey, invited, manager, 3, 3)
    else:
        data.update(
            {
                "non-numeric score": {f"question_{q1.pk}": "abc"},
                "score 0": {f"question_{q1.pk}": "0"},
                "score 6": {f"question_{q1.pk}": "6"},
                "missing score": {f"question_{q1.pk}": ""},
                "customer not in the round": {"customer": str(outsider.pk)},
                "unknown customer": {"customer": "999999"},
                "no customer": {"customer": ""},
                "unknown channel": {"channel": "fax"},
            }[case]
        )
    client.force_login(manager)
    before = counts()
    # when
    response = client.post(record_url(survey), data)
    # then
    assert response.status_code == 400
    assert counts() == before
    errors = response.context["form"].errors
    assert (f"question_{q1.pk}" if field == "question" else field) in errors
    if field == "customer" and data["customer"]:
        assert errors["customer"] == ["Choose a customer of this survey who has not answered yet."]
    if field == "question" and case != "missing score":
        assert errors[f"question_{q1.pk}"] == ["Choose a score from 1 to 5."]
    assert b"The answers were not saved" in response.content


def test_a_closed_round_takes_no_more_answers(client, manager):
    # given
    customer = CustomerFactory()
    survey = new_round(manager, [customer])
    SurveyRound.objects.filter(pk=survey.pk).update(closes_on=timezone.localdate() - timedelta(days=1))
    client.force_login(manager)
    # when / then
    page = client.get(record_url(survey))
    assert page.status_code == 200 and b"no more responses can be recorded" in page.content
    assert b'name="channel"' not in page.content
    response = client.post(record_url(survey), response_data(survey, customer, 4, 4))
    assert response.status_code == 400
    assert SurveyResponse.objects.count() == 0
    assert record_url(survey).encode() not in client.get(detail_url(survey)).content


def test_a_rule_broken_between_form_and_save_is_a_form_error(client, manager, monkeypatch):
    # given: the form is valid, but the service (the rule) refuses, e.g. the round closed at midnight
    customer = CustomerFactory()
    survey = new_round(manager, [customer])

    def refuse(**kwargs):
        raise ValidationError("This survey closed on 2025-01-01; no more responses can be recorded.")

    monkeypatch.setattr(surveys, "record_response", refuse)
    client.force_login(manager)
    # when
    response = client.post(record_url(survey), response_data(survey, customer, 4, 4))
    # then
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "This survey closed on 2025-01-01; no more responses can be recorded."
    ]
    assert b"no more responses can be recorded" in response.content
    assert SurveyResponse.objects.count() == 0

"""Issue 16: every date and date-time a form or the API accepts lies between 1900-01-01 and
2100-12-31 (helpdesk.bounds), checked before it reaches the database on every write path:
the forms, the API (also the action serializers built from the forms) and `full_clean`."""

from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.models import Complaint
from customers.models import CustomerTransaction
from followups.models import FieldTrip, Reception, SurveyRound, Visit, WorkLog
from helpdesk.bounds import EARLIEST_DAY, LATEST_DAY
from tests.hardening.cases import api_intake_body, display_pages, html_cases

pytestmark = pytest.mark.django_db

MESSAGE = "Enter a date between 1900-01-01 and 2100-12-31."
EXTREMES = {
    "datetime": ["0001-01-01T00:00", "9999-12-31T23:59", "2101-01-01T00:00", "1899-12-31T23:59"],
    "date": ["0001-01-01", "9999-12-31", "2101-01-01", "1899-12-31"],
}
API_EXTREMES = [
    "0001-01-01T00:00:00",  # naive: made aware in Asia/Shanghai (LMT +08:05:43) → a BC date in UTC
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59-12:00",
    "2101-01-01T00:00:00+08:00",
    "1899-12-31T23:59:59+08:00",
]


def test_the_bounds_are_1900_to_2100():
    assert (EARLIEST_DAY, LATEST_DAY) == (date(1900, 1, 1), date(2100, 12, 31))


def test_every_form_refuses_extreme_dates_and_the_pages_still_open(client, world, agent, info_user):
    tried = 0
    for name, user, url, data, field, kind, saved in html_cases(world, agent, info_user):
        client.force_login(user)
        for value in EXTREMES[kind]:
            before = saved()
            # when one date field of an otherwise valid submission is extreme
            response = client.post(url, {**data, field: value})
            tried += 1
            # then the form is shown again with the message, and nothing was saved
            assert response.status_code in (200, 400), (name, value, response.status_code)
            assert MESSAGE in response.content.decode(), (name, value)
            assert saved() == before, (name, value)
        # the same submission with a sane date is accepted (it was the date that was refused)
        before = saved()
        response = client.post(url, data)
        assert response.status_code == 302, (name, response.status_code, response.content.decode()[:3000])
        assert saved() != before, name
    assert tried == 44
    client.force_login(agent)
    for url in display_pages(world, agent):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("value", EXTREMES["date"])
def test_date_filters_refuse_extreme_dates(client, agent, value):
    client.force_login(agent)
    for url, params in [
        ("/followups/reception/", {"date_from": value}),
        ("/followups/reception/", {"date_to": value}),
        ("/followups/visits/", {"start": value}),
        ("/followups/visits/", {"end": value}),
    ]:
        response = client.get(url, params)
        assert response.status_code < 500, (url, params)


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.parametrize("value", API_EXTREMES)
@pytest.mark.parametrize("field", ["incident_at", "reply_due_at"])
def test_api_intake_refuses_extreme_dates(agent, field, value):
    extra = {"outcome": "reply_time"} if field == "reply_due_at" else {}
    response = _api(agent).post("/api/v1/complaints/", api_intake_body(**extra, **{field: value}), format="json")
    assert response.status_code == 400, response.content
    assert response.json()[field] == [MESSAGE]
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("value", API_EXTREMES)
def test_api_actions_refuse_extreme_dates(world, agent, value):
    for complaint, action, field in [
        (world["received"], "agree-reply-time", "reply_due_at"),
        (world["handling"], "commit-completion", "completion_at"),
    ]:
        before = Complaint.objects.filter(pk=complaint.pk).values().get()
        response = _api(agent).post(
            f"/api/v1/complaints/{complaint.pk}/actions/{action}/", {field: value}, format="json"
        )
        assert response.status_code == 400, (action, response.content)
        assert response.json()[field] == [MESSAGE]
        assert Complaint.objects.filter(pk=complaint.pk).values().get() == before
    for url in display_pages(world, agent)[-4:]:
        assert _api(agent).get(url).status_code == 200


@pytest.mark.parametrize("value", [*API_EXTREMES, "0001-01-01", "9999-12-31"])
def test_api_date_filters_never_fail(agent, value):
    for param in ("received_after", "received_before"):
        assert _api(agent).get("/api/v1/complaints/", {param: value}).status_code in (200, 400)


@pytest.mark.parametrize("value", [date(1, 1, 1), date(9999, 12, 31), date(2101, 1, 1), date(1899, 12, 31)], ids=str)
def test_full_clean_refuses_extreme_dates_on_every_model_date_field(world, agent, value):
    as_datetime = datetime(value.year, value.month, value.day, tzinfo=timezone.get_default_timezone())
    complaint = world["received"]
    objects = [
        (complaint, ["received_at", "incident_at", "reply_due_at", "committed_completion_at"]),
        (world["trip"], ["planned_on", "next_appointment"]),
        (world["visit"], ["next_appointment"]),
        (
            Reception(office=agent.office, visitor_name="x", purpose="y", received_by=agent, logged_by=agent),
            ["arrived_at"],
        ),
        (WorkLog(agent=agent, day=value, work_done="x"), ["day"]),
        (SurveyRound(title="x", created_by=agent), ["closes_on"]),
        (CustomerTransaction(customer=world["customer"], description="x"), ["date"]),
    ]
    for obj, fields in objects:
        for field in fields:
            model_field = obj._meta.get_field(field)
            setattr(obj, field, as_datetime if model_field.get_internal_type() == "DateTimeField" else value)
            with pytest.raises(ValidationError) as refused:
                obj.full_clean()
            assert MESSAGE in refused.value.message_dict[field], (type(obj).__name__, field)
            obj.refresh_from_db() if obj.pk else None
    assert FieldTrip.objects.count() == 1 and Visit.objects.filter(pk=world["visit"].pk).exists()

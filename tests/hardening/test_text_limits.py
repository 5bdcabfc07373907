"""Issue 16: every free-text field has one length limit (helpdesk.bounds) that the model
(`max_length` + MaxLengthValidator, so `full_clean` checks it), the forms and the API agree
on; over-long input is refused everywhere, nothing is saved."""

import pytest
from django.apps import apps
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from rest_framework.test import APIClient

from complaints.api import ComplaintIntakeSerializer, action_serializer
from complaints.forms import ACTION_FORMS, PhoneIntakeForm, WalkInIntakeForm
from complaints.models import Complaint, ComplaintEvent
from customers.forms import ArchiveForm, NewCustomerForm, TierChangeForm
from customers.models import Customer, TierChange
from followups.forms_frontdesk import ReceptionForm, TripReportForm, WorkLogForm, WorkSummaryForm
from followups.forms_surveys import SurveyResponseForm
from followups.forms_visits import PlanDecisionForm, PlanForm, RecordVisitForm
from followups.models import FieldTrip, Reception, SurveyResponse, Visit, VisitPlan, WorkLog, WorkSummary
from helpdesk.bounds import ARCHIVE_TEXT_MAX, NAME_MAX, NOTE_MAX, TEXT_MAX
from tests.hardening.cases import api_intake_body, html_cases

pytestmark = pytest.mark.django_db

# written by the system only (a notice's text is rendered from templates, never typed in)
SYSTEM_TEXT = {
    ("notifications", "notification", "email_last_error"),
    ("notifications", "notice", "body"),
    ("notifications", "notice", "body_html"),
    ("notifications", "notice", "last_error"),
}

# The forms and serializers that write each limited model field: form field → model field.
AGREE = [
    (ACTION_FORMS["resolve_on_the_spot"], "resolution", Complaint, "resolution"),
    (ACTION_FORMS["resolve_on_the_spot"], "signoff_name", Complaint, "signoff_name"),
    (ACTION_FORMS["record_findings"], "findings", Complaint, "findings"),
    (ACTION_FORMS["propose_solution"], "solution", Complaint, "solution"),
    (ACTION_FORMS["mark_training_case"], "lesson", Complaint, "training_lesson"),
    *[(form, "note", ComplaintEvent, "note") for form in ACTION_FORMS.values() if "note" in form.base_fields],
    (PhoneIntakeForm, "resolution", Complaint, "resolution"),
    (PhoneIntakeForm, "signoff_name", Complaint, "signoff_name"),
    (WalkInIntakeForm, "handover_note", TierChange, "reason"),  # both notes: NOTE_MAX
    (TierChangeForm, "reason", TierChange, "reason"),
    (RecordVisitForm, "feedback", Visit, "feedback"),
    (PlanForm, "route", VisitPlan, "route"),
    (PlanForm, "appointments", VisitPlan, "appointments"),
    (PlanDecisionForm, "comment", VisitPlan, "manager_comment"),
    (SurveyResponseForm, "comments", SurveyResponse, "comments"),
]
MODEL_FORMS = [
    (PhoneIntakeForm, Complaint, ["description", "complainant_name", "subject", "incident_place"]),
    (NewCustomerForm, Customer, ["name", "tier_reason", "contact_person", "address"]),
    (ArchiveForm, Customer, ["production_process", "raw_materials", "investment", "archive_notes"]),
    (ReceptionForm, Reception, ["visitor_name", "purpose", "summary"]),
    (TripReportForm, FieldTrip, ["feedback", "report"]),
    (WorkLogForm, WorkLog, ["work_done", "lessons", "special_situations"]),
    (WorkSummaryForm, WorkSummary, ["summary", "special_situations"]),
]


def test_every_text_field_of_every_model_has_a_limit_full_clean_checks():
    for model in apps.get_models():
        if model._meta.app_label not in {"accounts", "customers", "complaints", "followups", "notifications"}:
            continue
        for field in model._meta.get_fields():
            if not isinstance(field, models.TextField) or not field.editable:
                continue
            key = (model._meta.app_label, model._meta.model_name, field.name)
            if key in SYSTEM_TEXT:
                continue
            assert field.max_length in {NOTE_MAX, TEXT_MAX, ARCHIVE_TEXT_MAX}, key
            assert MaxLengthValidator(field.max_length) in field.validators, key


def test_forms_serializers_and_models_agree_on_each_limit():
    for form, form_field, model, model_field in AGREE:
        limit = model._meta.get_field(model_field).max_length
        assert form.base_fields[form_field].max_length == limit, (form.__name__, form_field)
    for name, form in ACTION_FORMS.items():
        serializer = action_serializer(name)()
        for field_name, field in form.base_fields.items():
            if getattr(field, "max_length", None) is not None:
                assert serializer.fields[field_name].max_length == field.max_length, (name, field_name)
    intake = ComplaintIntakeSerializer().fields
    assert intake["description"].max_length == TEXT_MAX
    assert intake["resolution"].max_length == TEXT_MAX
    assert intake["signoff_name"].max_length == NAME_MAX
    assert intake["handover_note"].max_length == WalkInIntakeForm.base_fields["handover_note"].max_length
    for form, model, names in MODEL_FORMS:
        for name in names:
            assert form.base_fields[name].max_length == model._meta.get_field(name).max_length, (form, name)


def test_overlong_text_is_refused_by_the_forms(client, world, agent, info_user):
    cases = {
        name: (user, url, data, saved) for name, user, url, data, _f, _k, saved in html_cases(world, agent, info_user)
    }
    overlong = {
        "intake incident_at": {"description": "x" * (TEXT_MAX + 1)},
        "reception": {"summary": "x" * (TEXT_MAX + 1)},
        "trip report": {"report": "x" * (TEXT_MAX + 1)},
        "work log": {"work_done": "x" * (TEXT_MAX + 1)},
        "visit record": {"feedback": "x" * (TEXT_MAX + 1)},
        "survey": {"questions": "x" * (TEXT_MAX + 1)},
    }
    for name, change in overlong.items():
        user, url, data, saved = cases[name]
        client.force_login(user)
        before = saved()
        response = client.post(url, {**data, **change})
        assert response.status_code in (200, 400), name
        assert "Ensure this value has at most" in response.content.decode(), name
        assert saved() == before, name
    client.force_login(agent)
    complaint = world["handling"]
    before = Complaint.objects.filter(pk=complaint.pk).values().get()
    response = client.post(
        reverse("complaints:action", args=[complaint.pk, "add_note"]), {"add_note-note": "x" * (TEXT_MAX + 1)}
    )
    assert response.status_code == 400 and "Ensure this value has at most" in response.content.decode()
    assert Complaint.objects.filter(pk=complaint.pk).values().get() == before
    assert not SurveyResponse.objects.exists()


def test_overlong_text_is_refused_by_the_api(world, agent):
    api = APIClient()
    api.force_authenticate(agent)
    response = api.post("/api/v1/complaints/", api_intake_body(description="x" * (TEXT_MAX + 1)), format="json")
    assert response.status_code == 400 and "description" in response.json()
    assert response.status_code == 400 and not Complaint.objects.filter(description__startswith="xxx").exists()
    complaint = world["handling"]
    events = ComplaintEvent.objects.count()
    for action, field in [("add-note", "note"), ("record-findings", "findings"), ("report-progress", "note")]:
        response = api.post(
            f"/api/v1/complaints/{complaint.pk}/actions/{action}/", {field: "x" * (TEXT_MAX + 1)}, format="json"
        )
        assert response.status_code == 400, (action, response.content)
        assert field in response.json()
    assert ComplaintEvent.objects.count() == events
    response = api.post("/api/v1/customers/", {"name": "Blue River", "archive_notes": "x" * 20_000}, format="json")
    assert response.status_code in (400, 403)

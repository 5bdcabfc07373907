"""Shared data of the hardening tests: one valid submission per form and API write path
that takes a date, so a test can change one field to a hostile value and prove that only
that value was refused (the same submission with a sane value is saved)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.choices import Channel, Status
from complaints.models import Category, Complaint
from customers.models import CustomerTransaction
from followups import planning
from followups.models import FieldTrip, PlanStatus, Reception, SurveyRound, Visit, VisitPlan, WorkLog
from helpdesk.dates import local_today
from tests.complaint_paths import complaint_in
from tests.factories import CustomerFactory


def local_input(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Eastern Dyeworks", tier="A")


@pytest.fixture
def world(agent, info_user, customer):
    """The objects the forms work on: complaints in the statuses the date actions need, a
    field trip to report, a planned visit of the agent's customer."""
    customer.account_manager = agent
    customer.save()
    planning.plan_visits(today=local_today())
    visit = Visit.objects.filter(customer=customer, visitor=agent).order_by("due_on").first()
    VisitPlan.objects.create(account_manager=agent, month=visit.due_on.replace(day=1), status=PlanStatus.APPROVED)
    return {
        "received": complaint_in(Status.RECEIVED, agent),
        "handling": complaint_in(Status.HANDLING, agent),
        "trip": FieldTrip.objects.create(
            office=agent.office, agent=agent, customer=customer, planned_on=local_today(), route="Office → plant"
        ),
        "visit": visit,
        "customer": customer,
    }


def html_cases(world, agent, info_user):
    """(name, user, url, valid data, date field, kind, how to count what was saved)."""
    now = timezone.now()
    category = str(Category.objects.get(code="repairs").pk)
    intake = {
        "complainant_name": "Mr Huang",
        "contact_phone": "13912345678",
        "incident_at": local_input(now - timedelta(hours=1)),
        "incident_place": "Building 3, lobby",
        "subject": "Lobby door broken",
        "category": category,
        "description": "The automatic door does not open.",
        "outcome": "reply_time",
        "reply_due_at": local_input(now + timedelta(hours=4)),
    }
    received, handling, trip, visit = world["received"], world["handling"], world["trip"], world["visit"]
    return [
        (
            "intake incident_at",
            agent,
            reverse("complaints:intake_phone"),
            intake,
            "incident_at",
            "datetime",
            lambda: Complaint.objects.count(),
        ),
        (
            "intake reply_due_at",
            agent,
            reverse("complaints:intake_phone"),
            intake,
            "reply_due_at",
            "datetime",
            lambda: Complaint.objects.count(),
        ),
        (
            "agree reply time",
            agent,
            reverse("complaints:action", args=[received.pk, "agree_reply_time"]),
            {"agree_reply_time-reply_due_at": local_input(now + timedelta(hours=3))},
            "agree_reply_time-reply_due_at",
            "datetime",
            lambda: _row(received),
        ),
        (
            "commit completion",
            agent,
            reverse("complaints:action", args=[handling.pk, "commit_completion"]),
            {"commit_completion-completion_at": local_input(now + timedelta(days=3))},
            "commit_completion-completion_at",
            "datetime",
            lambda: _row(handling),
        ),
        (
            "reception",
            agent,
            reverse("followups:reception_list"),
            {
                "arrived_at": local_input(now - timedelta(minutes=20)),
                "visitor_name": "Ms Chen",
                "organisation": "",
                "customer": "",
                "purpose": "Invoice",
                "received_by": str(agent.pk),
                "summary": "Explained.",
            },
            "arrived_at",
            "datetime",
            lambda: Reception.objects.count(),
        ),
        (
            "trip plan",
            agent,
            reverse("followups:trip_plan"),
            {
                "customer": str(world["customer"].pk),
                "planned_on": local_today().isoformat(),
                "route": "Office → plant",
                "appointment": "",
            },
            "planned_on",
            "date",
            lambda: FieldTrip.objects.count(),
        ),
        (
            "trip report",
            agent,
            reverse("followups:trip_report", args=[trip.pk]),
            {
                "feedback": "Pump noisy.",
                "next_appointment": (local_today() + timedelta(days=14)).isoformat(),
                "report": "Inspected the plant.",
            },
            "next_appointment",
            "date",
            lambda: FieldTrip.objects.filter(pk=trip.pk).values().get(),
        ),
        (
            "work log",
            agent,
            reverse("followups:worklog"),
            {"day": local_today().isoformat(), "work_done": "12 calls.", "lessons": "", "special_situations": ""},
            "day",
            "date",
            lambda: WorkLog.objects.count(),
        ),
        (
            "visit record",
            agent,
            reverse("followups:record_visit", args=[visit.pk]),
            {"method": "phone", "feedback": "All fine.", "next_appointment": local_input(now + timedelta(days=20))},
            "next_appointment",
            "datetime",
            lambda: Visit.objects.filter(pk=visit.pk).values().get(),
        ),
        (
            "survey",
            info_user,
            reverse("followups:survey_create"),
            {
                "title": "Spring",
                "questions": "Satisfied?",
                "tiers": ["A"],
                "closes_on": (local_today() + timedelta(days=14)).isoformat(),
            },
            "closes_on",
            "date",
            lambda: SurveyRound.objects.count(),
        ),
        (
            "transaction",
            info_user,
            reverse("customers:add_transaction", args=[world["customer"].pk]),
            {"date": "2026-10-01", "description": "Operation fee Q3", "amount": "12000.50"},
            "date",
            "date",
            lambda: CustomerTransaction.objects.count(),
        ),
    ]


def _row(complaint):
    return Complaint.objects.filter(pk=complaint.pk).values().get()


def display_pages(world, agent):
    """The pages that show the records the forms write (200 for `agent`)."""
    return [
        reverse("complaints:list"),
        reverse("complaints:detail", args=[world["received"].pk]),
        reverse("complaints:detail", args=[world["handling"].pk]),
        reverse("complaints:callbacks"),
        reverse("followups:reception_list"),
        reverse("followups:trip_list"),
        reverse("followups:trip_detail", args=[world["trip"].pk]),
        reverse("followups:worklog"),
        reverse("followups:agenda"),
        reverse("followups:visit", args=[world["visit"].pk]),
        reverse("customers:detail", args=[world["customer"].pk]),
        "/api/v1/complaints/",
        f"/api/v1/complaints/{world['received'].pk}/",
        f"/api/v1/complaints/{world['handling'].pk}/",
        "/api/v1/events/",
    ]


def api_intake_body(**overrides) -> dict:
    body = {
        "channel": Channel.ONLINE,
        "complainant_name": "Mr Huang",
        "contact_phone": "13912345678",
        "incident_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "incident_place": "Building 3, lobby",
        "subject": "Lobby door broken",
        "description": "The automatic door does not open.",
        "category": Category.objects.get(code="repairs").pk,
    }
    body.update(overrides)
    return body

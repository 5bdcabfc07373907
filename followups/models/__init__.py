"""Follow-ups with customers (seed 000), one module per sub-domain:

- `visits`: tier visit schedules and monthly visit plans (R-CU3, R-CU4, R-T5), and the
  visit-holiday list;
- `surveys`: satisfaction survey rounds (R-CU6);
- `frontdesk`: the visitor reception log (R-F2) and field trips (R-F3);
- `worklog`: each agent's daily work log and monthly summary (R-F4);
- `messages`: messages for absent colleagues (R-F6);
- `kpi`: the manager's satisfaction samples for the performance review (R-F5).

Everything is re-exported here: import from `followups.models`."""

from .frontdesk import FieldTrip, Reception, TripStatus
from .kpi import KpiSample, KpiSampleItem
from .messages import PhoneMessage, Urgency
from .surveys import SurveyAnswer, SurveyChannel, SurveyQuestion, SurveyResponse, SurveyRound
from .visits import (
    CONTENT_BY_TIER,
    USER,
    ContentItem,
    PlanStatus,
    Visit,
    VisitHoliday,
    VisitMethod,
    VisitorRole,
    VisitPlan,
    VisitPlanEvent,
    VisitReason,
    VisitStatus,
    checklist_for,
)
from .worklog import WorkLog, WorkSummary

__all__ = [
    "CONTENT_BY_TIER",
    "USER",
    "ContentItem",
    "FieldTrip",
    "KpiSample",
    "KpiSampleItem",
    "PhoneMessage",
    "PlanStatus",
    "Reception",
    "SurveyAnswer",
    "SurveyChannel",
    "SurveyQuestion",
    "SurveyResponse",
    "SurveyRound",
    "TripStatus",
    "Urgency",
    "Visit",
    "VisitHoliday",
    "VisitMethod",
    "VisitPlan",
    "VisitPlanEvent",
    "VisitReason",
    "VisitStatus",
    "VisitorRole",
    "WorkLog",
    "WorkSummary",
    "checklist_for",
]

"""The KPI table of a month: every agent's figures, computed by the database in a fixed
number of queries (the definitions: followups.kpi)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.access import sees_every_office
from accounts.models import Office
from complaints import event_data
from complaints.choices import CloseReason, EscalationCause, EventKind
from complaints.models import Complaint, ComplaintEvent
from complaints.reports.figures.counts import RATINGS, average, pct
from complaints.reports.figures.labels import person_label
from complaints.selectors import complaints_visible_to
from helpdesk.dates import month_bounds, month_label, month_start

from ..models import KpiSample, SurveyAnswer

RECEIVE = ("complaints", "receive_complaint")  # who is an agent: who may receive complaints

# (key, label, kind): the columns of the KPI table, in the order every presenter shows them;
# kind as the monthly summary's (exports.KIND_FORMATS): "count", "pct" or "rating".
KPI_COLUMNS: list[tuple[str, Any, str]] = [
    ("received", gettext_lazy("Complaints received"), "count"),
    ("replied_in_time", gettext_lazy("Replied in time"), "count"),
    ("reply_measured", gettext_lazy("Replies given or due"), "count"),
    ("reply_compliance_pct", gettext_lazy("Compliance (%)"), "pct"),
    ("escalations_caused", gettext_lazy("Escalations caused"), "count"),
    ("closed", gettext_lazy("Closed"), "count"),
    ("callbacks", gettext_lazy("Call-backs done"), "count"),
    ("callback_satisfaction_pct", gettext_lazy("Satisfied at call-back (%)"), "pct"),
    ("callback_rating", gettext_lazy("Call-back rating"), "rating"),
    ("online_answers", gettext_lazy("Online questionnaires"), "count"),
    ("online_satisfaction_pct", gettext_lazy("Satisfied online (%)"), "pct"),
    ("online_rating", gettext_lazy("Online rating"), "rating"),
    ("survey_responses", gettext_lazy("Survey responses of own customers"), "count"),
    ("survey_score", gettext_lazy("Survey score of own customers"), "rating"),
    ("sampled", gettext_lazy("Sampled"), "count"),
    ("rechecked", gettext_lazy("Re-checked"), "count"),
    ("reached", gettext_lazy("Reached"), "count"),
    ("sample_satisfaction_pct", gettext_lazy("Satisfied at re-check (%)"), "pct"),
    ("sample_rating", gettext_lazy("Re-check rating"), "rating"),
]
# (label, number of columns): the groups of KPI_COLUMNS, for the table's two-row header
KPI_GROUPS: list[tuple[Any, int]] = [
    (gettext_lazy("Complaints received and closed"), 6),
    (gettext_lazy("Call-backs done by the agent"), 3),
    (gettext_lazy("Online questionnaire"), 3),
    (gettext_lazy("Own customers' surveys"), 2),
    (gettext_lazy("Manager's sample"), 5),
]
COUNT_KEYS = [key for key, _label, kind in KPI_COLUMNS if kind == "count"]
# the raw counts behind the derived columns (kept on every row, added up for the total)
RAW_KEYS = [
    "callbacks_satisfied",
    "callbacks_rated",
    "callback_rating_total",
    "online_satisfied",
    "online_rated",
    "online_rating_total",
    "survey_answers",
    "survey_score_total",
    "sample_satisfied",
    "sample_rated",
    "sample_rating_total",
]
# where a group of call-backs is added up: done by staff (to the actor), answered online (to the receiver)
CALLBACK_KEYS = ("callbacks", "callbacks_satisfied", "callbacks_rated", "callback_rating_total")
ONLINE_KEYS = ("online_answers", "online_satisfied", "online_rated", "online_rating_total")
TOTAL_LABEL = pgettext_lazy("agent KPIs", "All agents")


def agent_kpis(month: date, *, office: Office | None = None, user=None, now: datetime | None = None) -> dict[str, Any]:
    """Every agent's figures of `month` (any day of it), optionally for the staff of one
    office; with `user`, counted over the complaints that user may see (and only their own
    office for a user who does not see every office). `now` decides which replies are due.

    Five queries whatever the number of agents and complaints (one more to name the office of
    a user who sees only theirs): the complaints, the events, the survey answers, the samples,
    and the agents (those who may receive complaints in the office, and anyone with a figure)."""
    now = now or timezone.now()
    month = month_start(month)
    start, end = month_bounds(month)
    # the complaints counted: those `user` may see (all, for a user who sees every office)
    limited = user is not None and not sees_every_office(user)
    if limited:
        office = user.office
    office_id = office.pk if office is not None else None
    scope = complaints_visible_to(user) if limited else Complaint.objects.all()
    rows: dict[int, dict[str, Any]] = {}

    def row(user_id: int) -> dict[str, Any]:
        return rows.setdefault(user_id, {key: 0 for key in [*COUNT_KEYS, *RAW_KEYS]})

    # 1. the complaints each agent received in the month, or received and closed in it
    complaints = scope.filter(received_by__isnull=False).exclude(close_reason=CloseReason.MERGED)
    if office_id is not None:
        complaints = complaints.filter(received_by__office_id=office_id)
    received = Q(received_at__gte=start, received_at__lt=end)
    closed = Q(closed_at__gte=start, closed_at__lt=end)
    for r in (
        complaints.filter(received | closed)
        .order_by()
        .values("received_by_id")
        .annotate(
            received=Count("id", filter=received),
            replied_in_time=Count("id", filter=received & Q(first_replied_at__lte=F("reply_due_at"))),
            reply_measured=Count("id", filter=received & (Q(first_replied_at__isnull=False) | Q(reply_due_at__lt=now))),
            closed=Count("id", filter=closed),
        )
    ):
        row(r.pop("received_by_id")).update(r)

    # 2. the events of the month: call-backs by their actor, online answers and escalations
    # caused by the complaint's receiver
    _event_figures(row, scope if limited else None, office_id=office_id, start=start, end=end)

    # 3. the survey answers of the month of each account manager's customers
    answers = SurveyAnswer.objects.filter(
        response__recorded_at__gte=start,
        response__recorded_at__lt=end,
        response__customer__account_manager__isnull=False,
    )
    if office_id is not None:
        answers = answers.filter(response__customer__account_manager__office_id=office_id)
    for r in (
        answers.order_by()
        .values(agent=F("response__customer__account_manager_id"))
        .annotate(
            survey_answers=Count("id"),
            survey_score_total=Sum("score"),
            survey_responses=Count("response_id", distinct=True),
        )
    ):
        row(r.pop("agent")).update(r)

    # 4. the samples of the month with their re-checks
    samples = KpiSample.objects.filter(month=month)
    if office_id is not None:
        samples = samples.filter(agent__office_id=office_id)
    reached = Q(items__reached=True)
    sample_ids: dict[int, int] = {}
    for r in (
        samples.order_by()
        .values("id", "agent_id")
        .annotate(
            sampled=Count("items"),
            rechecked=Count("items", filter=Q(items__rechecked_at__isnull=False)),
            reached=Count("items", filter=reached),
            sample_satisfied=Count("items", filter=reached & Q(items__satisfied=True)),
            sample_rated=Count("items", filter=reached & Q(items__rating__isnull=False)),
            sample_rating_total=Sum("items__rating", filter=reached, default=0),
        )
    ):
        sample_ids[r["agent_id"]] = r.pop("id")
        row(r.pop("agent_id")).update(r)

    # 5. the agents: who may receive complaints (in the office), and anyone with a figure
    User = get_user_model()
    app_label, codename = RECEIVE
    receivers = User.objects.filter(
        Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
        | Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    )
    agents = Q(is_active=True, pk__in=receivers.values("pk"))
    if office_id is not None:
        agents &= Q(office_id=office_id)
    people = User.objects.filter(agents | Q(pk__in=list(rows) or [0])).values_list(
        "pk", "username", "first_name", "last_name", "office__name"
    )
    out = []
    for pk, username, first, last, office_name in people:
        entry = _finish(
            {"user_id": pk, "label": person_label(first, last, username), "office": office_name or ""}, row(pk)
        )
        entry["sample_id"] = sample_ids.get(pk)
        out.append(entry)
    out.sort(key=lambda r: (r["office"], str(r["label"]).lower(), r["user_id"]))
    total: dict[str, Any] = {key: sum(r[key] for r in out) for key in [*COUNT_KEYS, *RAW_KEYS]}
    return {
        "month": month,
        "month_label": month_label(month),
        "period": {"start": start, "end": end},
        "generated_at": now,
        "office": str(office) if office is not None else None,
        "rows": out,
        "total": _finish({"user_id": None, "label": TOTAL_LABEL, "office": "", "sample_id": None}, total),
    }


def _event_figures(
    row: Callable[[int], dict[str, Any]],
    scope: QuerySet[Complaint] | None,
    *,
    office_id: int | None,
    start: datetime,
    end: datetime,
) -> None:
    """One GROUP BY over the month's call-backs and level raises, added to `row(user_id)`: by
    actor (call-backs done by staff) and by the complaint's receiver (online answers,
    escalations caused). `scope`: only the events of those complaints (None: all)."""
    is_callback = Q(kind=EventKind.CALLBACK_RECORDED)
    online = is_callback & Q(data__has_key=event_data.VIA) & Q(complaint__received_by__isnull=False)
    by_staff = is_callback & Q(actor__isnull=False) & ~Q(data__has_key=event_data.VIA)
    cause = f"data__{event_data.ESCALATION_CAUSE}"
    caused = (
        Q(to_level__gt=F("from_level"))
        & Q(complaint__received_by__isnull=False)
        & (
            Q(**{cause: EscalationCause.DEADLINE_MISSED})
            | Q(
                from_level=0,
                **{f"{cause}__in": [EscalationCause.SOLUTION_REJECTED, EscalationCause.CALLBACK_UNSATISFIED]},
            )
        )
    )
    if office_id is not None:
        by_staff &= Q(actor__office_id=office_id)
        online &= Q(complaint__received_by__office_id=office_id)
        caused &= Q(complaint__received_by__office_id=office_id)
    events = ComplaintEvent.objects.filter(created_at__gte=start, created_at__lt=end).filter(by_staff | online | caused)
    if scope is not None:
        events = events.filter(complaint__in=scope)

    def flag(q: Q) -> Case:
        return Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField())

    counts = {
        "satisfied": Count("id", filter=Q(**{f"data__{event_data.SATISFIED}": True})),
        **{f"rated_{r}": Count("id", filter=Q(**{f"data__{event_data.RATING}": r})) for r in RATINGS},
    }
    grouped = (
        events.order_by()
        .values(
            "actor_id",
            receiver=F("complaint__received_by_id"),
            by_staff=flag(by_staff),
            online=flag(online),
            caused=flag(caused),
        )
        .annotate(n=Count("id"), **counts)
    )
    for r in grouped:
        if r["caused"]:
            row(r["receiver"])["escalations_caused"] += r["n"]
        for keys, who, wanted in (
            (CALLBACK_KEYS, r["actor_id"], r["by_staff"]),
            (ONLINE_KEYS, r["receiver"], r["online"]),
        ):
            if wanted:  # a group of call-backs only (the flags are its keys)
                total, satisfied, rated, rating_total = keys
                entry = row(who)
                entry[total] += r["n"]
                entry[satisfied] += r["satisfied"]
                entry[rated] += sum(r[f"rated_{n}"] for n in RATINGS)
                entry[rating_total] += sum(n * r[f"rated_{n}"] for n in RATINGS)


def _finish(entry: dict[str, Any], counts: dict[str, Any]) -> dict[str, Any]:
    """The derived figures of a row from its counts: plain arithmetic on aggregated numbers."""
    entry.update(counts)
    entry["reply_compliance_pct"] = pct(counts["replied_in_time"], counts["reply_measured"])
    entry["callback_satisfaction_pct"] = pct(counts["callbacks_satisfied"], counts["callbacks"])
    entry["callback_rating"] = average(counts["callback_rating_total"], counts["callbacks_rated"])
    entry["online_satisfaction_pct"] = pct(counts["online_satisfied"], counts["online_answers"])
    entry["online_rating"] = average(counts["online_rating_total"], counts["online_rated"])
    entry["survey_score"] = average(counts["survey_score_total"], counts["survey_answers"])
    entry["sample_satisfaction_pct"] = pct(counts["sample_satisfied"], counts["reached"])
    entry["sample_rating"] = average(counts["sample_rating_total"], counts["sample_rated"])
    return entry

"""Tier visit schedules (R-CU3, R-T5).

Every cadence has fixed periods; a visit is due by the last day of its period:
- account manager, twice a month (all tiers): the 15th and the last day of each month;
- department manager, monthly (all tiers): the last day of each month;
- division head, quarterly (A, B): the last day of March, June, September and December;
- president, yearly (A): 31 December;
plus one account-manager visit on each day of the holiday list, for every customer.

`plan_visits` writes the visits due in the next HELPDESK_VISIT_PLAN_DAYS days and, for every
role, at least its next due visit. A partial unique index (customer, role, reason, due date)
among the visits not cancelled makes it idempotent: the rows go in with
`bulk_create(ignore_conflicts=True)`, so a second run adds nothing.

Who makes each visit: the customer's account manager makes the account-manager visits; the
division-head and president visits go onto the agenda of an executive whose post
(`User.executive_post`) is that role (`assign_executive_visits`); the department-manager
visits stay unassigned until a supervisor assigns them (the department is not a person).
"""

from __future__ import annotations

import calendar
import operator
from datetime import date, timedelta
from functools import reduce

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import ExecutivePost
from customers.models import Customer, Tier
from notifications.models import Kind
from notifications.services import notify_bulk, page_link, supervisors_of

from .models import Visit, VisitHoliday, VisitorRole, VisitReason, VisitStatus, checklist_for

R = VisitorRole
ROLES_BY_TIER: dict[str, tuple[str, ...]] = {
    Tier.A: (R.ACCOUNT_MANAGER, R.DEPARTMENT_MANAGER, R.DIVISION_HEAD, R.PRESIDENT),
    Tier.B: (R.ACCOUNT_MANAGER, R.DEPARTMENT_MANAGER, R.DIVISION_HEAD),
    Tier.C: (R.ACCOUNT_MANAGER, R.DEPARTMENT_MANAGER),
}
_BATCH = 2000


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _period_ends(role: str, year: int, month: int) -> list[date]:
    end = _month_end(year, month)
    if role == R.ACCOUNT_MANAGER:
        return [date(year, month, 15), end]
    if role == R.DEPARTMENT_MANAGER:
        return [end]
    if role == R.DIVISION_HEAD:
        return [end] if month in (3, 6, 9, 12) else []
    if role == R.PRESIDENT:
        return [end] if month == 12 else []
    raise ValueError(role)


def due_dates(role: str, start: date, end: date) -> list[date]:
    """The cadence due dates of `role` in [start, end), and at least the first one ≥ start."""
    found: list[date] = []
    year, month = start.year, start.month
    while True:
        for due in _period_ends(role, year, month):
            if due >= start and (due < end or not found):
                found.append(due)
        if date(year, month, 1) >= end and found:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _window(today: date | None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today, today + timedelta(days=settings.HELPDESK_VISIT_PLAN_DAYS)


def plan_visits(*, today: date | None = None, customer_ids=None) -> dict:
    """Plan the visits of the window for all customers (or the given ones). Returns counts."""
    start, end = _window(today)
    slots_by_tier = {
        tier: [(role, VisitReason.CADENCE, due) for role in roles for due in due_dates(role, start, end)]
        for tier, roles in ROLES_BY_TIER.items()
    }
    holidays = list(VisitHoliday.objects.filter(date__gte=start, date__lt=end).values_list("date", flat=True))
    for slots in slots_by_tier.values():
        slots += [(R.ACCOUNT_MANAGER, VisitReason.HOLIDAY, day) for day in holidays]

    live = Visit.objects.exclude(status=VisitStatus.CANCELLED).filter(due_on__gte=start)
    customers = Customer.objects.order_by("pk")
    if customer_ids is not None:
        customers = customers.filter(pk__in=list(customer_ids))
        live = live.filter(customer_id__in=list(customer_ids))
    before = live.count()
    complete = _complete_customers(live, slots_by_tier)
    rows: list[Visit] = []
    for pk, tier, manager_id in customers.values_list("pk", "tier", "account_manager_id").iterator(chunk_size=_BATCH):
        if pk in complete:
            continue
        checklist = checklist_for(tier)
        rows += [
            Visit(
                customer_id=pk,
                visitor_role=role,
                reason=reason,
                due_on=due,
                checklist=dict(checklist),
                visitor_id=manager_id if role == R.ACCOUNT_MANAGER else None,
            )
            for role, reason, due in slots_by_tier[tier]
        ]
        if len(rows) >= _BATCH:
            Visit.objects.bulk_create(rows, ignore_conflicts=True, batch_size=_BATCH)
            rows = []
    Visit.objects.bulk_create(rows, ignore_conflicts=True, batch_size=_BATCH)
    # account-manager visits planned before the customer had one get theirs (one UPDATE)
    unassigned = Visit.objects.filter(
        status=VisitStatus.PLANNED,
        visitor__isnull=True,
        visitor_role=R.ACCOUNT_MANAGER,
        due_on__gte=start,
        customer__account_manager__isnull=False,
    )
    if customer_ids is not None:
        unassigned = unassigned.filter(customer_id__in=list(customer_ids))
    assigned = unassigned.update(
        visitor_id=Subquery(Customer.objects.filter(pk=OuterRef("customer_id")).values("account_manager_id")[:1])
    )
    # the senior visits onto the executives' agendas (one UPDATE per executive)
    assigned += assign_executive_visits(start=start, customer_ids=customer_ids)
    return {"planned": live.count() - before, "assigned": assigned}


# The senior visits of R-CU3: the roles an executive post makes (the values are the same).
EXECUTIVE_ROLES: tuple[str, ...] = tuple(ExecutivePost.values)


def visiting_executives():
    """The people who may make a senior visit: active, with an executive post, and allowed to
    record visits (followups.record_visit, which the executive role has)."""
    return (
        get_user_model()
        .objects.with_perm(
            "followups.record_visit", include_superusers=False, backend="django.contrib.auth.backends.ModelBackend"
        )
        .exclude(executive_post="")
    )


def assign_executive_visits(*, start: date, customer_ids=None) -> int:
    """Put the planned, unassigned division-head and president visits due from `start` onto an
    executive's agenda, with every planning run, so visits planned before anyone held the post
    get their visitor on the next run. The executive is the one whose post is the visit's role,
    in the office of the customer's account manager first, then the one with the lowest id: the
    same customer always gets the same executive, and the choice needs no counting. A visit
    nobody can take stays unassigned (the supervisors and managers see it in the agenda and may
    assign it); one already assigned, by the planner or by hand, keeps its visitor.

    Set-based: one query for the executives, one for the visits, one guarded UPDATE per
    executive given visits — never one per visit. (Not one UPDATE with a correlated choice:
    SQLite, the embedded database, cannot reach the updated row two subqueries deep.)"""
    executives: dict[str, list[tuple[int, int | None]]] = {}
    for pk, post, office_id in visiting_executives().values_list("pk", "executive_post", "office_id").order_by("pk"):
        executives.setdefault(post, []).append((pk, office_id))
    if not executives:
        return 0
    unassigned = Visit.objects.filter(
        status=VisitStatus.PLANNED,
        visitor__isnull=True,
        visitor_role__in=[role for role in EXECUTIVE_ROLES if role in executives],
        due_on__gte=start,
    )
    if customer_ids is not None:
        unassigned = unassigned.filter(customer_id__in=list(customer_ids))
    chosen: dict[int, list[int]] = {}
    for pk, role, office_id in unassigned.values_list("pk", "visitor_role", "customer__account_manager__office_id"):
        candidates = executives[role]
        same_office = next((e for e, office in candidates if office_id is not None and office == office_id), None)
        chosen.setdefault(same_office or candidates[0][0], []).append(pk)
    still_unassigned = Visit.objects.filter(status=VisitStatus.PLANNED, visitor__isnull=True)
    return sum(
        still_unassigned.filter(pk__in=visits).update(visitor_id=executive) for executive, visits in chosen.items()
    )


def _complete_customers(live, slots_by_tier) -> set[int]:
    """The customers who already have every visit of the window (one aggregate query), so a
    daily re-run builds and sends no rows for them."""
    matches = Q()
    for tier, slots in slots_by_tier.items():
        if slots:
            matches |= Q(customer__tier=tier) & reduce(
                operator.or_, (Q(visitor_role=role, reason=reason, due_on=due) for role, reason, due in slots)
            )
    expected = {tier: len(slots) for tier, slots in slots_by_tier.items()}
    rows = live.filter(matches).values("customer_id", "customer__tier").annotate(n=Count("pk")).order_by()
    return {row["customer_id"] for row in rows if row["n"] >= expected[row["customer__tier"]]}


def replan_customer(customer, *, today: date | None = None) -> dict:
    """After a tier change: cancel the future planned visits of roles the new tier does not
    have, give the remaining ones the new tier's checklist, and plan what the tier now needs."""
    start, _end = _window(today)
    future = Visit.objects.filter(customer=customer, status=VisitStatus.PLANNED, due_on__gte=start)
    cancelled = future.exclude(visitor_role__in=ROLES_BY_TIER[customer.tier]).update(
        status=VisitStatus.CANCELLED, cancelled_reason=f"tier changed to {customer.tier}"
    )
    future.filter(status=VisitStatus.PLANNED).update(checklist=checklist_for(customer.tier))
    counts = plan_visits(today=start, customer_ids=[customer.pk])
    return {"cancelled": cancelled, **counts}


def flag_missed_visits(*, today: date | None = None) -> dict:
    """R-T5: planned visits whose period has ended are flagged missed, and the visitor and the
    supervisors of the customer's office (its account manager's office; else the visitor's) are
    told, so a make-up visit is arranged. Set-based, in batches of _BATCH visits: per batch one
    SELECT (locking the rows, skipping those another run holds), one UPDATE, the supervisors in
    one query (`supervisors_of`; an office without one: its managers) and one INSERT of the
    notifications, however many visits the batch has. The status is the guard: each visit is
    flagged, and notified, once."""
    today = today or timezone.localdate()
    now = timezone.now()
    counts = {"missed": 0, "notifications": 0}
    due = Visit.objects.filter(status=VisitStatus.PLANNED, due_on__lt=today)
    fields = (
        "pk",
        "due_on",
        "customer__name",
        "visitor_id",
        "visitor__first_name",
        "visitor__last_name",
        "visitor__username",
    )
    while True:
        with transaction.atomic():
            rows = list(
                due.select_for_update(skip_locked=True, of=("self",))
                .annotate(office=Coalesce("customer__account_manager__office_id", "visitor__office_id"))
                .order_by("due_on", "pk")
                .values_list(*fields, "office", named=True)[:_BATCH]
            )
            if not rows:
                return counts
            Visit.objects.filter(pk__in=[r.pk for r in rows]).update(status=VisitStatus.MISSED, missed_at=now)
            supervisors = supervisors_of({r.office for r in rows})
            counts["notifications"] += notify_bulk(
                kind=Kind.VISIT_MISSED,
                entries=[
                    (
                        None,
                        [r.visitor_id, *supervisors.get(r.office, [])],
                        {
                            "visit": r.pk,
                            "customer": r.customer__name,
                            "due_on": r.due_on.isoformat(),
                            "visitor": _name(r.visitor__first_name, r.visitor__last_name, r.visitor__username),
                            "link": page_link("followups:visit", r.pk),
                        },
                    )
                    for r in rows
                ],
            )
            counts["missed"] += len(rows)
        if len(rows) < _BATCH:
            return counts


def _name(first: str | None, last: str | None, username: str | None) -> str:
    """A user's name as `User.__str__` writes it, from the columns of a joined row."""
    return f"{first or ''} {last or ''}".strip() or (username or "")

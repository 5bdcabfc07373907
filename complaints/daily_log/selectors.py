"""The daily log's queries: one per section, each over `visible` (the complaints the user may
see) and the local day's half-open interval [start, end). Every row carries the size of the
whole section (`section_total`, a window count over the same filter), so a section costs one
query whatever its size."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Window

from ..choices import Status
from ..models import Complaint, ComplaintEvent


def _with_total(qs: QuerySet) -> QuerySet:
    """Rows of a section, each carrying the size of the whole section (before the limit)."""
    return qs.annotate(section_total=Window(expression=Count("pk")))


def received_on(visible: QuerySet[Complaint], start: datetime, end: datetime) -> QuerySet[Complaint]:
    return _with_total(
        visible.filter(received_at__gte=start, received_at__lt=end)
        .select_related("office", "category", "received_by", "customer")
        .order_by("received_at", "pk")
    )


def first_replied_on(visible: QuerySet[Complaint], start: datetime, end: datetime) -> QuerySet[Complaint]:
    """Complaints whose first reply (anything said to the complainant: a reply, a proposed
    solution, an on-the-spot resolution …) fell on the day, with the kind of step that was it.
    The lifecycle stamps `first_replied_at` and that step's event with the same `now`."""
    first_step = (
        ComplaintEvent.objects.filter(complaint_id=OuterRef("pk"), created_at=OuterRef("first_replied_at"))
        .order_by("pk")
        .values("kind")[:1]
    )
    return _with_total(
        visible.filter(first_replied_at__gte=start, first_replied_at__lt=end)
        .select_related("office", "category", "assignee")
        .annotate(first_reply_kind=Subquery(first_step))
        .order_by("first_replied_at", "pk")
    )


def escalations_on(visible: QuerySet[Complaint], start: datetime, end: datetime) -> QuerySet[ComplaintEvent]:
    """Every step that raised a complaint's level (to_level > from_level), whatever its kind:
    moved up, reply deadline missed, solution rejected, unsatisfied at call-back."""
    return _with_total(
        ComplaintEvent.objects.filter(
            complaint__in=visible.values("pk"),
            created_at__gte=start,
            created_at__lt=end,
            from_level__isnull=False,
            to_level__gt=F("from_level"),
        )
        .select_related("complaint", "complaint__office", "actor")
        .order_by("created_at", "pk")
    )


def closed_on(visible: QuerySet[Complaint], start: datetime, end: datetime) -> QuerySet[Complaint]:
    return _with_total(
        visible.filter(status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end)
        .select_related("office", "category", "assignee")
        .order_by("closed_at", "pk")
    )


def special_incidents_on(visible: QuerySet[Complaint], start: datetime, end: datetime) -> QuerySet[Complaint]:
    """The complaints flagged a special incident on the day (R-C6.2), with what was done since:
    the containment and the report upward are on the complaint itself (no query per row)."""
    return _with_total(
        visible.filter(is_special_incident=True, special_incident_at__gte=start, special_incident_at__lt=end)
        .select_related("office", "assignee")
        .order_by("special_incident_at", "pk")
    )

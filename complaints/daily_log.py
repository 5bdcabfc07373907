"""The daily log (SPEC R-C11): for one local day, what the user's offices received, first
replied to, escalated and closed.

A day is the calendar day in settings.TIME_ZONE (Asia/Shanghai): [00:00, next 00:00) local,
whatever the database stores (UTC). Each section is one query (rows with their relations and
the section's total, counted by a window function over the same filter), so the page costs
the same number of queries for 2 complaints or 2,000. Scoping goes through
`complaints_visible_to(user)`: a supervisor sees their office, a manager every office.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Window
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import rules
from .choices import EscalationCause, EscalationLevel, EventKind, Status
from .models import Complaint, ComplaintEvent
from .selectors import complaints_visible_to

# A section never renders more rows than this; its count at the top is still exact.
SECTION_LIMIT = 500
# Days the log can be asked for; outside them the page is a 404 (and no date arithmetic
# can overflow near date.min / date.max).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# ---------------------------------------------------------------------------- days
def local_today() -> date:
    return timezone.localdate(timezone.now(), timezone=ZoneInfo(settings.TIME_ZONE))


def parse_day(value: str) -> date:
    """'2026-10-05' -> date; anything else (bad format, 2026-02-30, out of range) -> Http404."""
    if not _ISO_DAY.fullmatch(value or ""):
        raise Http404(_("No such day."))
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Http404(_("No such day.")) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Http404(_("No such day."))
    return day


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as a half-open interval of aware datetimes: [start, end)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    return (datetime.combine(day, time.min, tzinfo=tz),
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz))


# ------------------------------------------------------------------------- queries
def _with_total(qs: QuerySet) -> QuerySet:
    """Rows of a section, each carrying the size of the whole section (before the limit)."""
    return qs.annotate(section_total=Window(expression=Count("pk")))


def received_on(visible: QuerySet[Complaint], start: datetime, end: datetime) -> QuerySet[Complaint]:
    return _with_total(
        visible.filter(received_at__gte=start, received_at__lt=end)
        .select_related("office", "category", "received_by", "customer")
        .order_by("received_at", "pk"))


def first_replied_on(visible: QuerySet[Complaint], start: datetime, end: datetime) -> QuerySet[Complaint]:
    """Complaints whose first reply (anything said to the complainant: a reply, a proposed
    solution, an on-the-spot resolution …) fell on the day, with the kind of step that was it.
    The lifecycle stamps `first_replied_at` and that step's event with the same `now`."""
    first_step = (ComplaintEvent.objects.filter(complaint_id=OuterRef("pk"), created_at=OuterRef("first_replied_at"))
                  .order_by("pk").values("kind")[:1])
    return _with_total(
        visible.filter(first_replied_at__gte=start, first_replied_at__lt=end)
        .select_related("office", "category", "assignee")
        .annotate(first_reply_kind=Subquery(first_step))
        .order_by("first_replied_at", "pk"))


def escalations_on(visible: QuerySet[Complaint], start: datetime, end: datetime) -> QuerySet[ComplaintEvent]:
    """Every step that raised a complaint's level (to_level > from_level), whatever its kind:
    moved up, reply deadline missed, solution rejected, unsatisfied at call-back."""
    return _with_total(
        ComplaintEvent.objects.filter(complaint__in=visible.values("pk"), created_at__gte=start, created_at__lt=end,
                                      from_level__isnull=False, to_level__gt=F("from_level"))
        .select_related("complaint", "complaint__office", "actor")
        .order_by("created_at", "pk"))


def closed_on(visible: QuerySet[Complaint], start: datetime, end: datetime) -> QuerySet[Complaint]:
    return _with_total(
        visible.filter(status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end)
        .select_related("office", "category", "assignee")
        .order_by("closed_at", "pk"))


# ------------------------------------------------------------------------ the page
@dataclass
class Section:
    key: str
    title: str
    rows: list
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def _section(key: str, title: str, qs: QuerySet) -> Section:
    rows = list(qs[:SECTION_LIMIT])
    return Section(key=key, title=title, rows=rows, total=rows[0].section_total if rows else 0)


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def daily_log_for(user, day: date) -> list[Section]:
    """The four sections of the day's log, scoped to what `user` may see."""
    visible = complaints_visible_to(user)
    start, end = day_bounds(day)
    received = _section("received", _("Received"), received_on(visible, start, end))
    replied = _section("replied", _("Replied"), first_replied_on(visible, start, end))
    for c in replied.rows:
        c.first_reply_label = _label(EventKind, c.first_reply_kind) if c.first_reply_kind else ""
        c.replied_in_time = c.first_replied_at <= c.reply_due_at
    escalated = _section("escalated", _("Escalated"), escalations_on(visible, start, end))
    for e in escalated.rows:
        cause = (e.data or {}).get("escalation_cause", "")
        e.cause_label = _label(EscalationCause, cause) if cause else ""
        e.to_level_label = _label(EscalationLevel, e.to_level)
    closed = _section("closed", _("Closed"), closed_on(visible, start, end))
    return [received, replied, escalated, closed]


@require_safe
@login_required
@permission_required(rules.VIEW_REPORTS, raise_exception=True)
def daily_log(request, day: str | None = None):
    today = local_today()
    if day is None:
        picked = request.GET.get("date")
        if picked:  # the date picker submits ?date=YYYY-MM-DD
            return redirect("complaints:daily_log_day", day=parse_day(picked).isoformat())
        shown = today
    else:
        shown = parse_day(day)
    previous_day = shown - timedelta(days=1)
    next_day = shown + timedelta(days=1)
    return render(request, "complaints/daily_log.html", {
        "day": shown,
        "is_today": shown == today,
        "sections": daily_log_for(request.user, shown),
        "previous_url": reverse("complaints:daily_log_day", args=[previous_day.isoformat()])
        if previous_day >= FIRST_DAY else "",
        "next_url": reverse("complaints:daily_log_day", args=[next_day.isoformat()]) if shown < today else "",
        "today_url": reverse("complaints:daily_log"),
    })

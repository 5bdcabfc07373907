"""The daily log page: today's local day by default, any day of the calendar the pages
handle by URL (/daily/YYYY-MM-DD/; anything else is a 404), for complaints.view_reports."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from helpdesk.dates import FIRST_DAY, iso_day_or_404, local_today

from .. import rules
from . import daily_log_for


@require_safe
@login_required
@permission_required(rules.VIEW_REPORTS, raise_exception=True)
def daily_log(request, day: str | None = None):
    today = local_today()
    if day is None:
        picked = request.GET.get("date")
        if picked:  # the date picker submits ?date=YYYY-MM-DD
            return redirect("complaints:daily_log_day", day=iso_day_or_404(picked).isoformat())
        shown = today
    else:
        shown = iso_day_or_404(day)
    previous_day = shown - timedelta(days=1)
    next_day = shown + timedelta(days=1)
    return render(
        request,
        "complaints/daily_log.html",
        {
            "day": shown,
            "is_today": shown == today,
            "sections": daily_log_for(request.user, shown),
            "previous_url": reverse("complaints:daily_log_day", args=[previous_day.isoformat()])
            if previous_day >= FIRST_DAY
            else "",
            "next_url": reverse("complaints:daily_log_day", args=[next_day.isoformat()]) if shown < today else "",
            "today_url": reverse("complaints:daily_log"),
        },
    )

"""HTML views of the agents' performance review (R-F5), for managers
(followups.view_agent_kpis): the KPI table of a month, its files, drawing the samples
(followups.add_kpisample) and a sample's page with a re-check form per complaint
(followups.change_kpisampleitem). The figures and the rules live in `followups.kpi`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, re_path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import sees_every_office
from complaints.reports.exports import CONTENT_TYPES
from helpdesk.dates import add_months, local_today, month_label, month_start
from helpdesk.exceptions import DomainConflict
from helpdesk.views_tools import apply_validation_error, require_perms

from . import kpi
from .forms_kpi import DrawSamplesForm, KpiFilterForm, RecheckForm
from .models import KpiSample, KpiSampleItem

VIEW = "followups.view_agent_kpis"
DRAW = "followups.add_kpisample"
RECHECK = "followups.change_kpisampleitem"
FORMATS = ("xlsx", "csv")


def _table(kpis: dict[str, Any]) -> dict[str, Any]:
    """The rows as the template shows them: each cell with its kind (pct, rating)."""

    def cells(row: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"key": key, "value": row[key], "kind": kind} for key, _label, kind in kpi.KPI_COLUMNS]

    return {
        "header": [{"key": key, "label": label} for key, label, _kind in kpi.KPI_COLUMNS],
        "rows": [{"row": row, "cells": cells(row)} for row in kpis["rows"]],
        "total": cells(kpis["total"]),
    }


def _draw_form_agents(kpis: dict[str, Any]) -> list[tuple[int, str]]:
    return [(row["user_id"], str(row["label"])) for row in kpis["rows"] if row["closed"] and not row["sample_id"]]


# ------------------------------------------------------------------------ the table
@login_required
@require_GET
def kpi_table(request: HttpRequest) -> HttpResponse:
    require_perms(request.user, VIEW)
    form = KpiFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "followups/kpi/table.html", {"form": form}, status=400)
    month, office = form.cleaned_data["month"], form.cleaned_data["office"]
    kpis = kpi.agent_kpis(month, office=office, user=request.user)
    query = form.filter_query()
    following = add_months(month, 1)
    ended = month < month_start(local_today())
    can_draw = ended and request.user.has_perm(DRAW)
    agents = _draw_form_agents(kpis)
    return render(
        request,
        "followups/kpi/table.html",
        {
            "form": form,
            "kpis": kpis,
            "table": _table(kpis),
            "groups": kpi.KPI_GROUPS,
            "filter_query": query,
            "previous_link": f"?month={month_label(add_months(month, -1))}" + (f"&{query}" if query else ""),
            "next_link": f"?month={month_label(following)}" + (f"&{query}" if query else "")
            if following <= local_today()
            else None,
            "downloads": [
                (
                    fmt.upper(),
                    reverse("followups:kpi_download", args=[month_label(month), fmt]) + (f"?{query}" if query else ""),
                )
                for fmt in FORMATS
            ],
            "month_ended": ended,
            "draw_form": DrawSamplesForm(agents=agents) if can_draw and agents else None,
        },
    )


@login_required
@require_GET
def kpi_download(request: HttpRequest, month: str, fmt: str) -> HttpResponse:
    require_perms(request.user, VIEW)
    form = KpiFilterForm({**request.GET.dict(), "month": month}, user=request.user)
    if not form.is_valid():
        return render(request, "followups/kpi/table.html", {"form": form}, status=400)
    kpis = kpi.agent_kpis(form.cleaned_data["month"], office=form.cleaned_data["office"], user=request.user)
    items = list(kpi.month_sample_items(kpis["month"], office=form.cleaned_data["office"])) if fmt == "xlsx" else []
    file = kpi.kpi_file(kpis, items)
    content = kpi.build_xlsx(file) if fmt == "xlsx" else kpi.build_csv(file)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{kpi.filename(file, fmt)}"'
    return response


# -------------------------------------------------------------------------- samples
@login_required
@require_POST
def draw_samples(request: HttpRequest) -> HttpResponse:
    """Draw the sample of every agent of the table who closed complaints and has none yet (or
    of the one agent chosen); an agent who has one keeps it."""
    require_perms(request.user, VIEW, DRAW)
    filters = KpiFilterForm(request.POST, user=request.user)
    if not filters.is_valid():
        return render(request, "followups/kpi/table.html", {"form": filters}, status=400)
    month, office = filters.cleaned_data["month"], filters.cleaned_data["office"]
    back = reverse("followups:kpis") + f"?month={month_label(month)}"
    if filters.filter_query():
        back += f"&{filters.filter_query()}"
    kpis = kpi.agent_kpis(month, office=office, user=request.user)
    form = DrawSamplesForm(request.POST, agents=_draw_form_agents(kpis))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    wanted = form.cleaned_data["agent"]
    ids = [pk for pk, _label in _draw_form_agents(kpis) if wanted in (None, pk)]
    drawn = 0
    for agent in get_user_model().objects.filter(pk__in=ids).order_by("pk"):
        try:
            kpi.draw_sample(
                month, agent, size=form.cleaned_data["size"], seed=form.cleaned_data["seed"], by=request.user
            )
        except kpi.SampleAlreadyDrawn as error:
            messages.info(request, str(error))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            drawn += 1
    if drawn:
        messages.success(request, _("Samples drawn: %(count)d.") % {"count": drawn})
    return redirect(back)


def _sample_for(user: Any, pk: int) -> KpiSample:
    """A sample the user may see: managers see every office's; anyone else only their office's."""
    samples = KpiSample.objects.select_related("agent", "agent__office", "drawn_by")
    if not sees_every_office(user):
        samples = samples.filter(agent__office_id=user.office_id)
    sample: KpiSample = get_object_or_404(samples, pk=pk)
    return sample


def _sample_page(
    request: HttpRequest, sample: KpiSample, *, bound: RecheckForm | None = None, status: int = 200
) -> HttpResponse:
    can_recheck = request.user.has_perm(RECHECK)
    items = list(kpi.sample_items(sample))
    entries = []
    for item in items:
        form = None
        if can_recheck and item.rechecked_at is None:
            prefix = f"item-{item.pk}"
            form = bound if bound is not None and bound.prefix == prefix else RecheckForm(prefix=prefix)
        entries.append({"item": item, "form": form})
    return render(
        request,
        "followups/kpi/sample.html",
        {
            "sample": sample,
            "entries": entries,
            "rechecked": sum(1 for item in items if item.rechecked_at is not None),
            "back": reverse("followups:kpis") + f"?month={month_label(sample.month)}",
        },
        status=status,
    )


@login_required
@require_GET
def sample_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_perms(request.user, VIEW)
    return _sample_page(request, _sample_for(request.user, pk))


@login_required
@require_POST
def record_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    require_perms(request.user, VIEW, RECHECK)
    item = get_object_or_404(KpiSampleItem.objects.select_related("complaint"), pk=pk)
    sample = _sample_for(request.user, item.sample_id)
    form = RecheckForm(request.POST, prefix=f"item-{item.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            kpi.record_recheck(
                item,
                by=request.user,
                reached=data["reached"],
                satisfied=data["satisfied"],
                rating=data["rating"],
                note=data["note"],
            )
        except DomainConflict as error:  # re-checked already, or the complaint is no longer closed
            messages.error(request, str(error))
            return _sample_page(request, sample, status=409)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request, _("Re-check of %(reference)s recorded.") % {"reference": item.complaint.reference}
            )
            return redirect(reverse("followups:kpi_sample", args=[sample.pk]) + f"#item-{item.pk}")
    return _sample_page(request, sample, bound=form, status=400)


urlpatterns = [
    path("kpis/", kpi_table, name="kpis"),
    # any text as the month, so that a bad one gets a clear 400 rather than a bare 404
    re_path(r"^kpis/(?P<month>[^/]+)/agents\.(?P<fmt>xlsx|csv)$", kpi_download, name="kpi_download"),
    path("kpis/samples/draw/", draw_samples, name="kpi_draw"),
    path("kpis/samples/<int:pk>/", sample_detail, name="kpi_sample"),
    path("kpis/samples/items/<int:pk>/recheck/", record_recheck, name="kpi_recheck"),
]

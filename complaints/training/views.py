"""The training-case library's pages (SPEC R-C11): the list (with search) and one case,
read-only, for every member of staff of every office (complaints.view_complaint). The
templates receive only masked records (`masking.CaseSummary` / `masking.CaseFile`)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from helpdesk.pagination import CappedPaginator
from helpdesk.views_tools import query_without_page

from .masking import case_file, summarise
from .selectors import search_training_cases, training_case, training_cases

VIEW = "complaints.view_complaint"


@require_safe
@login_required
@permission_required(VIEW, raise_exception=True)
def training_list(request):
    q = request.GET.get("q", "").strip()[:200]
    if q:
        paginator = Paginator(search_training_cases(q), settings.HELPDESK_LIST_PAGE_SIZE)
    else:
        paginator = CappedPaginator(training_cases(), settings.HELPDESK_LIST_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/training_list.html",
        {
            "page": page,
            "cases": [summarise(c) for c in page.object_list],
            "q": q,
            "query": query_without_page(request),
        },
    )


@require_safe
@login_required
@permission_required(VIEW, raise_exception=True)
def training_detail(request, pk: int):
    complaint, events = training_case(pk)
    return render(request, "complaints/training_detail.html", {"case": case_file(complaint, events)})

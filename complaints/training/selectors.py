"""The training-case library's queries (SPEC R-C11): every office's closed complaints marked
as training cases. Search runs over the masked text, so it cannot be used to find out
whether a name or phone number is in a case."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from ..choices import CloseReason
from ..models import Category, Complaint, ComplaintEvent
from .masking import Masker

# A search looks at no more than this many matching cases (newest first) before masking.
SEARCH_CANDIDATES = 1000


def training_cases() -> QuerySet[Complaint]:
    """Every office's training cases, newest marked first: the library is for all staff. Never a
    merged duplicate: its story is the complaint it was merged into (`mark_training_case`
    refuses one, and a training case, being closed, cannot be merged; the filter holds it too)."""
    return (
        Complaint.objects.filter(is_training_case=True)
        .exclude(close_reason=CloseReason.MERGED)
        .select_related("office", "category", "customer")
        .order_by("-training_marked_at", "-pk")
    )


def search_training_cases(text: str) -> list[Complaint]:
    """Cases whose masked event, description or lesson, or whose category name (stored or
    translated), contains `text`. The database narrows the candidates; the match itself is
    made on the masked text, so searching for a complainant's phone or name finds nothing."""
    text = text.strip()
    needle = text.casefold()
    category_ids = {c.pk for c in Category.objects.all() if needle in c.name.casefold() or needle in str(c).casefold()}
    where = Q(subject__icontains=text) | Q(description__icontains=text) | Q(training_lesson__icontains=text)
    if category_ids:
        where |= Q(category_id__in=category_ids)
    found = []
    for complaint in training_cases().filter(where)[:SEARCH_CANDIDATES]:
        masker = Masker.for_complaint(complaint)
        if complaint.category_id in category_ids or any(
            needle in masker.text(value).casefold()
            for value in (complaint.subject, complaint.description, complaint.training_lesson)
        ):
            found.append(complaint)
    return found


def training_case(pk: int) -> tuple[Complaint, list[ComplaintEvent]]:
    complaint = get_object_or_404(training_cases().select_related("department"), pk=pk)
    events = list(complaint.events.select_related("actor").order_by("created_at", "pk"))
    return complaint, events

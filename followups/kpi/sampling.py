"""The manager's satisfaction sample of an agent's month (R-F5): drawn at random but
reproducibly from the complaints the agent closed, each re-checked once by phone."""

from __future__ import annotations

import random
import secrets
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Office
from complaints.choices import CloseReason
from complaints.models import Complaint
from helpdesk.dates import local_today, month_bounds, month_label, month_start
from helpdesk.exceptions import DomainConflict

from ..models import KpiSample, KpiSampleItem

MAX_SAMPLE_SIZE = 50
MAX_SEED = 2**63 - 1  # KpiSample.seed is a signed 64-bit integer


class SampleAlreadyDrawn(DomainConflict):
    """One sample per agent and month: the existing one is `sample`."""

    code = "sample_already_drawn"

    def __init__(self, sample: KpiSample):
        super().__init__(
            _("A sample of %(month)s was already drawn for %(agent)s.")
            % {"month": month_label(sample.month), "agent": sample.agent},
            action="draw_sample",
        )
        self.sample = sample


class AlreadyRechecked(DomainConflict):
    code = "already_rechecked"


def sample_candidates(month: date, agent) -> QuerySet[Complaint]:
    """What a sample of `agent`'s `month` is drawn from: the complaints they received that
    were closed in the month, in a stable order (by id) — without merged duplicates (counted
    once, in the complaint they were merged into) and anonymous complaints (nobody to phone)."""
    start, end = month_bounds(month_start(month))
    return (
        Complaint.objects.filter(received_by=agent, closed_at__gte=start, closed_at__lt=end)
        .exclude(close_reason=CloseReason.MERGED)
        .exclude(is_anonymous=True)
        .order_by("id")
    )


def draw(candidate_ids: list[int], *, size: int, seed: int) -> list[int]:
    """The reproducible draw: `size` (at most all) of the ids, in their stable order, by
    random.Random(seed) — the same seed draws the same complaints in the same order."""
    return random.Random(seed).sample(candidate_ids, min(size, len(candidate_ids)))


def draw_sample(month: date, agent, *, size: int, seed: int | None = None, by) -> KpiSample:
    """Draw `agent`'s sample of a month that has ended: `size` of their closed complaints
    (fewer if they closed fewer), with `seed` or a fresh one from `secrets` (stored either
    way). Refuses a second sample for the same agent and month (SampleAlreadyDrawn names it)
    and a sample with nothing to draw from (ValidationError)."""
    month = month_start(month)
    if month >= month_start(local_today()):
        raise ValidationError({"month": _("Samples are drawn from months that have ended.")})
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SAMPLE_SIZE:
        raise ValidationError({"size": _("The sample size is from 1 to %(max)d.") % {"max": MAX_SAMPLE_SIZE}})
    if seed is None:
        seed = secrets.randbelow(MAX_SEED + 1)
    elif isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValidationError({"seed": _("The seed is a whole number from 0 to %(max)d.") % {"max": MAX_SEED}})
    existing = KpiSample.objects.select_related("agent").filter(month=month, agent=agent).first()
    if existing is not None:
        raise SampleAlreadyDrawn(existing)
    chosen = draw(list(sample_candidates(month, agent).values_list("id", flat=True)), size=size, seed=seed)
    if not chosen:
        raise ValidationError(
            _("%(agent)s closed no complaint in %(month)s: there is nothing to sample.")
            % {"agent": agent, "month": month_label(month)}
        )
    try:
        with transaction.atomic():
            sample = KpiSample.objects.create(month=month, agent=agent, size=len(chosen), seed=seed, drawn_by=by)
            KpiSampleItem.objects.bulk_create(
                KpiSampleItem(sample=sample, complaint_id=pk, position=i) for i, pk in enumerate(chosen, start=1)
            )
    except IntegrityError:  # drawn by someone else meanwhile (one_sample_per_agent_month)
        raise SampleAlreadyDrawn(KpiSample.objects.select_related("agent").get(month=month, agent=agent)) from None
    return sample


def record_recheck(
    item: KpiSampleItem, *, by, reached: bool, satisfied: bool | None = None, rating: int | None = None, note: str = ""
) -> KpiSampleItem:
    """The manager's re-check of a sampled complaint, once: the `satisfaction_rechecked`
    event on the complaint (Complaint.record_satisfaction_recheck) and the result on the item,
    in one transaction. Not reached: satisfaction and rating are not recorded."""
    note = (note or "").strip()
    with transaction.atomic():
        locked = KpiSampleItem.objects.select_for_update().select_related("complaint").get(pk=item.pk)
        if locked.rechecked_at is not None:
            raise AlreadyRechecked(
                _("Complaint %(reference)s was already re-checked.") % {"reference": locked.complaint.reference},
                action="record_satisfaction_recheck",
            )
        event = locked.complaint.record_satisfaction_recheck(
            actor=by, sample_item=locked.pk, reached=reached, satisfied=satisfied, rating=rating, note=note
        )
        locked.rechecked_at, locked.rechecked_by = event.created_at, by
        locked.reached = reached
        locked.satisfied = satisfied if reached else None
        locked.rating = rating if reached else None
        locked.note = note
        locked.save(update_fields=["rechecked_at", "rechecked_by", "reached", "satisfied", "rating", "note"])
    return locked


def sample_items(sample: KpiSample) -> QuerySet[KpiSampleItem]:
    """A sample's complaints in the order they were drawn, with what the page shows."""
    return sample.items.select_related(
        "complaint", "complaint__customer", "complaint__category", "rechecked_by"
    ).order_by("position")


def month_sample_items(month: date, *, office: Office | None = None) -> QuerySet[KpiSampleItem]:
    """Every sampled complaint of a month (the export's second sheet), one query."""
    items = KpiSampleItem.objects.filter(sample__month=month_start(month))
    if office is not None:
        items = items.filter(sample__agent__office=office)
    return items.select_related("sample__agent", "complaint").order_by(
        "sample__agent__first_name", "sample__agent__username", "sample_id", "position"
    )

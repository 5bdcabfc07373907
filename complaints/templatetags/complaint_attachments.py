"""Template tags of the attachments partial (templates/complaints/_attachments.html).

`{% event_attachments event as brought withdrawn %}`-style lookups read one query per complaint
and request (`attachments_for`), whatever the number of events and attachments, so the
timeline's query count does not grow with them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import template

from complaints.attachments import ComplaintAttachment, attachments_for, training_attachments
from complaints.views_attachments import may_withdraw, training_file_name

register = template.Library()


@dataclass
class _Memo:
    by_event: dict[int, list[ComplaintAttachment]]
    withdrawn_by: dict[int, list[ComplaintAttachment]] = field(default_factory=dict)


def _memo(context: template.Context, complaint_id: int) -> _Memo:
    request = context.get("request")
    cache: dict[int, _Memo] | None = getattr(request, "_complaint_attachments", None) if request is not None else None
    if cache is None:
        cache = {}
        if request is not None:
            request._complaint_attachments = cache
    if complaint_id not in cache:
        by_event = attachments_for(complaint_id)
        memo = _Memo(by_event)
        for items in by_event.values():
            for a in items:
                if a.withdrawn_by_event_id is not None:
                    memo.withdrawn_by.setdefault(a.withdrawn_by_event_id, []).append(a)
        cache[complaint_id] = memo
    return cache[complaint_id]


@register.simple_tag(takes_context=True)
def event_attachments(context: template.Context, event: Any) -> list[ComplaintAttachment]:
    """The attachments that `event` brought."""
    return _memo(context, event.complaint_id).by_event.get(event.pk, [])


@register.simple_tag(takes_context=True)
def withdrawn_by(context: template.Context, event: Any) -> list[ComplaintAttachment]:
    """The attachments that `event` withdrew."""
    return _memo(context, event.complaint_id).withdrawn_by.get(event.pk, [])


@register.simple_tag(takes_context=True)
def touches_attachments(context: template.Context, event: Any) -> bool:
    """Whether `event` brought or withdrew any attachment: the timeline includes the
    attachments partial only for those (an include per event cost ~0.1 ms, issue 17)."""
    memo = _memo(context, event.complaint_id)
    return event.pk in memo.by_event or event.pk in memo.withdrawn_by


@register.simple_tag(takes_context=True)
def case_file_attachments(context: template.Context, complaint: Any) -> list[ComplaintAttachment]:
    """Every attachment of the complaint that is not withdrawn, in the order of the steps."""
    by_event = _memo(context, complaint.pk).by_event
    return [a for event_id in sorted(by_event) for a in by_event[event_id] if not a.is_withdrawn]


@register.simple_tag
def safe_training_attachments(complaint_id: int) -> list[ComplaintAttachment]:
    return training_attachments(complaint_id)


@register.filter
def can_withdraw(user: Any, attachment: ComplaintAttachment) -> bool:
    return may_withdraw(user, attachment)


@register.filter
def training_name(attachment: ComplaintAttachment) -> str:
    return training_file_name(attachment)

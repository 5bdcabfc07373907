"""The event log in words on the complaint page (complaints/event_text.py):
`{{ event|event_facts }}` — what the event recorded; `{{ event|event_actor }}` — who took the step;
`{% callback_script %}` — the outbound call-back script and call etiquette, Chinese first."""

from __future__ import annotations

from typing import Any

from django import template

from complaints import call_scripts, event_text

register = template.Library()


@register.filter
def event_facts(event: Any) -> list[event_text.Fact]:
    return event_text.describe(event)


@register.filter
def event_actor(event: Any) -> str:
    return event_text.who(event)


@register.simple_tag
def callback_script() -> call_scripts.Script:
    """{% callback_script as script %}: script.callback, script.etiquette (bilingual lines)."""
    return call_scripts.callback_script()

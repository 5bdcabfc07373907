"""`{% form_fields form %}`: every field of a staff form, each in the house's field block — the
label, the widget, the help text and the errors (issue 17).

Written out in Python: through the template engine (a `{% for %}` over the form and an
`{% include %}` of a field template per field) each field cost ~0.35 ms, and the complaint page
renders ~20 of them (its action forms) — 6–7 ms of a ~35 ms page at a million complaints. Here a
field costs what its widget does (helpdesk/form_renderer.py). Every value is escaped as `{{ }}`
escapes it; tests/complaints/test_form_fields.py pins the markup (checkbox, required, help
text, errors, hostile values).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString, mark_safe

from helpdesk.form_renderer import show

register = template.Library()


def field_html(field: BoundField) -> str:
    """One field's block: `<div class="field …" id="field-NAME">` with its label, widget, help
    text and errors; a checkbox before its label, every other widget after it."""
    errors = field.errors
    classes = "field"
    if errors:
        classes += " has-error"
    if field.field.required:
        classes += " required"
    label = f'<label for="{show(field.id_for_label)}">{show(field.label)}</label>'
    widget = show(field)
    if field.widget_type == "checkbox":
        body = f"\n    {widget} {label}\n  "
    else:
        body = f"\n    {label}\n    {widget}\n  "
    help_text = f'<small class="help">{show(field.help_text)}</small>' if field.help_text else ""
    shown_errors = "".join(f'<p class="error">{show(error)}</p>' for error in errors)
    block = f'<div class="{classes}" id="field-{show(field.html_name)}">'
    return f"{block}\n  {body}\n  {help_text}\n  {shown_errors}\n</div>\n"


@register.simple_tag
def form_fields(form: Iterable[Any]) -> SafeString:
    """Every visible and hidden field of `form`, in its order."""
    return mark_safe("".join(field_html(field) for field in form))  # noqa: S308 — every value escaped in field_html


@register.simple_tag
def form_field(field: BoundField) -> SafeString:
    """One field's block (`{% form_field form.subject %}`)."""
    return mark_safe(field_html(field))  # noqa: S308 — every value escaped in field_html

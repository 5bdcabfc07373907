"""`{% action_panels action_forms complaint %}`: the complaint page's action panels — one folded
`<details>` per action open to the user, with its form (open when it comes back with errors),
the call-back script beside the call-back form, and a hint when no action is open (issue 17).

Written out in Python, like the fields inside (form_fields.py): a panel through the template
engine cost ~0.15 ms besides its fields, and a supervisor sees a dozen. The markup is the one
tests/complaints/test_action_panels.py pins.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from helpdesk.form_renderer import show

from .form_fields import field_html

register = template.Library()

CALLBACK = "record_callback"  # its panel shows the call-back script before the form
CALLBACK_SCRIPT = "complaints/_callback_script.html"
_CSRF = CsrfTokenNode()


def _callback_script(context: template.Context) -> str:
    """`{% include "complaints/_callback_script.html" %}`, with the page's context."""
    engine = context.template.engine if context.template is not None else template.Engine.get_default()
    with context.push():
        return str(engine.get_template(CALLBACK_SCRIPT).render(context))


@register.simple_tag(takes_context=True)
def action_panels(context: template.Context, action_forms: list[tuple[Any, Any]], complaint: Any) -> SafeString:
    if not action_forms:
        return mark_safe(  # noqa: S308 — a translation of ours, escaped
            f'\n    <p class="card hint">{show(gettext("No actions are open to you in this state."))}</p>\n    '
        )
    csrf = _CSRF.render(context)
    parts = []
    for act, form in action_forms:
        name = show(act.name)
        label = show(act.label)
        script = ""
        if act.name == CALLBACK:
            heading = show(gettext("Call-back script"))
            script = f'<div class="scripts" aria-label="{heading}"><h3>{heading}</h3>{_callback_script(context)}</div>'
        url = show(reverse("complaints:action", args=[complaint.pk, act.name]))
        multipart = ' enctype="multipart/form-data"' if form.is_multipart() else ""
        errors = "".join(f'<p class="error">{show(error)}</p>' for error in form.non_field_errors())
        fields = "".join(field_html(field) for field in form)
        parts.append(
            f'\n    <details class="card action" id="action-{name}"{" open" if form.is_bound else ""}>\n'
            f"      <summary>{label}</summary>\n"
            f"      {script}\n"
            f'      <form method="post" action="{url}" novalidate{multipart}>{csrf}\n'
            f"        {errors}\n"
            f"        {fields}\n"
            f'        <button type="submit">{label}</button>\n'
            "      </form>\n"
            "    </details>\n    "
        )
    return mark_safe("".join(parts))  # noqa: S308 — every value escaped above

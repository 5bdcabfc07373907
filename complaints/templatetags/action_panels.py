"""The complaint page's action panels (issue 17).

`{% action_panels action_forms complaint %}`: one folded `<details>` per action open to the
user. A panel's form is fetched when it opens (static/js/action-panels.js asks the action's URL
for `{% action_panel_content %}`); without JavaScript its link opens the form on the action's
own page (`{% action_panel %}`). The form that came back with errors is in its
panel, open. The call-back script stands beside the call-back form; a hint says when no action
is open. Rendering a dozen forms nobody opens was a third of the page's time (~5 ms of 30 at a
million complaints) and half its bytes.

Written out in Python, like the fields inside (form_fields.py); tests/complaints/
test_action_panels.py pins the markup.
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


def panel_body(context: template.Context, act: Any, form: Any, complaint: Any) -> str:
    """What a panel holds under its summary: the call-back script beside the call-back form,
    then the form (its errors first)."""
    label = show(act.label)
    script = ""
    if act.name == CALLBACK:
        heading = show(gettext("Call-back script"))
        script = f'<div class="scripts" aria-label="{heading}"><h3>{heading}</h3>{_callback_script(context)}</div>'
    url = show(reverse("complaints:action", args=[complaint.pk, act.name]))
    multipart = ' enctype="multipart/form-data"' if form.is_multipart() else ""
    errors = "".join(f'<p class="error">{show(error)}</p>' for error in form.non_field_errors())
    fields = "".join(field_html(field) for field in form)
    return (
        f"      {script}\n"
        f'      <form method="post" action="{url}" novalidate{multipart}>{_CSRF.render(context)}\n'
        f"        {errors}\n"
        f"        {fields}\n"
        f'        <button type="submit">{label}</button>\n'
        "      </form>\n"
    )


def _folded(act: Any, complaint: Any) -> str:
    """A panel whose form is fetched when it opens (static/js/action-panels.js); without
    JavaScript its link opens the form on a page of its own."""
    url = show(reverse("complaints:action", args=[complaint.pk, act.name]))
    opens = show(gettext("Open the form"))
    return f'      <p class="panel-open"><a href="{url}">{opens}</a></p>\n'


@register.simple_tag(takes_context=True)
def action_panels(context: template.Context, action_forms: list[tuple[Any, Any]], complaint: Any) -> SafeString:
    """The panels of `action_forms` — (action, form) pairs, form None for a panel to fetch."""
    if not action_forms:
        hint = show(gettext("No actions are open to you in this state."))  # outside the f-string, for xgettext
        return mark_safe(f'\n    <p class="card hint">{hint}</p>\n    ')  # noqa: S308 — escaped
    parts = []
    for act, form in action_forms:
        name = show(act.name)
        if form is None:
            url = show(reverse("complaints:action", args=[complaint.pk, act.name]))
            head = f'\n    <details class="card action" id="action-{name}" data-panel="{url}">\n'
            body = _folded(act, complaint)
        else:
            head = f'\n    <details class="card action" id="action-{name}"{" open" if form.is_bound else ""}>\n'
            body = panel_body(context, act, form, complaint)
        parts.append(f"{head}      <summary>{show(act.label)}</summary>\n{body}    </details>\n    ")
    return mark_safe("".join(parts))  # noqa: S308 — every value escaped above


@register.simple_tag(takes_context=True)
def action_panel(context: template.Context, act: Any, form: Any, complaint: Any) -> SafeString:
    """One panel with its form, open: the action's own page."""
    name = show(act.name)
    return mark_safe(  # noqa: S308 — every value escaped in panel_body
        f'<details class="card action" id="action-{name}" open>\n      <summary>{show(act.label)}</summary>\n'
        f"{panel_body(context, act, form, complaint)}    </details>"
    )


@register.simple_tag(takes_context=True)
def action_panel_content(context: template.Context, act: Any, form: Any, complaint: Any) -> SafeString:
    """What action-panels.js puts in a panel it opens: its body."""
    return mark_safe(panel_body(context, act, form, complaint))  # noqa: S308 — escaped in panel_body

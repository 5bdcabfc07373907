"""The form renderer (settings.FORM_RENDERER): Django's `TemplatesSetting`, with the plainest
of Django's own widget templates — the `<input>` family, `<textarea>` and `<select>` — written
out in Python.

Through the template engine each of those widgets cost ~0.1–0.3 ms (an include of attrs.html,
a filter per attribute, an include per option): the complaint page's ~20 action fields and the
list's filters spent 2–2.5 ms of a 20–30 ms page there at a million complaints (issue 17). The
output is the templates' own, byte for byte: every value escaped the way `{{ }}` escapes it
(`conditional_escape`), `|stringformat:'s'` kept where the templates use it, the same spaces
and line breaks (tests/helpdesk/test_form_renderer.py renders each widget kind with hostile,
safe, lazy and odd values, and the pages with forms, both ways). Any template that is not
Django's own file — overridden in templates/ or by an app — any option template of another
name, and every other widget go through the templates as before.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django
from django.forms.renderers import TemplatesSetting
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.safestring import SafeData, SafeString, mark_safe

WIDGETS = "django/forms/widgets/"
DJANGO_WIDGET_TEMPLATES = Path(django.__file__).resolve().parent / "forms" / "templates"
OPTION = WIDGETS + "select_option.html"


_CONTEXT = Context()  # a template's defaults: autoescape on, localisation as configured


def show(value: Any) -> str:
    """`{{ value }}`: localised and escaped as the template engine does. Plain and safe strings
    (most values) the short way: neither localisation nor the time zone changes a string."""
    kind = type(value)
    if kind is str:
        return html.escape(value)  # django.utils.html.escape, without marking it safe
    if kind is SafeString:
        return value
    return str(render_value_in_context(value, _CONTEXT))


def _string(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: "%s" % value ("" when that fails), escaped unless safe."""
    try:
        text = "%s" % (str(value) if isinstance(value, tuple) else value)  # noqa: UP031 — the filter's way
    except (ValueError, TypeError):
        return ""
    return text if isinstance(value, SafeData) else show(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is not False:
            parts.append(f" {show(name)}")
            if value is not True:
                parts.append(f'="{_string(value)}"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    """input.html (and the templates that only include it: text, email, checkbox …)."""
    value = widget["value"]
    shown = f' value="{_string(value)}"' if value is not None else ""
    return f'<input type="{show(widget["type"])}" name="{show(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{show(widget["name"])}"{_attrs(widget["attrs"])}>\n{show(value) if value else ""}</textarea>'
    )


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{show(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _group_index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{show(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION:
                return None  # a widget of its own options: the templates
            parts.append(
                f'\n  <option value="{_string(option["value"])}"{_attrs(option["attrs"])}>'
                f"{show(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


INPUTS = (
    *("input", "text", "email", "number", "password", "hidden", "url", "tel", "search", "color"),
    *("date", "datetime", "time", "checkbox", "file"),
)
FAST: dict[str, Callable[[dict[str, Any]], str | None]] = {
    **{f"{WIDGETS}{name}.html": _input for name in INPUTS},
    f"{WIDGETS}textarea.html": _textarea,
    f"{WIDGETS}select.html": _select,
}


class FastWidgetRenderer(TemplatesSetting):
    def __init__(self) -> None:
        super().__init__()
        self._own: dict[str, bool] = {}  # template name → is Django's own file (not overridden)

    def _shipped(self, template_name: str) -> bool:
        template = self.get_template(template_name)
        origin = getattr(template, "origin", None)
        return origin is not None and Path(origin.name).resolve().is_relative_to(DJANGO_WIDGET_TEMPLATES)

    def _is_djangos(self, template_name: str) -> bool:
        own = self._own.get(template_name)
        if own is None:
            own = self._own[template_name] = all(
                self._shipped(name)
                for name in (
                    template_name,
                    *(f"{WIDGETS}{n}" for n in ("input.html", "attrs.html", "select_option.html")),
                )
            )
        return own

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        fast = FAST.get(template_name)
        if fast is not None and "widget" in context and self._is_djangos(template_name):
            html = fast(context["widget"])
            if html is not None:
                return mark_safe(html)  # noqa: S308 — every value escaped above
        return super().render(template_name, context, request)

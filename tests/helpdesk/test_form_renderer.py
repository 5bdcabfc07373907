"""The form renderer (helpdesk/form_renderer.py) writes Django's plainest widget templates in
Python: its output must be the templates' own, byte for byte — for every widget and value
kind here, and for the project's own pages that show forms."""

import datetime
import re
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from complaints.attachments import MultipleFileInput
from helpdesk.form_renderer import FAST, FastWidgetRenderer, show
from helpdesk.widgets import DateTimeLocalInput

TEMPLATES = TemplatesSetting()
FAST_RENDERER = FastWidgetRenderer()

HOSTILE = "a<b>&\"' c"
VALUES = [None, "", "plain", HOSTILE, mark_safe("<em>safe</em>"), 0, 7, Decimal("1234.5"), 3.25, True, False]
VALUES += [gettext_lazy("Reply"), datetime.date(2026, 12, 6), ("tuple",)]
VALUES += [datetime.datetime(2026, 12, 6, 9, 30, tzinfo=datetime.UTC)]
ATTRS = [
    None,
    {"required": True, "disabled": False, "maxlength": 10},
    {"class": 'x"y<z>', "data-none": None, "placeholder": gettext_lazy("Search"), "id": "id_f", "rows": 3},
    {"title": mark_safe("<b>ok</b>"), "data-pair": (1, 2), "data-one": (1,), "aria-label": HOSTILE},
]
CHOICES = [
    ("", "---------"),
    ("a", "Alpha"),
    (1, gettext_lazy("Reply")),
    ("x<y", HOSTILE),
    (gettext_lazy("Group"), [("g1", "One"), ("g2", mark_safe("<i>Two</i>"))]),
    ("last", 99),
]

INPUT_WIDGETS = [
    forms.TextInput,
    forms.EmailInput,
    forms.NumberInput,
    forms.URLInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    DateTimeLocalInput,
    forms.FileInput,
    MultipleFileInput,
    forms.Textarea,
    forms.CheckboxInput,
    lambda: forms.PasswordInput(render_value=True),
]


def both(widget, value, attrs):
    with translation.override("zh-hans"):
        return (
            widget.render("field", value, attrs=attrs, renderer=FAST_RENDERER),
            widget.render("field", value, attrs=attrs, renderer=TEMPLATES),
        )


@pytest.mark.parametrize("make", INPUT_WIDGETS)
@pytest.mark.parametrize("attrs", ATTRS)
def test_inputs_and_textareas_as_the_templates_write_them(make, attrs):
    for value in VALUES:
        fast, slow = both(make(), value, attrs)
        assert fast == slow, (value, attrs)


@pytest.mark.parametrize("make", [forms.Select, forms.SelectMultiple, forms.NullBooleanSelect])
@pytest.mark.parametrize("attrs", ATTRS)
def test_selects_as_the_templates_write_them(make, attrs):
    widget = make() if make is forms.NullBooleanSelect else make(choices=CHOICES)
    values = [None, "", "a", 1, "1", "g2", "x<y", True, "unknown", "true"]
    for value in values if make is forms.NullBooleanSelect else [*values, ["a", "g1"]]:
        fast, slow = both(widget, value, attrs)
        assert fast == slow, (value, attrs)


def test_a_select_with_its_own_option_template_goes_through_the_templates():
    class Own(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    fast, slow = both(Own(choices=[("a", "A")]), "a", None)
    assert fast == slow and "<input" in fast  # the other template was used


@pytest.mark.parametrize("value", [*VALUES, "", "x" * 3, "\u6f0f\u6c34 & <\u6c34\u7ba1>"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_show_writes_a_value_as_a_template_variable_does(value, language):
    with translation.override(language):
        expected = Template("{{ value }}").render(Context({"value": value}))
        assert show(value) == expected


def test_the_fast_templates_are_the_ones_django_ships(settings):
    assert all(name.startswith("django/forms/widgets/") for name in FAST)
    assert settings.FORM_RENDERER == "helpdesk.form_renderer.FastWidgetRenderer"


def test_an_overridden_widget_template_is_used(tmp_path, settings):
    widgets = tmp_path / "django" / "forms" / "widgets"
    widgets.mkdir(parents=True)
    (widgets / "textarea.html").write_text('<textarea class="ours" name="{{ widget.name }}"></textarea>')
    templates = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    with override_settings(TEMPLATES=templates):
        html = forms.Textarea().render("note", "x", renderer=FastWidgetRenderer())
    assert html == '<textarea class="ours" name="note"></textarea>'


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pages_with_forms_are_the_same_with_either_renderer(client, language):
    from complaints.choices import Status
    from tests.complaint_paths import complaint_in
    from tests.factories import OfficeFactory, UserFactory

    office = OfficeFactory()
    supervisor = UserFactory(office=office, role="supervisor")
    complaint = complaint_in(Status.IN_PROGRESS, supervisor, subject=HOSTILE, description=HOSTILE)
    client.force_login(supervisor)
    pages = [
        reverse("complaints:detail", args=[complaint.pk]),
        reverse("complaints:list") + "?status=in_progress&q=" + "a<b",
        reverse("complaints:intake_walk_in"),
        reverse("complaints:intake_phone"),
        reverse("customers:list"),
    ]
    for path in pages:
        shown = []
        for renderer in ("helpdesk.form_renderer.FastWidgetRenderer", "django.forms.renderers.TemplatesSetting"):
            with override_settings(FORM_RENDERER=renderer):
                response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, path
            shown.append(CSRF.sub("", response.content.decode()))
        assert shown[0] == shown[1], path
        assert "<textarea" in shown[0] or "<select" in shown[0] or "<input" in shown[0]

"""`{% form_fields %}` / `{% form_field %}` (complaints/templatetags/form_fields.py): the house's
field block, written in Python — label, widget, help text and errors, every value escaped."""

from django import forms
from django.template import Context, Template
from django.utils.safestring import mark_safe

from complaints.templatetags.form_fields import field_html

HOSTILE = "a<b>&\"' c"


class SampleForm(forms.Form):
    name = forms.CharField(label="Name", max_length=20)
    agree = forms.BooleanField(label="I agree", required=False)
    note = forms.CharField(label=HOSTILE, help_text=HOSTILE, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    safe = forms.CharField(label=mark_safe("<em>Safe</em>"), help_text=mark_safe("<b>bold</b>"), required=False)


def test_a_required_text_field_label_first():
    assert field_html(SampleForm()["name"]) == (
        '<div class="field required" id="field-name">\n  \n'
        '    <label for="id_name">Name</label>\n'
        '    <input type="text" name="name" maxlength="20" required id="id_name">\n  \n  \n  \n</div>\n'
    )


def test_a_checkbox_before_its_label_and_not_required():
    assert field_html(SampleForm(prefix="p")["agree"]) == (
        '<div class="field" id="field-p-agree">\n  \n'
        '    <input type="checkbox" name="p-agree" id="id_p-agree"> <label for="id_p-agree">I agree</label>\n'
        "  \n  \n  \n</div>\n"
    )


def test_labels_help_texts_and_values_are_escaped_unless_safe():
    form = SampleForm(data={"name": "x", "note": HOSTILE})
    note = field_html(form["note"])
    assert '<label for="id_note">a&lt;b&gt;&amp;&quot;&#x27; c</label>' in note
    assert '<small class="help">a&lt;b&gt;&amp;&quot;&#x27; c</small>' in note
    assert "a&lt;b&gt;&amp;&quot;&#x27; c</textarea>" in note
    assert HOSTILE not in note
    safe = field_html(form["safe"])
    assert '<label for="id_safe"><em>Safe</em></label>' in safe
    assert '<small class="help"><b>bold</b></small>' in safe


def test_errors_mark_the_block_and_follow_the_widget():
    form = SampleForm(data={"name": ""})
    assert not form.is_valid()
    html = field_html(form["name"])
    assert html.startswith('<div class="field has-error required" id="field-name">')
    assert html.endswith('\n  <p class="error">This field is required.</p>\n</div>\n')


def test_the_tags_render_every_field_in_order_as_safe_markup():
    form = SampleForm()
    html = Template("{% load form_fields %}{% form_fields form %}|{% form_field form.agree %}").render(
        Context({"form": form})
    )
    every, one = html.split("|")
    assert every == "".join(field_html(f) for f in form)
    assert [every.index(f'id="field-{name}"') for name in form.fields] == sorted(
        every.index(f'id="field-{name}"') for name in form.fields
    )
    assert one == field_html(form["agree"])

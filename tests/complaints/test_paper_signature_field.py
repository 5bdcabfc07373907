"""The signature pad's form field (helpdesk/signature.py): a PNG data URL from the canvas is
cleaned into PNG bytes; garbage, a blank canvas and an oversized image are refused with a
message the agent can act on."""

import base64
import io

import pytest
from django import forms
from PIL import Image, ImageDraw

from helpdesk.signature import DATA_URL_PREFIX, SignatureField, SignatureWidget


def png(*, ink=True, size=(300, 100), mode="RGBA") -> bytes:
    image = Image.new(mode, size, (0, 0, 0, 0) if mode == "RGBA" else "white")
    if ink:
        ImageDraw.Draw(image).line([(10, 80), (90, 20), (200, 70)], fill="black", width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(raw: bytes) -> str:
    return DATA_URL_PREFIX + base64.b64encode(raw).decode("ascii")


class SignForm(forms.Form):
    signature = SignatureField()


class OptionalSignForm(forms.Form):
    signature = SignatureField(required=False)


def errors_for(value, form_class=SignForm):
    form = form_class({"signature": value})
    assert not form.is_valid()
    return form.errors["signature"]


def test_a_drawn_signature_is_cleaned_into_png_bytes():
    raw = png()
    form = SignForm({"signature": data_url(raw)})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["signature"] == raw


def test_a_drawing_on_white_counts_too():
    raw = png(mode="RGB")
    form = SignForm({"signature": data_url(raw)})
    assert form.is_valid(), form.errors


def test_missing_signature_is_required():
    assert errors_for("") == ["The complainant has not signed yet: please ask them to sign in the box."]


def test_optional_signature_may_be_left_empty():
    form = OptionalSignForm({"signature": ""})
    assert form.is_valid() and form.cleaned_data["signature"] == b""


@pytest.mark.parametrize(
    "value",
    [
        "not a data url",
        "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff").decode(),
        DATA_URL_PREFIX + "!!!not-base64!!!",
        data_url(b"GIF89a not a png at all"),
        data_url(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),  # the magic bytes, then garbage
    ],
)
def test_garbage_is_refused(value):
    assert errors_for(value) == ["The signature could not be read; clear the box and sign again."]


def test_a_blank_canvas_is_not_a_signature():
    assert errors_for(data_url(png(ink=False))) == [
        "The signature box is empty: please ask the complainant to sign in the box."
    ]
    assert errors_for(data_url(png(ink=False, mode="RGB"))) == [
        "The signature box is empty: please ask the complainant to sign in the box."
    ]


def test_an_oversized_image_is_refused_before_decoding():
    class SmallForm(forms.Form):
        signature = SignatureField(max_bytes=1000)

    errors = errors_for(data_url(png(size=(300, 100)) + b"\x00" * 2000), SmallForm)
    assert len(errors) == 1 and errors[0].startswith("The signature image is") and "the limit is 1000" in errors[0]


def test_the_default_limit_is_300_kb():
    noise = Image.effect_noise((700, 700), 100).convert("RGB")  # incompressible: well over 300 KB
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 300 * 1024
    errors = errors_for(data_url(buffer.getvalue()))
    assert errors[0].startswith("The signature image is") and "the limit is 300.0\xa0KB" in errors[0]


def test_widget_renders_a_canvas_a_hidden_input_and_a_clear_button_without_inline_script():
    html = SignForm()["signature"].as_widget()
    assert "<canvas" in html and 'type="hidden"' in html and 'name="signature"' in html
    assert 'id="id_signature"' in html and "data-signature-clear" in html
    assert "<script" not in html and "onclick" not in html.lower()
    assert SignatureWidget().media._js == ["js/signature.js"]


def test_widget_never_echoes_a_submitted_drawing():
    form = SignForm({"signature": data_url(png())})
    assert 'value=""' in form["signature"].as_widget()

"""A handwritten signature on a tablet or with a mouse (issue 11: on-the-spot sign-off and
door-visit call-backs): a form field whose widget is a <canvas> with a hidden input.

`static/js/signature.js` (no inline script: the strict CSP) draws with pointer events — touch,
pen and mouse alike — and writes the drawing into the hidden input as a PNG data URL
(``data:image/png;base64,…``). `SignatureField.clean()` checks that payload and returns the
PNG's bytes: the prefix, the size limit, a real PNG (Pillow reads it, within a pixel limit) and
some ink on it (a blank canvas is no signature). Storing the bytes is the caller's business
(`complaints.paper.store_signature`)."""

from __future__ import annotations

import base64
import binascii
import io

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

DATA_URL_PREFIX = "data:image/png;base64,"
MAX_BYTES = 300 * 1024  # a drawn signature is a few kB; a photo pasted in is refused
MAX_PIXELS = 4000 * 2000  # decompression-bomb guard, far above any tablet canvas
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class SignatureWidget(forms.Widget):
    """A canvas to sign on, a "Clear" button and the hidden input the script fills in.
    Without JavaScript only the hint is seen and the field stays empty."""

    class Media:
        js = ["js/signature.js"]
        css = {"all": ["css/signature.css"]}

    def format_value(self, value):
        # never echo a submitted drawing back into the page: the complainant signs again
        return ""

    def value_from_datadict(self, data, files, name):
        return data.get(name, "")

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        input_id = attrs.get("id") or f"id_{name}"
        return format_html(
            '<div class="signature-pad" data-signature-pad>'
            '<canvas class="signature-canvas" role="img" aria-label="{label}" data-signature-canvas></canvas>'
            '<input type="hidden" name="{name}" id="{id}" value="" data-signature-input>'
            '<div class="signature-tools">'
            '<span class="signature-hint">{hint}</span> '
            '<button type="button" class="signature-clear" data-signature-clear>{clear}</button>'
            "</div>"
            '<noscript><p class="error">{noscript}</p></noscript>'
            "</div>",
            label=_("Signature area"),
            name=name,
            id=input_id,
            hint=_("Sign here with a finger, a pen or the mouse."),
            clear=_("Clear"),
            noscript=_("Signing needs JavaScript in this browser."),
        )


class SignatureField(forms.Field):
    """Cleans a PNG data URL from `SignatureWidget` into the PNG's bytes (or ``b""`` when not
    required and left empty)."""

    widget = SignatureWidget
    default_error_messages = {
        "required": _("The complainant has not signed yet: please ask them to sign in the box."),
        "invalid": _("The signature could not be read; clear the box and sign again."),
        "too_large": _("The signature image is %(size)s; the limit is %(limit)s. Clear the box and sign again."),
        "blank": _("The signature box is empty: please ask the complainant to sign in the box."),
    }

    def __init__(self, *, max_bytes: int = MAX_BYTES, **kwargs):
        self.max_bytes = max_bytes
        kwargs.setdefault("label", _("Complainant's signature"))
        super().__init__(**kwargs)

    def to_python(self, value) -> bytes:
        value = (value or "").strip()
        if not value:
            return b""
        if not value.startswith(DATA_URL_PREFIX):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        payload = value[len(DATA_URL_PREFIX) :]
        # base64 is 4/3 of the bytes: refuse an oversized payload before decoding it
        if len(payload) > (self.max_bytes * 4) // 3 + 4:
            raise self._too_large(len(payload) * 3 // 4)
        try:
            png = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if len(png) > self.max_bytes:
            raise self._too_large(len(png))
        return png

    def _too_large(self, size: int) -> ValidationError:
        return ValidationError(
            self.error_messages["too_large"],
            code="too_large",
            params={"size": filesizeformat(size), "limit": filesizeformat(self.max_bytes)},
        )

    def validate(self, value: bytes) -> None:
        if not value:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return
        if not has_ink(value):
            raise ValidationError(self.error_messages["blank"], code="blank")

    def clean(self, value):
        value = self.to_python(value)
        if value and not value.startswith(PNG_MAGIC):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if value:
            _check_png(value, self.error_messages["invalid"])
        self.validate(value)
        self.run_validators(value)
        return value


def _check_png(png: bytes, message) -> None:
    try:
        with Image.open(io.BytesIO(png)) as image:
            if image.format != "PNG" or image.width * image.height > MAX_PIXELS:
                raise ValidationError(message, code="invalid")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(message, code="invalid") from None


def has_ink(png: bytes) -> bool:
    """Whether the drawing has any mark on it: flattened onto white, something is not white."""
    with Image.open(io.BytesIO(png)) as image:
        rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(white, rgba).convert("L")
    # near-white (anti-aliasing noise, paper tone) does not count as ink
    ink = ImageOps.invert(flat).point(lambda v: 255 if v > 24 else 0)
    return ink.getbbox() is not None

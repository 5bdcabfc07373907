"""End-to-end: the signature pad (helpdesk/signature.py + static/js/signature.js) in a real
headless Chromium, on a 375 px phone and a tablet with touch, and with a mouse: a stroke on
the canvas reaches the server as a PNG that SignatureField accepts; "Clear" empties it.

The pad is tested on a tiny page of its own (this module is the URLconf), under the project's
middleware and its strict Content-Security-Policy (no inline script)."""

import io

import pytest
from django import forms
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import engines
from django.urls import path
from PIL import Image

from helpdesk.signature import SignatureField

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RECEIVED: list[bytes] = []

PAGE = engines["django"].from_string(
    """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{{ form.media }}</head>
<body><form method="post" id="sign-form"><input type="hidden" name="csrfmiddlewaretoken" value="{{ token }}">
{% if folded %}<details id="fold"><summary>Sign off</summary>{% endif %}
{{ form.signature.errors }}{{ form.signature }}<button type="submit" id="submit">Sign off</button>
{% if folded %}</details>{% endif %}</form>
<p id="result">{{ result }}</p></body></html>"""
)


class SignOffForm(forms.Form):
    signature = SignatureField()


def sign_off(request):
    result = ""
    form = SignOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        RECEIVED.append(form.cleaned_data["signature"])
        result = f"signed: {len(form.cleaned_data['signature'])} bytes"
    context = {"form": form, "result": result, "token": get_token(request), "folded": "folded" in request.GET}
    return HttpResponse(PAGE.render(context, request))


urlpatterns = [path("sign/", sign_off)]


@pytest.fixture
def pad_url(live_server, settings):
    settings.ROOT_URLCONF = __name__
    RECEIVED.clear()
    return f"{live_server.url}/sign/"


def canvas_box(page):
    page.wait_for_selector("[data-signature-pad][data-signature-ready]")
    box = page.locator("canvas[data-signature-canvas]").bounding_box()
    assert box and box["width"] > 100 and box["height"] > 50
    return box


def stroke_points(box):
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    return [(x + w * f, y + h * (0.3 + 0.4 * (i % 2))) for i, f in enumerate((0.1, 0.25, 0.4, 0.55, 0.7, 0.85))]


def mouse_stroke(page):
    points = stroke_points(canvas_box(page))
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=4)
    page.mouse.up()


def touch_stroke(page):
    """A finger stroke through the DevTools protocol (Playwright's touchscreen only taps)."""
    points = stroke_points(canvas_box(page))
    cdp = page.context.new_cdp_session(page)

    def touch(kind, point=None):
        touch_points = [] if point is None else [{"x": point[0], "y": point[1], "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

    touch("touchStart", points[0])
    for point in points[1:]:
        touch("touchMove", point)
    touch("touchEnd")


def assert_signed(page):
    value = page.locator("input[data-signature-input]").input_value()
    assert value.startswith("data:image/png;base64,")
    page.click("#submit")
    page.wait_for_selector("#result:has-text('signed:')")
    assert len(RECEIVED) == 1
    with Image.open(io.BytesIO(RECEIVED[0])) as image:
        assert image.format == "PNG"
        assert image.convert("RGBA").getchannel("A").getbbox() is not None  # ink on it


@pytest.mark.parametrize(
    "viewport",
    [{"width": 375, "height": 740}, {"width": 1024, "height": 768}],
    ids=["phone-375", "tablet"],
)
def test_a_finger_stroke_on_a_touch_screen_is_submitted_as_a_png(browser_page, pad_url, viewport):
    browser = browser_page.context.browser
    context = browser.new_context(viewport=viewport, has_touch=True, is_mobile=viewport["width"] < 500)
    page = context.new_page()
    csp_errors = []
    page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    try:
        page.goto(pad_url)
        box = canvas_box(page)
        assert box["x"] + box["width"] <= viewport["width"]  # the pad fits the screen
        touch_stroke(page)
        assert_signed(page)
        assert csp_errors == []
    finally:
        context.close()


def test_a_mouse_stroke_is_submitted_and_clear_empties_the_pad(browser_page, pad_url):
    page = browser_page
    page.goto(pad_url)
    mouse_stroke(page)
    assert page.locator("input[data-signature-input]").input_value().startswith("data:image/png;base64,")

    page.click("[data-signature-clear]")
    assert page.locator("input[data-signature-input]").input_value() == ""
    page.click("#submit")
    page.wait_for_selector("text=The complainant has not signed yet")
    assert RECEIVED == []

    mouse_stroke(page)
    assert_signed(page)


def test_a_pad_inside_a_closed_details_fits_once_opened(browser_page, pad_url):
    # the complaint page folds each action form in a <details>: the pad has no size until opened
    page = browser_page
    page.goto(pad_url + "?folded=1")
    page.click("#fold summary")
    box = canvas_box(page)
    width = page.evaluate("document.querySelector('canvas[data-signature-canvas]').width")
    assert width >= box["width"]  # the bitmap was refitted to the opened box
    mouse_stroke(page)
    assert_signed(page)

"""Input that no field of the helpdesk can hold, refused in one place with a 400 and a
message (issue 16) before any view, form or serializer sees it:

- a NUL character or a lone surrogate in the path, a query-string or form value or name
  (PostgreSQL text cannot hold NUL; a lone surrogate cannot be encoded as UTF-8, so it
  breaks the database driver or the response that echoes it back);
- a request body declared in a character set that is not a text encoding ("rot13",
  "base64": Python knows them as codecs, and decoding the form with them raises);
- in the API (`HostileJSONParser`, the API's JSON parser): JSON nested deeper than
  JSON_MAX_DEPTH, JSON holding NUL or a lone surrogate in any key or string, a JSON body
  larger than DATA_UPLOAD_MAX_MEMORY_SIZE (413), a body in a non-text character set.
"""

from __future__ import annotations

import codecs
import json

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

JSON_MAX_DEPTH = 32  # no serializer of the API nests more than a few levels
API_PREFIX = "/api/"  # answered in JSON, like every API error (helpdesk.drf.exception_handler)


def bad_text(text: str) -> bool:
    """True for text holding a NUL character or a lone surrogate."""
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def is_text_encoding(name: str) -> bool:
    try:
        return codecs.lookup(name)._is_text_encoding
    except LookupError:
        return False


def _bad_request(request, message: str) -> HttpResponseBadRequest | JsonResponse:
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": message}, status=400)  # as DRF answers a ParseError
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class HostileInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.encoding and not is_text_encoding(request.encoding):
            return _bad_request(request, _("The request's character set is not supported: send UTF-8."))
        if bad_text(request.path_info) or _bad_values(request.GET):
            return _bad_request(request, _("The address contains a NUL character or an invalid character."))
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            if _bad_values(request.POST):
                return _bad_request(request, _("The form contains a NUL character or an invalid character."))
        return self.get_response(request)


def _bad_values(data) -> bool:
    return any(bad_text(key) or any(bad_text(v) for v in values) for key, values in data.lists())


# ---------------------------------------------------------------------------- API
class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self):
        super().__init__(_("The request is too large."))


class HostileJSONParser(JSONParser):
    """DRF's JSON parser (strict: no NaN / Infinity) with the limits above; every refusal is
    a 400 (413 for the size) with a message, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        if not is_text_encoding(encoding):
            raise ParseError(_("The request's character set is not supported: send UTF-8."))
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # None: no limit
        body = (stream.read() if limit is None else stream.read(limit + 1)) if stream is not None else b""
        if limit is not None and len(body) > limit:
            raise RequestTooLarge()
        try:
            data = json.loads(body.decode(encoding), parse_constant=_no_constant)
        except RecursionError:
            raise ParseError(_("The JSON is nested too deeply.")) from None
        except ValueError as exc:  # also UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from None  # DRF's own wording
        _check(data)
        return data


def _no_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _check(data) -> None:
    """Depth and text of a parsed JSON document, walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > JSON_MAX_DEPTH:
                raise ParseError(_("The JSON is nested too deeply."))
            if isinstance(value, dict):
                for key, item in value.items():
                    if bad_text(key):
                        raise ParseError(_("The JSON contains a NUL character or an invalid character."))
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and bad_text(value):
            raise ParseError(_("The JSON contains a NUL character or an invalid character."))

"""Sending SMS: the backends chosen by settings.HELPDESK_SMS_BACKEND, and splitting a text
into parts that fit one SMS each.

Backends: "console" (logs the message; the default), "file" (one JSON line per SMS appended
to a file under HELPDESK_SMS_FILE_PATH), "http" (a gateway: HELPDESK_SMS_GATEWAY_*), or the
dotted path of a `BaseSmsBackend` subclass. A backend sends one part; a gateway that answers
anything but 2xx raises `SmsTransientError`, one that cannot be reached or times out
`SmsGatewayUnreachable` (the delivery retries both with backoff); bad settings raise
`ImproperlyConfigured` (retrying cannot help).
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import NoticeChannel
from .outbox import mask_address

logger = logging.getLogger(__name__)

ERROR_BODY_LENGTH = 200  # of a gateway's error answer, kept in the notice's last error


class SmsTransientError(Exception):
    """The gateway did not take the message (it answered an error, or could not be reached):
    try again later."""


class SmsGatewayUnreachable(SmsTransientError):
    """No answer at all (connection refused, unreachable, timed out): the next SMS would not
    get through either."""


class BaseSmsBackend:
    def send(self, to: str, text: str) -> None:
        """Send one SMS (one part) to the mobile number `to`; raise on failure."""
        raise NotImplementedError


class ConsoleBackend(BaseSmsBackend):
    """Development: the SMS is only logged (the number masked)."""

    def send(self, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_address(NoticeChannel.SMS, to), text)


class FileBackend(BaseSmsBackend):
    """Development and demos: one JSON line per SMS in HELPDESK_SMS_FILE_PATH/sms-<date>.jsonl
    (local date; the folder is created). One write per line, so workers can share the file."""

    def __init__(self) -> None:
        self.folder = Path(settings.HELPDESK_SMS_FILE_PATH)

    def send(self, to: str, text: str) -> None:
        now = timezone.localtime()
        self.folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"to": to, "text": text, "at": now.isoformat()}, ensure_ascii=False) + "\n"
        with open(self.folder / f"sms-{now.date().isoformat()}.jsonl", "a", encoding="utf-8") as file:
            file.write(line)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A gateway that redirects is misconfigured: urllib would repeat a POST as a GET without
    its body and take the answer to that for success."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx is raised as an HTTPError: not 2xx


_PLACEHOLDER = re.compile(r"\{(to|text|username|password)\}")


def gateway_body(template: str, content_type: str, values: dict[str, str]) -> str:
    """The request body: `template` with its {to}, {text}, {username} and {password} replaced,
    in one pass (a text containing "{password}" stays as it is), each value escaped for the
    content type — JSON-escaped inside the template's quotes, or URL-encoded for a form."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):

        def escape(value: str) -> str:
            return json.dumps(value, ensure_ascii=False)[1:-1]

    elif media_type == "application/x-www-form-urlencoded":

        def escape(value: str) -> str:
            return urllib.parse.quote_plus(value, safe="", encoding="utf-8")

    else:
        raise ImproperlyConfigured(
            f"HELPDESK_SMS_GATEWAY_CONTENT_TYPE {content_type!r}: only application/json and"
            " application/x-www-form-urlencoded bodies can be escaped"
        )
    return _PLACEHOLDER.sub(lambda match: escape(values[match.group(1)]), template)


class HttpBackend(BaseSmsBackend):
    """A real gateway: one POST to HELPDESK_SMS_GATEWAY_URL per SMS, the body made from the
    HELPDESK_SMS_GATEWAY_BODY template (standard library only)."""

    def __init__(self) -> None:
        self.url = settings.HELPDESK_SMS_GATEWAY_URL
        if not self.url.startswith(("http://", "https://")):
            raise ImproperlyConfigured("HELPDESK_SMS_GATEWAY_URL must be an http:// or https:// URL")
        self.username = settings.HELPDESK_SMS_GATEWAY_USERNAME
        self.password = settings.HELPDESK_SMS_GATEWAY_PASSWORD
        self.template = settings.HELPDESK_SMS_GATEWAY_BODY
        self.content_type = settings.HELPDESK_SMS_GATEWAY_CONTENT_TYPE
        self.timeout = float(settings.HELPDESK_SMS_GATEWAY_TIMEOUT)
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, to: str, text: str) -> None:
        values = {"to": to, "text": text, "username": self.username, "password": self.password}
        body = gateway_body(self.template, self.content_type, values).encode("utf-8")
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": self.content_type}
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:  # not 2xx (urllib raises for every other status)
            answer = self._answer(exc)
            raise SmsTransientError(
                f"SMS gateway answered {exc.code} {exc.reason}" + (f": {answer}" if answer else "")
            ) from exc
        except (OSError, http.client.HTTPException) as exc:  # refused, unreachable, timed out, cut off
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise SmsGatewayUnreachable(f"SMS gateway unreachable: {reason}") from exc

    def _answer(self, error: urllib.error.HTTPError) -> str:
        """The start of the gateway's error answer (for the notice's last error), without our password."""
        try:
            text = error.read(ERROR_BODY_LENGTH).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            return ""
        return text.replace(self.password, "***") if self.password else text


BACKENDS = {"console": ConsoleBackend, "file": FileBackend, "http": HttpBackend}


def get_backend() -> BaseSmsBackend:
    """The backend of settings.HELPDESK_SMS_BACKEND (a name above, or a dotted path)."""
    name = getattr(settings, "HELPDESK_SMS_BACKEND", "console") or "console"
    backend_class = BACKENDS.get(name) or import_string(name)
    return backend_class()


# ------------------------------------------------------------------------ splitting
# An address in a text: ASCII URL characters only, so Chinese text (and full-width
# punctuation) right after it is not taken for part of it.
_TOKEN = re.compile(
    r"(?P<url>https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+)|(?P<word>[A-Za-z0-9'\-]+)|(?P<char>.)", re.DOTALL
)


def sms_length(text: str) -> int:
    """Characters as an SMS counts them (UCS-2): one per Chinese character, two for a character
    outside the Basic Multilingual Plane (an emoji)."""
    return len(text.encode("utf-16-le")) // 2


def split_sms(text: str, max_chars: int | None = None) -> list[str]:
    """`text` as the SMS parts to send: itself if it fits `max_chars` (settings.HELPDESK_SMS_MAX_CHARS),
    otherwise parts of at most `max_chars` each, prefix included: "(1/3)…", "(2/3)…". A URL
    (and a Latin word) that fits in a part is never cut; a longer one is."""
    limit = max_chars if max_chars is not None else int(settings.HELPDESK_SMS_MAX_CHARS)
    text = text.strip()
    if sms_length(text) <= limit:
        return [text]
    digits = 1
    while True:
        room = limit - len(f"({'9' * digits}/{'9' * digits})")  # the widest prefix of this many parts
        if room < 1:
            raise ImproperlyConfigured(f"HELPDESK_SMS_MAX_CHARS={limit} leaves no room for the text of a part")
        chunks = _chunks(text, room)
        if len(chunks) < 10**digits:
            return [f"({number}/{len(chunks)}){chunk}" for number, chunk in enumerate(chunks, 1)]
        digits += 1


def _chunks(text: str, room: int) -> list[str]:
    """Greedy: fill each chunk up to `room`; a URL or word that would straddle two chunks
    starts the next one when it fits in one, and is cut only when it is longer than a chunk."""
    chunks: list[str] = []
    current, used = "", 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        size = sms_length(token)
        if used + size <= room:
            current, used = current + token, used + size
        elif match.lastgroup != "char" and size <= room:
            chunks.append(current)
            current, used = token, size
        else:
            for char in token:
                width = sms_length(char)
                if used + width > room:
                    chunks.append(current)
                    current, used = "", 0
                current, used = current + char, used + width
    chunks.append(current)
    return [chunk.strip() for chunk in chunks if chunk.strip()]

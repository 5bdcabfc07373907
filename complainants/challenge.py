"""A small challenge for an office that is flooded (HELPDESK_PUBLIC_CHALLENGE "on", or "auto"
past HELPDESK_PUBLIC_FLOOD_PER_HOUR): an addition to answer, signed so that no server state
is kept, valid for 30 minutes. No outside service (users may be offline, and captcha services
differ by country); it stops scripts that post blindly, which is what floods are made of."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext as _

SALT = "complainants.challenge"
MAX_AGE = 30 * 60


def required_for(office_id: int) -> bool:
    from .limits import office_flooded

    mode = (getattr(settings, "HELPDESK_PUBLIC_CHALLENGE", "auto") or "auto").lower()
    if mode == "on":
        return True
    if mode == "off":
        return False
    return office_flooded(office_id)


def _digest(answer: int, nonce: str) -> str:
    return hashlib.sha256(f"{nonce}:{answer}".encode()).hexdigest()[:16]


def new() -> tuple[str, str]:
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    nonce = secrets.token_hex(8)
    token = signing.dumps({"a": a, "b": b, "n": nonce, "d": _digest(a + b, nonce)}, salt=SALT)
    return _("How much is %(a)s plus %(b)s?") % {"a": a, "b": b}, token


def _load(token: str) -> dict | None:
    try:
        value = signing.loads(token or "", salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    return value if isinstance(value, dict) else None


def question_of(token: str) -> str:
    value = _load(token)
    if value is None:
        return new()[0]
    return _("How much is %(a)s plus %(b)s?") % {"a": value.get("a"), "b": value.get("b")}


def check(token: str, answer: str | None) -> bool:
    value = _load(token)
    if value is None:
        return False
    try:
        given = int((answer or "").strip())
    except ValueError:
        return False
    if not secrets.compare_digest(_digest(given, str(value.get("n"))), str(value.get("d"))):
        return False
    # each question answers once: a solved token replayed by a script is refused
    return cache.add(f"challenge-used:{value.get('n')}", 1, timeout=MAX_AGE + 60)

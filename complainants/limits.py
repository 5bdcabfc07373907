"""Abuse limits of the public pages: counters in the shared cache (CACHE_URL: every web
process counts together), fixed windows, one `incr` per check."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/h" -> (5, 3600). A malformed rate is a configuration error (raised at first use)."""
    count, _, period = (rate or "").partition("/")
    return int(count), PERIODS[period.strip()[:1].lower()]


def public_photo_limit() -> int:
    return int(getattr(settings, "HELPDESK_PUBLIC_PHOTOS", 3))


def client_address(request) -> str:
    """The client's address as Django sees it. Behind a proxy, the proxy must set REMOTE_ADDR
    (gunicorn's --forwarded-allow-ips / the proxy's real-IP module): a client-sent
    X-Forwarded-For is never trusted here."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(scope: str, subject: str, window: int) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"public-limit:{scope}:{digest}:{int(time.time() // window)}"


def hit(scope: str, subject: str, rate_setting: str) -> bool:
    """Count one hit of `subject` in `scope`; False once past the rate (the caller answers 429)."""
    limit, window = parse_rate(getattr(settings, rate_setting))
    key = _key(scope, subject, window)
    if cache.add(key, 1, timeout=window + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window + 5)
            count = 1
    return count <= limit


def count(scope: str, subject: str, window: int) -> int:
    return int(cache.get(_key(scope, subject, window)) or 0)


def note_office_submission(office_id: int) -> None:
    key = _key("office-flood", str(office_id), 3600)
    if not cache.add(key, 1, timeout=3605):
        try:
            cache.incr(key)
        except ValueError:
            cache.add(key, 1, timeout=3605)


def office_flooded(office_id: int) -> bool:
    return count("office-flood", str(office_id), 3600) >= settings.HELPDESK_PUBLIC_FLOOD_PER_HOUR

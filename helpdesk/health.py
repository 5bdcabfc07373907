"""/health/ for the load balancer and compose's healthcheck: is this web process able to serve?

No login, no session, no secrets: the answer names each dependency and says "ok" or "fail",
nothing else (no URL, no host, no error text — those go to the log). 200 when every check
passes, 503 otherwise. Each check is bounded by a short timeout so that a dead dependency
makes the answer "fail" quickly instead of hanging the probe.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 1.0


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"helpdesk:health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    found = cache.get(key)
    cache.delete(key)
    if found != "1":
        raise RuntimeError("the cache did not return what was stored")


def check_broker(*, timeout: float = BROKER_TIMEOUT_SECONDS) -> None:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
        return
    from kombu import Connection

    with Connection(url, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


def run_checks() -> dict[str, str]:
    results = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # any failure is a "fail": the probe must answer, not raise
            logger.warning(
                "health check %s failed after %.0f ms: %s",
                name,
                (time.monotonic() - started) * 1000,
                type(exc).__name__,
            )
            results[name] = "fail"
        else:
            results[name] = "ok"
    return results


@never_cache
@require_safe
def health(request):
    checks = run_checks()
    ok = all(result == "ok" for result in checks.values())
    return JsonResponse({"status": "ok" if ok else "fail", "checks": checks}, status=200 if ok else 503)


class HealthCheckMiddleware:
    """Answers /health/ first, before ALLOWED_HOSTS and the HTTPS redirect: the container's
    probe calls http://127.0.0.1:8000/health/, whatever the public host name is. The answer
    depends on no header of the request."""

    PATH = "/health/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == self.PATH:
            return health(request)
        return self.get_response(request)

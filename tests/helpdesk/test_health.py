"""/health/ for the load balancer: database, cache and broker, "ok" or "fail" each, 200 or
503, no login, no secrets, and a dead broker answered quickly."""

import json
import time
from unittest import mock

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:9/0"  # nobody listens on the discard port


def test_all_ok_is_200_without_login_and_without_a_session(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert "no-cache" in response["Cache-Control"]
    assert reverse("health") == "/health/"


def test_any_host_and_plain_http_get_the_answer(client, settings):
    # The container's probe calls http://127.0.0.1:8000/health/ whatever the public host is.
    settings.ALLOWED_HOSTS = ["helpdesk.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400  # other pages: host checked


def test_a_dead_broker_is_a_quick_503_naming_only_the_check(client, settings):
    settings.CELERY_BROKER_URL = DEAD_BROKER
    started = time.monotonic()
    response = client.get("/health/")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "fail",
        "checks": {"database": "ok", "cache": "ok", "broker": "fail"},
    }
    assert b"127.0.0.1" not in response.content and b"redis" not in response.content


def test_a_database_or_cache_failure_is_a_503_without_the_error_text(client):
    secret = "password authentication failed for user helpdesk at db.internal"
    with (
        mock.patch("helpdesk.health.check_database", side_effect=RuntimeError(secret)),
        mock.patch.dict("helpdesk.health.CHECKS"),
    ):
        from helpdesk import health

        health.CHECKS["database"] = health.check_database
        response = client.get("/health/")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "fail" and body["checks"]["database"] == "fail"
    assert body["checks"]["cache"] == "ok"
    assert secret.encode() not in response.content


def test_a_cache_that_loses_what_it_stored_fails(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = client.get("/health/")
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["cache"] == "fail"


def test_only_get(client):
    assert client.post("/health/").status_code == 405

"""Issue 16.6: a PostgreSQL restart costs a reconnect, not a 500 (CONN_HEALTH_CHECKS), and with
the database unreachable the API answers a JSON 503 and pages an HTML 503 — never a 500.

Requests go through Django's real WSGI handler (not the test client, which switches off the
per-request connection housekeeping), on the PostgreSQL test database, outside a test
transaction (the connection is killed and re-pointed)."""

import io
import json
from contextlib import contextmanager

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import DatabaseError, OperationalError, connection
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token

# outside a test transaction (the connection is killed); the role groups of the data
# migrations are restored after each test
live_database = pytest.mark.django_db(transaction=True, serialized_rollback=True)

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="kills a PostgreSQL backend")


def _wsgi(path: str, **headers) -> tuple[int, dict, bytes]:
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET", **headers)
    environ["wsgi.input"] = io.BytesIO(b"")
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    body = b"".join(WSGIHandler()(environ, start_response))
    return answer["status"], answer["headers"], body


@contextmanager
def _connection_settings(**changes):
    """Reconnect `default` with changed settings (CONN_MAX_AGE, CONN_HEALTH_CHECKS, PORT)."""
    saved = {key: connection.settings_dict.get(key) for key in changes}
    connection.close()
    connection.settings_dict.update(changes)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def _terminate(pid: int) -> None:
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.fixture
def api_token(agent):
    return Token.objects.create(user=agent).key


@pytest.fixture
def session_cookie(agent):
    client = Client()
    client.force_login(agent)
    return "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())


@live_database
@needs_postgresql
@pytest.mark.parametrize("health_checks, expected", [(True, 200), (False, 503)], ids=["health-checks", "without"])
def test_a_connection_killed_between_two_requests(api_token, health_checks, expected):
    auth = {"HTTP_AUTHORIZATION": f"Token {api_token}"}
    with _connection_settings(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=health_checks):
        # Given a persistent connection that served one request
        assert _wsgi("/api/v1/complaints/", **auth)[0] == 200
        pid = _backend_pid()
        # When the database drops it (a PostgreSQL restart does this to every connection)
        _terminate(pid)
        # Then the next request reconnects (health checks on), or at worst answers 503, never 500
        status, headers, body = _wsgi("/api/v1/complaints/", **auth)
        assert status == expected, body[:500]
        if not health_checks:
            assert json.loads(body)["code"] == "database_unavailable"
        # and the one after is served again in any case
        assert _wsgi("/api/v1/complaints/", **auth)[0] == 200
        assert _backend_pid() != pid


@live_database
@needs_postgresql
def test_with_the_database_unreachable_the_api_answers_a_json_503(api_token):
    with _connection_settings(PORT="9", CONN_MAX_AGE=0):  # nobody listens on port 9
        with pytest.raises(OperationalError):
            connection.ensure_connection()
        status, headers, body = _wsgi("/api/v1/complaints/", HTTP_AUTHORIZATION=f"Token {api_token}")
    assert status == 503
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Retry-After"] == "30"
    assert json.loads(body)["code"] == "database_unavailable"


@live_database
@needs_postgresql
def test_with_the_database_unreachable_pages_answer_an_html_503(session_cookie):
    with _connection_settings(PORT="9", CONN_MAX_AGE=0):
        status, headers, body = _wsgi("/complaints/", HTTP_COOKIE=session_cookie)
    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert "Service unavailable / 服务暂不可用".encode() in body


@pytest.mark.django_db
def test_a_database_error_in_an_api_view_is_a_json_503(client, agent, monkeypatch):
    """On any database (SQLite too): the exception handler maps the error (DRF view)."""
    from complaints import api

    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(api.ComplaintViewSet, "list", broken)
    client.force_login(agent)
    response = client.get("/api/v1/complaints/")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


def test_a_database_error_in_a_page_is_an_html_503():
    from django.contrib.auth.models import AnonymousUser

    from helpdesk.unavailable import DatabaseUnavailableMiddleware

    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().get("/complaints/")
    response = middleware.process_exception(request, OperationalError("could not connect to server"))
    assert response.status_code == 503
    assert "服务暂不可用" in response.content.decode()
    assert isinstance(request.user, AnonymousUser)  # nothing after tries to load the user again
    # other database errors are left to Django's 500 handling
    assert middleware.process_exception(request, DatabaseError("integrity")) is None

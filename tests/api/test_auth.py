"""Who may talk to /api/v1/: anonymous requests are refused without leaking anything, token
authentication works for active users only, token clients are throttled (browser sessions
are not), and the OpenAPI schema and its docs page are served without any CDN."""

import re

import pytest
import yaml
from django import forms
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient

from complaints import rules
from complaints.forms import ACTION_FORMS
from complaints.models import ComplaintEvent
from tests.api.helpers import LIST_URL, action_url, complaint_in, row

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/v1/schema/"
DOCS_URL = "/api/v1/docs/"
LISTS = [LIST_URL, "/api/v1/events/", "/api/v1/customers/", "/api/v1/departments/", "/api/v1/categories/"]
NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}


# ----------------------------------------------------------------------- anonymous
def test_anonymous_is_401_with_a_token_challenge_on_every_list(client):
    """TokenAuthentication comes first: DRF answers 401 with `WWW-Authenticate: Token` and says
    only that credentials are missing."""
    for url in LISTS:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.headers["WWW-Authenticate"] == "Token"
        assert response.json() == NOT_AUTHENTICATED


def test_anonymous_learns_nothing_about_which_complaints_exist(client, users):
    complaint = complaint_in("received", users["agent"])
    existing = client.get(f"{LIST_URL}{complaint.pk}/")
    missing = client.get(f"{LIST_URL}{complaint.pk + 1000}/")
    assert (existing.status_code, missing.status_code) == (401, 401)
    assert existing.content == missing.content
    assert str(complaint.subject).encode() not in existing.content


def test_anonymous_cannot_act_or_log(client, users):
    complaint = complaint_in("received", users["agent"])
    before = row(complaint)

    action = client.post(action_url(complaint.pk, "add_note"), {"note": "Hi"}, content_type="application/json")
    intake = client.post(LIST_URL, {"subject": "x"}, content_type="application/json")

    assert (action.status_code, intake.status_code) == (401, 401)
    assert action.json() == intake.json() == NOT_AUTHENTICATED
    assert row(complaint) == before and not ComplaintEvent.objects.exists()


# -------------------------------------------------------------------------- tokens
def test_token_authentication_works(token_client, users):
    complaint = complaint_in("received", users["agent"])
    client = token_client(users["agent"])

    assert client.get(LIST_URL).json()["count"] == 1
    response = client.post(action_url(complaint.pk, "add_note"), {"note": "From the call centre."}, format="json")
    assert response.status_code == 200
    assert ComplaintEvent.objects.get().actor == users["agent"]


def test_a_token_needs_no_csrf_token(token_client, users):
    complaint = complaint_in("received", users["agent"])
    client = token_client(users["agent"])
    client.handler.enforce_csrf_checks = True
    response = client.post(action_url(complaint.pk, "add_note"), {"note": "No cookie."}, format="json")
    assert response.status_code == 200


def test_a_browser_session_needs_the_csrf_token(users):
    complaint = complaint_in("received", users["agent"])
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(users["agent"])
    response = client.post(action_url(complaint.pk, "add_note"), {"note": "No CSRF token."}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not ComplaintEvent.objects.exists()


def test_an_unknown_token_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get(LIST_URL)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_an_inactive_users_token_is_refused(token_client, users):
    client = token_client(users["agent"])
    assert client.get(LIST_URL).status_code == 200
    users["agent"].is_active = False
    users["agent"].save()

    response = client.get(LIST_URL)

    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted.", "code": "authentication_failed"}


# ------------------------------------------------------------------------ throttle
def test_token_clients_are_throttled(token_rate, token_client, users):
    token_rate("3/minute")
    client = token_client(users["agent"])

    answers = [client.get(LIST_URL).status_code for _ in range(3)]
    fourth = client.get(LIST_URL)

    assert answers == [200, 200, 200]
    assert fourth.status_code == 429
    assert fourth.json()["code"] == "throttled"
    assert 0 < int(fourth["Retry-After"]) <= 60
    # The limit is per user: another integration still gets through.
    assert token_client(users["supervisor"]).get(LIST_URL).status_code == 200


def test_a_throttled_token_client_cannot_act(token_rate, token_client, users):
    token_rate("1/minute")
    complaint = complaint_in("received", users["agent"])
    client = token_client(users["agent"])
    assert client.get(LIST_URL).status_code == 200

    response = client.post(action_url(complaint.pk, "add_note"), {"note": "One too many."}, format="json")

    assert response.status_code == 429
    assert not ComplaintEvent.objects.exists()


def test_browser_sessions_are_not_throttled(token_rate, session_client, users):
    token_rate("3/minute")
    client = session_client(users["agent"])
    assert [client.get(LIST_URL).status_code for _ in range(10)] == [200] * 10


# -------------------------------------------------------------------- schema, docs
@pytest.fixture
def schema(session_client, users) -> dict:
    response = session_client(users["agent"]).get(SCHEMA_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    return yaml.safe_load(response.content)


def test_schema_is_openapi_3_with_every_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for url in LISTS:
        assert "get" in paths[url], url
    assert "post" in paths[LIST_URL]
    for name in rules.ACTIONS:
        assert "post" in paths[action_url("{id}", name)], name
    assert {"cookieAuth", "tokenAuth"} <= set(schema["components"]["securitySchemes"])


def test_schema_documents_the_intake_errors(schema):
    responses = schema["paths"][LIST_URL]["post"]["responses"]
    assert {"201", "400", "403", "404"} <= set(responses)


def test_every_operation_documents_the_errors_it_can_answer(schema):
    """Refused (403), throttled (429), bad input or filter (400); not found or no such page (404)."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"400", "403", "404", "429"} <= set(operation["responses"]), (method, path)


def _request_schema(schema: dict, operation: dict) -> dict:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


@pytest.mark.parametrize("name", list(rules.ACTIONS))
def test_schema_documents_each_action_with_its_body_and_errors(schema, name):
    operation = schema["paths"][action_url("{id}", name)]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
    assert operation["summary"] == str(rules.ACTIONS[name].label)
    conflict = operation["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schema["components"]["schemas"][conflict.rsplit("/", 1)[1]]["required"]) == {
        "code",
        "detail",
        "action",
        "status",
    }
    body = _request_schema(schema, operation)
    fields = ACTION_FORMS[name].base_fields
    assert set(body["properties"]) == set(fields)
    # A required checkbox ("satisfied") means "must be ticked": the API defaults it to false and
    # the lifecycle method refuses false with a 400, so it is not a required property.
    assert set(body.get("required", [])) == {
        k for k, f in fields.items() if f.required and not isinstance(f, forms.BooleanField)
    }


def test_docs_page_is_served_without_any_external_script_or_style(session_client, users):
    response = session_client(users["agent"]).get(DOCS_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.IGNORECASE)
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page)
    # The start-up script is the page's own second request (no inline script, for the CSP).
    init = [a for a in assets if a.startswith(DOCS_URL)]
    assert init == [f"{DOCS_URL}?script="]
    init_js = session_client(users["agent"]).get(init[0])
    assert init_js["Content-Type"].startswith("application/javascript")
    assert SCHEMA_URL in init_js.content.decode()
    assets = [a for a in assets if a not in init]
    scripts = [a for a in assets if a.endswith(".js")]
    assert scripts, "the Swagger UI bundle is served from our static files"
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not among the static files"

"""Fixtures of the REST API tests: API clients logged in as a role (browser session) or with
a token (integration), and a clean throttle cache for every test."""

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.api.helpers import HANDLER_DEPARTMENT
from tests.factories import department

ROLES = ["agent", "supervisor", "department_handler", "manager", "customer_info"]
STAFF_ROLES = {"supervisor", "manager"}


@pytest.fixture(autouse=True)
def _clean_throttle_cache():
    """Throttle counters live in the cache, keyed by user id (ids repeat across tests on SQLite)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def users(make_user):
    """One active user of `office` per role, plus `viewer`: may only see complaints."""
    made = {role: make_user(role, username=f"api-{role}", is_staff=role in STAFF_ROLES) for role in ROLES}
    # a handler sees only their department's complaints (issue 13): the complaints of these
    # tests are that department's (HANDLER_DEPARTMENT), so the handler's answers are the role's
    made["department_handler"].department = department(HANDLER_DEPARTMENT)
    made["department_handler"].save(update_fields=["department"])
    viewer = make_user(None, username="api-viewer")
    # outside the roles: seeing complaints, office-wide, and nothing else
    viewer.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_complaint", "view_office_complaints"], content_type__app_label="complaints"
        )
    )
    made["viewer"] = viewer
    return made


@pytest.fixture
def session_client():
    """session_client(user) -> an APIClient logged in like a browser (session cookie)."""

    def make(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def token_client():
    """token_client(user) -> an APIClient that sends `Authorization: Token <key>`."""

    def make(user) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def token_rate(settings, monkeypatch):
    """token_rate("3/minute"): override REST_FRAMEWORK (the setting_changed signal reloads
    api_settings). The throttle classes copied DEFAULT_THROTTLE_RATES into a class attribute
    when they were imported, so point that attribute at the reloaded settings as well."""

    def set_rate(rate: str) -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": rate}}
        assert api_settings.DEFAULT_THROTTLE_RATES == {"token": rate}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", api_settings.DEFAULT_THROTTLE_RATES)

    return set_rate

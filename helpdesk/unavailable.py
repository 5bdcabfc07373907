"""The database is down (or the connection was lost mid-request): answer 503, the honest
code, instead of a 500 — JSON `{"code": "database_unavailable"}` for the API (clients expect
JSON), the bilingual templates/503.html for pages. Rendered without the request context:
the context processors would query the database again."""

import logging

from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
API_PREFIX = "/api/"


def forget_user(request) -> None:
    """The user could not be loaded: make `request.user` anonymous, so that nothing after
    (the request log, the response middleware) tries the database again for it."""
    if request is not None:
        request.user = AnonymousUser()


def database_unavailable_json() -> JsonResponse:
    response = JsonResponse(
        {"code": "database_unavailable", "detail": gettext("The database is unavailable; try again shortly.")},
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def database_unavailable_page() -> HttpResponse:
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A database error escaping a view becomes a 503 (logged as an error, with its cause)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        logger.error("Database unavailable: %s %s: %s", request.method, request.path, exception)
        forget_user(request)
        if request.path.startswith(API_PREFIX):
            return database_unavailable_json()
        return database_unavailable_page()

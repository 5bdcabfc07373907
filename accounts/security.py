"""Security helpers (issue 15): who may read the OpenAPI schema and the Swagger UI, the
lock-out page django-axes shows after too many wrong passwords, and API id filters that do not
reveal which ids exist."""

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django_filters import rest_framework as df
from drf_spectacular.utils import extend_schema_field
from rest_framework.permissions import BasePermission


def _docs_need_login() -> bool:
    return settings.HELPDESK_API_DOCS_REQUIRE_LOGIN


class ApiSchemaPermission(BasePermission):
    """The schema is public unless HELPDESK_API_DOCS_REQUIRE_LOGIN (on in production); then a
    session or token user is needed (401 otherwise, like the rest of the API)."""

    def has_permission(self, request, view):
        return not _docs_need_login() or bool(request.user and request.user.is_authenticated)


def docs_login_required(view):
    """The Swagger UI page: with HELPDESK_API_DOCS_REQUIRE_LOGIN, anonymous visitors are sent to
    the login form (and come back after signing in)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if _docs_need_login() and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lock-out answer (AXES_LOCKOUT_CALLABLE): the login page's look, one clear
    message, 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else None
    return render(
        request,
        "registration/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


ID_MAX = 2**63 - 1  # the largest id a BIGINT (and SQLite's INTEGER) holds


class _IdField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(df.NumberFilter):
    """An API filter by the id of a related row (``?assignee=7``) that never tells whether the
    id exists: it compares the ``<field>_id`` column, so an unknown id and the id of a row in
    another office both give the same answer, an empty list. (django-filter's default for a
    foreign key checks the id against every row and answers 400 "not one of the available
    choices" for an unknown one, which lets a caller map the ids of other offices.)"""

    field_class = _IdField

    def __init__(self, column: str, **kwargs):
        if not column.endswith("_id"):
            raise ValueError("IdFilter compares the raw <field>_id column: pass e.g. 'assignee_id'.")
        kwargs.setdefault("help_text", "Id; an unknown id and one you may not see both give an empty list.")
        super().__init__(field_name=column, **kwargs)

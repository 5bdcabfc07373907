"""REST API plumbing shared by the apps: one exception handler (domain error → 409, Django
validation → 400), token throttling, and permission classes. (Kept apart from the URLs in
helpdesk/api.py: DRF's settings import these while rest_framework.views loads.)"""

from datetime import UTC

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from django_filters import rest_framework as df
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

from helpdesk.bounds import EARLIEST_DAY, LATEST_DAY, day_in_range, out_of_range_message
from helpdesk.exceptions import DomainConflict
from helpdesk.fields import PhoneField
from helpdesk.phones import normalize_phone


@extend_schema_field(OpenApiTypes.STR)
class BlankableEmailField(serializers.EmailField):
    """An e-mail that may be empty: documented as a plain string, since "" is no e-mail format."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)


class PhoneSerializerField(serializers.CharField):
    """A phone number whose validated value is the stored form (`helpdesk.phones`)."""

    def to_internal_value(self, data):
        return normalize_phone(super().to_internal_value(data))


# Every ModelSerializer builds this field for a `helpdesk.fields.PhoneField` (with the model
# field's validators and max_length, as for any CharField).
serializers.ModelSerializer.serializer_field_mapping[PhoneField] = PhoneSerializerField


class BoundedDateTimeSerializerField(serializers.DateTimeField):
    """A date-time whose day lies in `helpdesk.bounds` (1900-01-01 … 2100-12-31): checked on the
    value as written, before DRF makes it aware (year 1 in Asia/Shanghai overflows there)."""

    def enforce_timezone(self, value):
        if not EARLIEST_DAY <= value.date() <= LATEST_DAY:
            raise serializers.ValidationError(out_of_range_message(), code="date_out_of_range")
        value = super().enforce_timezone(value)
        if not day_in_range(value):
            raise serializers.ValidationError(out_of_range_message(), code="date_out_of_range")
        return value


class BoundedDateSerializerField(serializers.DateField):
    """A date in `helpdesk.bounds` (1900-01-01 … 2100-12-31)."""

    def to_internal_value(self, value):
        value = super().to_internal_value(value)
        if not day_in_range(value):
            raise serializers.ValidationError(out_of_range_message(), code="date_out_of_range")
        return value


# …and these for every model date and date-time (explicit fields name them too).
serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = BoundedDateTimeSerializerField
serializers.ModelSerializer.serializer_field_mapping[models.DateField] = BoundedDateSerializerField


class _UtcIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and value.tzinfo is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
                raise DjangoValidationError("This date-time is out of range.", code="invalid") from None
        return value


class SafeIsoDateTimeFilter(df.IsoDateTimeFilter):
    """ISO date-time filter whose value is normalised to UTC while the input is validated
    (PostgreSQL rejects offsets beyond ±15:59 that Python accepts; a value that cannot be
    expressed in UTC is a 400 on its parameter)."""

    field_class = _UtcIsoDateTimeField


ERROR_RESPONSES = {
    "400": "Invalid input: field errors",
    "401": "Not authenticated",
    "403": "Not permitted",
    "404": "Not found, not visible to you, or no such page",
    "413": "Request body too large",
    "415": "Unsupported media type of the request body",
    "429": "Too many requests (token clients are rate-limited)",
    "503": "The database is unavailable: try again after Retry-After seconds",
}
BODY_METHODS = {"post", "put", "patch"}


def _json_body(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the error answers
    it can give (400 bad input or filter, 401/403, 404, 429, 503; 413 and 415 for a body), each
    with its JSON body — an error documented without one (`OpenApiResponse(description=…)`)
    gets it too. Every answer but 400 is an `Error` (`code` always set by
    `exception_handler`); 400 is field → messages. A path under /api/v1/ that matches no
    operation (a word where an id goes) is the same JSON 404 (helpdesk.api.NoSuchEndpoint).
    An optional query parameter sent empty (`?status=`) is not applied: allowEmptyValue."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
            "required": ["detail", "code"],
        },
    )
    schemas.setdefault(
        "FieldErrors",
        {
            "type": "object",
            "description": "Field name (or non_field_errors) → its messages.",
            "additionalProperties": True,
        },
    )
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True  # `?status=` is the filter not given
            responses = operation.setdefault("responses", {})
            # 404: one object not found / not visible, or a list page out of range
            codes = ["400", "401", "403", "404", "429", "503"] + (["413", "415"] if method in BODY_METHODS else [])
            for code in codes:
                ref = "FieldErrors" if code == "400" else "Error"
                documented = responses.setdefault(code, {"description": ERROR_RESPONSES[code]})
                documented.setdefault("content", _json_body(ref))
    return result


class ErrorSerializer(serializers.Serializer):
    """Body of 403, 404 and 409 answers."""

    code = serializers.CharField()
    detail = serializers.CharField()


class TransitionErrorSerializer(ErrorSerializer):
    action = serializers.CharField()
    status = serializers.CharField()


def exception_handler(exc, context):
    if isinstance(exc, DomainConflict):
        return Response({"code": exc.code, "detail": str(exc), "action": exc.action, "status": exc.status}, status=409)
    from helpdesk.unavailable import DATABASE_ERRORS, database_unavailable_json, forget_user  # helper 16b

    if isinstance(exc, DATABASE_ERRORS):  # the database is down: JSON 503, not an HTML 500
        forget_user(getattr(context.get("request"), "_request", None))
        return database_unavailable_json()
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=get_error_detail(exc))
    if isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(detail=str(exc) or None)
    if isinstance(exc, Http404):
        # One answer for every 404, translated and naming no model (get_object_or_404 says
        # "No Complaint matches the given query."), the same as for a path that does not exist.
        exc = NotFound()
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == 400 and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}  # 400 bodies are always field → errors
    if (
        response is not None
        and response.status_code != 400
        and isinstance(response.data, dict)
        and "detail" in response.data
    ):
        response.data["code"] = getattr(response.data["detail"], "code", "error")
    return response


class TokenRateThrottle(UserRateThrottle):
    """Rate limit for integrations authenticated by token (browser sessions are not limited)."""

    scope = "token"

    def allow_request(self, request, view):
        if not isinstance(request.successful_authenticator, TokenAuthentication):
            return True
        return super().allow_request(request, view)


class ModelPermissionsWithView(permissions.DjangoModelPermissions):
    """Django model permissions, reading included (GET needs the `view_` permission)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

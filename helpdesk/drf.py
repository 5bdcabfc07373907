"""REST API plumbing shared by the apps: one exception handler (domain error → 409, Django
validation → 400), token throttling, and permission classes. (Kept apart from the URLs in
helpdesk/api.py: DRF's settings import these while rest_framework.views loads.)"""

from datetime import UTC

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as df
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

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
    "415": "Unsupported media type of the request body",
    "429": "Too many requests (token clients are rate-limited)",
}


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the error answers
    it can give (400 bad input or filter, 401/403, 404, 429)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
            "required": ["detail"],
        },
    )
    schemas.setdefault("FieldErrors", {"type": "object", "additionalProperties": True})
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            # 404: one object not found / not visible, or a list page out of range
            codes = ["400", "401", "403", "404", "429"] + (["415"] if method in {"post", "put", "patch"} else [])
            for code in codes:
                if code in responses:
                    continue
                ref = "FieldErrors" if code == "400" else "Error"
                responses[code] = {
                    "description": ERROR_RESPONSES[code],
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
                }
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
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=get_error_detail(exc))
    if isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(detail=str(exc) or None)
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

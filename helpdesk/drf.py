"""REST API plumbing shared by the apps: one exception handler (domain error → 409, Django
validation → 400), token throttling, and permission classes. (Kept apart from the URLs in
helpdesk/api.py: DRF's settings import these while rest_framework.views loads.)"""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import permissions, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

from complaints.exceptions import InvalidTransition


class ErrorSerializer(serializers.Serializer):
    """Body of 403, 404 and 409 answers."""

    code = serializers.CharField()
    detail = serializers.CharField()


class TransitionErrorSerializer(ErrorSerializer):
    action = serializers.CharField()
    status = serializers.CharField()


def exception_handler(exc, context):
    if isinstance(exc, InvalidTransition):
        return Response({"code": exc.code, "detail": str(exc), "action": exc.action, "status": exc.status},
                        status=409)
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=get_error_detail(exc))
    if isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(detail=str(exc) or None)
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code != 400 and isinstance(response.data, dict) \
            and "detail" in response.data:
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

    perms_map = {**permissions.DjangoModelPermissions.perms_map,
                 "GET": ["%(app_label)s.view_%(model_name)s"],
                 "HEAD": ["%(app_label)s.view_%(model_name)s"],
                 "OPTIONS": ["%(app_label)s.view_%(model_name)s"]}

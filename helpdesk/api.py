"""The /api/v1/ URLs: the apps' routers, the OpenAPI schema and its interactive page, and
a JSON 404 for every other path under /api/v1/."""

from django.conf import settings
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import include, path, re_path, resolve
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from accounts.security import ApiSchemaPermission, docs_login_required


class NoSuchEndpoint(APIView):
    """Any /api/v1/ path no route matches — a word or a float where an id goes, an unknown
    sub-path or action: the API's own 404, `{"detail": …, "code": "not_found"}` through the
    exception handler, not Django's HTML page. Authentication, permissions and the token
    throttle apply first, as for every API view (anonymous → 401). A path that only lacks its
    trailing slash is redirected to it, as CommonMiddleware does for the other URLs."""

    schema = None  # not an operation of the OpenAPI schema

    def dispatch(self, request, *args, **kwargs):
        if settings.APPEND_SLASH and not request.path_info.endswith("/"):
            match = resolve(request.path_info + "/", getattr(request, "urlconf", None))
            if getattr(match.func, "view_class", None) is not NoSuchEndpoint:
                return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound()  # every method: the path, not the method, is what does not exist


def bad_request(request, exception):
    """handler400: a request Django refuses before any API view can answer (more fields than
    DATA_UPLOAD_MAX_NUMBER_FIELDS, a body above DATA_UPLOAD_MAX_MEMORY_SIZE) gets the API's
    JSON 400 under /api/, Django's page elsewhere."""
    if request.path_info.startswith("/api/"):
        error = ParseError()
        return JsonResponse(
            {"detail": str(error.detail), "code": getattr(error.detail, "code", "parse_error")}, status=400
        )
    return defaults.bad_request(request, exception)


def api_urls():
    from complaints.api import register as register_complaints
    from customers.api import register as register_customers

    router = DefaultRouter()
    register_complaints(router)
    register_customers(router)
    return [
        # Behind a login when HELPDESK_API_DOCS_REQUIRE_LOGIN (production's default). The Swagger
        # UI's start-up script is a second request (?script), not inline: the CSP allows it.
        path("schema/", SpectacularAPIView.as_view(permission_classes=[ApiSchemaPermission]), name="api-schema"),
        path(
            "docs/",
            docs_login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
            name="api-docs",
        ),
        path("", include(router.urls)),
        re_path(r"^[\s\S]*$", NoSuchEndpoint.as_view(), name="api-not-found"),  # last; any path, newlines too
    ]

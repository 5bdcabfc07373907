"""The /api/v1/ URLs: the apps' routers, the OpenAPI schema and its interactive page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter


def api_urls():
    from complaints.api import register as register_complaints
    from customers.api import register as register_customers

    router = DefaultRouter()
    register_complaints(router)
    register_customers(router)
    return [
        path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
        path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
        path("", include(router.urls)),
    ]

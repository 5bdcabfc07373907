"""Customers over the API (issue 4 adds the confidential archive fields)."""
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, serializers, viewsets

from helpdesk.drf import BlankableEmailField, ModelPermissionsWithView

from .models import Customer


class CustomerSerializer(serializers.ModelSerializer):
    email = BlankableEmailField(required=False, max_length=254)

    class Meta:
        model = Customer
        fields = ["id", "name", "tier", "tier_reason", "contact_person", "phone", "email", "address", "created_at"]
        read_only_fields = ["created_at"]


class CustomerViewSet(viewsets.ModelViewSet):
    """Customers with their A/B/C tier (R-CU1). Deleting is not offered: nothing is lost."""

    serializer_class = CustomerSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = Customer.objects.order_by("name", "id")
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["name", "contact_person", "phone", "email"]
    ordering_fields = ["name", "tier", "created_at"]
    filterset_fields = ["tier"]


def register(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")

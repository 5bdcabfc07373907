"""Customers over the API. The confidential archive fields (R-CU5) follow the one rule of
`customers.access`: they appear only in a single customer's representation, only for the
roles that may see the archive, and each such read is logged like a look at the page."""

from django_filters import rest_framework as df
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, serializers, viewsets

from accounts.security import IdFilter
from helpdesk.drf import BlankableEmailField, ModelPermissionsWithView

from . import access, services
from .models import CONFIDENTIAL_FIELDS, Customer

PUBLIC_FIELDS = ["id", "name", "tier", "contact_person", "phone", "email", "address", "account_manager", "created_at"]
# tier_reason often names the customer's scale, so it is shown with the archive
SECRET_FIELDS = ["tier_reason", *CONFIDENTIAL_FIELDS]


class CustomerSerializer(serializers.ModelSerializer):
    """Confidential fields are write- and readable only with `context["confidential"]`."""

    email = BlankableEmailField(required=False, max_length=254)

    class Meta:
        model = Customer
        fields = PUBLIC_FIELDS + SECRET_FIELDS
        read_only_fields = ["created_at"]

    def get_fields(self):
        fields = super().get_fields()
        if not self.context.get("confidential"):
            for name in SECRET_FIELDS:
                fields.pop(name, None)
        return fields

    def _by(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    def create(self, validated_data):
        return services.create_customer(by=self._by(), **validated_data)  # visits planned at once (R-CU3)

    def update(self, instance, validated_data):
        """A tier change goes through `services.change_tier` (recorded, visits re-planned)."""
        return services.update_customer(instance, by=self._by(), **validated_data)


class CustomerFilter(df.FilterSet):
    account_manager = IdFilter("account_manager_id")  # an unknown id: an empty list, never a 400

    class Meta:
        model = Customer
        fields = ["tier", "account_manager"]


class CustomerViewSet(viewsets.ModelViewSet):
    """Customers with their A/B/C tier (R-CU1). Lists show name, tier and contacts; a single
    customer adds the confidential archive for manager, supervisor and customer-information
    roles (logged). Changing `tier` needs `tier_reason`. Deleting is not offered."""

    serializer_class = CustomerSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = Customer.objects.order_by("name", "id")
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["name", "contact_person", "phone", "email"]
    ordering_fields = ["name", "tier", "created_at"]
    filterset_class = CustomerFilter

    def get_serializer_context(self):
        context = super().get_serializer_context()
        request = getattr(self, "request", None)
        context["confidential"] = (
            self.action in ("retrieve", "create", "partial_update", "update")
            and request is not None
            and access.can_view_confidential(request.user)
        )
        return context

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        if access.can_view_confidential(request.user):
            access.log_access(request.user, int(kwargs["pk"]), access.AccessAction.API_VIEW)
        return response


def register(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")

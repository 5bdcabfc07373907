"""Complaints over the REST API. Serializers validate shape only; every change goes through
the same lifecycle methods as the HTML views (complaints.actions), so the same rules apply:
an invalid transition is 409, bad input 400, a missing permission 403, an unknown id 404."""

import copy
from typing import ClassVar

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django_filters import rest_framework as df
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from accounts.models import Role
from accounts.security import IdFilter
from helpdesk.bounds import NAME_MAX, NOTE_MAX, TEXT_MAX
from helpdesk.drf import (
    BlankableEmailField,
    BoundedDateTimeSerializerField,
    ErrorSerializer,
    ModelPermissionsWithView,
    SafeIsoDateTimeFilter,
    TransitionErrorSerializer,
)
from helpdesk.pagination import ComplaintApiPagination
from helpdesk.signature import SignatureField

from . import rules, selectors
from .actions import perform
from .attachments import MultipleFileField, check_uploads
from .choices import Channel, CloseReason, EventKind, Outcome, OutsideBodyKind
from .filters import ComplaintFilter
from .forms import ACTION_FORMS, staff_of
from .models import Category, Complaint, ComplaintEvent, Department
from .outside_bodies import OUTSIDE_BODY_RECORD
from .special_incidents import SPECIAL_INCIDENT_RECORD

User = get_user_model()

ERRORS = {
    400: OpenApiResponse(description="Invalid input: field errors"),
    403: OpenApiResponse(ErrorSerializer, description="Not permitted"),
    404: OpenApiResponse(ErrorSerializer, description="No such complaint (or not visible to you)"),
}


# -------------------------------------------------------------------- serializers
class ComplaintSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    close_reason = serializers.ChoiceField(choices=CloseReason.choices, allow_blank=True, read_only=True)
    outside_body_kind = serializers.ChoiceField(choices=OutsideBodyKind.choices, allow_blank=True, read_only=True)
    contact_email = BlankableEmailField(read_only=True)
    is_overdue = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "reference",
            "office",
            "channel",
            "received_by",
            "received_at",
            "customer",
            "complainant_name",
            "is_anonymous",
            "contact_phone",
            "contact_email",
            "contact_qq",
            "contact_wechat",
            "incident_at",
            "incident_place",
            "persons_involved",
            "subject",
            "description",
            "category",
            "is_emotional",
            "is_sensitive",
            "status",
            "close_reason",
            "escalation_level",
            "assignee",
            "department",
            "reply_due_at",
            "first_replied_at",
            "last_progress_at",
            "progress_due_at",
            "committed_completion_at",
            "resolved_at",
            "callback_declined_at",
            "auto_close_due_at",
            "closed_at",
            "reply_overdue_at",
            "progress_flagged_at",
            "completion_overdue_at",
            "newer_complaint",
            "merged_into",
            "is_training_case",
            # level 3 (R-C8) and special incidents (R-C6.2), issue 13
            *OUTSIDE_BODY_RECORD,
            *SPECIAL_INCIDENT_RECORD,
            "is_overdue",
            "available_actions",
            "updated_at",
        ]
        read_only_fields = fields

    # The fields, built from the model (ModelSerializer introspects it for each serializer:
    # ~60 fields, on every request), are the same every time: built once, then copied as DRF
    # copies declared fields (a page of the list builds them once; issue 17).
    _built_fields: ClassVar[dict[str, serializers.Field] | None] = None

    def get_fields(self):
        cls = type(self)
        if cls.__dict__.get("_built_fields") is None:
            cls._built_fields = super().get_fields()
        return copy.deepcopy(cls._built_fields)

    def get_is_overdue(self, obj) -> bool:
        return obj.is_overdue()

    def get_available_actions(self, obj) -> list[str]:
        # the same for every complaint of a page in the same state: asked once per state
        key = (obj.status, obj.close_reason, obj.received_by_id is not None, obj.facts)
        memo = self.__dict__.setdefault("_actions_by_state", {})
        if key not in memo:
            user = self.context["request"].user
            memo[key] = [
                a.name.replace("_", "-")
                for a in rules.available_actions(user, key[0], close_reason=key[1], claimed=key[2], facts=key[3])
            ]
        return list(memo[key])


class AttachmentsSerializerField(serializers.ListField):
    """Photos and documents of one step (multipart/form-data, repeated `attachments` parts),
    checked like the forms' (complaints.attachments.check_uploads)."""

    child = serializers.FileField()

    def to_internal_value(self, data):
        files = super().to_internal_value(data)
        errors = check_uploads(files)
        if errors:
            raise serializers.ValidationError([message for e in errors for message in e.messages])
        return files


class ComplaintIntakeSerializer(serializers.ModelSerializer):
    """R-C1 intake from another system (web form, call-centre software), with the outcome
    chosen at intake as on the desk forms: none (received, reply due within 24 hours or the
    tier's window), `reply_time` (agreed, R-C5), `on_the_spot` (signed off, R-C4) or
    `move_up` (walk-in, to `supervisor`, R-C2). The rules are `Complaint.receive()`'s."""

    channel = serializers.ChoiceField(choices=Channel.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_null=True, default=None)
    reply_due_at = BoundedDateTimeSerializerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The reply time agreed with the complainant (outcome reply_time).",
    )
    resolution = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)
    signoff_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=NAME_MAX)
    satisfied = serializers.BooleanField(required=False, default=False)
    apologised = serializers.BooleanField(required=False, default=False)
    supervisor = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The supervisor taking over (outcome move_up).",
    )
    handover_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)
    attachments = AttachmentsSerializerField(required=False, help_text="Photos and documents (multipart).")
    received_at = BoundedDateTimeSerializerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When a letter or field-visit complaint arrived, if before now (at most "
        "HELPDESK_BACKDATE_DAYS ago); the reply deadline counts from then. Other channels: now.",
    )

    outcome_fields = [
        "outcome",
        "reply_due_at",
        "resolution",
        "signoff_name",
        "satisfied",
        "apologised",
        "supervisor",
        "handover_note",
    ]

    class Meta:
        model = Complaint
        fields = [
            "channel",
            "customer",
            "complainant_name",
            "is_anonymous",
            "contact_phone",
            "contact_email",
            "contact_qq",
            "contact_wechat",
            "incident_at",
            "incident_place",
            "persons_involved",
            "subject",
            "description",
            "category",
            "is_emotional",
            "is_sensitive",
            "outcome",
            "reply_due_at",
            "resolution",
            "signoff_name",
            "satisfied",
            "apologised",
            "supervisor",
            "handover_note",
            "received_at",
            "attachments",
        ]
        extra_kwargs = {"category": {"queryset": Category.objects.filter(is_active=True)}}

    def to_internal_value(self, data):
        """No input is silently ignored: a field this endpoint does not take is a 400."""
        if hasattr(data, "keys"):
            unknown = sorted(str(k) for k in data.keys() if k not in self.fields and k != "csrfmiddlewaretoken")
            if unknown:
                raise serializers.ValidationError({key: [_("This field is not accepted here.")] for key in unknown})
        return super().to_internal_value(data)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        office_id = getattr(getattr(request, "user", None), "office_id", None)
        supervisors = staff_of(office_id, role=Role.SUPERVISOR) if office_id else User.objects.none()
        self.fields["supervisor"].queryset = supervisors

    def validate(self, attrs):
        """Every intake rule of `Complaint.intake_errors`, reported as field errors (400)."""
        errors = Complaint.intake_errors(
            channel=attrs["channel"],
            outcome=attrs.get("outcome"),
            customer=attrs.get("customer"),
            complainant_name=attrs.get("complainant_name", ""),
            is_anonymous=attrs.get("is_anonymous", False),
            incident_at=attrs.get("incident_at"),
            category=attrs.get("category"),
            reply_due_at=attrs.get("reply_due_at"),
            resolution=attrs.get("resolution", ""),
            signoff_name=attrs.get("signoff_name", ""),
            satisfied=attrs.get("satisfied", False),
            supervisor=attrs.get("supervisor"),
            received_at=attrs.get("received_at"),
        )
        # Nothing is silently ignored: a field of another outcome than the one chosen is a 400.
        outcome = attrs.get("outcome")
        for field, wanted in OUTCOME_OF_FIELD.items():
            if field in self.initial_data and outcome != wanted and self.initial_data[field] not in ("", None, False):
                errors.setdefault(field, []).append(
                    _("This field only goes with the outcome “%(outcome)s”.") % {"outcome": wanted}
                )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# The outcome each outcome-specific intake field belongs to.
OUTCOME_OF_FIELD = {
    "reply_due_at": Outcome.REPLY_TIME,
    "resolution": Outcome.ON_THE_SPOT,
    "signoff_name": Outcome.ON_THE_SPOT,
    "satisfied": Outcome.ON_THE_SPOT,
    "apologised": Outcome.ON_THE_SPOT,
    "supervisor": Outcome.MOVE_UP,
    "handover_note": Outcome.MOVE_UP,
}


class ComplaintEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = ComplaintEvent
        fields = [
            "id",
            "complaint",
            "actor",
            "actor_name",
            "created_at",
            "kind",
            "from_status",
            "to_status",
            "from_level",
            "to_level",
            "note",
            "data",
        ]
        read_only_fields = fields

    def get_actor_name(self, obj) -> str | None:
        return str(obj.actor) if obj.actor_id else None


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "is_active"]


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "is_active"]


@extend_schema_field(OpenApiTypes.INT)
class OfficeStaffField(serializers.PrimaryKeyRelatedField):
    """A member of staff of the complaint's office — the same choice the HTML form offers."""

    def get_queryset(self):
        complaint = self.context.get("complaint")
        return staff_of(complaint.office_id) if complaint is not None else User.objects.none()


def _serializer_field(field: forms.Field) -> serializers.Field:
    """The DRF field for an action form's field: same names, same required-ness."""
    common = {"required": field.required, "help_text": str(field.label or "")}
    if isinstance(field, forms.ModelChoiceField):
        if field.queryset.model is User:
            return OfficeStaffField(allow_null=not field.required, **common)
        queryset = field.queryset.model._default_manager.all()
        return serializers.PrimaryKeyRelatedField(queryset=queryset, allow_null=not field.required, **common)
    if isinstance(field, forms.TypedChoiceField) and [c[0] for c in field.choices] == ["yes", "no"]:
        return serializers.BooleanField(**common)
    if isinstance(field, forms.ChoiceField):
        return serializers.ChoiceField(choices=field.choices, **common)
    if isinstance(field, forms.DateTimeField):
        return BoundedDateTimeSerializerField(**common)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(default=False, **{**common, "required": False})
    if isinstance(field, MultipleFileField):  # multipart: repeated `attachments` parts
        return AttachmentsSerializerField(required=False, help_text=str(field.help_text))
    if isinstance(field, SignatureField):  # a PNG data URL, checked like the form's pad
        return serializers.CharField(
            required=False, allow_blank=True, max_length=600_000, help_text="The signature as data:image/png;base64,…"
        )
    return serializers.CharField(allow_blank=not field.required, max_length=field.max_length, **common)


def action_serializer(name: str) -> type[serializers.Serializer]:
    form = ACTION_FORMS[name]
    attrs = {key: _serializer_field(field) for key, field in form.base_fields.items()}
    title = "".join(part.title() for part in name.split("_"))
    return type(title, (serializers.Serializer,), attrs)  # documented as <Title>Request


ACTION_SERIALIZERS = {name: action_serializer(name) for name in rules.ACTIONS}


# -------------------------------------------------------------------- views
class ComplaintPermission(permissions.BasePermission):
    """The UI's permissions: seeing needs view_complaint (scoped by office in the queryset),
    logging needs add + receive, each action its permission from rules.ACTIONS."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.has_perm("complaints.view_complaint")):
            return False
        if view.action == "create":
            return user.has_perm("complaints.add_complaint") and user.has_perm(rules.RECEIVE)
        return True


@extend_schema_view(
    list=extend_schema(summary="List complaints", responses={200: ComplaintSerializer(many=True), 403: ERRORS[403]}),
    retrieve=extend_schema(summary="One complaint", responses={200: ComplaintSerializer, **ERRORS}),
    create=extend_schema(
        summary="Log a complaint (R-C1)",
        request=ComplaintIntakeSerializer,
        responses={201: ComplaintSerializer, **ERRORS},
    ),
)
class ComplaintViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    lookup_value_regex = "[0-9]+"  # a non-numeric id is a 404 from the URL resolver
    permission_classes = [ComplaintPermission]
    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter
    filter_backends = [df.DjangoFilterBackend, OrderingFilter]
    pagination_class = ComplaintApiPagination  # a few matches read by id; a search's count capped lower
    ordering_fields = ["received_at", "reply_due_at", "escalation_level", "id"]
    ordering = ["-received_at", "-id"]

    def get_queryset(self):
        return selectors.complaints_visible_to(self.request.user).with_list_relations()

    def get_serializer_class(self):
        return ComplaintIntakeSerializer if self.action == "create" else ComplaintSerializer

    def create(self, request, *args, **kwargs):
        if request.user.office_id is None:
            raise PermissionDenied(_("Your account is not attached to an office; ask a manager."))
        intake = ComplaintIntakeSerializer(data=request.data, context=self.get_serializer_context())
        intake.is_valid(raise_exception=True)
        complaint = Complaint.receive(actor=request.user, office=request.user.office, **intake.validated_data)
        return Response(ComplaintSerializer(complaint, context=self.get_serializer_context()).data, status=201)

    def _act(self, request, pk, name: str):
        complaint = selectors.complaint_for(request.user, pk)  # 404 before 403: nothing leaks
        if not rules.ACTIONS[name].permitted_for(request.user):
            raise PermissionDenied(_("You do not have permission to do this."))
        data = ACTION_SERIALIZERS[name](data=request.data, context={"complaint": complaint, "request": request})
        data.is_valid(raise_exception=True)
        perform(name, complaint, request.user, data.validated_data)
        complaint = selectors.complaint_for(request.user, pk)
        return Response(ComplaintSerializer(complaint, context=self.get_serializer_context()).data)


def _make_action(name: str):
    def handler(self, request, pk=None):
        return self._act(request, pk, name)

    handler.__name__ = f"action_{name}"
    handler.__doc__ = f"{rules.ACTIONS[name].label} — calls Complaint.{name}()."
    schema = extend_schema(
        summary=str(rules.ACTIONS[name].label),
        request=ACTION_SERIALIZERS[name],
        responses={
            200: ComplaintSerializer,
            **ERRORS,
            409: OpenApiResponse(TransitionErrorSerializer, description="Not possible in the current status"),
        },
    )
    routed = action(
        detail=True,
        methods=["post"],
        url_path=f"actions/{name.replace('_', '-')}",
        url_name=f"action-{name.replace('_', '-')}",
    )(handler)
    return schema(routed)  # extend_schema must wrap @action to reach the generated operation


for _name in rules.ACTIONS:
    setattr(ComplaintViewSet, f"action_{_name}", _make_action(_name))


class ComplaintEventFilter(df.FilterSet):
    complaint = IdFilter("complaint_id")  # an unknown id and a hidden complaint's id: the same empty list
    created_after = SafeIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = SafeIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ComplaintEvent
        fields = ["complaint", "kind"]


class ComplaintEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The append-only event log (R-C11), read-only, of the complaints visible to you."""

    lookup_value_regex = "[0-9]+"
    serializer_class = ComplaintEventSerializer
    permission_classes = [ModelPermissionsWithView]
    filter_backends = [df.DjangoFilterBackend, OrderingFilter]
    filterset_class = ComplaintEventFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["created_at", "id"]
    queryset = ComplaintEvent.objects.none()

    def get_queryset(self):
        visible = selectors.complaints_visible_to(self.request.user)
        return ComplaintEvent.objects.filter(complaint__in=visible.values("pk")).select_related("actor")


class DepartmentViewSet(viewsets.ModelViewSet):
    lookup_value_regex = "[0-9]+"
    serializer_class = DepartmentSerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = Department.objects.order_by("name")
    http_method_names = ["get", "post", "patch", "head", "options"]


class CategoryViewSet(viewsets.ModelViewSet):
    lookup_value_regex = "[0-9]+"
    serializer_class = CategorySerializer
    permission_classes = [ModelPermissionsWithView]
    queryset = Category.objects.order_by("name")
    http_method_names = ["get", "post", "patch", "head", "options"]


def register(router) -> None:
    router.register("complaints", ComplaintViewSet, basename="complaint")
    router.register("events", ComplaintEventViewSet, basename="event")
    router.register("departments", DepartmentViewSet, basename="department")
    router.register("categories", CategoryViewSet, basename="category")


__all__ = ["EventKind", "NotFound", "register"]

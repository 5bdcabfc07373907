"""Intake and action forms. Forms validate input shape; the rules themselves live in the
Complaint lifecycle methods, which each form's `apply()` calls."""

from datetime import timedelta
from functools import partial

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.staff import StaffChoiceField, staff_of
from customers.models import Customer
from customers.widgets import CustomerChoiceField
from helpdesk.bounds import NAME_MAX, NOTE_MAX, TEXT_MAX, BoundedDateTimeField
from helpdesk.fields import ListedChoiceField
from helpdesk.signature import SignatureField
from helpdesk.widgets import DateTimeLocalInput

from .actions import perform
from .attachments import MultipleFileField
from .choices import MAX_ESCALATION_LEVEL, CallbackMethod, Channel, EscalationCause, Outcome, OutsideBodyKind
from .deadlines import reply_window_for
from .intake import CHANNEL_OUTCOMES, INTAKE_FIELDS
from .models import Category, Complaint, Department
from .selectors import REFERENCE_MAX, parse_reference


# --------------------------------------------------------------------------- intake
class IntakeForm(forms.ModelForm):
    """R-C1 intake plus the immediate outcome: on-the-spot resolution (R-C4), an agreed reply
    time (R-C5) or, for walk-ins, moving up to the supervisor (R-C2). The rules are
    `Complaint.intake_errors()` / `Complaint.receive()`: this form checks field shapes and
    shows the model's errors on its fields."""

    OUTCOME_REPLY_TIME = Outcome.REPLY_TIME
    OUTCOME_ON_THE_SPOT = Outcome.ON_THE_SPOT
    OUTCOME_MOVE_UP = Outcome.MOVE_UP
    channel: str = ""
    hint: str | Promise | None = None  # the outcome section's guidance, when the channel needs its own

    outcome = forms.ChoiceField(
        label=_("Outcome now"),
        widget=forms.RadioSelect,
        choices=[
            (Outcome.REPLY_TIME.value, Outcome.REPLY_TIME.label),
            (Outcome.ON_THE_SPOT.value, Outcome.ON_THE_SPOT.label),
        ],
    )
    reply_due_at = BoundedDateTimeField(
        label=_("Agreed reply time"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("No later than 24 hours from now."),
    )
    resolution = forms.CharField(
        label=_("Explanation / resolution"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    apologised = forms.BooleanField(label=_("Apologised (the company was at fault)"), required=False)
    signoff_name = forms.CharField(label=_("Signed off by (complainant's name)"), required=False, max_length=NAME_MAX)
    satisfied = forms.BooleanField(label=_("The complainant confirms satisfaction"), required=False)
    signature = SignatureField(label=_("Complainant's signature"), required=False)
    attachments = MultipleFileField()

    class Meta:
        model = Complaint
        fields = list(INTAKE_FIELDS)  # what Complaint.receive() takes from a caller, in order
        widgets = {"incident_at": DateTimeLocalInput(), "description": forms.Textarea(attrs={"rows": 5})}
        field_classes = {
            "customer": CustomerChoiceField,
            "incident_at": BoundedDateTimeField,
            "category": ListedChoiceField,
        }
        help_texts = {
            "persons_involved": _("Staff or other people involved, if any."),
            "subject": _("What happened, in one line."),
        }

    outcome_fields = ["reply_due_at", "resolution", "apologised", "signoff_name", "satisfied", "signature"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["customer"].required = False
        self.fields["customer"].queryset = Customer.objects.order_by("name")
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        self.fields["incident_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        outcomes = CHANNEL_OUTCOMES[self.channel]  # the outcomes this channel may choose (R-C1)
        self.fields["outcome"].choices = [(o, Outcome(o).label) for o in outcomes]
        self.fields["outcome"].initial = outcomes[0]
        latest = timezone.localtime() + reply_window_for(None) - timedelta(minutes=5)
        self.fields["reply_due_at"].initial = latest.replace(second=0, microsecond=0)

    case_fields = ["incident_at", "incident_place", "persons_involved", "subject", "category", "description"]
    person_fields = [
        "customer",
        "complainant_name",
        "is_anonymous",
        "contact_phone",
        "contact_email",
        "contact_qq",
        "contact_wechat",
        "is_emotional",
        "is_sensitive",
    ]

    def _post_clean(self):
        """ModelForm's model validation of this form's fields, without the model's
        CheckConstraints: each names a field this form does not have, so Django would skip each
        only after building its query (~4 ms in all). `Complaint.receive()` meets them."""
        self.instance.full_clean = partial(self.instance.full_clean, validate_constraints=False)
        try:
            super()._post_clean()  # type: ignore[misc]
        finally:
            del self.instance.full_clean

    def _get_validation_exclusions(self):
        """The customer and the category were looked up by their choice fields, among those
        offered: the model's validation need not look each up again (a query each)."""
        return super()._get_validation_exclusions() | {"customer", "category"}  # type: ignore[misc]

    def _intake_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {name: data.get(name) for name in self.outcome_fields}
        arguments.update(
            outcome=data.get("outcome"),
            supervisor=data.get("supervisor"),
            handover_note=data.get("handover_note", ""),
            received_at=data.get("received_at"),
        )
        return arguments

    def clean(self):
        data = super().clean()
        if "outcome" not in data:
            return data
        arguments = self._intake_arguments()
        errors = Complaint.intake_errors(
            channel=self.channel,
            customer=data.get("customer"),
            complainant_name=data.get("complainant_name", ""),
            is_anonymous=data.get("is_anonymous", False),
            incident_at=data.get("incident_at"),
            category=data.get("category"),
            outcome=arguments["outcome"],
            reply_due_at=arguments["reply_due_at"],
            resolution=arguments["resolution"] or "",
            signoff_name=arguments["signoff_name"] or "",
            satisfied=bool(arguments["satisfied"]),
            supervisor=arguments["supervisor"],
            received_at=arguments["received_at"],
        )
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return data

    def log(self) -> Complaint:
        """Create the complaint with its outcome (`Complaint.receive`), in one transaction."""
        fields = {name: self.cleaned_data[name] for name in self._meta.fields if name != "received_at"}
        arguments = self._intake_arguments()
        arguments["resolution"] = arguments["resolution"] or ""
        arguments["signoff_name"] = arguments["signoff_name"] or ""
        arguments["satisfied"] = bool(arguments["satisfied"])
        arguments["apologised"] = bool(arguments["apologised"])
        arguments["signature"] = arguments["signature"] or b""
        arguments["attachments"] = self.cleaned_data.get("attachments") or []
        return Complaint.receive(actor=self.user, office=self.user.office, channel=self.channel, **arguments, **fields)


class PhoneIntakeForm(IntakeForm):
    channel = Channel.PHONE


class WalkInIntakeForm(IntakeForm):
    """Adds R-C2: an emotional walk-in complainant is moved up to the supervisor at once."""

    channel = Channel.WALK_IN
    supervisor = StaffChoiceField(label=_("Supervisor taking over"), queryset=None, required=False)
    handover_note = forms.CharField(
        label=_("Handover note"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["supervisor"].queryset = staff_of(user.office_id, role=Role.SUPERVISOR)


class OnlineIntakeForm(IntakeForm):
    """R-C1 online: a web message, an e-mail or a chat message the agent copies in."""

    channel = Channel.ONLINE
    hint = _(
        "Copy the message in as the complainant wrote it. Reply within the reply window (24 hours); if they "
        "proposed a time, record it as the agreed reply time."
    )


class LetterIntakeForm(IntakeForm):
    """R-C1 letter: logged with the day it arrived; the reply deadline counts from then."""

    channel = Channel.LETTER
    hint = _(
        "The reply window counts from when the letter arrived: a letter that arrived before a weekend may "
        "already be late. Reply as soon as you log it."
    )
    received_at = BoundedDateTimeField(
        label=_("Arrived on (arrival or postmark date)"),
        widget=DateTimeLocalInput(),
        help_text=_("The 24-hour reply window counts from when the letter arrived."),
    )
    case_fields = ["received_at", *IntakeForm.case_fields]


class FieldVisitIntakeForm(IntakeForm):
    """R-C1 field visit: logged by the staff member on site, from a phone."""

    channel = Channel.FIELD_VISIT
    hint = _(
        "Restate the key points on site. Then resolve on the spot with the complainant's sign-off, "
        "or agree a reply time."
    )
    received_at = BoundedDateTimeField(
        label=_("Received on site at"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Leave empty if you are logging it now, on site."),
    )
    case_fields = ["received_at", *IntakeForm.case_fields]


INTAKE_FORMS: dict[str, type[IntakeForm]] = {
    f.channel: f for f in [WalkInIntakeForm, PhoneIntakeForm, OnlineIntakeForm, LetterIntakeForm, FieldVisitIntakeForm]
}


# -------------------------------------------------------------------------- actions
class ActionForm(forms.Form):
    """One small form per lifecycle action. Fields declared at class level (the API derives
    its serializers from them); `apply` hands the cleaned data to complaints.actions."""

    action: str = ""
    staff_fields: tuple[str, ...] = ()  # choices limited to the complaint office's staff

    def __init__(self, *args, complaint: Complaint, **kwargs):
        kwargs.setdefault("prefix", self.action)
        super().__init__(*args, **kwargs)
        self.complaint = complaint
        for name in self.staff_fields:
            self.fields[name].queryset = staff_of(complaint.office_id)

    def apply(self, actor) -> None:
        perform(self.action, self.complaint, actor, self.cleaned_data)


def _note(label=None, required=True):
    return forms.CharField(
        label=label or _("Note"), required=required, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


def _staff(label):
    return StaffChoiceField(label=label, required=False, queryset=get_user_model().objects.none())


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes_no(label):
    return forms.TypedChoiceField(label=label, choices=YES_NO, coerce=lambda v: v == "yes", widget=forms.RadioSelect)


class ClaimForm(ActionForm):
    """An online complaint nobody has claimed: the agent becomes its receiver."""

    action = "claim"
    note = _note(required=False)


class ReplyForm(ActionForm):
    action = "reply"
    note = _note(_("What was replied"))


class AgreeReplyTimeForm(ActionForm):
    action = "agree_reply_time"
    reply_due_at = BoundedDateTimeField(label=_("Agreed reply time"), widget=DateTimeLocalInput())
    note = _note(required=False)


class ResolveOnTheSpotForm(ActionForm):
    action = "resolve_on_the_spot"
    resolution = forms.CharField(
        label=_("Explanation / resolution"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    apologised = forms.BooleanField(label=_("Apologised (the company was at fault)"), required=False)
    signoff_name = forms.CharField(label=_("Signed off by (complainant's name)"), max_length=NAME_MAX)
    satisfied = forms.BooleanField(label=_("The complainant confirms satisfaction"))
    signature = SignatureField(label=_("Complainant's signature"), required=False)


class AssignDepartmentForm(ActionForm):
    action = "assign_department"
    department = ListedChoiceField(label=_("Department"), queryset=Department.objects.filter(is_active=True))
    note = _note(required=False)


class RecordFindingsForm(ActionForm):
    action = "record_findings"
    findings = forms.CharField(label=_("Findings"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    apologised_in_person = forms.BooleanField(label=_("Apologised in person"), required=False)
    attachments = MultipleFileField()


class ReportProgressForm(ActionForm):
    action = "report_progress"
    note = _note(_("Progress told to the complainant"))


class ProposeSolutionForm(ActionForm):
    action = "propose_solution"
    solution = forms.CharField(
        label=_("Proposed solution"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class RecordAnswerForm(ActionForm):
    action = "record_answer"
    staff_fields = ("to_user",)
    accepted = _yes_no(_("Did the complainant accept the solution?"))
    note = _note(required=False)
    to_user = _staff(_("If rejected, move up to"))


class CommitCompletionForm(ActionForm):
    action = "commit_completion"
    completion_at = BoundedDateTimeField(label=_("Committed completion time"), widget=DateTimeLocalInput())
    note = _note(_("What the customer was told"), required=False)


class MarkHandledForm(ActionForm):
    action = "mark_handled"
    note = _note(_("What was done"))
    attachments = MultipleFileField()


class RecordCallbackForm(ActionForm):
    """R-C10 call-back with the script's questions (R-CU6)."""

    action = "record_callback"
    staff_fields = ("to_user",)
    method = forms.ChoiceField(label=_("Method"), choices=CallbackMethod.choices)
    about_process = forms.CharField(
        label=_("Opinion of how the complaint was handled"), required=False, max_length=NOTE_MAX
    )
    about_measures = forms.CharField(label=_("Opinion of the measures taken"), required=False, max_length=NOTE_MAX)
    about_result = forms.CharField(label=_("Opinion of the result"), required=False, max_length=NOTE_MAX)
    operation_normal = forms.CharField(
        label=_("Is the customer's operation (e.g. sewage treatment) running normally?"),
        required=False,
        max_length=NOTE_MAX,
    )
    suggestions = forms.CharField(label=_("Opinions and suggestions"), required=False, max_length=NOTE_MAX)
    satisfied = _yes_no(_("Is the complainant satisfied?"))
    note = _note(required=False)
    to_user = _staff(_("If unsatisfied, move up to"))
    attachments = MultipleFileField()
    signature = SignatureField(label=_("Complainant's signature (door visit)"), required=False)


class DeclineCallbackForm(ActionForm):
    action = "decline_callback"
    note = _note(required=False)


# The outside body of level 3 (R-C8, 原則8.3): which kind, its name and its contact.
def _outside_body_kind(required: bool = True):
    return forms.ChoiceField(
        label=_("Outside body"), required=required, choices=[("", "---------"), *OutsideBodyKind.choices]
    )


def _outside_body_name(required: bool = True):
    return forms.CharField(
        label=_("Outside body's name"),
        required=required,
        max_length=200,
        help_text=_("E.g. the owners' committee of the estate, the engineering department, the district office."),
    )


def _outside_body_contact(required: bool = True):
    return forms.CharField(
        label=_("Outside body's contact"),
        required=required,
        max_length=200,
        help_text=_("A person, phone number or address. Staff only: never shown to the complainant."),
    )


OUTSIDE_BODY_FIELDS = ("outside_body_kind", "outside_body_name", "outside_body_contact")


class MoveUpForm(ActionForm):
    """R-C8: one level up. The move to level 3 records the outside body (required then; the
    fields are offered only then), and the person named keeps following it in the office."""

    action = "move_up"
    staff_fields = ("to_user",)
    cause = forms.ChoiceField(label=_("Cause"), choices=EscalationCause.choices)
    note = _note(required=False)
    to_user = _staff(_("Person taking over"))
    outside_body_kind = _outside_body_kind(required=False)  # the fields are required at level 3 only
    outside_body_name = _outside_body_name(required=False)
    outside_body_contact = _outside_body_contact(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.complaint.escalation_level + 1 == MAX_ESCALATION_LEVEL:
            self.fields["to_user"].label = _("Who in the office keeps following it")
            self.fields["to_user"].help_text = _("Empty: its assignee, or you if nobody has it.")
            for name in OUTSIDE_BODY_FIELDS:
                self.fields[name].required = True
        else:
            for name in OUTSIDE_BODY_FIELDS:
                del self.fields[name]


class ReferToOutsideBodyForm(ActionForm):
    """Level 3 without a body yet (raised by R-T1, a rejected solution, an unsatisfied
    call-back), or another body: which one, its name and contact."""

    action = "refer_to_outside_body"
    outside_body_kind = _outside_body_kind()
    outside_body_name = _outside_body_name()
    outside_body_contact = _outside_body_contact()
    note = _note(_("Note (staff only)"), required=False)


class RecordOutsideBodyAnswerForm(ActionForm):
    action = "record_outside_body_answer"
    answer = forms.CharField(
        label=_("The outside body's answer"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    answered_at = BoundedDateTimeField(
        label=_("Answered on"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Leave empty if it answered just now."),
    )


class FlagSpecialIncidentForm(ActionForm):
    """R-C6.2: contain first, then report upward at once. Flagging tells the supervisors and
    the managers now."""

    action = "flag_special_incident"
    note = _note(_("What happened"))


class RecordIncidentContainmentForm(ActionForm):
    action = "record_incident_containment"
    steps = forms.CharField(
        label=_("Steps taken to contain it"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class RecordIncidentReportForm(ActionForm):
    action = "record_incident_report"
    reported_to = forms.CharField(
        label=_("Reported to"), max_length=200, help_text=_("The unit, department or person it was reported to.")
    )
    reported_at = BoundedDateTimeField(label=_("Reported at"), widget=DateTimeLocalInput())
    note = _note(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reported_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class ReassignForm(ActionForm):
    action = "reassign"
    staff_fields = ("assignee",)
    assignee = StaffChoiceField(label=_("New assignee"), queryset=get_user_model().objects.none())
    note = _note(required=False)


class AddNoteForm(ActionForm):
    action = "add_note"
    note = _note()


class MarkTrainingCaseForm(ActionForm):
    action = "mark_training_case"
    lesson = forms.CharField(label=_("Lesson for staff"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}))


class ComplaintReferenceField(forms.CharField):
    """A complaint's number as people write it ("#123" or "123"); the complaint itself is looked up
    among those the user may see when the action is applied (complaints.actions)."""

    default_error_messages = {"invalid": _("Enter a complaint number, such as #123.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", REFERENCE_MAX)
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value not in self.empty_values and parse_reference(value) is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class MergeForm(ActionForm):
    """Issue 14: this complaint duplicates another (the same complainant, the same matter)."""

    action = "merge"
    target = ComplaintReferenceField(
        label=_("Merge into complaint"),
        help_text=_("Its number, e.g. #123: an open complaint of the same complainant about the same matter."),
    )
    note = _note(_("Why it is a duplicate"))


class UnmergeForm(ActionForm):
    action = "unmerge"
    note = _note(_("Why the merge is undone"))


ACTION_FORMS: dict[str, type[ActionForm]] = {
    f.action: f
    for f in [
        ClaimForm,
        ReplyForm,
        AgreeReplyTimeForm,
        ResolveOnTheSpotForm,
        AssignDepartmentForm,
        RecordFindingsForm,
        ReportProgressForm,
        ProposeSolutionForm,
        RecordAnswerForm,
        CommitCompletionForm,
        MarkHandledForm,
        RecordCallbackForm,
        DeclineCallbackForm,
        MoveUpForm,
        ReferToOutsideBodyForm,
        RecordOutsideBodyAnswerForm,
        FlagSpecialIncidentForm,
        RecordIncidentContainmentForm,
        RecordIncidentReportForm,
        ReassignForm,
        AddNoteForm,
        MarkTrainingCaseForm,
        MergeForm,
        UnmergeForm,
    ]
}

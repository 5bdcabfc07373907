"""The complainant's forms (public, no login). They check shapes and normalise contacts; the
rules are the intake method's and the lifecycle's (complainants/services.py)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from complaints.attachments import IMAGE_EXTENSIONS, MultipleFileField
from complaints.models import Category, Complaint
from helpdesk.bounds import NAME_MAX, TEXT_MAX, BoundedDateTimeField
from helpdesk.fields import ListedChoiceField
from helpdesk.widgets import DateTimeLocalInput

from . import challenge
from .limits import public_photo_limit

DESCRIPTION_MAX = 4000  # a public description (staff notes may be longer)


def _photos_help() -> str:
    return gettext("Up to %(n)s photos (JPEG or PNG); location data is removed.") % {"n": public_photo_limit()}


photos_help = lazy(_photos_help, str)  # rendered in the page's language, with the limit of the day


class PhotosField(MultipleFileField):
    """Photos only (JPEG, PNG), at most HELPDESK_PUBLIC_PHOTOS; the attachment rules of the
    desk (type by content, size limit, EXIF and location removed when stored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Photos"))
        kwargs.setdefault("help_text", photos_help())
        super().__init__(*args, **kwargs)
        self.widget.attrs["accept"] = "image/jpeg,image/png"

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        limit = public_photo_limit()
        if len([i for i in items if i]) > limit:
            raise ValidationError(_("At most %(limit)s photos can be sent.") % {"limit": limit}, code="too_many")
        for item in items:
            name = (getattr(item, "name", "") or "").lower()
            if item and name.rsplit(".", 1)[-1] not in IMAGE_EXTENSIONS:
                raise ValidationError(
                    _("“%(name)s” is not a photo: only JPEG and PNG files can be sent.")
                    % {"name": getattr(item, "name", "")},
                    code="type",
                )
        return super().clean(data, initial)


class HoneypotMixin(forms.Form):
    """A field people never see (hidden by CSS, skipped by screen readers); robots fill it."""

    website = forms.CharField(required=False, label=_("Leave this empty"))

    def robot(self) -> bool:
        return bool((self.data.get(self.add_prefix("website")) or "").strip())


class OnlineComplaintForm(HoneypotMixin, forms.ModelForm):
    """R-P1: name or anonymous, a contact, place, time, what happened, category, photos, the
    personal-information notice accepted."""

    is_anonymous = forms.BooleanField(
        label=_("Complain anonymously"),
        required=False,
        help_text=_("We will not know who you are; give a contact anyway if you want to hear back."),
    )
    description = forms.CharField(
        label=_("What happened"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    photos = PhotosField(required=False)
    consent = forms.BooleanField(
        label=_("I have read the personal-information notice above and agree to it."),
        error_messages={"required": _("Please accept the personal-information notice to send your complaint.")},
    )
    challenge_answer = forms.CharField(label=_("Answer"), required=False, max_length=10)
    challenge_token = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Complaint
        fields = [
            "complainant_name",
            "is_anonymous",
            "contact_phone",
            "contact_email",
            "contact_wechat",
            "contact_qq",
            "incident_place",
            "incident_at",
            "category",
            "subject",
            "description",
        ]
        labels = {
            "complainant_name": _("Your name"),
            "contact_phone": _("Mobile phone"),
            "contact_email": _("E-mail"),
            "contact_wechat": _("WeChat ID"),
            "contact_qq": _("QQ"),
            "incident_place": _("Where (building and room)"),
            "incident_at": _("When did it happen?"),
            "subject": _("In one line"),
        }
        widgets = {"incident_at": DateTimeLocalInput()}
        field_classes = {"incident_at": BoundedDateTimeField, "category": ListedChoiceField}
        help_texts = {
            "contact_phone": _("We send notices to a mobile number by SMS."),
            "incident_place": _("For example: Building 3, room 1202, or the car park entrance."),
        }

    def __init__(self, *args: Any, office, needs_challenge: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.office = office
        self.needs_challenge = needs_challenge
        category = cast(forms.ModelChoiceField, self.fields["category"])
        category.queryset = Category.objects.filter(is_active=True, is_public=True)
        category.empty_label = _("Choose a category")
        cast(forms.CharField, self.fields["complainant_name"]).max_length = NAME_MAX
        self.fields["incident_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["incident_place"].widget.attrs["autocomplete"] = "street-address"
        self.fields["contact_phone"].widget.attrs.update(inputmode="tel", autocomplete="tel")
        self.fields["contact_email"].widget.attrs["autocomplete"] = "email"
        self.fields["complainant_name"].widget.attrs["autocomplete"] = "name"
        if needs_challenge and not self.is_bound:
            question, token = challenge.new()
            self.challenge_question = question
            self.initial["challenge_token"] = token
        elif needs_challenge:
            self.challenge_question = challenge.question_of(self.data.get("challenge_token", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f) for f in ("contact_phone", "contact_email", "contact_wechat", "contact_qq")):
            if not data.get("is_anonymous"):
                self.add_error("contact_phone", _("Give at least one way to reach you: mobile, e-mail, WeChat or QQ."))
        if not data.get("is_anonymous") and not (data.get("complainant_name") or "").strip():
            self.add_error("complainant_name", _("Enter your name, or choose to complain anonymously."))
        if self.needs_challenge and not challenge.check(data.get("challenge_token", ""), data.get("challenge_answer")):
            self.add_error("challenge_answer", _("That answer is not right; please answer the new question."))
            self.renew_challenge()
        return data

    def renew_challenge(self) -> None:
        """A new question (a rejected form is shown again with it)."""
        question, token = challenge.new()
        self.challenge_question = question
        data = self.data.copy() if isinstance(self.data, QueryDict) else QueryDict(mutable=True)
        if not isinstance(self.data, QueryDict):
            data.update(dict(self.data))
        data[self.add_prefix("challenge_token")] = token
        data[self.add_prefix("challenge_answer")] = ""
        self.data = data

    def complaint_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {name: data[name] for name in self.Meta.fields if name in data and data[name] not in (None,)}
        fields["persons_involved"] = ""
        if data.get("is_anonymous"):
            fields["complainant_name"] = ""
        return fields


class AddInformationForm(HoneypotMixin):
    note = forms.CharField(
        label=_("What would you like to add?"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("note") or "").strip() and not data.get("photos"):
            raise ValidationError(_("Write what you want to add, or attach a photo."))
        return data


ANSWER_CHOICES = [("accept", _("I accept this solution")), ("reject", _("I do not accept it"))]


class SolutionAnswerForm(forms.Form):
    answer = forms.ChoiceField(label=_("Your answer"), choices=ANSWER_CHOICES, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Anything to add (why, or what you would expect)"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


RATING_CHOICES = [(str(n), str(n)) for n in range(5, 0, -1)]
SATISFIED_CHOICES = [("yes", _("Yes, I am satisfied")), ("no", _("No, I am not satisfied"))]


class QuestionnaireForm(forms.Form):
    """R-C10 online call-back: the script's questions, satisfied yes/no and a 1–5 rating."""

    about_process = forms.CharField(
        label=_("How was the way we handled your complaint?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    about_measures = forms.CharField(
        label=_("What do you think of the measures we took?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    about_result = forms.CharField(
        label=_("Is the problem solved?"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    suggestions = forms.CharField(
        label=_("Your opinions and suggestions"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    satisfied = forms.TypedChoiceField(
        label=_("Are you satisfied with how your complaint was handled?"),
        choices=SATISFIED_CHOICES,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label=_("Your rating (5 is best)"), choices=RATING_CHOICES, coerce=int, widget=forms.RadioSelect
    )

    def answers(self) -> dict[str, str]:
        return {
            k: self.cleaned_data.get(k, "") for k in ("about_process", "about_measures", "about_result", "suggestions")
        }

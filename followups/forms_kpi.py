"""The forms of the agents' performance review (R-F5): the month and office of the KPI table
(the monthly summary's month and office handling), drawing samples, and a re-check."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.reports.forms import SummaryFilterForm
from helpdesk.bounds import NOTE_MAX

from .kpi import MAX_SAMPLE_SIZE, MAX_SEED


class KpiFilterForm(SummaryFilterForm):
    """`month` YYYY-MM (default: the last complete month; not a month to come) and an office
    among those the user may see — the summary's fields and rules, without its other filters."""

    department = None  # type: ignore[assignment]
    channel = None  # type: ignore[assignment]
    tier = None  # type: ignore[assignment]


class DrawSamplesForm(forms.Form):
    """Draw every listed agent's sample (or one agent's) of the month."""

    size = forms.IntegerField(label=_("Complaints per agent"), min_value=1, max_value=MAX_SAMPLE_SIZE, initial=5)
    seed = forms.IntegerField(
        label=_("Seed (optional)"),
        required=False,
        min_value=0,
        max_value=MAX_SEED,
        help_text=_("The same seed draws the same complaints again; left empty, a random one is chosen and kept."),
    )
    agent = forms.TypedChoiceField(label=_("Agent"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, agents: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", _("Every agent without a sample")), *agents]  # type: ignore[attr-defined]


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class RecheckForm(forms.Form):
    """The manager's re-check call of one sampled complaint."""

    reached = forms.TypedChoiceField(
        label=_("Complainant reached?"), choices=YES_NO, coerce=lambda v: v == "yes", widget=forms.RadioSelect
    )
    satisfied = forms.TypedChoiceField(
        label=_("Satisfied?"),
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label=_("Rating (1–5, 5 is best)"),
        choices=[("", "—"), *((str(n), str(n)) for n in range(5, 0, -1))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("reached") and data.get("satisfied") is None:
            self.add_error("satisfied", _("Record whether the complainant is satisfied."))
        return data

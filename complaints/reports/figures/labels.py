"""What the monthly summary's figures are called: the headline figures and the columns of
the breakdowns and of the per-agent table, in the order every presenter (dashboard, XLSX,
CSV) shows them, and the labels of channels, levels, causes, tiers and people."""

from __future__ import annotations

from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from customers.models import Tier

from ...choices import Channel, EscalationCause, EscalationLevel

# (key, label, kind): the headline figures, in the order every presenter shows them.
# kind: "count", "pct" (a percentage, None when there is nothing to measure), "hours" or
# "rating" (an average 1–5 rating to one decimal, None when no call-back was rated).
HEADLINE = [
    ("received", _("Complaints received"), "count"),
    ("closed", _("Closed by the end of the month"), "count"),
    ("still_open", _("Still open at the end of the month"), "count"),
    ("closed_on_the_spot", _("Closed on the spot with sign-off"), "count"),
    ("closed_after_callback", _("Closed after a satisfied call-back"), "count"),
    ("auto_closed", _("Auto-closed after a declined call-back"), "count"),
    ("closed_no_callback_needed", _("Closed, no call-back needed"), "count"),
    ("reply_measured", _("Replies given or due"), "count"),
    ("replied_in_time", _("Replied within the agreed time"), "count"),
    ("reply_compliance_pct", _("Reply-deadline compliance (%)"), "pct"),
    ("reply_hours_median", _("Time to first reply, median (hours)"), "hours"),
    ("reply_hours_p90", _("Time to first reply, 90th percentile (hours)"), "hours"),
    ("close_hours_median", _("Time to close, median (hours)"), "hours"),
    ("close_hours_p90", _("Time to close, 90th percentile (hours)"), "hours"),
    ("escalated_complaints", _("Complaints moved up at least once"), "count"),
    ("escalations", _("Escalations (moves up) in the month"), "count"),
    ("special_incidents", _("Special incidents flagged in the month"), "count"),  # R-C6.2, issue 13
    ("callbacks", _("Call-backs recorded"), "count"),
    ("callbacks_satisfied", _("Call-backs with a satisfied complainant"), "count"),
    ("callback_satisfaction_pct", _("Call-back satisfaction (%)"), "pct"),
    ("callbacks_online", _("Call-backs answered online by the complainant"), "count"),
    ("callbacks_by_staff", _("Call-backs recorded by staff"), "count"),
    ("callbacks_rated", _("Call-backs with a rating"), "count"),
    ("rating_average", _("Average rating (1–5, 5 is best)"), "rating"),
    ("rated_5", _("Rated 5 (best)"), "count"),
    ("rated_4", _("Rated 4"), "count"),
    ("rated_3", _("Rated 3"), "count"),
    ("rated_2", _("Rated 2"), "count"),
    ("rated_1", _("Rated 1 (worst)"), "count"),
    ("repeat_complainants", _("Repeat complainants (two or more complaints)"), "count"),
    ("repeat_complaints", _("Complaints from repeat complainants"), "count"),
    # issue 14: in none of the figures above (the pair counts once, as the complaint merged into)
    ("duplicates_merged", _("Duplicates merged into another complaint (not counted above)"), "count"),
]
HEADLINE_KINDS = {key: kind for key, _label, kind in HEADLINE}

# (key, label): the columns of each breakdown (by office, department, tier, level).
BREAKDOWN_COLUMNS = [
    ("received", _("Received")),
    ("closed", _("Closed")),
    ("still_open", _("Still open")),
    ("closed_on_the_spot", _("On the spot")),
    ("closed_after_callback", _("After call-back")),
    ("auto_closed", _("Auto-closed")),
    ("closed_no_callback_needed", _("No call-back needed")),
    ("escalated_complaints", _("Moved up")),
    ("replied_in_time", _("Replied in time")),
    ("reply_measured", _("Replies given or due")),
    ("reply_compliance_pct", _("Compliance (%)")),
]

# (key, label): the per-agent columns (R-F5: the manager's performance review).
AGENT_COLUMNS = [
    ("received", _("Received")),
    ("replied_in_time", _("Replied in time")),
    ("reply_measured", _("Replies given or due")),
    ("reply_compliance_pct", _("Compliance (%)")),
    ("escalated_complaints", _("Moved up")),
    ("closed", _("Closed")),
    ("callbacks", _("Call-backs")),
    ("callbacks_satisfied", _("Satisfied")),
    ("callback_satisfaction_pct", _("Satisfaction (%)")),
    ("callbacks_rated", _("Ratings")),
    ("rating_average", _("Average rating")),
]

UNCLAIMED = _("Not claimed yet")  # the per-agent row of the complaints without a receiver

catalogue_name = lazy(gettext, str)  # seeded category/department names are in the catalogue


def channel_label(code):
    return Channel(code).label if code in Channel.values else code


def level_label(level):
    return EscalationLevel(level).label if level in EscalationLevel.values else str(level)


def cause_label(cause):
    if cause in EscalationCause.values:
        return EscalationCause(cause).label
    return pgettext_lazy("escalation cause", "Not recorded")


def tier_label(tier):
    return Tier(tier).label if tier in Tier.values else _("No linked customer")


def person_label(first: str, last: str, username: str) -> str:
    full = f"{first} {last}".strip()
    return full or username


def agent_label(user_id: int | None, first: str | None, last: str | None, username: str | None):
    """An agent's name; the row of complaints nobody has claimed yet (received_by NULL: online
    complaints waiting in their office's queue) is named as such."""
    if user_id is None:
        return UNCLAIMED
    return person_label(first or "", last or "", username or "")

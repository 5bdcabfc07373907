"""Churn analysis (R-CU7, 客戶流失分析): the customers at risk of leaving, by the signals the
data already has, each with its reason in words.

Signals (thresholds in settings, `HELPDESK_CHURN_*`; "the window" is the last
HELPDESK_CHURN_WINDOW_MONTHS months up to `now`):

- no transaction in the last N months (a customer without any counts from the day it was added);
- repeat complaints: at least M complaints received in the window (merged duplicates not counted);
- an unsatisfied call-back (`callback_recorded` with `satisfied` false) in the window;
- low survey scores: the average answer score of the survey responses recorded in the window at
  or below the threshold;
- missed visits: at least K visits due in the window and still missed (a visit made late after
  the flag is done, and no longer counts);
- a tier drop (A > B > C) in the window;
- a poor credit rating: the latest credit evaluation is C or D.

Two queries, whatever the number of customers (plus the page's count):

- the list (`ChurnAnalysis.customers`): each signal is one uncorrelated
  `id IN (SELECT customer_id … GROUP BY … HAVING …)`, which PostgreSQL hashes once, so the
  filter, the number of signals and the order cost one pass over each table;
- the figures of the rows shown (`ChurnAnalysis.explain`): per signal, the aggregate its
  threshold is checked against (the same filtered rows as its set), as correlated subqueries on
  those rows only; each row's signals are the same thresholds checked on those figures. Inside
  the list's query PostgreSQL would compute the figures for every row up to the end of the page,
  the skipped rows of a deep page included.

Customers sits below complaints and followups (tests/test_architecture.py), so their models
are taken by name (`apps.get_model`), as the customer page does for the visits; the few stored
values of theirs named below are checked by the tests through those modules."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import reduce
from operator import add, or_
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Avg, Case, Count, Exists, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .models import CreditEvaluation, CreditRating, Customer, CustomerTransaction, TierChange

# Stored values of the floors above (see the module docstring).
CALLBACK_RECORDED = "callback_recorded"  # complaints.choices.EventKind.CALLBACK_RECORDED
SATISFIED = "satisfied"  # complaints.event_data.SATISFIED
MERGED = "merged"  # complaints.choices.CloseReason.MERGED: a merged duplicate counts once
VISIT_MISSED = "missed"  # followups.models.visits.VisitStatus.MISSED

POOR_CREDIT = (CreditRating.C, CreditRating.D)
TIER_DROP = Q(old_tier="A", new_tier__in=["B", "C"]) | Q(old_tier="B", new_tier="C")  # A > B > C


class Signal(models.TextChoices):
    NO_TRANSACTION = "no_transaction", _("no recent transaction")
    REPEAT_COMPLAINTS = "repeat_complaints", _("repeat complaints")
    UNSATISFIED_CALLBACK = "unsatisfied_callback", _("unsatisfied call-back")
    LOW_SURVEY = "low_survey", _("low survey scores")
    MISSED_VISITS = "missed_visits", _("missed visits")
    TIER_DROP = "tier_drop", _("tier drop")
    POOR_CREDIT = "poor_credit", _("poor credit rating")


@dataclass(frozen=True)
class Thresholds:
    no_transaction_months: int
    window_months: int
    repeat_complaints: int
    low_survey_score: float
    missed_visits: int

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            no_transaction_months=settings.HELPDESK_CHURN_NO_TRANSACTION_MONTHS,
            window_months=settings.HELPDESK_CHURN_WINDOW_MONTHS,
            repeat_complaints=settings.HELPDESK_CHURN_REPEAT_COMPLAINTS,
            low_survey_score=settings.HELPDESK_CHURN_LOW_SURVEY_SCORE,
            missed_visits=settings.HELPDESK_CHURN_MISSED_VISITS,
        )


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day if it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _customers(qs: QuerySet[Any], key: str = "customer_id", having: tuple[Any, str, Any] | None = None) -> Q:
    """`id IN (SELECT key FROM qs GROUP BY key [HAVING aggregate lookup bound])`: the customers a
    signal is on for; `having=(Count("pk"), "gte", 3)`. Grouped, so PostgreSQL expects at most
    one row per customer and hashes the set (a set it expects larger than `work_mem` it would
    scan again for every customer)."""
    grouped = qs.order_by().values(key).annotate(figure=having[0] if having else Count("pk"))
    if having:
        grouped = grouped.filter(**{f"figure__{having[1]}": having[2]})
    return Q(pk__in=grouped.values(key))


def _figure(qs: QuerySet[Any], aggregate: Any, key: str = "customer") -> Subquery:
    """One aggregate of the outer customer row's rows of `qs` (NULL when there are none)."""
    per_customer = qs.filter(**{key: OuterRef("pk")}).order_by().values(key).annotate(figure=aggregate)
    return Subquery(per_customer.values("figure")[:1])


def _first(qs: QuerySet[Any], field: str, *order: str) -> Subquery:
    return Subquery(qs.filter(customer=OuterRef("pk")).order_by(*order).values(field)[:1])


@dataclass(frozen=True)
class _Rule:
    condition: Q  # on the customer row: the signal is on
    figures: dict[str, Any]  # name -> correlated subquery: what the reason quotes
    on: Callable[[Customer], bool]  # the same condition, checked on a row's figures


class ChurnAnalysis:
    """One analysis at `now`. `customers()` lists the customers with at least one of `signals`
    (default: all) on — most signals first (`risk_count`), then by tier (A first) and name;
    `explain(rows)` gives those rows their figures and `risk_<signal>` flags in one query, and
    `reasons(row)` then puts them in words. `signals` leaves out what the reader may not see
    (the credit rating without `customers.view_creditevaluation`)."""

    def __init__(
        self,
        *,
        now: datetime | None = None,
        thresholds: Thresholds | None = None,
        signals: Iterable[str] | None = None,
    ) -> None:
        self.now = now or timezone.now()
        self.thresholds = thresholds or Thresholds.from_settings()
        chosen = None if signals is None else set(signals)
        self.signals = [s for s in Signal.values if chosen is None or s in chosen]
        self.since = months_before(timezone.localdate(self.now), self.thresholds.window_months)
        self._rules = self._build_rules()

    def _build_rules(self) -> dict[str, _Rule]:
        now, t = self.now, self.thresholds
        today = timezone.localdate(now)
        since_at = _start_of(self.since)
        cutoff = months_before(today, t.no_transaction_months)
        Complaint = apps.get_model("complaints", "Complaint")
        ComplaintEvent = apps.get_model("complaints", "ComplaintEvent")
        Visit = apps.get_model("followups", "Visit")
        SurveyAnswer = apps.get_model("followups", "SurveyAnswer")

        transactions = CustomerTransaction.objects.filter(date__lte=today)
        complaints = Complaint.objects.filter(customer__isnull=False, received_at__gte=since_at, received_at__lte=now)
        complaints = complaints.exclude(close_reason=MERGED)
        unsatisfied = ComplaintEvent.objects.filter(
            kind=CALLBACK_RECORDED,
            created_at__gte=since_at,
            created_at__lte=now,
            complaint__customer__isnull=False,
            **{f"data__{SATISFIED}": False},
        )
        answers = SurveyAnswer.objects.filter(response__recorded_at__gte=since_at, response__recorded_at__lte=now)
        # still missed: a visit made late after the flag is done (the (status, due_on) index)
        missed = Visit.objects.filter(status=VISIT_MISSED, due_on__gte=self.since, due_on__lte=today)
        drops = TierChange.objects.filter(TIER_DROP, changed_at__gte=since_at, changed_at__lte=now)
        drop_tiers = drops.annotate(tiers=Concat("old_tier", "new_tier"))
        evaluations = CreditEvaluation.objects.filter(evaluated_on__lte=today)
        newer = evaluations.filter(customer=OuterRef("customer")).filter(
            Q(evaluated_on__gt=OuterRef("evaluated_on"))
            | Q(evaluated_on=OuterRef("evaluated_on"), id__gt=OuterRef("id"))
        )

        def stale(row: Customer) -> bool:
            last = row.last_transaction_on  # type: ignore[attr-defined]
            return last < cutoff if last is not None else row.created_at < _start_of(cutoff)

        return {
            Signal.NO_TRANSACTION: _Rule(
                # none since the cutoff; and added before it, or added since with an older one
                ~_customers(transactions.filter(date__gte=cutoff))
                & (
                    Q(created_at__lt=_start_of(cutoff))
                    | _customers(transactions.filter(date__lt=cutoff, customer__created_at__gte=_start_of(cutoff)))
                ),
                {"last_transaction_on": _first(transactions, "date", "-date")},
                stale,
            ),
            Signal.REPEAT_COMPLAINTS: _Rule(
                _customers(complaints, having=(Count("pk"), "gte", t.repeat_complaints)),
                {"complaints_in_window": _figure(complaints, Count("pk"))},
                lambda row: (row.complaints_in_window or 0) >= t.repeat_complaints,  # type: ignore[attr-defined]
            ),
            Signal.UNSATISFIED_CALLBACK: _Rule(
                _customers(unsatisfied, "complaint__customer_id"),
                {"unsatisfied_callbacks": _figure(unsatisfied, Count("pk"), "complaint__customer")},
                lambda row: (row.unsatisfied_callbacks or 0) >= 1,  # type: ignore[attr-defined]
            ),
            Signal.LOW_SURVEY: _Rule(
                _customers(answers, "response__customer_id", having=(Avg("score"), "lte", t.low_survey_score)),
                {"survey_average": _figure(answers, Avg("score"), "response__customer")},
                lambda row: row.survey_average is not None and row.survey_average <= t.low_survey_score,  # type: ignore[attr-defined]
            ),
            Signal.MISSED_VISITS: _Rule(
                _customers(missed, having=(Count("pk"), "gte", t.missed_visits)),
                {"missed_visits_in_window": _figure(missed, Count("pk"))},
                lambda row: (row.missed_visits_in_window or 0) >= t.missed_visits,  # type: ignore[attr-defined]
            ),
            Signal.TIER_DROP: _Rule(
                _customers(drops),
                {
                    "tier_drop": _first(drop_tiers, "tiers", "-changed_at", "-id"),  # "AC": from A to C
                    "tier_drop_at": _first(drops, "changed_at", "-changed_at", "-id"),
                },
                lambda row: row.tier_drop is not None,  # type: ignore[attr-defined]
            ),
            Signal.POOR_CREDIT: _Rule(
                _customers(evaluations.filter(rating__in=POOR_CREDIT).exclude(Exists(newer))),
                {
                    "credit_latest": _first(evaluations, "rating", "-evaluated_on", "-id"),
                    "credit_evaluated_on": _first(evaluations, "evaluated_on", "-evaluated_on", "-id"),
                },
                lambda row: row.credit_latest in POOR_CREDIT,  # type: ignore[attr-defined]
            ),
        }

    def customers(self) -> QuerySet[Customer]:
        """The customers at risk, in order, each with `risk_count` (one query)."""
        if not self.signals:
            return Customer.objects.none()
        conditions = [self._rules[s].condition for s in self.signals]
        count = reduce(add, [Case(When(condition, then=1), default=0) for condition in conditions])
        return (
            Customer.objects.filter(reduce(or_, conditions))
            .annotate(risk_count=count)
            .order_by("-risk_count", "tier", "name", "id")
        )

    def with_signal(self, rows: QuerySet[Customer], signal: str) -> QuerySet[Customer]:
        """Only the rows on which `signal` (one of this analysis's) is on."""
        return rows.filter(self._rules[signal].condition)

    def explain(self, rows: Sequence[Customer]) -> None:
        """Give each of `rows` the figures its reasons quote and a `risk_<signal>` flag per signal
        (one query for all of them), and `churn_since`, the first day of the window."""
        figures = {name: value for s in self.signals for name, value in self._rules[s].figures.items()}
        found = Customer.objects.filter(pk__in=[row.pk for row in rows]).annotate(**figures).values("pk", *figures)
        by_pk = {values.pop("pk"): values for values in found} if rows and figures else {}
        for row in rows:
            for name, value in by_pk.get(row.pk, {}).items():
                setattr(row, name, value)
            for signal in self.signals:
                setattr(row, f"risk_{signal}", self._rules[signal].on(row))
            row.churn_since = self.since  # type: ignore[attr-defined]


def customers_at_risk(
    *,
    now: datetime | None = None,
    thresholds: Thresholds | None = None,
    signals: Iterable[str] | None = None,
) -> QuerySet[Customer]:
    """The customers at risk at `now`, in order (`ChurnAnalysis.customers`); for their reasons,
    use the analysis itself: `explain(rows)`, then `reasons(row)`."""
    return ChurnAnalysis(now=now, thresholds=thresholds, signals=signals).customers()


def _score(value: Any) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def reasons(row: Customer) -> list[tuple[str, str]]:
    """Each signal that is on for a row of the analysis (after `ChurnAnalysis.explain`), with its
    reason in words."""
    since = row.churn_since.isoformat()  # type: ignore[attr-defined]
    words = []
    for signal in Signal.values:
        if not getattr(row, f"risk_{signal}", False):
            continue
        if signal == Signal.NO_TRANSACTION:
            last = row.last_transaction_on  # type: ignore[attr-defined]
            if last is not None:
                text = gettext("no transaction since %(date)s") % {"date": last.isoformat()}
            else:
                added = timezone.localdate(row.created_at).isoformat()
                text = gettext("no transaction since it was added on %(date)s") % {"date": added}
        elif signal == Signal.REPEAT_COMPLAINTS:
            n = row.complaints_in_window  # type: ignore[attr-defined]
            text = ngettext("%(count)d complaint since %(date)s", "%(count)d complaints since %(date)s", n) % {
                "count": n,
                "date": since,
            }
        elif signal == Signal.UNSATISFIED_CALLBACK:
            n = row.unsatisfied_callbacks  # type: ignore[attr-defined]
            text = ngettext(
                "%(count)d unsatisfied call-back since %(date)s", "%(count)d unsatisfied call-backs since %(date)s", n
            ) % {"count": n, "date": since}
        elif signal == Signal.LOW_SURVEY:
            text = gettext("average survey score %(score)s of 5 since %(date)s") % {
                "score": _score(row.survey_average),  # type: ignore[attr-defined]
                "date": since,
            }
        elif signal == Signal.MISSED_VISITS:
            n = row.missed_visits_in_window  # type: ignore[attr-defined]
            text = ngettext("%(count)d missed visit since %(date)s", "%(count)d missed visits since %(date)s", n) % {
                "count": n,
                "date": since,
            }
        elif signal == Signal.TIER_DROP:
            old, new = row.tier_drop  # type: ignore[attr-defined]
            text = gettext("tier dropped from %(old)s to %(new)s on %(date)s") % {
                "old": old,
                "new": new,
                "date": timezone.localdate(row.tier_drop_at).isoformat(),  # type: ignore[attr-defined]
            }
        else:
            text = gettext("credit rated %(rating)s on %(date)s") % {
                "rating": row.credit_latest,  # type: ignore[attr-defined]
                "date": row.credit_evaluated_on.isoformat(),  # type: ignore[attr-defined]
            }
        words.append((signal, text))
    return words

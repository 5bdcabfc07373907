"""Creating and changing customers (R-CU1, R-CU3): the one place that saves a customer from
the pages, the API and the admin, and that re-plans the customer's visits when that is due —
a new customer gets the visits of the planning window at once, a new account manager takes
over the planned account-manager visits nobody holds, and a tier change re-plans the future.
A credit evaluation (R-CU7) is recorded here too, like a tier change.

Each function works inside one transaction: the visits are planned after the save, in the
same transaction, so a failed planning leaves no customer half-saved (and the admin's own
transaction simply includes it)."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from helpdesk.bounds import NOTE_MAX, day_in_range, out_of_range_message

from .models import CreditEvaluation, CreditRating, Customer, Tier, TierChange


def _plan(customer: Customer) -> None:
    from followups.planning import plan_visits

    plan_visits(customer_ids=[customer.pk])


def create_customer(customer: Customer | None = None, *, by, **fields) -> Customer:
    """Save a new customer and plan its visits at once (R-CU3). Either the fields, or an
    unsaved `customer` already filled in (a ModelForm's or the admin's), with `fields` on top.
    `by` is who creates it (kept for the record of the call; not stored today)."""
    customer = customer if customer is not None else Customer()
    for name, value in fields.items():
        setattr(customer, name, value)
    with transaction.atomic():
        customer.save()
        _plan(customer)
    return customer


def update_customer(customer: Customer, *, by, **fields) -> Customer:
    """Save the changes to a customer: the given `fields` set on it, plus whatever a form has
    already set on the instance. A different `tier` goes through `change_tier` (recorded with
    `tier_reason`, visits re-planned); a new account manager gets the planned visits (R-CU3)."""
    new_tier = fields.pop("tier", customer.tier)
    reason = fields.pop("tier_reason", None)
    with transaction.atomic():
        stored_manager = Customer.objects.filter(pk=customer.pk).values_list("account_manager_id", flat=True).first()
        for name, value in fields.items():
            setattr(customer, name, value)
        customer.save()
        if new_tier != customer.tier:
            change_tier(customer, new_tier=new_tier, reason=reason or "", by=by)  # re-plans too
        else:
            if reason is not None:
                customer.tier_reason = reason
                customer.save(update_fields=["tier_reason"])
            if customer.account_manager_id != stored_manager:
                _plan(customer)
    return customer


def change_tier(customer: Customer, *, new_tier: str, reason: str, by) -> TierChange:
    """R-CU1: the only way a tier changes. Records old and new tier, reason, who and when,
    and re-plans the customer's future visits (R-CU3)."""
    from followups.planning import replan_customer

    if new_tier not in Tier.values:
        raise ValidationError({"tier": gettext("Choose tier A, B or C.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"tier_reason": gettext("Give the reason for the tier change.")})
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if locked.tier == new_tier:
            raise ValidationError({"tier": gettext("The customer is already in tier %(tier)s.") % {"tier": new_tier}})
        change = TierChange.objects.create(
            customer=locked,
            old_tier=locked.tier,
            new_tier=new_tier,
            reason=reason,
            changed_by=by,
            changed_at=timezone.now(),
        )
        Customer.objects.filter(pk=customer.pk).update(tier=new_tier, tier_reason=reason)
        customer.tier, customer.tier_reason = new_tier, reason
        replan_customer(customer)
    return change


def evaluate_credit(customer: Customer, *, rating: str, basis: str, evaluated_on: date, by) -> CreditEvaluation:
    """R-CU7: record a credit evaluation (rating A–D, its basis, the day it refers to, who made
    it). The history is append-only; the archive's `credit_rating` follows the latest evaluation
    (by day, then by recording order), so a late-recorded older evaluation does not override a
    newer one. The evaluation row is itself the record of who and when (the archive access log
    has no action for a write, `AccessAction`). Who may do it is the caller's check
    (`customers.add_creditevaluation`)."""
    errors = {}
    if rating not in CreditRating.values:
        errors["rating"] = gettext("Choose a credit rating from A to D.")
    basis = (basis or "").strip()
    if not basis:
        errors["basis"] = gettext("Give the basis of the evaluation.")
    elif len(basis) > NOTE_MAX:
        errors["basis"] = gettext("Keep the basis to %(max)d characters.") % {"max": NOTE_MAX}
    if not isinstance(evaluated_on, date) or isinstance(evaluated_on, datetime):
        errors["evaluated_on"] = gettext("Enter the day of the evaluation.")
    elif not day_in_range(evaluated_on):
        errors["evaluated_on"] = out_of_range_message()
    elif evaluated_on > timezone.localdate():
        errors["evaluated_on"] = gettext("The evaluation cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        evaluation = CreditEvaluation.objects.create(
            customer=locked, rating=rating, basis=basis, evaluated_on=evaluated_on, evaluated_by=by
        )
        latest = locked.credit_evaluations.order_by("-evaluated_on", "-id").values_list("rating", flat=True)[0]
        if locked.credit_rating != latest:
            Customer.objects.filter(pk=locked.pk).update(credit_rating=latest)
        customer.credit_rating = latest
    return evaluation

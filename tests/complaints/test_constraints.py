"""The database itself holds the complaint invariants (STYLE: "invariants the database can
hold, it holds"): escalation level 0–3, reply due within 24 h of receipt (R-C5), a closed
complaint has a close reason and a closing time, an on-the-spot close has a sign-off (R-C4).

Rows are written straight to the database (factory / queryset update, no `full_clean`),
so only the CheckConstraints stand in the way.
"""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from complaints.choices import CloseReason, Status
from complaints.models import Complaint
from tests.factories import ComplaintFactory

DAY = timedelta(hours=24)


def refused(constraint: str | None = None, **fields):
    """Creating a complaint with `fields` fails with an IntegrityError (naming `constraint`)."""
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        ComplaintFactory(**fields)
    if constraint:
        assert constraint in str(exc.value)


def closed_fields(**overrides):
    fields = {"status": Status.CLOSED, "close_reason": CloseReason.CALLBACK_SATISFIED, "closed_at": timezone.now()}
    return {**fields, **overrides}


# ---------------------------------------------------------- escalation level
@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_levels_0_to_3_are_stored(db, level):
    complaint = ComplaintFactory(escalation_level=level)

    assert Complaint.objects.get(pk=complaint.pk).escalation_level == level


@pytest.mark.parametrize("level", [4, 100])
def test_level_above_3_is_refused(db, level):
    refused("complaint_level_0_3", escalation_level=level)


def test_negative_level_is_refused(db):
    refused(escalation_level=-1)


def test_update_past_level_3_is_refused(db):
    complaint = ComplaintFactory(escalation_level=3)

    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(escalation_level=4)

    assert Complaint.objects.get(pk=complaint.pk).escalation_level == 3


# ------------------------------------------------------------ reply window
def test_reply_due_exactly_24_hours_after_receipt_is_stored(db):
    received = timezone.now()

    complaint = ComplaintFactory(received_at=received, reply_due_at=received + DAY)

    assert Complaint.objects.get(pk=complaint.pk).reply_due_at == received + DAY


@pytest.mark.parametrize("late", [timedelta(seconds=1), timedelta(hours=1), timedelta(days=7)], ids=["1s", "1h", "7d"])
def test_reply_due_later_than_24_hours_after_receipt_is_refused(db, late):
    received = timezone.now()

    refused("complaint_reply_within_24h", received_at=received, reply_due_at=received + DAY + late)


def test_moving_receipt_later_than_allowed_by_the_reply_time_is_refused(db):
    complaint = ComplaintFactory()

    # moving the reply time on is refused, and so is moving the receipt back
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(reply_due_at=complaint.reply_due_at + timedelta(minutes=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(received_at=complaint.received_at - timedelta(minutes=1))

    assert Complaint.objects.get(pk=complaint.pk).reply_due_at == complaint.reply_due_at


# ---------------------------------------------------------------- closing
@pytest.mark.parametrize("reason", [r for r in CloseReason.values if r != CloseReason.ON_THE_SPOT])
def test_closed_with_reason_and_time_is_stored(db, reason):
    # a merged duplicate names the complaint it was merged into (below)
    extra = {"merged_into": ComplaintFactory()} if reason == CloseReason.MERGED else {}
    complaint = ComplaintFactory(**closed_fields(close_reason=reason), **extra)

    assert Complaint.objects.get(pk=complaint.pk).status == Status.CLOSED


def test_merged_without_the_complaint_it_was_merged_into_is_refused(db):
    refused("complaint_merged_has_target", **closed_fields(close_reason=CloseReason.MERGED))


def test_only_a_merged_duplicate_names_a_complaint_it_was_merged_into(db):
    target = ComplaintFactory()
    refused("complaint_merged_has_target", merged_into=target)
    refused(
        "complaint_merged_has_target", **closed_fields(close_reason=CloseReason.CALLBACK_SATISFIED), merged_into=target
    )


def test_closed_without_a_reason_is_refused(db):
    refused("complaint_closed_has_reason", **closed_fields(close_reason=""))


def test_closed_without_a_closing_time_is_refused(db):
    refused("complaint_closed_has_reason", **closed_fields(closed_at=None))


@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.CLOSED])
def test_open_complaint_with_a_close_reason_is_refused(db, status):
    refused("complaint_closed_has_reason", status=status, close_reason=CloseReason.AUTO_CLOSED)


def test_closing_by_update_without_a_reason_is_refused(db):
    complaint = ComplaintFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(status=Status.CLOSED, closed_at=timezone.now())

    assert Complaint.objects.get(pk=complaint.pk).status == Status.RECEIVED


def test_reopening_by_update_without_clearing_the_reason_is_refused(db):
    complaint = ComplaintFactory(**closed_fields())

    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(status=Status.IN_PROGRESS)

    assert Complaint.objects.get(pk=complaint.pk).status == Status.CLOSED


# ------------------------------------------------------------ on the spot
def test_on_the_spot_close_with_a_sign_off_is_stored(db):
    complaint = ComplaintFactory(**closed_fields(close_reason=CloseReason.ON_THE_SPOT), signoff_name="Li Wei")

    assert Complaint.objects.get(pk=complaint.pk).signoff_name == "Li Wei"


def test_on_the_spot_close_without_a_sign_off_is_refused(db):
    refused("complaint_on_the_spot_signed", **closed_fields(close_reason=CloseReason.ON_THE_SPOT), signoff_name="")


def test_erasing_the_sign_off_of_an_on_the_spot_close_is_refused(db):
    complaint = ComplaintFactory(**closed_fields(close_reason=CloseReason.ON_THE_SPOT), signoff_name="Li Wei")

    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(signoff_name="")

    assert Complaint.objects.get(pk=complaint.pk).signoff_name == "Li Wei"


# ------------------------------------------------------------- vocabulary
@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("status", "lost", "complaint_status_valid"),
        ("channel", "carrier_pigeon", "complaint_channel_valid"),
    ],
)
def test_unknown_status_or_channel_is_refused(db, field, value, constraint):
    refused(constraint, **{field: value})


def test_unknown_close_reason_is_refused(db):
    refused("complaint_close_reason_valid", **closed_fields(close_reason="gave_up"))


# ----------------------------------------- the lifecycle stays inside them
def test_every_stored_complaint_of_the_lifecycle_satisfies_the_constraints(agent):
    """Sanity: the constraints do not refuse what the lifecycle methods legitimately write."""
    complaint = ComplaintFactory(office=agent.office, received_by=agent)
    complaint.refresh_from_db()

    complaint.agree_reply_time(actor=agent, reply_due_at=complaint.received_at + DAY)
    for _ in range(2):
        complaint.move_up(actor=agent, cause="beyond_authority")
    complaint.move_up(  # level 3: to an outside body (issue 13)
        actor=agent,
        cause="beyond_authority",
        outside_body_kind="owners_committee",
        outside_body_name="Owners' committee",
        outside_body_contact="Chair Mr Li, 139 0000 0000",
    )
    complaint.resolve_on_the_spot(actor=agent, resolution="Explained.", signoff_name="Li Wei", satisfied=True)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.escalation_level, complaint.close_reason) == (
        Status.CLOSED,
        3,
        CloseReason.ON_THE_SPOT,
    )

"""How to bring a complaint to any status, through the lifecycle methods only (shared by the
model tests and the API tests)."""

from complaints.choices import Status as S
from complaints.models import Complaint
from tests.factories import ComplaintFactory


def _propose(c, actor):
    c.propose_solution(actor=actor, solution="Repair the lift today and waive this month's fee.")


def _accept(c, actor):
    c.record_answer(actor=actor, accepted=True, note="The owner agrees.")


def _handle(c, actor):
    c.mark_handled(actor=actor, note="The lift was repaired at 15:00.")


# How to reach each status from `received`, through the lifecycle methods only.
PATHS = {
    S.RECEIVED: [],
    S.IN_PROGRESS: [lambda c, a: c.reply(actor=a, note="We are looking into it.")],
    S.SOLUTION_PROPOSED: [_propose],
    S.HANDLING: [_propose, _accept],
    S.RESOLVED: [_propose, _accept, _handle],
    S.CALLBACK_DECLINED: [_propose, _accept, _handle, lambda c, a: c.decline_callback(actor=a)],
    S.CLOSED: [
        lambda c, a: c.resolve_on_the_spot(
            actor=a, resolution="Explained the lift maintenance schedule.", signoff_name="Li Wei", satisfied=True
        )
    ],
}


def complaint_in(status: str, actor, **kwargs) -> Complaint:
    """A complaint of `actor`'s office (received by `actor`), moved to `status`."""
    complaint = ComplaintFactory(office=actor.office, received_by=actor, **kwargs)
    for step in PATHS[status]:
        step(complaint, actor)
    complaint.refresh_from_db()  # the values exactly as the database returns them
    assert complaint.status == status
    return complaint


def row(complaint) -> dict:
    """Every stored column of the complaint (to prove that nothing changed)."""
    return Complaint.objects.filter(pk=complaint.pk).values().get()

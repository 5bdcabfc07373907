"""Every transition re-reads the complaint under a row lock (`select_for_update`), so two
people (or a person and a periodic job) acting on the same complaint at once are
serialised: the second waits for the first to commit, then acts on what it committed.

PostgreSQL only (SQLite locks the whole database and ignores `select_for_update`). Each
test runs real threads with their own database connections, committed data
(`transaction=True`) and a `serialized_rollback`, so that the seeded role groups,
categories and departments are back for the next test. Every wait is bounded: the threads
join with a timeout, and each connection has a `lock_timeout` and `statement_timeout`.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction

from complaints.choices import CallbackMethod, EscalationCause, EventKind, Status
from complaints.exceptions import InvalidTransition
from complaints.models import Complaint, ComplaintEvent
from tests.factories import ComplaintFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite ignores select_for_update)"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WAIT = 10  # seconds: the longest any thread, lock or event wait may take in these tests
S = Status


@pytest.fixture(scope="module", autouse=True)
def leave_the_seeded_data_behind(django_db_setup, django_db_blocker):
    """`serialized_rollback` restores the migrations' data at the start of each of these
    tests, but the flush after the last one empties the tables; put the data back so the
    next transactional test of the session (which may not restore it) finds it."""
    yield
    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with django_db_blocker.unblock():
            connection.creation.deserialize_db_from_string(contents)


# ------------------------------------------------------------------ threads
class Worker(threading.Thread):
    """Runs `fn` on its own database connection, records its result or error, and always
    closes the connection at the end."""

    def __init__(self, fn, name: str):
        super().__init__(name=name, daemon=True)
        self.fn = fn
        self.pid: int | None = None
        self.connected = threading.Event()
        self.result = None
        self.error: BaseException | None = None

    def run(self):
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = '{WAIT}s'")
                cursor.execute(f"SET statement_timeout = '{WAIT}s'")
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.connected.set()
            self.result = self.fn()
        except BaseException as exc:  # handed to the test thread by finish()
            self.error = exc
        finally:
            self.connected.set()
            connection.close()

    def finish(self) -> BaseException | None:
        """Wait (bounded) for the thread to end; return the error it raised, if any."""
        self.join(WAIT)
        assert not self.is_alive(), f"{self.name} did not finish within {WAIT}s"
        return self.error

    def finish_ok(self):
        error = self.finish()
        if error is not None:
            raise error
        return self.result


class Threads:
    def __init__(self):
        self.workers: list[Worker] = []
        self.gates: list[threading.Event] = []

    def start(self, fn, name: str) -> Worker:
        worker = Worker(fn, name)
        self.workers.append(worker)
        worker.start()
        assert worker.connected.wait(WAIT), f"{name} could not connect"
        return worker

    def gate(self) -> threading.Event:
        """An event the test opens; opened anyway at teardown so no thread is left waiting."""
        event = threading.Event()
        self.gates.append(event)
        return event


@pytest.fixture
def threads(db):
    pool = Threads()
    yield pool
    for gate in pool.gates:
        gate.set()
    for worker in pool.workers:
        worker.join(WAIT)
    assert not any(w.is_alive() for w in pool.workers), "a thread was left running"


def wait_until_blocked(waiter: Worker, *, by: Worker) -> None:
    """Return once PostgreSQL reports `waiter` waiting for a lock held by `by`."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_blocking_pids(%s)", [waiter.pid])
            if by.pid in cursor.fetchone()[0]:
                return
        assert waiter.is_alive(), f"{waiter.name} finished without waiting for the lock: {waiter.error!r}"
        time.sleep(0.01)
    pytest.fail(f"{waiter.name} never waited for the lock held by {by.name}")


# ----------------------------------------------------------------- complaints
def _propose(c, a):
    c.propose_solution(actor=a, solution="Replace the motor.")


def _accept(c, a):
    c.record_answer(actor=a, accepted=True)


def _handle(c, a):
    c.mark_handled(actor=a, note="Repaired.")


PATHS = {
    S.RECEIVED: [],
    S.SOLUTION_PROPOSED: [_propose],
    S.HANDLING: [_propose, _accept],
    S.RESOLVED: [_propose, _accept, _handle],
    S.CALLBACK_DECLINED: [_propose, _accept, _handle, lambda c, a: c.decline_callback(actor=a)],
}


def complaint_in(status, actor, **kwargs) -> Complaint:
    complaint = ComplaintFactory(office=actor.office, received_by=actor, **kwargs)
    for step in PATHS[status]:
        step(complaint, actor)
    complaint.refresh_from_db()
    assert complaint.status == status
    return complaint


def kinds(complaint) -> list[str]:
    return list(ComplaintEvent.objects.filter(complaint=complaint).order_by("id").values_list("kind", flat=True))


def resolve(complaint, actor, name="Li Wei"):
    return lambda: complaint.resolve_on_the_spot(
        actor=actor, resolution="Explained.", signoff_name=name, satisfied=True
    )


# --------------------------------------------------------- a lock is taken
def test_transition_waits_for_the_row_lock_then_acts_on_the_committed_row(agent, threads):
    # given another transaction holds the row lock and has changed the row
    complaint = complaint_in(S.RECEIVED, agent)
    locked, release = threading.Event(), threads.gate()

    def hold_lock():
        with transaction.atomic():
            Complaint.objects.select_for_update().get(pk=complaint.pk)
            Complaint.objects.filter(pk=complaint.pk).update(escalation_level=2, is_emotional=True)
            locked.set()
            assert release.wait(WAIT), "the test never released the lock"

    holder = threads.start(hold_lock, "holder")
    assert locked.wait(WAIT)

    # when a transition is called meanwhile
    resolver = threads.start(resolve(complaint, agent), "resolver")

    # then it waits for the lock and has written nothing yet
    wait_until_blocked(resolver, by=holder)
    assert Complaint.objects.get(pk=complaint.pk).status == S.RECEIVED
    assert kinds(complaint) == []

    # and once the holder commits it goes on, from the row as the holder left it
    release.set()
    holder.finish_ok()
    resolver.finish_ok()
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.status == S.CLOSED
    assert (stored.escalation_level, stored.is_emotional) == (2, True)  # the holder's change is not lost
    event = stored.events.get()
    assert (event.kind, event.from_level, event.to_level) == (EventKind.RESOLVED_ON_THE_SPOT, 2, 2)
    assert complaint.escalation_level == 2  # the caller's object was refreshed from the locked row


def test_transition_that_waited_for_a_closing_transaction_is_refused(agent, threads):
    # given another transaction has closed the complaint and still holds the lock
    complaint = complaint_in(S.RECEIVED, agent)
    stale = Complaint.objects.get(pk=complaint.pk)
    locked, release = threading.Event(), threads.gate()

    def close_and_hold():
        with transaction.atomic():
            mine = Complaint.objects.select_for_update().get(pk=complaint.pk)
            mine.resolve_on_the_spot(actor=agent, resolution="Explained.", signoff_name="Li Wei", satisfied=True)
            locked.set()
            assert release.wait(WAIT), "the test never released the lock"

    holder = threads.start(close_and_hold, "holder")
    assert locked.wait(WAIT)

    # when the stale object agrees a reply time meanwhile
    waiter = threads.start(
        lambda: stale.agree_reply_time(actor=agent, reply_due_at=stale.received_at + timedelta(hours=12)), "waiter"
    )
    wait_until_blocked(waiter, by=holder)
    release.set()
    holder.finish_ok()

    # then, once it gets the lock, it sees the complaint closed and refuses
    assert isinstance(waiter.finish(), InvalidTransition)
    assert Complaint.objects.get(pk=complaint.pk).status == S.CLOSED
    assert kinds(complaint) == [EventKind.RESOLVED_ON_THE_SPOT]


def test_step_that_waited_for_the_lock_is_logged_after_the_step_it_waited_for(agent, threads):
    # given a transaction holds the lock, and another move up is already waiting for it
    complaint = complaint_in(S.RECEIVED, agent)
    stale = Complaint.objects.get(pk=complaint.pk)
    locked, go_on = threading.Event(), threads.gate()

    def lock_then_move_up():
        with transaction.atomic():
            mine = Complaint.objects.select_for_update().get(pk=complaint.pk)
            locked.set()
            assert go_on.wait(WAIT), "the test never let the holder go on"
            mine.move_up(actor=agent, cause=EscalationCause.EMOTIONAL)

    holder = threads.start(lock_then_move_up, "holder")
    assert locked.wait(WAIT)
    waiter = threads.start(lambda: stale.move_up(actor=agent, cause=EscalationCause.BEYOND_AUTHORITY), "waiter")
    wait_until_blocked(waiter, by=holder)

    # when the holder moves it up first and commits, then the waiter moves it up
    go_on.set()
    holder.finish_ok()
    waiter.finish_ok()

    # then the history, in its own order (time), reads as it happened (R-C11)
    history = list(Complaint.objects.get(pk=complaint.pk).events.all())
    assert [(e.data["escalation_cause"], e.from_level, e.to_level) for e in history] == [
        (EscalationCause.EMOTIONAL, 0, 1),
        (EscalationCause.BEYOND_AUTHORITY, 1, 2),
    ]
    assert history[0].created_at <= history[1].created_at


# ----------------------------------------------------------------- races
RACES = {
    "resolve_on_the_spot": (
        S.RECEIVED,
        EventKind.RESOLVED_ON_THE_SPOT,
        lambda c, a: c.resolve_on_the_spot(actor=a, resolution="Explained.", signoff_name="Li Wei", satisfied=True),
    ),
    "propose_solution": (
        S.RECEIVED,
        EventKind.SOLUTION_PROPOSED,
        lambda c, a: c.propose_solution(actor=a, solution="Replace the motor."),
    ),
    "record_answer": (
        S.SOLUTION_PROPOSED,
        EventKind.SOLUTION_ACCEPTED,
        lambda c, a: c.record_answer(actor=a, accepted=True),
    ),
    "mark_handled": (S.HANDLING, EventKind.HANDLED, lambda c, a: c.mark_handled(actor=a, note="Repaired.")),
    "record_callback": (
        S.RESOLVED,
        EventKind.CALLBACK_RECORDED,
        lambda c, a: c.record_callback(actor=a, method=CallbackMethod.PHONE, satisfied=True),
    ),
    "decline_callback": (S.RESOLVED, EventKind.CALLBACK_DECLINED, lambda c, a: c.decline_callback(actor=a)),
    "auto_close": (S.CALLBACK_DECLINED, EventKind.AUTO_CLOSED, lambda c, a: c.auto_close()),
}


def race(threads, calls) -> list[BaseException | None]:
    """Start every call at the same moment, each in its own thread; return their errors."""
    barrier = threading.Barrier(len(calls), timeout=WAIT)

    def at_once(call):
        def run():
            barrier.wait()
            return call()

        return run

    workers = [threads.start(at_once(call), f"racer-{i}") for i, call in enumerate(calls)]
    return [worker.finish() for worker in workers]


@pytest.mark.parametrize("name", list(RACES))
def test_two_racing_transitions_exactly_one_wins(agent, threads, name):
    # given two people hold their own (soon stale) copy of the same complaint
    status, kind, call = RACES[name]
    complaint = complaint_in(status, agent)
    kinds_before = kinds(complaint)
    copies = [Complaint.objects.get(pk=complaint.pk) for _ in range(2)]

    # when both take the same step at the same moment
    errors = race(threads, [lambda c=c: call(c, agent) for c in copies])

    # then one succeeds, the other is refused, and the step is logged once
    assert sorted(type(e).__name__ for e in errors) == ["InvalidTransition", "NoneType"], errors
    assert kinds(complaint) == [*kinds_before, kind]


def test_two_racing_agreements_of_the_same_reply_time_log_it_once(agent, threads):
    complaint = complaint_in(S.RECEIVED, agent)
    due = complaint.received_at + timedelta(hours=12)
    copies = [Complaint.objects.get(pk=complaint.pk) for _ in range(2)]

    errors = race(threads, [lambda c=c: c.agree_reply_time(actor=agent, reply_due_at=due) for c in copies])

    # the second, seeing the first's result, has nothing left to change
    assert errors == [None, None]
    assert kinds(complaint) == [EventKind.REPLY_TIME_AGREED]
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.status, stored.reply_due_at) == (S.IN_PROGRESS, due)


def test_two_racing_moves_up_both_count(agent, threads):
    complaint = complaint_in(S.RECEIVED, agent)
    copies = [Complaint.objects.get(pk=complaint.pk) for _ in range(2)]

    errors = race(threads, [lambda c=c: c.move_up(actor=agent, cause=EscalationCause.EMOTIONAL) for c in copies])

    assert errors == [None, None]
    assert Complaint.objects.get(pk=complaint.pk).escalation_level == 2  # no lost update
    levels = sorted(complaint.events.values_list("from_level", "to_level"))
    assert levels == [(0, 1), (1, 2)]


def test_two_racing_moves_up_to_the_last_level_exactly_one_wins(agent, threads):
    complaint = complaint_in(S.RECEIVED, agent, escalation_level=2)
    copies = [Complaint.objects.get(pk=complaint.pk) for _ in range(2)]
    body = {  # level 3 records the outside body (issue 13)
        "outside_body_kind": "owners_committee",
        "outside_body_name": "Owners' committee",
        "outside_body_contact": "Chair Mr Li, 139 0000 0000",
    }

    errors = race(
        threads, [lambda c=c: c.move_up(actor=agent, cause=EscalationCause.EMOTIONAL, **body) for c in copies]
    )

    [refused] = [e for e in errors if e is not None]
    assert isinstance(refused, InvalidTransition)
    assert refused.code == "max_escalation_level"
    assert Complaint.objects.get(pk=complaint.pk).escalation_level == 3
    assert kinds(complaint) == [EventKind.MOVED_UP]


def test_resolve_racing_a_move_up_both_apply_in_some_order(agent, threads, supervisor):
    # a receiver closes on the spot while a colleague moves the complaint up: whichever
    # comes second sees the first's result, and nothing is lost or half-applied
    complaint = complaint_in(S.RECEIVED, agent)
    first, second = (Complaint.objects.get(pk=complaint.pk) for _ in range(2))

    errors = race(
        threads,
        [
            resolve(first, agent),
            lambda: second.move_up(actor=agent, cause=EscalationCause.EMOTIONAL, to_user=supervisor),
        ],
    )

    stored = Complaint.objects.get(pk=complaint.pk)
    if errors == [None, None]:  # moved up first, then resolved at level 1
        assert kinds(complaint) == [EventKind.MOVED_UP, EventKind.RESOLVED_ON_THE_SPOT]
        assert (stored.status, stored.escalation_level, stored.assignee) == (S.CLOSED, 1, supervisor)
    else:  # resolved first; moving a closed complaint up is refused
        assert errors[0] is None and isinstance(errors[1], InvalidTransition)
        assert kinds(complaint) == [EventKind.RESOLVED_ON_THE_SPOT]
        assert (stored.status, stored.escalation_level, stored.assignee) == (S.CLOSED, 0, agent)


def test_two_agents_racing_to_claim_an_online_complaint_exactly_one_wins(agent, make_user, threads):
    # given an online complaint nobody has claimed, and two agents who both see it unclaimed
    complaint = complaint_in(S.RECEIVED, agent)
    Complaint.objects.filter(pk=complaint.pk).update(channel="online", received_by=None, assignee=None)
    colleague = make_user("agent", username="colleague-racer")
    copies = [Complaint.objects.get(pk=complaint.pk) for _ in range(2)]

    # when both claim it at the same moment
    errors = race(threads, [lambda: copies[0].claim(actor=agent), lambda: copies[1].claim(actor=colleague)])

    # then one is its receiver, the other is told it was claimed already, and one claim is logged
    assert sorted(type(e).__name__ for e in errors) == ["InvalidTransition", "NoneType"], errors
    assert [e.code for e in errors if e is not None] == ["already_claimed"]
    complaint.refresh_from_db()
    winner = agent if errors[0] is None else colleague
    assert complaint.received_by == complaint.assignee == winner
    assert kinds(complaint).count(EventKind.CLAIMED) == 1


# ------------------------------------------------------------ merging duplicates
def wait_until_waiting(waiter: Worker) -> None:
    """Return once PostgreSQL reports `waiter` waiting for a lock (held by anyone)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_blocking_pids(%s)", [waiter.pid])
            if cursor.fetchone()[0]:
                return
        assert waiter.is_alive(), f"{waiter.name} finished without waiting for a lock: {waiter.error!r}"
        time.sleep(0.01)
    pytest.fail(f"{waiter.name} never waited for a lock")


def test_two_supervisors_merging_a_into_b_and_b_into_a_at_once_exactly_one_wins(agent, make_user, threads):
    """Issue 14: each merge locks both complaints, the lower id first. Both merges are made to
    be under way at once — each has started while a third transaction holds the lower row — so
    that, locking in any other order (each its own row first), the B-into-A merge would hold B
    and wait for A while the A-into-B merge holds A and waits for B: a deadlock. In one order
    they queue instead, and the second sees the first's merge and is refused (a circle)."""
    # given two complaints, each taken by a supervisor for a duplicate of the other
    a, b = complaint_in(S.RECEIVED, agent), complaint_in(S.RECEIVED, agent)
    assert a.pk < b.pk
    first, second = make_user("supervisor", username="sup-a"), make_user("supervisor", username="sup-b")
    a_copy, b_copy = Complaint.objects.get(pk=a.pk), Complaint.objects.get(pk=b.pk)
    a_target, b_target = Complaint.objects.get(pk=b.pk), Complaint.objects.get(pk=a.pk)
    locked, release = threading.Event(), threads.gate()

    def hold_the_lower_row():
        with transaction.atomic():
            Complaint.objects.select_for_update().get(pk=a.pk)
            locked.set()
            assert release.wait(WAIT), "the test never released the lock"

    holder = threads.start(hold_the_lower_row, "holder")
    assert locked.wait(WAIT)

    # when both merge meanwhile, A into B and B into A
    a_into_b = threads.start(lambda: a_copy.merge_into(first, target=a_target, note="A repeats B."), "a-into-b")
    wait_until_blocked(a_into_b, by=holder)
    b_into_a = threads.start(lambda: b_copy.merge_into(second, target=b_target, note="B repeats A."), "b-into-a")
    wait_until_waiting(b_into_a)
    release.set()
    holder.finish_ok()
    errors = [a_into_b.finish(), b_into_a.finish()]

    # then exactly one merge happened, the other was refused as a circle (no deadlock, no timeout)
    assert sorted(type(e).__name__ for e in errors) == ["NoneType", "ValidationError"], errors
    [refused] = [e for e in errors if e is not None]
    assert [e.code for e in refused.error_dict["target"]] == ["merge_cycle"]
    winner, loser = (a, b) if errors[0] is None else (b, a)
    stored_winner, stored_loser = Complaint.objects.get(pk=winner.pk), Complaint.objects.get(pk=loser.pk)
    assert (stored_winner.status, stored_winner.merged_into_id) == (S.CLOSED, loser.pk)
    assert (stored_loser.status, stored_loser.merged_into_id) == (S.RECEIVED, None)
    assert kinds(winner) == [EventKind.MERGED]
    assert kinds(loser) == [EventKind.DUPLICATE_MERGED_IN]


def test_two_supervisors_merging_one_duplicate_into_two_complaints_exactly_one_wins(agent, make_user, threads):
    duplicate = complaint_in(S.RECEIVED, agent)
    targets = [complaint_in(S.RECEIVED, agent), complaint_in(S.RECEIVED, agent)]
    supervisors = [make_user("supervisor", username=f"sup-{i}") for i in range(2)]
    copies = [Complaint.objects.get(pk=duplicate.pk) for _ in range(2)]

    errors = race(
        threads,
        [lambda i=i: copies[i].merge_into(supervisors[i], target=targets[i], note="The same leak.") for i in range(2)],
    )

    # the second finds the duplicate closed already: one merge, one event on one target
    assert sorted(type(e).__name__ for e in errors) == ["InvalidTransition", "NoneType"], errors
    winner = targets[errors.index(None)]
    assert Complaint.objects.get(pk=duplicate.pk).merged_into_id == winner.pk
    assert kinds(duplicate) == [EventKind.MERGED]
    assert [kinds(t) for t in targets].count([EventKind.DUPLICATE_MERGED_IN]) == 1

"""In-process measurement: each workload through Django's test client (the whole middleware
stack and the view, no network, no WSGI server), as the demo user it names, with DEBUG off.

Time is wall time (`perf_counter`) from the request to the last byte of the body (a streamed
response is read to its end). Queries are counted on every run by a connection execute
wrapper (a counter, nothing stored); the SQL itself is captured once, on the last warm-up run
(CaptureQueriesContext), for the JSON. Workloads run in rounds — every workload once per
round — so that a change of machine load touches all of them alike, the floor included.

The periodic sweeps run the task's function in this process: with their due rows inside a
transaction that is rolled back (so every run finds the same rows; the figure leaves out the
COMMIT and the notification e-mails queued after it), and idle after the due rows were
committed (by the Celery worker, benchmarks/worker.py, or here).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.http import HttpResponseBase
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .workloads import Fixtures, Workload, complaint_pk_from

SQL_MAX = 2000  # characters kept of each captured query


class WorkloadFailed(Exception):
    """A workload answered with another status than it must: the figures would mean nothing."""


def summary(samples: list[float]) -> dict[str, float | int | None]:
    """Median, p95 (nearest rank: the value below which 95 % of the runs fall), min, max."""
    if not samples:
        return {"n": 0, "median": None, "p95": None, "min": None, "max": None}
    ordered = sorted(samples)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 3),
        "p95": round(ordered[rank - 1], 3),
        "min": round(ordered[0], 3),
        "max": round(ordered[-1], 3),
    }


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting() -> Iterator[QueryCounter]:
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


@dataclass
class WorkloadRecord:
    """Everything measured of one workload: the timed runs and the warm-up's SQL."""

    workload: Workload
    role: str
    path: str = ""
    samples_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    warmup_queries: int | None = None

    def as_json(self) -> dict[str, Any]:
        w = self.workload
        return {
            "key": w.key,
            "title": w.title,
            "method": w.method,
            "role": self.role or "anonymous",
            "path": self.path,
            "expect": w.expect,
            "status": self.statuses[-1] if self.statuses else None,
            "statuses": sorted(set(self.statuses)),
            "ms": summary(self.samples_ms),
            "samples_ms": [round(s, 3) for s in self.samples_ms],
            "queries": max(self.queries) if self.queries else self.warmup_queries,
            "queries_min": min(self.queries) if self.queries else None,
            "bytes": self.bytes[-1] if self.bytes else None,
            "budget": w.budget.describe() if w.budget else None,
            "sql": self.sql,
        }


class InProcess:
    """One logged-in test client per demo role (and one anonymous)."""

    def __init__(self, fixtures: Fixtures):
        self.fixtures = fixtures
        self.clients: dict[str, Client] = {}

    def client(self, role: str) -> Client:
        if role not in self.clients:
            client = Client()
            if role:
                user = get_user_model().objects.get(pk=self.fixtures.user_ids[role])
                client.force_login(user, backend=login_backend())
            self.clients[role] = client
        return self.clients[role]

    def run(self, record: WorkloadRecord, run: int, *, timed: bool, capture: bool = False) -> None:
        w = record.workload
        if w.prepare is not None:
            w.prepare(self.fixtures)
        call = w.call(self.fixtures, run)
        client = self.client(record.role)
        captured = CaptureQueriesContext(connection) if capture else None
        with counting() as counter:
            if captured is not None:
                captured.__enter__()
            try:
                started = time.perf_counter()
                if w.method == "POST":
                    response = client.post(call.path, call.data or {})
                else:
                    response = client.get(call.path)
                body = _read(response)
                elapsed_ms = (time.perf_counter() - started) * 1000
            finally:
                if captured is not None:
                    captured.__exit__(None, None, None)
        client.cookies.pop("messages", None)  # the POSTs' flash messages would pile up in the cookie
        record.path = call.path.split("?")[0] if w.method == "POST" else call.path
        if response.status_code != w.expect:
            raise WorkloadFailed(
                f"{w.key} ({w.title}) as {record.role or 'anonymous'}: {w.method} {call.path} answered "
                f"{response.status_code}, not {w.expect}. Body: {body[:600].decode(errors='replace')}"
            )
        if w.logs_complaint:
            self.fixtures.intake_pks.append(complaint_pk_from(response["Location"]))
        if captured is not None:
            record.sql = [q["sql"][:SQL_MAX] for q in captured.captured_queries]
            record.warmup_queries = counter.count
        if timed:
            record.samples_ms.append(elapsed_ms)
            record.queries.append(counter.count)
            record.statuses.append(response.status_code)
            record.bytes.append(len(body))


def login_backend() -> str:
    """The backend a password login ends on, whose `get_user` then serves every request of the
    session: the first one after django-axes' (which only refuses locked-out users)."""
    for path in settings.AUTHENTICATION_BACKENDS:
        if not path.startswith("axes."):
            return path
    raise ValueError("No authentication backend besides django-axes'.")


def _read(response: HttpResponseBase) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined]


def run_pages(
    workloads: tuple[Workload, ...],
    fixtures: Fixtures,
    *,
    runs: int,
    warmups: int,
    first_run: int,
    progress: Callable[[str], None],
) -> list[WorkloadRecord]:
    """`warmups` rounds (the last one captures the SQL), then `runs` timed rounds."""
    runner = InProcess(fixtures)
    records = [WorkloadRecord(w, w.role_for(fixtures)) for w in workloads]
    run = first_run
    for round_ in range(warmups + runs):
        timed = round_ >= warmups
        for record in records:
            runner.run(record, run, timed=timed, capture=round_ == warmups - 1 or (warmups == 0 and round_ == 0))
            run += 1
        progress(f"in-process round {round_ + 1}/{warmups + runs}{'' if timed else ' (warm-up)'}")
    return records


# ------------------------------------------------------------------------------ sweeps
@dataclass
class SweepRun:
    ms: float
    queries: int
    counts: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {"ms": round(self.ms, 3), "queries": self.queries, "counts": self.counts}


def sweep_once(sweep: Callable[..., dict[str, int]], *, rollback: bool) -> SweepRun:
    """One run of a sweep function; inside a transaction rolled back afterwards if `rollback`
    (its batches' own transactions become savepoints; their on-commit work is dropped)."""
    with counting() as counter:
        if rollback:
            with transaction.atomic():
                started = time.perf_counter()
                counts = sweep()
                elapsed = time.perf_counter() - started
                transaction.set_rollback(True)
        else:
            started = time.perf_counter()
            counts = sweep()
            elapsed = time.perf_counter() - started
    return SweepRun(ms=elapsed * 1000, queries=counter.count, counts=dict(counts))

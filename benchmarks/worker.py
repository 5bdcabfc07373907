"""The periodic sweeps in a real Celery worker: `celery -A helpdesk worker --pool=solo` (the
task runs in the worker process itself) under production settings (benchmarks/settings.py) on
the database under test, with a broker and a result store of its own — kombu's filesystem
transport and Celery's file result backend in a temporary folder, so no other worker can take
the bench's messages and nothing is left on a shared Redis.

Each sweep task is sent once, in turn, with the due rows the data holds: this is the
committed run (it changes the data: the idle runs come after it). Its runtime is the one the
worker logs (helpdesk.logs: `runtime_ms` of the task's JSON line), its result the task's counts,
its memory the worker's peak RSS during the task (reset before each, /proc/<pid>/clear_refs).
The notification e-mails the sweeps queue go to a queue the worker does not consume.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from . import processes
from .measure import WorkloadFailed

SWEEP_QUEUE = "bench-sweeps"
OTHER_QUEUE = "bench-unconsumed"  # what the sweeps publish (notification e-mails): never consumed
START_TIMEOUT = 90.0
TASK_TIMEOUT = 900.0


def _broker_options(folder: Path) -> dict[str, Any]:
    queue = folder / "broker" / "queue"
    return {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(folder / "broker" / "processed"),
        "control_folder": str(folder / "broker" / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }


def _log_lines(log: Path) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return lines
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def _wait_for_log(log: Path, predicate: Any, timeout: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in _log_lines(log):
            if predicate(line):
                return line
        time.sleep(0.1)
    return None


def _result(folder: Path, task_id: str, timeout: float) -> dict[str, Any] | None:
    """The task's result as Celery's file backend stored it (read directly: the client never
    asks a result backend, which CELERY_RESULT_BACKEND in the environment would redirect)."""
    path = folder / "results" / f"celery-task-meta-{task_id}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            meta: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError):
            time.sleep(0.05)
            continue
        return meta
    return None


def run_sweeps(task_names: dict[str, str], folder: Path, *, progress: Any) -> dict[str, Any]:
    """Start the worker, send each task of `task_names` ({sweep: task name}) once, stop it."""
    from celery import Celery
    from kombu import Connection

    for sub in ("broker/queue", "broker/processed", "broker/control", "results"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    log = folder / "celery-worker.log"
    env = processes.worker_environment(
        site_url="http://127.0.0.1",
        extra={
            "CELERY_BROKER_URL": "filesystem://",
            "CELERY_QUEUE_DIR": str(folder / "broker"),
            "CELERY_RESULT_BACKEND": f"file://{folder / 'results'}",
            "HELPDESK_CELERY_QUEUE": OTHER_QUEUE,
        },
    )
    node = f"bench-{uuid.uuid4().hex[:8]}@%h"
    handle = log.open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            processes.python(),
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            "--pool=solo",
            "-Q",
            SWEEP_QUEUE,
            "-n",
            node,
            "--loglevel=info",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=processes.ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    # The messages go through an explicit connection: a Celery app's own broker setting would
    # lose to CELERY_BROKER_URL in this process's environment (a shared Redis, in CI).
    app = Celery("bench-client", set_as_current=False)
    app.conf.task_serializer = "json"
    broker = Connection("filesystem://", transport_options=_broker_options(folder))
    try:
        ready = _wait_for_log(log, lambda line: str(line.get("message", "")).endswith("ready."), START_TIMEOUT)
        if process.poll() is not None or ready is None:
            raise WorkloadFailed(f"The Celery worker did not start (exit {process.poll()}): see {log}")
        pid = process.pid
        at_start = processes.proc_status(pid)
        progress(f"Celery worker pid {pid} ready ({time.perf_counter() - started:.1f} s)")
        results: dict[str, Any] = {}
        for sweep, task_name in task_names.items():
            processes.reset_peak(pid)
            before = processes.proc_status(pid)
            sent = time.perf_counter()
            task_id = app.send_task(task_name, queue=SWEEP_QUEUE, connection=broker).id
            meta = _result(folder, task_id, TASK_TIMEOUT)
            wall = (time.perf_counter() - sent) * 1000
            if meta is None or meta.get("status") != "SUCCESS":
                # a finding, not the end of the bench: recorded, and `bench` commits the rest itself
                failure = (meta or {}).get("result") or f"no result within {TASK_TIMEOUT:.0f} s"
                results[sweep] = {"task": task_name, "error": str(failure)[:2000], "wall_ms": round(wall, 1)}
                progress(f"Celery {sweep}: did not succeed ({str(failure)[:200]}); see {log}")
                if process.poll() is not None:
                    raise WorkloadFailed(f"The Celery worker exited with {process.returncode}: see {log}")
                continue
            line = _wait_for_log(
                log, lambda line, task_id=task_id: line.get("task_id") == task_id and line.get("runtime_ms"), 10
            )
            after = processes.proc_status(pid)
            counts = meta.get("result") or {}
            results[sweep] = {
                "task": task_name,
                "counts": counts,
                "runtime_ms": line.get("runtime_ms") if line else None,
                "wall_ms": round(wall, 1),  # send to result: adds the broker's and result store's polling
                "rss_before_mib": processes.mib(before.get("VmRSS")),
                "peak_rss_mib": processes.mib(after.get("VmHWM")),
                "rss_after_mib": processes.mib(after.get("VmRSS")),
            }
            progress(f"Celery {sweep}: {counts} in {results[sweep]['runtime_ms']} ms")
        peaks = [int((r.get("peak_rss_mib") or 0) * processes.MIB) for r in results.values()]
        peak = max([at_start.get("VmHWM", 0), *peaks])
        return {
            "worker": "celery -A helpdesk worker --pool=solo (tasks run in the worker process), benchmarks.settings",
            "rss_after_start_mib": processes.mib(at_start.get("VmRSS")),
            "peak_rss_mib": processes.mib(peak),
            "sweeps": results,
            "log": str(log),
        }
    finally:
        broker.release()
        # its work is done (or failed): a cold shutdown, not the warm one that waits for the broker
        processes.stop(process, timeout=60, how=signal.SIGQUIT)

"""Celery tasks of the timing rules (R-T1 … R-T4). Thin: each calls the set-based sweep
(complaints/sweeps.py) and returns its counts.

Idempotent (a guard column per rule: a complaint is handled once however often the sweep
runs), so it is safe to run a task again: acks_late (the message is acknowledged after the
task ends, so a worker that dies mid-sweep leaves it to the broker, which hands it to
another worker after the visibility timeout) and reject_on_worker_lost (a killed pool child
puts the message back at once instead of failing it with WorkerLostError). A sweep killed
mid-batch is rolled back by PostgreSQL; the next run does that batch, exactly once."""

import logging
import os
import time
from contextlib import contextmanager

from celery import shared_task
from django.db import connection

from . import sweeps

logger = logging.getLogger(__name__)

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": False}

# Test hook, never set in production: a worker started with HELPDESK_TEST_SWEEP_DELAY=<seconds>
# pauses each sweep for that long inside its transaction, right after writing the first
# complaint events, so that tests/robustness/test_worker_killed.py can kill it mid-sweep.
TEST_SWEEP_DELAY_ENV = "HELPDESK_TEST_SWEEP_DELAY"


@contextmanager
def _test_pause():
    delay = float(os.environ.get(TEST_SWEEP_DELAY_ENV) or 0)
    if delay <= 0:
        yield
        return
    paused: list[bool] = []

    def pause_after_first_events(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not paused and sql.startswith('INSERT INTO "complaints_complaintevent"'):
            paused.append(True)
            logger.warning("%s: pausing %.1f s mid-sweep (test hook)", TEST_SWEEP_DELAY_ENV, delay)
            time.sleep(delay)
        return result

    with connection.execute_wrapper(pause_after_first_events):
        yield


def _run(name: str, rule) -> dict:
    with _test_pause():
        counts = rule()
    logger.info("%s: %s", name, counts)
    return counts


@shared_task(name="complaints.tasks.enforce_reply_deadlines", **TASK_OPTIONS)
def enforce_reply_deadlines() -> dict:
    return _run("enforce_reply_deadlines", sweeps.enforce_reply_deadlines)


@shared_task(name="complaints.tasks.flag_missing_progress_reports", **TASK_OPTIONS)
def flag_missing_progress_reports() -> dict:
    return _run("flag_missing_progress_reports", sweeps.flag_missing_progress_reports)


@shared_task(name="complaints.tasks.flag_missed_completion_dates", **TASK_OPTIONS)
def flag_missed_completion_dates() -> dict:
    return _run("flag_missed_completion_dates", sweeps.flag_missed_completion_dates)


@shared_task(name="complaints.tasks.auto_close_after_declined_callback", **TASK_OPTIONS)
def auto_close_after_declined_callback() -> dict:
    return _run("auto_close_after_declined_callback", sweeps.auto_close_after_declined_callback)


import complaints.reports.tasks  # noqa

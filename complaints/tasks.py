"""Celery tasks of the timing rules (R-T1 … R-T4). Thin: each calls the set-based sweep
(complaints/sweeps.py) and returns its counts. Idempotent, so acks_late is safe."""

import logging

from celery import shared_task

from . import sweeps

logger = logging.getLogger(__name__)

TASK_OPTIONS = {"acks_late": True, "ignore_result": False}


def _run(name: str, rule) -> dict:
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

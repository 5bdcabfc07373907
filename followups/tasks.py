"""Celery tasks of R-T5 (tier visit schedules) and R-F6 (overdue phone messages). Thin,
idempotent, so acks_late is safe and a task whose worker died is run again
(reject_on_worker_lost; see complaints/tasks.py)."""

import logging

from celery import shared_task

from . import messages, planning

logger = logging.getLogger(__name__)

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": False}


@shared_task(name="followups.tasks.plan_visits", **TASK_OPTIONS)
def plan_visits() -> dict:
    counts = planning.plan_visits()
    logger.info("plan_visits: %s", counts)
    return counts


@shared_task(name="followups.tasks.flag_missed_visits", **TASK_OPTIONS)
def flag_missed_visits() -> dict:
    counts = planning.flag_missed_visits()
    logger.info("flag_missed_visits: %s", counts)
    return counts


@shared_task(name="followups.tasks.flag_overdue_messages", **TASK_OPTIONS)
def flag_overdue_messages() -> dict:
    """R-F6: phone messages still open past their call-back time, flagged to the supervisors once."""
    counts = messages.flag_overdue_messages()
    logger.info("flag_overdue_messages: %s", counts)
    return counts

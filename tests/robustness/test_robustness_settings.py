"""The production settings of issue 16.5–16.7: connections health-checked, the broker's
visibility timeout a bit above the hard time limit (not kombu's hour), no connection retries
when publishing; the idempotent tasks are run again when their worker is lost."""

import json

import pytest

from tests.helpdesk.test_settings import PROD_ENV, _manage

SHOW = """
import json
from django.conf import settings as s
from helpdesk.celery import app
import complaints.tasks, followups.tasks, notifications.tasks, complainants.tasks
print(json.dumps({
    "db": {k: s.DATABASES["default"][k] for k in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")},
    "transport": s.CELERY_BROKER_TRANSPORT_OPTIONS,
    "hard_limit": s.CELERY_TASK_TIME_LIMIT,
    "middleware": s.MIDDLEWARE,
    "tasks": {
        name: [app.tasks[name].acks_late, app.tasks[name].reject_on_worker_lost]
        for name in sorted(app.tasks)
        if name.startswith(("complaints.tasks.", "followups.", "notifications.", "complainants."))
    },
}))
"""


def test_production_settings_for_restarts_and_lost_workers():
    result = _manage("shell", "-c", SHOW, env={**PROD_ENV, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9"})
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["db"] == {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    transport = shown["transport"]
    assert shown["hard_limit"] < transport["visibility_timeout"] <= shown["hard_limit"] + 120
    assert transport["unacked_restore_interval"] * transport["unacked_restore_throttle"] <= 30
    assert transport["max_retries"] == 0
    assert "helpdesk.unavailable.DatabaseUnavailableMiddleware" in shown["middleware"]
    # 4 complaint sweeps; 2 visit-plan tasks and the overdue phone-message sweep; 2 e-mail and 2 notice
    # tasks; the IMAP poller of complaints by e-mail
    assert len(shown["tasks"]) == 12
    assert all(flags == [True, True] for flags in shown["tasks"].values()), shown["tasks"]


@pytest.mark.django_db
def test_the_test_settings_let_only_the_test_flush_truncate():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('helpdesk.allow_truncate', true)")
        assert cursor.fetchone()[0] == "on"  # the startup option of helpdesk/settings/test.py

"""The Celery application: settings come from Django settings (CELERY_ namespace)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One log line per task (name, id, state, runtime): helpdesk/logs.py.
from helpdesk.logs import connect_task_signals  # noqa: E402

connect_task_signals()

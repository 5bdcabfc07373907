"""Every PostgreSQL session of the app runs without JIT and without parallel workers
(helpdesk/settings/base.py, issue 17): the page queries read a few index pages, and starting a
parallel worker (~4 ms) or compiling a plan (12–15 ms) costs more than the work itself."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_the_sessions_run_without_jit_and_without_parallel_workers():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL session setting")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')")
        assert cursor.fetchone() == ("off", "0")


def test_production_sets_the_same_session_options():
    show = "from django.conf import settings as s; print(s.DATABASES['default']['OPTIONS']['options'])"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "HELPDESK_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production",
            "DJANGO_SECRET_KEY": "x" * 60,
            "DJANGO_ALLOWED_HOSTS": "helpdesk.example.com",
            "DATABASE_URL": "postgres://unused@127.0.0.1:1/unused",
            "HELPDESK_SITE_URL": "https://helpdesk.example.com",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    options = result.stdout.strip().splitlines()[-1].split()
    assert "jit=off" in options and "max_parallel_workers_per_gather=0" in options

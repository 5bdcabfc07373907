"""Every PostgreSQL session of the app runs without JIT and without parallel workers
(helpdesk/settings/base.py, issue 17): the page queries read a few index pages, and starting a
parallel worker (~4 ms) or compiling a plan (12–15 ms) costs more than the work itself."""

import pytest
from django.db import connection

from tests.helpdesk.test_production_settings import _production_settings


@pytest.mark.django_db
def test_the_sessions_run_without_jit_and_without_parallel_workers():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL session setting")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')")
        assert cursor.fetchone() == ("off", "0")


def test_production_sets_the_same_session_options():
    settings = _production_settings(DATABASE_URL="postgres://unused@127.0.0.1:1/unused")
    options = settings["db_options"].split()
    assert "jit=off" in options and "max_parallel_workers_per_gather=0" in options

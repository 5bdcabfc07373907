"""Backup and restore as the README says (pg_dump -Fc, pg_restore into a fresh database):
the restored database gives the same monthly summary as the original, row for row."""

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.reports.october import october  # noqa: F401  (the fixture)

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = os.environ.get("HELPDESK_E2E_REQUIRED") == "1"


def _need_postgresql():
    problems = []
    if connection.vendor != "postgresql":
        problems.append("backup and restore are PostgreSQL's (pg_dump/pg_restore); set DATABASE_URL=postgres://…")
    elif not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        problems.append("pg_dump/pg_restore not found (apt-get install postgresql-client)")
    if problems:
        if REQUIRED:
            pytest.fail("; ".join(problems))
        pytest.skip("; ".join(problems))


def _url(name: str) -> str:
    s = connection.settings_dict
    host, port, user = s["HOST"] or "127.0.0.1", s["PORT"] or "5432", s["USER"] or "postgres"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def _libpq_env() -> dict[str, str]:
    s = connection.settings_dict
    env = {
        **os.environ,
        "PGHOST": s["HOST"] or "127.0.0.1",
        "PGPORT": str(s["PORT"] or 5432),
        "PGUSER": s["USER"] or "postgres",
    }
    if s["PASSWORD"]:
        env["PGPASSWORD"] = s["PASSWORD"]
    return env


def _summary(database_url: str, out: Path) -> list[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "helpdesk.settings.test"}
    subprocess.run(
        [sys.executable, "manage.py", "monthly_summary", "2026-10", "--format", "csv", "-o", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
    )
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    # the time each file was produced differs (a minute may turn between the two): said after
    # the filters, "… · Produced: 2026-12-07 01:09" ("生成时间：…" in Chinese)
    return [re.sub(r"(Produced: |生成时间：)\d{4}-\d\d-\d\d \d\d:\d\d", r"\1…", line) for line in lines]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_restored_dump_gives_the_same_monthly_summary(october, tmp_path):  # noqa: F811
    _need_postgresql()
    source = connection.settings_dict["NAME"]
    restored = f"hd_restore_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "helpdesk.dump"
    env = _libpq_env()
    subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), source], env=env, check=True, timeout=120)
    subprocess.run(["createdb", restored], env=env, check=True, timeout=60)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "-d", restored, str(dump)], env=env, check=True, timeout=300
        )
        original = _summary(_url(source), tmp_path / "original.csv")
        after = _summary(_url(restored), tmp_path / "restored.csv")
    finally:
        subprocess.run(["dropdb", "--if-exists", "--force", restored], env=env, timeout=60)
    assert len(original) > 20  # the October fixture's summary, not an empty file
    assert any("Produced: …" in line or "生成时间：…" in line for line in original)  # the time, set aside
    assert after == original

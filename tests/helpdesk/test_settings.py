"""Settings: production refuses to start without secrets; check --deploy is clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production",
    "DJANGO_SECRET_KEY": "k8#Vq2!pZr5^Lx9@Tn3&Wm7*Yb1(Hc6)Jd4-Fg0_Se2+Ua8=Qi5%Oe3$Ry7",
    "DJANGO_ALLOWED_HOSTS": "helpdesk.example.com",
    "DATABASE_URL": "sqlite:////tmp/helpdesk-deploy-check.sqlite3",
    "HELPDESK_SITE_URL": "https://helpdesk.example.com",
}


def _manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_with_production_env_reports_nothing():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in PROD_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_local_defaults_need_no_environment(tmp_path):
    result = _manage("check", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert result.returncode == 0, result.stderr


def test_the_run_commands_set_up_the_embedded_database(tmp_path):
    """`make run` on a fresh machine: migrate and seed_demo on the embedded SQLite database (no
    server). The suite runs on PostgreSQL, so this is where SQLite's own limits show — a query
    PostgreSQL takes and SQLite refuses broke seed_demo once (the senior visits' planning)."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "CELERY_BROKER_URL": ""}
    outputs = []
    for command in (("migrate", "--noinput", "-v0"), ("seed_demo",), ("seed_demo",)):  # the second run: idempotent
        result = _manage(*command, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        outputs.append(result.stdout)
    assert "Demo data loaded" in outputs[1]
    assert "already present" in outputs[2]

"""`manage.py monthly_summary` writes a valid file and refuses bad input; the Celery task
e-mails the previous month's XLSX to the managers when enabled, and nothing otherwise."""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from complaints.reports import services
from complaints.reports.figures import month_label, previous_month
from complaints.reports.tasks import send_monthly_summary

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("monthly_summary", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# ------------------------------------------------------------------ the command
def test_command_writes_a_valid_xlsx(october, tmp_path):
    target = tmp_path / "october.xlsx"
    out, _ = run("2026-10", "--format", "xlsx", "-o", str(target))
    assert "Wrote" in out and "7 complaints" in out
    wb = load_workbook(target)
    rows = {r[0]: r[1:] for r in wb["Headline figures"].iter_rows(min_row=4, values_only=True)}
    assert rows["Complaints received"][:2] == (7, 2)
    assert wb["Complaints of the month"].max_row == 3 + 7


def test_command_writes_a_csv_for_one_office_in_chinese(october, tmp_path):
    target = tmp_path / "october.csv"
    _, err = run(
        "2026-10",
        "--format",
        "csv",
        "-o",
        str(target),
        "--office",
        october.other_office.code,
        "--language",
        "zh-hans",
        "--timing",
    )
    content = target.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert any(october.other_office.name in cell for row in rows for cell in row)
    assert "queries" in err


def test_command_default_file_name(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("--format", "csv")
    assert (tmp_path / f"complaint-summary-{month_label(previous_month())}.csv").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["2026-13"], "YYYY-MM"),
        (["last-month"], "YYYY-MM"),
        (["2026-10", "--office", "nowhere"], "No office with the code"),
        (["2026-10", "--department", "Nowhere"], "No department"),
        (["2026-10", "-o", "/nonexistent-dir/x.xlsx"], "Cannot write"),
    ],
)
def test_command_rejects_bad_input(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_command_rejects_an_unknown_format(db):
    with pytest.raises(CommandError, match="invalid choice"):
        run("2026-10", "--format", "pdf")


# --------------------------------------------------------------------- the task
@pytest.fixture
def managers(make_user):
    first = make_user("manager", username="m1", email="m1@example.com")
    second = make_user("manager", username="m2", email="m2@example.com")
    make_user("manager", username="m3", email="")  # no address
    make_user("manager", username="m4", email="m4@example.com", is_active=False)
    make_user("supervisor", username="s1", email="s1@example.com")  # not a manager
    return [first, second]


def test_task_emails_the_previous_month_to_the_managers(managers, settings):
    settings.HELPDESK_MONTHLY_SUMMARY_EMAIL = True
    counts = send_monthly_summary.apply().get()  # run in-process, as a worker would

    month = month_label(previous_month())
    assert counts == {"enabled": True, "month": month, "recipients": 2, "sent": 1}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["m1@example.com", "m2@example.com"]
    assert month in message.subject
    ((name, content, mimetype),) = message.attachments
    assert name == f"complaint-summary-{month}.xlsx"
    assert mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "Headline figures" in load_workbook(io.BytesIO(content)).sheetnames


def test_task_for_a_given_month(october, managers, settings):
    settings.HELPDESK_MONTHLY_SUMMARY_EMAIL = True
    counts = send_monthly_summary.apply(kwargs={"month": "2026-10"}).get()
    assert counts["month"] == "2026-10" and counts["sent"] == 1
    assert "7 complaints received" in mail.outbox[0].body


def test_task_sends_nothing_when_disabled(managers, settings):
    settings.HELPDESK_MONTHLY_SUMMARY_EMAIL = False
    assert send_monthly_summary.apply().get() == {"enabled": False, "month": None, "recipients": 0, "sent": 0}
    assert mail.outbox == []


def test_no_manager_with_an_address_sends_nothing(db, settings):
    settings.HELPDESK_MONTHLY_SUMMARY_EMAIL = True
    assert services.email_monthly_summary()["sent"] == 0
    assert mail.outbox == []


def test_beat_schedule_runs_it_on_the_first_at_seven(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-summary"]
    assert entry["task"] == send_monthly_summary.name == "complaints.reports.tasks.send_monthly_summary"
    schedule = entry["schedule"]
    assert schedule.day_of_month == {1} and schedule.hour == {7} and schedule.minute == {0}


def test_celery_autodiscovery_finds_the_task():
    """In a fresh process, as a worker starts: autodiscovery imports complaints.tasks only."""
    code = (
        "import django; django.setup(); from helpdesk.celery import app; "
        "app.loader.import_default_modules(); print('complaints.reports.tasks.send_monthly_summary' in app.tasks)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="helpdesk.settings.test", CELERY_BROKER_URL="memory://")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr

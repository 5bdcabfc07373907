"""`manage.py bench`: every workload of issue 17 on the configured database, in-process and
over HTTP, the periodic sweeps in-process and in a Celery worker; JSON and Markdown to --out.
See benchmarks/README.md. Run it on a database seeded by `seed_bench` (PostgreSQL; SQLite only
as a smoke run)."""

from __future__ import annotations

import json
import logging
import os
import platform
import subprocess
import tempfile
import time
from argparse import ArgumentParser, BooleanOptionalAction
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from benchmarks import measure, over_http, processes, report, worker
from benchmarks.measure import WorkloadFailed
from benchmarks.workloads import WORKLOADS, BenchSetupError, Fixtures, Workload

QUICK = {"runs": 3, "warmups": 1, "http_runs": 2, "sweep_runs": 1}


class Command(BaseCommand):
    help = "Measure every workload of issue 17 (in-process and over HTTP) and write JSON + Markdown to --out."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--runs", type=int, default=15, help="Timed runs of each workload (default 15).")
        parser.add_argument("--warmups", type=int, default=2, help="Warm-up runs before them (default 2).")
        parser.add_argument(
            "--http", action=BooleanOptionalAction, default=True, help="Also measure over HTTP against gunicorn."
        )
        parser.add_argument(
            "--http-runs", type=int, default=None, help="Timed HTTP runs of each GET (default: --runs)."
        )
        parser.add_argument(
            "--celery",
            action=BooleanOptionalAction,
            default=True,
            help="Run each sweep's committed run in a Celery worker (else in this process).",
        )
        parser.add_argument(
            "--sweep-runs", type=int, default=3, help="Rolled-back runs of each sweep with its due rows (default 3)."
        )
        parser.add_argument(
            "--out", default="bench-results", help="Folder for the JSON and Markdown (default bench-results/)."
        )
        parser.add_argument(
            "--label", default="", help="The run's name, e.g. the size (default: the number of complaints)."
        )
        parser.add_argument("--only", default="", help="Comma-separated workload keys (the floor is always measured).")
        parser.add_argument(
            "--quick", action="store_true", help="A smoke run: 3 runs, 1 warm-up, 2 over HTTP, 1 per sweep."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["quick"]:
            options.update(QUICK)
        runs, warmups = max(1, options["runs"]), max(0, options["warmups"])
        http_runs = max(1, options["http_runs"] or runs)
        workloads = _select(options["only"])
        # one line per request (and per forced login) would drown the output
        quiet = [logging.getLogger(name) for name in ("helpdesk.request", "axes")]
        levels = [logger.level for logger in quiet]
        for logger in quiet:
            logger.setLevel(logging.WARNING)
        try:
            with override_settings(
                DEBUG=False,
                ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
                HELPDESK_PUBLIC_PAGE_RATE="1000000/h",  # the public pages' per-address limit
            ):
                result = self._bench(
                    workloads,
                    runs=runs,
                    warmups=warmups,
                    http=options["http"],
                    http_runs=http_runs,
                    celery=options["celery"],
                    sweep_runs=max(1, options["sweep_runs"]),
                    label=options["label"],
                    out=Path(options["out"]),
                )
        except (BenchSetupError, WorkloadFailed) as error:
            raise CommandError(str(error)) from error
        finally:
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)
        self.stdout.write(result)

    def progress(self, message: str) -> None:
        self.stdout.write(f"[bench {time.strftime('%H:%M:%S')}] {message}")
        self.stdout.flush()

    def _bench(
        self,
        workloads: tuple[Workload, ...],
        *,
        runs: int,
        warmups: int,
        http: bool,
        http_runs: int,
        celery: bool,
        sweep_runs: int,
        label: str,
        out: Path,
    ) -> str:
        from complaints.sweeps import SWEEPS

        if connection.vendor != "postgresql":
            self.stderr.write(f"Not PostgreSQL ({connection.vendor}): a smoke run, not figures to compare.")
        started = time.perf_counter()
        environment = _environment()
        label = label or str(environment["complaints"])
        out.mkdir(parents=True, exist_ok=True)
        logs = out / "logs" / label
        logs.mkdir(parents=True, exist_ok=True)
        self.progress(f"{label}: {environment['complaints']:,} complaints on {environment['database_version']}")
        fixtures = Fixtures.load()
        self.progress(
            f"detail complaint {fixtures.detail_pk} ({fixtures.detail_events} events, as {fixtures.detail_role}); "
            f"month {fixtures.last_month}"
        )
        first_run = int(time.time()) % 100_000 * 100  # the intake runs' phone numbers differ between benches
        pages = measure.run_pages(
            workloads, fixtures, runs=runs, warmups=warmups, first_run=first_run, progress=self.progress
        )
        sweeps: dict[str, Any] = {}
        for name, sweep in SWEEPS.items():
            due = _sweep_runs(sweep, sweep_runs, rollback=True)
            sweeps[name] = {"due_rows": due[0].counts.get("processed", 0), "due": _sweep_figures(due)}
            self.progress(f"sweep {name}: {sweeps[name]['due_rows']} due, {due[0].ms:.1f} ms (rolled back)")

        can_share, why_not = processes.shares_database()
        result: dict[str, Any] = {
            "label": label,
            "size": int(label) if label.isdigit() else environment["complaints"],
            "environment": environment,
            "settings": {
                "runs": runs,
                "warmups": warmups,
                "http_runs": http_runs,
                "sweep_runs": sweep_runs,
                "settings_module": os.environ.get("DJANGO_SETTINGS_MODULE", ""),
                "in_process": "django.test.Client, DEBUG off, queries counted by an execute wrapper",
            },
            "fixtures": {
                "detail_pk": fixtures.detail_pk,
                "detail_events": fixtures.detail_events,
                "detail_role": fixtures.detail_role,
                "office_code": fixtures.office_code,
                "last_month": fixtures.last_month,
                "this_month": fixtures.this_month,
                "intake_complaints": len(fixtures.intake_pks),
            },
            "in_process": [r.as_json() for r in pages],
            "sweeps": sweeps,
        }
        if http and can_share:
            result["http"] = over_http.run_pages(
                workloads,
                fixtures,
                runs=http_runs,
                warmups=1,
                password=_demo_password(),
                log=logs / "gunicorn.log",
                progress=self.progress,
            )
        else:
            result["http_skipped"] = "--no-http" if not http else why_not

        if celery and can_share:
            with tempfile.TemporaryDirectory(prefix="bench-celery-") as folder:
                result["celery"] = worker.run_sweeps(
                    {name: f"complaints.tasks.{name}" for name in SWEEPS}, Path(folder), progress=self.progress
                )
                log = Path(result["celery"].pop("log"))
                (logs / "celery-worker.log").write_bytes(log.read_bytes())
        else:
            result["celery_skipped"] = "--no-celery" if not celery else why_not
        in_celery = (result.get("celery") or {}).get("sweeps", {})
        for name, sweep in SWEEPS.items():
            if "error" in in_celery.get(name, {"error": ""}):  # not run there, or it failed: commit here
                committed = measure.sweep_once(sweep, rollback=False)
                sweeps[name]["committed"] = committed.as_json()
                self.progress(f"sweep {name} committed in-process: {committed.counts} in {committed.ms:.1f} ms")
        for name, sweep in SWEEPS.items():
            idle = _sweep_runs(sweep, runs, rollback=False)
            sweeps[name]["idle"] = _sweep_figures(idle)
            self.progress(f"sweep {name} idle: {sweeps[name]['idle']['ms']['median']} ms")

        environment["load_average_end"] = list(os.getloadavg())
        environment["duration_s"] = round(time.perf_counter() - started, 1)
        markdown = report.render_run(result)
        json_path, md_path = out / f"bench-{label}.json", out / f"bench-{label}.md"
        json_path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
        md_path.write_text(markdown)
        self.progress(f"wrote {json_path} and {md_path} ({environment['duration_s']} s)")
        return markdown


def _select(only: str) -> tuple[Workload, ...]:
    if not only:
        return WORKLOADS
    keys = {k.strip() for k in only.split(",") if k.strip()} | {"floor"}
    unknown = keys - {w.key for w in WORKLOADS}
    if unknown:
        raise CommandError(f"Unknown workload(s): {', '.join(sorted(unknown))}.")
    if "action_post" in keys:
        keys.add("intake_post")  # the action replies to a complaint the intake logged
    return tuple(w for w in WORKLOADS if w.key in keys)


SWEEP_REPEAT_MS = 60_000  # a sweep slower than this in all is not repeated further


def _sweep_runs(sweep: Any, runs: int, *, rollback: bool) -> list[measure.SweepRun]:
    """Up to `runs` runs of `sweep`; fewer once they took SWEEP_REPEAT_MS together."""
    done = [measure.sweep_once(sweep, rollback=rollback)]
    while len(done) < runs and sum(r.ms for r in done) < SWEEP_REPEAT_MS:
        done.append(measure.sweep_once(sweep, rollback=rollback))
    return done


def _sweep_figures(runs: list[measure.SweepRun]) -> dict[str, Any]:
    return {
        "ms": measure.summary([r.ms for r in runs]),
        "queries": max(r.queries for r in runs),
        "counts": runs[0].counts,
        "runs": [r.as_json() for r in runs],
    }


def _demo_password() -> str:
    from complaints.management.commands.seed_demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=processes.ROOT, capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except OSError:
        return ""


def _environment() -> dict[str, Any]:
    from complaints.models import Complaint, ComplaintEvent
    from customers.models import Customer

    env: dict[str, Any] = {
        "date": timezone.localtime().isoformat(timespec="seconds"),
        "date_utc": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "git_commit": _git("rev-parse", "HEAD") or "unknown",
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "host": platform.node(),
        "cpu_count": os.cpu_count(),
        "load_average_start": list(os.getloadavg()),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": connection.vendor,
        "database_name": str(connection.settings_dict.get("NAME")),
        "complaints": Complaint.objects.count(),
        "customers": Customer.objects.count(),
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
            env["database_version"] = " ".join(str(cursor.fetchone()[0]).split()[:2])
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [ComplaintEvent._meta.db_table]
            )
            estimate = int(cursor.fetchone()[0])  # -1 before the first ANALYZE
            env["events"] = estimate if estimate > 0 else ComplaintEvent.objects.count()
            env["events_estimated"] = estimate > 0
            settings_of_interest = (
                "shared_buffers",
                "work_mem",
                "effective_cache_size",
                "random_page_cost",
                "jit",
                "max_parallel_workers_per_gather",
            )
            cursor.execute(
                "SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s)", [list(settings_of_interest)]
            )
            env["database_settings"] = {name: f"{value}{unit or ''}" for name, value, unit in cursor.fetchall()}
        else:
            env["database_version"] = f"{connection.vendor} {connection.Database.sqlite_version}"  # type: ignore[attr-defined]
            env["events"] = ComplaintEvent.objects.count()
    return env

"""Benchmark of the monthly summary (not a test: pytest collects test_*.py only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench CELERY_BROKER_URL=memory:// \\
        .venv/bin/python tests/reports/bench_monthly_summary.py 2026-10 [--runs 5] [--files] \\
        [--dashboard] [--cold] [--explain] [--memory [--traced]]

Times, for a month on the configured database:
- monthly_figures, computed from scratch (every run, best, median, queries, the slowest);
- --dashboard: the dashboard page through the test client, logged in as --manager (every
  office) and --supervisor (their office), warm (the kept parts hold) and, with --cold, just
  after a change to the month (its version moved on: what every intake does to this month's
  dashboard) and after every kept part was dropped (--cold WRITES to the database: use a copy);
- --files: the XLSX and the CSV downloads through the test client (time, bytes, queries) and
  the XLSX built from figures already computed;
- --memory: the peak memory of one XLSX download in a fresh process (VmHWM above the
  process's size before it; --traced: also the tracemalloc peak of the request);
- --explain: EXPLAIN (ANALYZE, BUFFERS) of the queries of monthly_figures and of computing one
  month's part (PostgreSQL).
The page and the downloads log a user in (a session row): run it on a copy, never on a
database others measure.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")


def _median_line(name, times, queries, extra=""):
    return (
        f"{name}: median {statistics.median(times) * 1000:,.1f} ms, best {min(times) * 1000:,.1f} ms, "
        f"worst {max(times) * 1000:,.1f} ms over {len(times)} runs, {queries} queries{extra}"
    )


def _timed_get(client, url, runs, *, before=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, response, count = [], None, 0
    for _ in range(runs):
        if before:
            before()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        count = len(ctx.captured_queries)
    return times, response, count


def _drop_kept_parts():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('complaints_summary_part') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("DELETE FROM complaints_summary_part")


def _touch(month):
    """As if the month's data had just changed (an intake, a step): its version moves on, so
    its kept part is computed again (the other months' still hold)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('complaints_summary_change') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("INSERT INTO complaints_summary_change (month) VALUES (%s)", [month])


def _explain(queries):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', '32MB', false), set_config('jit', 'off', false)")
        for q in queries:
            sql = q["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print("-- " + sql[:160].replace("\n", " ") + "…")
            print("\n".join(row[0] for row in cursor.fetchall()), end="\n\n")


def memory_child(month_text: str, username: str, traced: bool) -> None:
    """In a fresh process: one XLSX download; prints its time and the process's peak memory
    (VmHWM), or with `traced` the tracemalloc peak of the request (much slower)."""
    import tracemalloc

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()  # the test client's host allowed
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    url = reverse("reports:monthly_download", args=[month_text, "xlsx"])
    client.get(reverse("reports:monthly") + f"?month={month_text}")  # imports, templates, translations
    before = _vm("VmRSS")
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    if traced:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"xlsx download in a fresh process, traced: tracemalloc peak {peak / 2**20:.1f} MiB")
        return
    print(
        f"xlsx download in a fresh process: {elapsed:.3f} s, {len(response.content):,} bytes; "
        f"RSS before {before / 1024:.0f} MiB, peak RSS (VmHWM) {_vm('VmHWM') / 1024:.0f} MiB "
        f"(+{(_vm('VmHWM') - before) / 1024:.0f} MiB)"
    )


def _vm(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])  # kB
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("month", nargs="?", help="YYYY-MM (default: the previous month)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", action="store_true", help="also time the XLSX and the CSV")
    parser.add_argument("--dashboard", action="store_true", help="time the dashboard page")
    parser.add_argument("--cold", action="store_true", help="also time it with the kept parts dropped (WRITES)")
    parser.add_argument("--memory", action="store_true", help="peak memory of an XLSX download (fresh process)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the queries (PostgreSQL)")
    parser.add_argument("--manager", default="manager")
    parser.add_argument("--supervisor", default="supervisor")
    parser.add_argument("--traced", action="store_true", help="with --memory: also the tracemalloc peak (slow)")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.memory_child:
        memory_child(args.month, args.manager, args.traced)
        return

    import logging

    import django

    django.setup()
    logging.getLogger("helpdesk.request").setLevel(logging.WARNING)  # no line per request
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from complaints.models import Complaint
    from complaints.reports import exports
    from complaints.reports.figures import month_label, monthly_figures, parse_month, previous_month

    setup_test_environment()  # the test client's host allowed
    month = parse_month(args.month) if args.month else previous_month()
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}, "
        f"{Complaint.objects.count():,} complaints; month {month:%Y-%m}"
    )

    # ---- monthly_figures from scratch
    times, captured, figures = [], None, None
    for _run in range(args.runs):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            figures = monthly_figures(month=month)
            times.append(time.perf_counter() - started)
        captured = ctx.captured_queries
    assert figures is not None and captured is not None
    print(
        _median_line("monthly_figures (from scratch, with the list)", times, len(captured))
        + f"; {figures['current']['received']:,} complaints in the month"
    )
    for q in sorted(captured, key=lambda q: -float(q["time"]))[:5]:
        print(f"    {float(q['time']) * 1000:8.1f} ms  {q['sql'][:100]}…")

    users = get_user_model().objects
    if args.dashboard:
        url = reverse("reports:monthly") + f"?month={month_label(month)}"
        for role, username in (("manager", args.manager), ("supervisor", args.supervisor)):
            client = Client()
            client.force_login(users.get(username=username))
            client.get(url)  # the kept parts made (and imports, templates, translations)
            times, _response, count = _timed_get(client, url, args.runs)
            print(_median_line(f"dashboard as {role}, parts kept", times, count))
            if args.cold and connection.vendor == "postgresql":  # before issue 17: the same as warm
                times, _response, count = _timed_get(client, url, args.runs, before=lambda: _touch(month))
                print(_median_line(f"dashboard as {role}, the month just changed", times, count))
                times, _response, count = _timed_get(client, url, args.runs, before=_drop_kept_parts)
                print(_median_line(f"dashboard as {role}, nothing kept (cold)", times, count))

    if args.files:
        client = Client()
        client.force_login(users.get(username=args.manager))
        for fmt in exports.FORMATS:
            url = reverse("reports:monthly_download", args=[month_label(month), fmt])
            client.get(url)
            times, response, count = _timed_get(client, url, args.runs)
            print(_median_line(f"{fmt} download", times, count, f", {len(response.content):,} bytes"))
        times = []
        for _run in range(args.runs):
            started = time.perf_counter()
            content = exports.build_xlsx(figures)
            times.append(time.perf_counter() - started)
        print(_median_line("xlsx built from the figures", times, 0, f", {len(content):,} bytes"))

    if args.memory:
        child = [sys.executable, __file__, month_label(month), "--memory-child", "--manager", args.manager]
        subprocess.run(child, check=True)
        if args.traced:
            subprocess.run([*child, "--traced"], check=True)

    if args.explain and connection.vendor == "postgresql":
        print("\n==== monthly_figures")
        _explain(captured)
        try:
            from complaints.reports.figures import reporting_transaction, scoped_complaints
            from complaints.reports.figures.parts import compute_parts
        except ImportError:  # before issue 17: no parts
            return
        print("\n==== one month's part (as kept by the summary)")
        with CaptureQueriesContext(connection) as ctx, reporting_transaction():
            compute_parts(
                scoped_complaints(user=None, office=None, department=None, channel=None, tier=None),
                month=month,
                now=figures["generated_at"],
                with_previous=False,
            )
        _explain(ctx.captured_queries)


if __name__ == "__main__":
    main()

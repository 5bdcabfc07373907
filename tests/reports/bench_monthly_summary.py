"""Benchmark of the monthly summary (not a test: pytest collects test_*.py only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench CELERY_BROKER_URL=memory:// \\
        .venv/bin/python tests/reports/bench_monthly_summary.py 2026-10 [--runs 5] [--files] [--explain]

Times monthly_figures (read-only) for a month on the configured database: every run, the
best and the median, the number of queries and the slowest ones; --files also times the XLSX
and the CSV, --explain prints EXPLAIN ANALYZE of each query (PostgreSQL).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from complaints.models import Complaint
    from complaints.reports import exports
    from complaints.reports.figures import monthly_figures, parse_month, previous_month

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("month", nargs="?", help="YYYY-MM (default: the previous month)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", action="store_true", help="also time the XLSX and the CSV")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE every query (PostgreSQL)")
    args = parser.parse_args()
    month = parse_month(args.month) if args.month else previous_month()

    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}, "
        f"{Complaint.objects.count():,} complaints; month {month:%Y-%m}"
    )
    times, captured, figures = [], None, None
    for run in range(args.runs):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            figures = monthly_figures(month=month)
            times.append(time.perf_counter() - started)
        captured = ctx.captured_queries
        print(
            f"  run {run + 1}: {times[-1]:.3f} s, {len(captured)} queries, "
            f"{sum(float(q['time']) for q in captured):.3f} s in the database"
        )
    print(
        f"monthly_figures: best {min(times):.3f} s, median {statistics.median(times):.3f} s, "
        f"{len(captured)} queries; {figures['current']['received']:,} complaints in the month, "
        f"{len(figures['complaints']):,} rows in the list"
    )
    print("slowest queries of the last run:")
    for q in sorted(captured, key=lambda q: -float(q["time"]))[:5]:
        print(f"  {float(q['time']):.3f} s  {q['sql'][:110]}…")
    if args.files:
        for fmt in exports.FORMATS:
            started = time.perf_counter()
            content = exports.build(figures, fmt)
            print(f"{fmt}: {time.perf_counter() - started:.3f} s, {len(content):,} bytes")
    if args.explain and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for q in captured:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                print("\n".join(row[0] for row in cursor.fetchall()), end="\n\n")


if __name__ == "__main__":
    main()

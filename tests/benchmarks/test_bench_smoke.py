"""The benchmark kept working (issue 17): `seed_bench --complaints 1000`, then `bench --quick`
— every workload in-process, the GETs over HTTP against gunicorn, the sweeps rolled back, in a
Celery worker and idle — then `bench_report`. Figures are not checked (this is no benchmark):
that every workload ran, answered what it must, and was written down."""

import json
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from benchmarks import workloads
from benchmarks.workloads import WORKLOADS

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SWEEPS = {
    "enforce_reply_deadlines",
    "flag_missing_progress_reports",
    "flag_missed_completion_dates",
    "auto_close_after_declined_callback",
}


def test_seed_bench_then_a_quick_bench_measures_every_workload(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("seed_bench writes with COPY: PostgreSQL only")
    call_command("seed_bench", complaints=1000, stdout=StringIO())

    started = time.monotonic()
    out = StringIO()
    call_command("bench", quick=True, out=str(tmp_path), label="1000", stdout=out)
    runtime = time.monotonic() - started

    run = json.loads((tmp_path / "bench-1000.json").read_text())
    assert run["size"] == 1000 and run["environment"]["complaints"] >= 1000
    assert run["environment"]["database_version"].startswith("PostgreSQL")
    # in-process: every workload, 3 timed runs each, the status it must answer with
    pages = {f["key"]: f for f in run["in_process"]}
    assert set(pages) == {w.key for w in WORKLOADS}
    for w in WORKLOADS:
        figures = pages[w.key]
        assert figures["statuses"] == [w.expect], w.key
        assert figures["ms"]["n"] == 3 and figures["ms"]["median"] > 0, w.key
        assert figures["queries"] >= 1 and figures["sql"], w.key
        if w.method == "GET":
            assert figures["bytes"] > 0, w.key
    assert run["fixtures"]["detail_events"] == 20
    assert run["fixtures"]["intake_complaints"] == 4  # one per run, warm-up included: the action replied to them
    # the sweeps: the seeded due rows rolled back, then committed in the Celery worker, then idle
    assert set(run["sweeps"]) == SWEEPS
    for name, sweep in run["sweeps"].items():
        assert sweep["due_rows"] > 0, name
        assert sweep["idle"]["counts"]["processed"] == 0, name
        assert run["celery"]["sweeps"][name]["counts"]["processed"] == sweep["due_rows"], name
        assert run["celery"]["sweeps"][name]["runtime_ms"] > 0, name
    assert run["celery"]["peak_rss_mib"] > 0
    # over HTTP: every GET, logged in through the form, with the worker's memory after each page
    http = {f["key"]: f for f in run["http"]["workloads"]}
    assert set(http) == {w.key for w in WORKLOADS if w.method == "GET"}
    for key, figures in http.items():
        assert figures["statuses"] == [pages[key]["expect"]], key
        assert figures["ms"]["n"] == 2 and figures["bytes"] > 0, key
        assert len(figures["rss_after_mib"]) == 2 and min(figures["rss_after_mib"]) > 0, key
    assert run["http"]["worker_peak_rss_mib"] > 0

    markdown = (tmp_path / "bench-1000.md").read_text()
    for w in WORKLOADS:
        assert f"| {w.title} |" in markdown
    assert "## Over HTTP" in markdown and "## Celery worker" in markdown and "## Periodic sweeps" in markdown

    report = StringIO()
    call_command("bench_report", str(tmp_path / "bench-1000.json"), out=str(tmp_path / "report.md"), stdout=report)
    assert "| framework floor (authenticated one-line page) | " in (tmp_path / "report.md").read_text()
    # the query plans of the README: every list, search and sweep explained
    call_command("bench_plans", out=str(tmp_path / "plans.md"), stdout=StringIO())
    plans = (tmp_path / "plans.md").read_text()
    assert plans.count("### ") == 11 and "Execution Time" in plans and "### sweep auto_close" in plans
    print(f"bench --quick at 1,000 complaints: {runtime:.1f} s")


def test_a_workload_answering_another_status_fails_the_bench(tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("seed_bench writes with COPY: PostgreSQL only")
    call_command("seed_bench", complaints=1000, stdout=StringIO())
    floor = workloads.workload("floor")
    wrong = workloads.Workload(floor.key, floor.title, floor.role, floor.call, expect=404)
    monkeypatch.setattr("benchmarks.management.commands.bench.WORKLOADS", (wrong,))
    with pytest.raises(CommandError, match="answered 200, not 404"):
        call_command("bench", quick=True, http=False, celery=False, out=str(tmp_path), stdout=StringIO())
    assert not list(tmp_path.glob("*.json")) and not list(tmp_path.glob("*.md"))

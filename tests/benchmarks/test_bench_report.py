"""The bench's figures and tables (benchmarks/measure.py, benchmarks/report.py): no database."""

from benchmarks import report
from benchmarks.measure import summary
from benchmarks.workloads import LIST, Budget


def test_summary_gives_the_median_and_the_nearest_rank_p95():
    figures = summary([float(v) for v in range(20, 0, -1)])  # 1 … 20, in any order
    assert figures == {"n": 20, "median": 10.5, "p95": 19.0, "min": 1.0, "max": 20.0}
    assert summary([5.0])["p95"] == 5.0
    assert summary([])["median"] is None


def test_budgets_check_time_and_queries():
    assert LIST.holds(24.9, 8) is True
    assert LIST.holds(25.1, 8) is False
    assert LIST.holds(10, 9) is False
    assert Budget().holds(10, 1) is None
    assert LIST.describe() == "≤ 25 ms, ≤ 8 q, +30 % growth"


def test_size_labels():
    assert [report.size_label(n) for n in (1000, 10_000, 100_000, 1_000_000, 1500, 950)] == [
        "1k",
        "10k",
        "100k",
        "1M",
        "1.5k",
        "950",
    ]


def _run(size: int, list_ms: float, floor_ms: float = 2.0, queries: int = 9) -> dict:
    def page(key, title, median, q):
        return {
            "key": key,
            "title": title,
            "role": "agent",
            "status": 200,
            "ms": {"n": 3, "median": median, "p95": median, "min": median, "max": median},
            "queries": q,
            "bytes": 100,
        }

    return {
        "label": str(size),
        "size": size,
        "environment": {
            "date": "2026-12-01T10:00:00+08:00",
            "date_utc": "2026-12-01T02:00:00+00:00",
            "git_commit": "0123456789abcdef",
            "database_version": "PostgreSQL 15.20",
            "complaints": size,
            "events": size * 5,
            "load_average_start": [0.1, 0.1, 0.1],
            "load_average_end": [0.2, 0.1, 0.1],
            "cpu_count": 2,
        },
        "settings": {"runs": 3, "warmups": 1},
        "in_process": [
            page("floor", "framework floor (authenticated one-line page)", floor_ms, 2),
            page("list_default", "list, default (25 rows)", list_ms, queries),
        ],
        "sweeps": {},
    }


def test_the_growth_table_has_a_column_per_size_the_growth_and_the_budget_at_the_largest():
    markdown = report.render_growth([_run(1_000_000, 26.0), _run(10_000, 10.0), _run(100_000, 20.0, queries=8)])
    assert "# Bench: growth 10k → 100k → 1M" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| list, default"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:5] == ["10.0 (×5.0)", "20.0 (×10.0)", "26.0 (×13.0)", "+30 %"]
    assert cells[5] == "9 / 8 / 9"  # queries differ between sizes: each shown
    assert cells[-1] == report.FAIL  # 26 ms > 25 ms at 1M (the growth alone would pass)
    markdown = report.render_growth([_run(100_000, 10.0), _run(1_000_000, 14.0, queries=8)])
    row = next(line for line in markdown.splitlines() if line.startswith("| list, default"))
    assert row.rstrip().endswith(f"| {report.FAIL} |")  # 24 ms is within budget, +40 % is not
    markdown = report.render_growth([_run(100_000, 20.0, queries=8), _run(1_000_000, 24.0, queries=8)])
    row = next(line for line in markdown.splitlines() if line.startswith("| list, default"))
    assert row.rstrip().endswith(f"| {report.OK} |")

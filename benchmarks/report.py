"""The bench's Markdown: one run's tables (`bench`), and the growth over sizes from several runs'
JSON (`bench_report`), each figure with its multiple of the floor and issue 17's budget."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .workloads import FLOOR, SWEEP_DUE, SWEEP_IDLE, WEB_RSS_MIB, XLSX_WORKER_MIB, Budget, workload

Run = dict[str, Any]

OK, FAIL, NONE = "✓", "✗", ""


def mark(value: bool | None) -> str:
    return NONE if value is None else (OK if value else FAIL)


def size_label(size: int) -> str:
    """10000 → 10k, 1000000 → 1M, 1234 → 1.2k."""
    for unit, name in ((1_000_000, "M"), (1_000, "k")):
        if size >= unit:
            value = size / unit
            return f"{value:.0f}{name}" if value == int(value) or value >= 10 else f"{value:.1f}{name}"
    return str(size)


def ms(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def times_floor(value: float | None, floor: float | None) -> str:
    if value is None or not floor:
        return "–"
    return f"×{value / floor:,.1f}"


def num(value: float | int | None) -> str:
    return "–" if value is None else f"{value:,}"


def mib(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def budget_of(key: str) -> Budget | None:
    try:
        return workload(key).budget
    except KeyError:
        return None


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def floor_median(figures: Sequence[dict[str, Any]]) -> float | None:
    for f in figures:
        if f["key"] == FLOOR:
            median: float | None = f["ms"]["median"]
            return median
    return None


def environment_line(run: Run) -> str:
    env = run["environment"]
    load = env.get("load_average_start"), env.get("load_average_end")
    return (
        f"{env['date']} · commit {env['git_commit'][:10]}{' (with local changes)' if env.get('git_dirty') else ''} · "
        f"{env['database_version']} · {env['complaints']:,} complaints, {env.get('events', 0):,} events · "
        f"load {_load(load[0])} → {_load(load[1])} · {env['cpu_count']} CPUs · "
        f"{run['settings']['runs']} runs after {run['settings']['warmups']} warm-up"
    )


def _load(values: Sequence[float] | None) -> str:
    return "/".join(f"{v:.1f}" for v in values) if values else "?"


# ------------------------------------------------------------------------- one run
def render_run(run: Run) -> str:
    lines = [f"# Bench {run['label']}: {run['environment']['complaints']:,} complaints", "", environment_line(run), ""]
    pages = run["in_process"]
    floor = floor_median(pages)
    lines += [
        "## In-process (Django test client, DEBUG off)",
        "",
        "Budgets are issue 17's, at 1,000,000 complaints; ✓/✗ compares this run with them.",
        "",
    ]
    rows = []
    for f in pages:
        budget = budget_of(f["key"])
        rows.append(
            [
                f["title"],
                f["role"],
                ms(f["ms"]["median"]),
                ms(f["ms"]["p95"]),
                times_floor(f["ms"]["median"], floor),
                num(f["queries"]),
                num(f["bytes"]),
                str(f["status"]),
                budget.describe() if budget else "",
                mark(budget.holds(f["ms"]["median"], f["queries"]) if budget else None),
            ]
        )
    lines += _table(
        ["workload", "as", "median ms", "p95 ms", "×floor", "queries", "bytes", "status", "budget", ""], rows
    )
    lines += ["", *_render_sweeps(run), ""]
    http = run.get("http")
    if http and http.get("workloads"):
        lines += _render_http(http)
    elif run.get("http_skipped"):
        lines += ["## Over HTTP", "", f"Not measured: {run['http_skipped']}.", ""]
    celery = run.get("celery")
    if celery and celery.get("sweeps"):
        lines += _render_celery(celery)
    elif run.get("celery_skipped"):
        lines += ["## Celery worker", "", f"Not measured: {run['celery_skipped']}.", ""]
    return "\n".join(lines).rstrip() + "\n"


def _render_sweeps(run: Run) -> list[str]:
    sweeps = run.get("sweeps") or {}
    if not sweeps:
        return []
    lines = [
        "## Periodic sweeps (in-process)",
        "",
        "Due: the seeded due rows, each run in a transaction rolled back (the same rows every run; without "
        "the COMMIT and the e-mails queued after it). Idle: after the due rows were committed. "
        f"Budgets: ≤ {SWEEP_DUE.ms:,.0f} ms with 10,000 due, ≤ {SWEEP_IDLE.ms:,.0f} ms idle.",
        "",
    ]
    rows = []
    in_celery = ((run.get("celery") or {}).get("sweeps")) or {}
    for name, s in sweeps.items():
        due, idle = s["due"], s["idle"]
        committed = (in_celery.get(name) or {}).get("runtime_ms") or (s.get("committed") or {}).get("ms")
        rows.append(
            [
                name,
                num(s.get("due_rows")),
                f"{ms(due['ms']['median'])} ({_runs(due['ms']['n'])})",
                num(due.get("queries")),
                mark(SWEEP_DUE.holds(due["ms"]["median"], None)),
                ms(committed),
                f"{ms(idle['ms']['median'])} ({_runs(idle['ms']['n'])})",
                num(idle.get("queries")),
                mark(SWEEP_IDLE.holds(idle["ms"]["median"], None)),
            ]
        )
    committed_where = "committed ms (Celery)" if in_celery else "committed ms"
    lines += _table(
        ["sweep", "due rows", "due: median ms", "queries", "", committed_where, "idle: median ms", "queries", ""], rows
    )
    return lines


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def _render_http(http: dict[str, Any]) -> list[str]:
    figures = http["workloads"]
    floor = floor_median(figures)
    lines = [
        "## Over HTTP (gunicorn, 1 sync worker, production settings, loopback)",
        "",
        f"{http['runs']} runs after {http['warmups']} warm-up; a new connection per request. Worker RSS: "
        f"{mib(http.get('worker_rss_after_start_mib'))} MiB after start, "
        f"{mib(http.get('worker_rss_after_pages_max_mib'))} MiB at most after a page "
        f"(budget ≤ {WEB_RSS_MIB:.0f} MiB: "
        f"{mark(_le(http.get('worker_rss_after_pages_max_mib'), WEB_RSS_MIB))}), "
        f"peak {mib(http.get('worker_peak_rss_mib'))} MiB.",
        "",
    ]
    rows = []
    for f in figures:
        growth_budget = ""
        if f["key"] == "xlsx_month":
            growth_budget = f"≤ {XLSX_WORKER_MIB:.0f} MiB {mark(_le(f.get('request_growth_mib'), XLSX_WORKER_MIB))}"
        rows.append(
            [
                f["title"],
                f["role"],
                ms(f["ms"]["median"]),
                ms(f["ms"]["p95"]),
                times_floor(f["ms"]["median"], floor),
                num(f["bytes"]),
                str(f["status"]),
                mib(f.get("rss_after_max_mib")),
                mib(f.get("peak_rss_mib")),
                f"{mib(f.get('request_growth_mib'))} {growth_budget}".strip(),
            ]
        )
    lines += _table(
        [
            "workload",
            "as",
            "median ms",
            "p95 ms",
            "×floor",
            "bytes",
            "status",
            "RSS after MiB",
            "peak MiB",
            "request's own MiB",
        ],
        rows,
    )
    return [*lines, ""]


def _render_celery(celery: dict[str, Any]) -> list[str]:
    lines = [
        "## Celery worker (solo pool, production settings): the committed run of each sweep",
        "",
        f"Worker RSS {mib(celery.get('rss_after_start_mib'))} MiB after start, peak {mib(celery.get('peak_rss_mib'))} "
        "MiB. One run each (it commits: the due rows are handled); runtime as the worker logs it.",
        "",
    ]
    rows = []
    for name, s in celery["sweeps"].items():
        counts = s.get("counts") or {}
        rows.append(
            [
                name,
                num(counts.get("processed")),
                ms(s.get("runtime_ms")),
                mark(False if "error" in s else SWEEP_DUE.holds(s.get("runtime_ms"), None)),
                mib(s.get("peak_rss_mib")),
                f"failed: {s['error'][:120]}"
                if "error" in s
                else ", ".join(f"{k} {v}" for k, v in counts.items() if k != "processed"),
            ]
        )
    lines += _table(["sweep", "handled", "runtime ms", "", "peak RSS MiB", "counts"], rows)
    return [*lines, ""]


def _le(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


# ------------------------------------------------------------------ several sizes
def _by_key(run: Run) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for f in run["in_process"]}


def growth_cell(before: float | None, after: float | None) -> str:
    if not before or after is None:
        return "–"
    return f"{(after / before - 1) * 100:+.0f} %"


def render_growth(runs: Sequence[Run]) -> str:
    """One table: each workload's median (and ×floor) per size, smallest first; queries and bytes
    per size; the growth between the two largest sizes; the budget checked at the largest."""
    runs = sorted(runs, key=lambda r: r["size"])
    labels = [size_label(r["size"]) for r in runs]
    largest = runs[-1]
    floors = [floor_median(r["in_process"]) for r in runs]
    keys: list[str] = []
    for r in runs:
        keys += [f["key"] for f in r["in_process"] if f["key"] not in keys]
    lines = [
        f"# Bench: growth {' → '.join(labels)}",
        "",
        *[f"- **{label}**: {environment_line(r)}" for label, r in zip(labels, runs, strict=True)],
        "",
        f"In-process medians in ms (×floor). Budgets: issue 17's at 1,000,000 complaints, checked at "
        f"{labels[-1]}; growth is {labels[-2] if len(labels) > 1 else '–'} → {labels[-1]}.",
        "",
    ]
    growth_name = f"growth {labels[-2]}→{labels[-1]}" if len(labels) > 1 else "growth"
    rows = []
    for key in keys:
        cells = [r_by.get(key) for r_by in (_by_key(r) for r in runs)]
        title = next(c["title"] for c in cells if c)
        medians = [c["ms"]["median"] if c else None for c in cells]
        budget = budget_of(key)
        last = cells[-1]
        growth_ok: bool | None = None
        if budget and budget.growth is not None and len(medians) > 1 and medians[-2] and medians[-1] is not None:
            growth_ok = medians[-1] / medians[-2] <= budget.growth
        holds = budget.holds(medians[-1], last["queries"] if last else None) if budget else None
        verdict = None if holds is None and growth_ok is None else all(v for v in (holds, growth_ok) if v is not None)
        rows.append(
            [
                title,
                *[f"{ms(m)} ({times_floor(m, f)})" for m, f in zip(medians, floors, strict=True)],
                growth_cell(medians[-2] if len(medians) > 1 else None, medians[-1]),
                _per_size([c["queries"] if c else None for c in cells]),
                _per_size([c["bytes"] if c else None for c in cells]),
                budget.describe() if budget else "",
                mark(verdict),
            ]
        )
    lines += _table(["workload", *labels, growth_name, "queries", "bytes", "budget", ""], rows)
    lines += ["", *_growth_sweeps(runs, labels), "", *_growth_memory(runs, labels)]
    lines += ["", f"Largest run: {largest['label']} ({largest['environment']['complaints']:,} complaints)."]
    return "\n".join(lines).rstrip() + "\n"


def _per_size(values: Sequence[int | None]) -> str:
    distinct = {v for v in values if v is not None}
    if len(distinct) <= 1:
        return num(next(iter(distinct), None))
    return " / ".join(num(v) for v in values)


def _growth_sweeps(runs: Sequence[Run], labels: Sequence[str]) -> list[str]:
    names: list[str] = []
    for r in runs:
        names += [n for n in (r.get("sweeps") or {}) if n not in names]
    if not names:
        return []
    rows = []
    for name in names:
        sweeps = [(r.get("sweeps") or {}).get(name) for r in runs]
        celery = [((r.get("celery") or {}).get("sweeps") or {}).get(name) for r in runs]
        due = [f"{ms(s['due']['ms']['median'])} ({num(s.get('due_rows'))})" if s else "–" for s in sweeps]
        committed = [ms(c.get("runtime_ms")) if c else "–" for c in celery]
        idle = [ms(s["idle"]["ms"]["median"]) if s else "–" for s in sweeps]
        last, last_celery = sweeps[-1], celery[-1]
        due_ok = SWEEP_DUE.holds(last["due"]["ms"]["median"], None) if last else None
        if last_celery and "error" in last_celery:
            due_ok = False
        elif last_celery and last_celery.get("runtime_ms") is not None:
            due_ok = bool(due_ok is not False and last_celery["runtime_ms"] <= (SWEEP_DUE.ms or 0))
        idle_ok = SWEEP_IDLE.holds(last["idle"]["ms"]["median"], None) if last else None
        rows.append([name, " / ".join(due), " / ".join(committed), mark(due_ok), " / ".join(idle), mark(idle_ok)])
    header = [
        "sweep",
        f"due ms (rows), rolled back: {' / '.join(labels)}",
        "committed in Celery ms",
        f"≤ {SWEEP_DUE.ms:,.0f} ms",
        "idle ms",
        f"≤ {SWEEP_IDLE.ms:,.0f} ms",
    ]
    return ["## Periodic sweeps", "", *_table(header, rows)]


def _growth_memory(runs: Sequence[Run], labels: Sequence[str]) -> list[str]:
    def http(r: Run, key: str) -> float | None:
        value: float | None = (r.get("http") or {}).get(key)
        return value

    def xlsx_growth(r: Run) -> float | None:
        for f in (r.get("http") or {}).get("workloads", []):
            if f["key"] == "xlsx_month":
                value: float | None = f.get("request_growth_mib")
                return value
        return None

    def celery_peak(r: Run) -> float | None:
        value: float | None = (r.get("celery") or {}).get("peak_rss_mib")
        return value

    last = runs[-1]
    rows = [
        [
            "web worker RSS after every page (max), MiB",
            *[mib(http(r, "worker_rss_after_pages_max_mib")) for r in runs],
            f"≤ {WEB_RSS_MIB:.0f}",
            mark(_le(http(last, "worker_rss_after_pages_max_mib"), WEB_RSS_MIB)),
        ],
        ["web worker peak RSS, MiB", *[mib(http(r, "worker_peak_rss_mib")) for r in runs], "", ""],
        [
            "XLSX request's own memory (peak − before), MiB",
            *[mib(xlsx_growth(r)) for r in runs],
            f"≤ {XLSX_WORKER_MIB:.0f}",
            mark(_le(xlsx_growth(last), XLSX_WORKER_MIB)),
        ],
        ["Celery worker peak RSS (sweeps), MiB", *[mib(celery_peak(r)) for r in runs], "", ""],
    ]
    http_rows = _growth_http(runs, labels)
    return ["## Memory", "", *_table(["", *labels, "budget", ""], rows), "", *http_rows]


def _growth_http(runs: Sequence[Run], labels: Sequence[str]) -> list[str]:
    keys: list[str] = []
    for r in runs:
        keys += [f["key"] for f in (r.get("http") or {}).get("workloads", []) if f["key"] not in keys]
    if not keys:
        return []
    by_run = [{f["key"]: f for f in (r.get("http") or {}).get("workloads", [])} for r in runs]
    floors = [floor_median((r.get("http") or {}).get("workloads", [])) for r in runs]
    rows = []
    for key in keys:
        cells = [b.get(key) for b in by_run]
        title = next(c["title"] for c in cells if c)
        rows.append(
            [
                title,
                *[
                    f"{ms(c['ms']['median'])} ({times_floor(c['ms']['median'], f)})" if c else "–"
                    for c, f in zip(cells, floors, strict=True)
                ],
                " / ".join(mib(c.get("rss_after_max_mib")) if c else "–" for c in cells),
            ]
        )
    return [
        "## Over HTTP (gunicorn), medians in ms (×floor)",
        "",
        *_table(["workload", *labels, "RSS after, MiB"], rows),
    ]

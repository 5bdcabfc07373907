"""`manage.py bench_report bench-results/bench-*.json`: one Markdown table of several `bench`
runs (sizes), smallest first — each workload's median and ×floor per size, the growth between
the two largest, queries, bytes, and issue 17's budget with ✓/✗ at the largest size."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from benchmarks import report


class Command(BaseCommand):
    help = "Merge the JSON of several bench runs into one Markdown table with the growth over sizes."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("files", nargs="+", help="bench-<label>.json files written by `manage.py bench`.")
        parser.add_argument("--out", default="", help="Also write the Markdown to this file.")

    def handle(self, *args: Any, **options: Any) -> None:
        runs: dict[int, dict[str, Any]] = {}
        for name in options["files"]:
            path = Path(name)
            try:
                run = json.loads(path.read_text())
            except (OSError, ValueError) as error:
                raise CommandError(f"{path}: {error}") from error
            if "in_process" not in run or "size" not in run:
                raise CommandError(f"{path} is not the JSON of a bench run.")
            earlier = runs.get(run["size"])
            if earlier is None or run["environment"]["date_utc"] > earlier["environment"]["date_utc"]:
                runs[run["size"]] = run  # the latest run of each size
        markdown = report.render_growth(list(runs.values()))
        if options["out"]:
            out = Path(options["out"])
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(markdown)
        self.stdout.write(markdown)

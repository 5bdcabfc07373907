from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """The benchmark that holds issue 17's budgets: `seed_bench` (realistic data at any size)
    and `bench` (every workload, in-process and over HTTP). Not a test: `make bench` runs it;
    CI runs a 1,000-complaint smoke of both."""

    name = "benchmarks"
    verbose_name = "Benchmarks"

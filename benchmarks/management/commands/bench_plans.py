"""`python manage.py bench_plans [--out FILE]`: EXPLAIN (ANALYZE, BUFFERS) of the list, search and
sweep queries on the configured (seeded) PostgreSQL database, as Markdown — the query plans of
benchmarks/README.md. Read-only: each page is a GET, each sweep runs in a transaction rolled back."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from benchmarks import data
from complaints import sweeps

PAGES = [
    ("list, default", data.AGENT, "/complaints/"),
    ("list, overdue", data.AGENT, "/complaints/?overdue=on"),
    ("list, assigned to me", data.HANDLER, "/complaints/?mine=on"),
    (f"search, common 2-character word ({data.SEARCH_2CHAR})", data.AGENT, f"/complaints/?q={data.SEARCH_2CHAR}"),
    (
        f"search, 2-character word with no match ({data.SEARCH_2CHAR_NO_MATCH})",
        data.AGENT,
        f"/complaints/?q={data.SEARCH_2CHAR_NO_MATCH}",
    ),
    (f"search, 4-character phrase ({data.SEARCH_4CHAR})", data.AGENT, f"/complaints/?q={data.SEARCH_4CHAR}"),
    (
        f"search, a phone with four complaints ({data.PHONE_WITH_FOUR})",
        data.AGENT,
        f"/complaints/?q={data.PHONE_WITH_FOUR}",
    ),
]
OURS = ("complaints_complaint", "customers_customer")  # the queries worth a plan: not session, user, perms


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "EXPLAIN ANALYZE of the list, search and sweep queries (Markdown)."

    def add_arguments(self, parser):
        parser.add_argument("--out", help="write the Markdown here (default: stdout)")

    def handle(self, *args, out: str | None = None, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_plans explains PostgreSQL's plans: set DATABASE_URL.")
        users = get_user_model().objects
        lines = [f"Plans on {connection.settings_dict['NAME']} (EXPLAIN (ANALYZE, BUFFERS), warm cache).", ""]
        with override_settings(ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS]):
            for title, username, url in PAGES:
                client = Client()
                client.force_login(users.get(username=username), backend=settings.AUTHENTICATION_BACKENDS[-1])
                client.get(url)  # warm
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(url)
                ours = [q["sql"] for q in ctx.captured_queries if any(t in q["sql"] for t in OURS)]
                lines += [f"### {title}: `GET {url}` ({response.status_code}, {len(ctx.captured_queries)} queries)", ""]
                for sql in ours:
                    lines += self._explain(sql)
        for name, sweep in sweeps.SWEEPS.items():
            with CaptureQueriesContext(connection) as ctx:
                try:
                    with transaction.atomic():
                        counts = sweep()
                        raise Rollback
                except Rollback:
                    pass
            select = next((q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]), None)
            lines += [f"### sweep {name} ({counts.get('processed', 0):,} due; rolled back)", ""]
            if select:
                lines += self._explain(select)
        text = "\n".join(lines) + "\n"
        if out:
            Path(out).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text)

    def _explain(self, sql: str) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        short = sql if len(sql) < 400 else sql[:200] + " … " + sql[-180:]
        return ["```sql", short, "```", "```", plan, "```", ""]

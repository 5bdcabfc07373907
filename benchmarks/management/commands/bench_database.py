"""`manage.py bench_database NAME [--server URL] [--keep]`, for `make bench`: (re)create the
PostgreSQL database NAME on the server (dropped first if it exists), or with --keep leave it as
it is when it already holds seeded complaints. Prints `fresh` (create, migrate and seed it) or
`seeded` (reuse it). Connects to the server's `postgres` database, not to the configured one."""

from __future__ import annotations

import re
from argparse import ArgumentParser
from typing import Any

import psycopg
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Command(BaseCommand):
    help = "Drop and create a benchmark database (or keep a seeded one); prints 'fresh' or 'seeded'."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="The database, e.g. helpdesk_bench_100000.")
        parser.add_argument(
            "--server",
            default="postgres://postgres@127.0.0.1:5432",
            help="The PostgreSQL server, as a URL without database.",
        )
        parser.add_argument("--keep", action="store_true", help="Reuse the database if it holds seeded complaints.")

    def handle(self, *args: Any, **options: Any) -> None:
        name, server = options["name"], options["server"].rstrip("/")
        if not NAME.match(name):
            raise CommandError(f"Not a plain database name: {name!r}.")
        if options["keep"] and _seeded(f"{server}/{name}"):
            self.stdout.write("seeded")
            return
        try:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as error:
            raise CommandError(f"Could not create {name} on {server}: {error}") from error
        self.stdout.write("fresh")


def _seeded(url: str) -> bool:
    """Does the database exist and hold complaints (a finished seed_bench)?"""
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT to_regclass('complaints_complaint') IS NOT NULL"
                " AND EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'complaints_complaint')"
            ).fetchone()
            if not row or not row[0]:
                return False
            found = conn.execute("SELECT EXISTS (SELECT 1 FROM complaints_complaint)").fetchone()
            return bool(found and found[0])
    except psycopg.Error:
        return False

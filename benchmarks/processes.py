"""The bench's worker processes (gunicorn, Celery): their environment, and their memory as
Linux reports it in /proc/<pid>/status (VmRSS: resident now; VmHWM: the peak, which writing
"5" to /proc/<pid>/clear_refs resets, so that the peak of one request can be read)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "benchmarks.settings"
MIB = 1024 * 1024


def database_url() -> str:
    """The URL of the database this process is connected to (the test database in tests)."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(str(db.get("USER") or ""), safe="")
        password = quote(str(db.get("PASSWORD") or ""), safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{quote(str(db['NAME']), safe='')}"
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    raise ValueError(f"No DATABASE_URL for a {connection.vendor} database.")


def shares_database() -> tuple[bool, str]:
    """Can another process open this database? Not an in-memory SQLite one (the tests')."""
    if connection.vendor == "postgresql":
        return True, ""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite" and name and "memory" not in name and Path(name).exists():
        return True, ""
    return False, f"the {connection.vendor} database {name or '(unnamed)'} cannot be opened by another process"


def worker_environment(*, site_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Production settings (benchmarks/settings.py) on this database, on loopback."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),  # a throw-away key: sessions are made by logging in
        # ...but the complainants' links are derived with this process's link secret, so that the
        # sweeps' notices find the links already issued instead of issuing new ones
        "HELPDESK_LINK_SECRET": settings.HELPDESK_LINK_SECRET or settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # the bench is the proxy: it says https (X-Forwarded-Proto)
        "HELPDESK_SITE_URL": site_url,
        "DATABASE_URL": database_url(),
        "CACHE_URL": os.environ.get("CACHE_URL", "locmemcache://"),
        "CELERY_BROKER_URL": "memory://",
        # the public pages' per-address limit (120/h) would answer the bench's requests with 429
        "HELPDESK_PUBLIC_PAGE_RATE": "1000000/h",
        "SENTRY_DSN": "",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_DEBUG", None)
    env.update(extra or {})
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid` in bytes ({} when the process is gone or /proc is missing)."""
    values: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return values
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024  # kB
    return values


def reset_peak(pid: int) -> bool:
    """Reset the peak RSS (VmHWM) of `pid` to its current RSS; False where Linux does not allow it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def children(pid: int) -> list[int]:
    """The child processes of `pid` (gunicorn's workers)."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(child) for child in text)
    except OSError:
        pass
    if found:
        return found
    for entry in Path("/proc").iterdir():  # without /proc/<pid>/task/*/children
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[-1].split()
            if len(fields) > 1 and fields[1] == str(pid):
                found.append(int(entry.name))
    return found


def stop(process: subprocess.Popen[bytes], *, timeout: float = 20, how: int = signal.SIGTERM) -> None:
    """Stop a process this bench started (SIGTERM unless `how` says otherwise) and wait for it."""
    if process.poll() is None:
        process.send_signal(how)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def python() -> str:
    return sys.executable


def mib(value: int | None) -> float | None:
    return None if value is None else round(value / MIB, 1)

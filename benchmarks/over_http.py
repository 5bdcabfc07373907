"""Over HTTP: the GET workloads against gunicorn as the image runs it (docker/gunicorn.conf.py,
one sync worker, production settings: benchmarks/settings.py), bound to a free loopback port,
each demo role logged in through the login form (CSRF), each request on a new connection (a
sync worker closes it after every answer) with `X-Forwarded-Proto: https`, as the TLS proxy in
front of production sends it (the session and CSRF cookies are HTTPS-only).

Time is the client's wall time from connecting to the last byte. Memory is the worker's, from
/proc: its peak RSS is reset before each request and read after it (the request's own peak),
with its resident size before and after — "after every page" is what the RSS budget holds.
"""

from __future__ import annotations

import http.client
import subprocess
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from . import processes
from .measure import WorkloadFailed, summary
from .workloads import Fixtures, Workload

LOGIN_PATH = "/login/"
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 600.0


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    ms: float

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")


class Browser:
    """One visitor: a cookie jar and plain HTTP/1.1 requests to the loopback server."""

    def __init__(self, port: int):
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"  # what the proxy's client sees
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "Connection": "close",
            "User-Agent": "helpdesk-bench",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
            if "csrftoken" in self.cookies:
                headers["X-CSRFToken"] = self.cookies["csrftoken"]
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            answer = Answer(response.status, response.getheaders(), content, elapsed)
        finally:
            conn.close()
        for name, value in answer.headers:
            if name.lower() == "set-cookie":
                self._keep(value)
        return answer

    def _keep(self, header: str) -> None:
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or (morsel.value == "" and morsel["expires"]):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def login(self, username: str, password: str) -> None:
        self.request("GET", LOGIN_PATH)
        token = self.cookies.get("csrftoken", "")
        answer = self.request(
            "POST", LOGIN_PATH, {"username": username, "password": password, "csrfmiddlewaretoken": token}
        )
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise WorkloadFailed(
                f"Logging in as {username} over HTTP answered {answer.status} "
                f"(cookies: {sorted(self.cookies)}): {answer.body[:400].decode(errors='replace')}"
            )


def last_error(log: Path) -> str:
    """The last exception line of a worker's log (a traceback's last unindented line)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        if line and not line.startswith((" ", "[", "{")) and ("Error" in line or "Exception" in line):
            return line.strip()
    return ""


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    worker_pid: int = 0

    def worker(self) -> int:
        found = processes.children(self.process.pid)
        if len(found) != 1:
            raise WorkloadFailed(f"gunicorn should have one worker, it has {found}: see {self.log}")
        return found[0]


def start(log: Path, *, timeout: float = START_TIMEOUT) -> Server:
    port = processes.free_port()
    env = processes.worker_environment(
        site_url=f"http://127.0.0.1:{port}",
        extra={"GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1", "GUNICORN_TIMEOUT": "600"},
    )
    handle = log.open("wb")
    process = subprocess.Popen(
        [processes.python(), "-m", "gunicorn", "--config", "docker/gunicorn.conf.py", "helpdesk.wsgi:application"],
        cwd=processes.ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    server = Server(process, port, log)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise WorkloadFailed(f"gunicorn exited with {process.returncode}: {last_error(log)} (see {log})")
        try:
            status = Browser(port).request("GET", LOGIN_PATH).status
        except OSError:
            status = 0
        if status == 200:
            break
        if status >= 500 or time.monotonic() > deadline:
            processes.stop(process)
            problem = f"answered {status}" if status else f"did not answer within {timeout:.0f} s"
            raise WorkloadFailed(f"gunicorn {problem} to GET {LOGIN_PATH}: {last_error(log)} (see {log})")
        time.sleep(0.2)
    server.worker_pid = server.worker()
    return server


@dataclass
class HttpRecord:
    workload: Workload
    role: str
    path: str = ""
    samples_ms: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    rss_before: list[int] = field(default_factory=list)
    rss_after: list[int] = field(default_factory=list)
    peak: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.workload.key,
            "title": self.workload.title,
            "role": self.role or "anonymous",
            "path": self.path,
            "status": self.statuses[-1] if self.statuses else None,
            "statuses": sorted(set(self.statuses)),
            "ms": summary(self.samples_ms),
            "samples_ms": [round(s, 3) for s in self.samples_ms],
            "bytes": self.bytes[-1] if self.bytes else None,
            "rss_after_mib": [processes.mib(v) for v in self.rss_after],
            "rss_after_max_mib": processes.mib(max(self.rss_after)) if self.rss_after else None,
            "peak_rss_mib": processes.mib(max(self.peak)) if self.peak else None,
            # what the request itself took on top of what the worker held before it
            "request_growth_mib": processes.mib(
                max((max(0, p - b) for p, b in zip(self.peak, self.rss_before, strict=True)), default=0)
            ),
        }


def run_pages(
    workloads: tuple[Workload, ...],
    fixtures: Fixtures,
    *,
    runs: int,
    warmups: int,
    password: str,
    log: Path,
    progress: Any,
) -> dict[str, Any]:
    """Start gunicorn, log the roles in, run the GET workloads in rounds, stop gunicorn."""
    started = time.perf_counter()
    server = start(log)
    try:
        took = time.perf_counter() - started
        progress(f"gunicorn on 127.0.0.1:{server.port}, worker pid {server.worker_pid} ({took:.1f} s)")
        pid = server.worker_pid
        after_start = processes.proc_status(pid)
        browsers: dict[str, Browser] = {}
        records = [HttpRecord(w, w.role_for(fixtures)) for w in workloads if w.over_http]
        for record in records:
            if record.role not in browsers:
                browser = Browser(server.port)
                if record.role:
                    browser.login(record.role, password)
                browsers[record.role] = browser
        after_login = processes.proc_status(pid)
        resets = True
        for round_ in range(warmups + runs):
            timed = round_ >= warmups
            for record in records:
                if record.workload.prepare is not None:
                    record.workload.prepare(fixtures)
                call = record.workload.call(fixtures, 0)
                before = processes.proc_status(pid)
                resets = processes.reset_peak(pid) and resets
                answer = browsers[record.role].request("GET", call.path)
                status = processes.proc_status(pid)
                if server.worker() != pid:
                    raise WorkloadFailed(f"The gunicorn worker was replaced during {record.workload.key}: see {log}")
                record.path = call.path
                if answer.status != record.workload.expect:
                    raise WorkloadFailed(
                        f"{record.workload.key} over HTTP as {record.role or 'anonymous'}: GET {call.path} answered "
                        f"{answer.status}, not {record.workload.expect}: {last_error(log)} "
                        f"Body: {answer.body[:600].decode(errors='replace')}"
                    )
                if timed:
                    record.samples_ms.append(answer.ms)
                    record.statuses.append(answer.status)
                    record.bytes.append(len(answer.body))
                    record.rss_before.append(before.get("VmRSS", 0))
                    record.rss_after.append(status.get("VmRSS", 0))
                    record.peak.append(status.get("VmHWM", 0))
            progress(f"HTTP round {round_ + 1}/{warmups + runs}{'' if timed else ' (warm-up)'}")
        rss_after_pages = [v for r in records for v in r.rss_after]
        peaks = [v for r in records for v in r.peak]
        return {
            "server": "gunicorn, docker/gunicorn.conf.py, 1 sync worker, benchmarks.settings (production)",
            "port": server.port,
            "runs": runs,
            "warmups": warmups,
            "peak_reset_per_request": resets,
            "worker_rss_after_start_mib": processes.mib(after_start.get("VmRSS")),
            "worker_rss_after_login_mib": processes.mib(after_login.get("VmRSS")),
            "worker_rss_after_pages_max_mib": processes.mib(max(rss_after_pages)) if rss_after_pages else None,
            "worker_peak_rss_mib": processes.mib(max([*peaks, after_login.get("VmHWM", 0)])),
            "workloads": [r.as_json() for r in records],
        }
    finally:
        processes.stop(server.process)

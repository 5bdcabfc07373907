"""What `bench` measures: every workload of issue 17 as one request (or one sweep), the demo
user it runs as, the status it must answer with, and the budget it is held to at 1,000,000
complaints.

A workload is a function of the `Fixtures` (the fixed points `seed_bench` writes, found in the
database: benchmarks/data.py) and the run's number, so that the same list drives the in-process
runner (benchmarks/measure.py) and the HTTP runner (benchmarks/over_http.py). Nothing here
writes to the database except `Fixtures.load`, which issues the progress page's private link
when the detail complaint has none, and `change_last_month_end` (a workload's `prepare`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from . import data

AGENT, SUPERVISOR, MANAGER, HANDLER = data.AGENT, data.SUPERVISOR, data.MANAGER, data.HANDLER
ROLES = (AGENT, SUPERVISOR, MANAGER, HANDLER)
ANONYMOUS = ""  # the complainant's public pages: no login


class BenchSetupError(Exception):
    """The database lacks what the bench needs (run seed_bench first)."""


@dataclass(frozen=True)
class Budget:
    """Issue 17's budget for a workload at 1,000,000 complaints (in-process median)."""

    ms: float | None = None
    queries: int | None = None
    growth: float | None = None  # the largest allowed median ratio 100k → 1M (1.3: +30 %)

    def describe(self) -> str:
        parts = []
        if self.ms is not None:
            parts.append(f"≤ {self.ms:,.0f} ms")
        if self.queries is not None:
            parts.append(f"≤ {self.queries} q")
        if self.growth is not None:
            parts.append(f"+{(self.growth - 1) * 100:.0f} % growth")
        return ", ".join(parts)

    def holds(self, median_ms: float | None, queries: int | None) -> bool | None:
        """True/False against the time and query budgets; None when there is nothing to check."""
        checks: list[bool] = []
        if self.ms is not None and median_ms is not None:
            checks.append(median_ms <= self.ms)
        if self.queries is not None and queries is not None:
            checks.append(queries <= self.queries)
        return all(checks) if checks else None


LIST = Budget(ms=25, queries=8, growth=1.3)
SEARCH = Budget(ms=25, queries=8)
DETAIL = Budget(ms=20, growth=1.3)
INTAKE = Budget(ms=25, queries=15, growth=1.3)
ACTION = Budget(ms=20)
PUBLIC = Budget(ms=20)
DASHBOARD = Budget(ms=150)
XLSX = Budget(ms=2000)
SWEEP_DUE = Budget(ms=2000)  # with 10,000 due (1 % of 1M)
SWEEP_IDLE = Budget(ms=10)
WEB_RSS_MIB = 150.0  # web worker RSS after every page
XLSX_WORKER_MIB = 100.0  # the worker memory one XLSX download may take


@dataclass
class Fixtures:
    """The database's fixed points, looked up once before the first run."""

    user_ids: dict[str, int]
    detail_pk: int
    detail_role: str
    detail_events: int
    progress_token: str
    office_code: str
    category_id: int
    last_month: str  # YYYY-MM, the last complete month (the XLSX and CSV)
    this_month: str
    last_month_end: date  # the last day of the last complete month
    intake_pks: list[int] = field(default_factory=list)  # complaints logged by the intake runs
    replied: int = 0  # how many of them the action runs have used

    @classmethod
    def load(cls) -> Fixtures:
        from complainants import tokens
        from complaints import selectors
        from complaints.models import Category, Complaint
        from helpdesk.dates import last_complete_month, local_today, month_label

        users = {u.username: u for u in get_user_model().objects.filter(username__in=ROLES)}
        missing = [name for name in ROLES if name not in users]
        if missing:
            raise BenchSetupError(
                f"No demo user(s) {', '.join(missing)}: seed the database with `manage.py seed_bench` "
                "(which runs seed_demo) first."
            )
        detail = Complaint.objects.filter(subject=data.DETAIL_SUBJECT).order_by("-received_at", "-pk").first()
        if detail is None:
            raise BenchSetupError(f"No complaint with the subject {data.DETAIL_SUBJECT!r}: run seed_bench first.")
        # the first demo role that sees it (seed_bench puts it in the agent's office)
        detail_role = next(
            (
                name
                for name in (AGENT, SUPERVISOR, MANAGER)
                if selectors.complaints_visible_to(users[name]).filter(pk=detail.pk).exists()
            ),
            None,
        )
        if detail_role is None:
            raise BenchSetupError(f"None of {AGENT}, {SUPERVISOR}, {MANAGER} may see complaint {detail.pk}.")
        agent = users[AGENT]
        if agent.office is None:
            raise BenchSetupError(f"The demo user {AGENT} has no office.")
        category = Category.objects.filter(is_active=True).order_by("pk").first()
        if category is None:
            raise BenchSetupError("No active complaint category.")
        token = tokens.token_for(detail) or tokens.issue(detail)
        return cls(
            user_ids={name: user.pk for name, user in users.items()},
            detail_pk=detail.pk,
            detail_role=detail_role,
            detail_events=detail.events.count(),
            progress_token=token,
            office_code=agent.office.code,
            category_id=category.pk,
            last_month=month_label(last_complete_month()),
            this_month=month_label(local_today()),
            last_month_end=local_today().replace(day=1) - timedelta(days=1),
        )

    def next_for_action(self) -> int:
        """The oldest complaint logged by an intake run that no action run has used yet."""
        if self.replied >= len(self.intake_pks):
            raise BenchSetupError("The action run has no fresh complaint: the intake run before it logged none.")
        pk = self.intake_pks[self.replied]
        self.replied += 1
        return pk


@dataclass(frozen=True)
class Call:
    path: str
    data: dict[str, str] | None = None  # a POST's form fields


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    role: str | Callable[[Fixtures], str]  # a demo username, ANONYMOUS, or chosen from the fixtures
    call: Callable[[Fixtures, int], Call]
    expect: int = 200
    method: str = "GET"
    budget: Budget | None = None
    logs_complaint: bool = False  # a 302 to the new complaint: its id goes to Fixtures.intake_pks
    prepare: Callable[[Fixtures], None] | None = None  # before each run, not timed

    @property
    def over_http(self) -> bool:
        return self.method == "GET"

    def role_for(self, fixtures: Fixtures) -> str:
        return self.role(fixtures) if callable(self.role) else self.role


LOCATION_PK = re.compile(r"/complaints/(\d+)/")


def complaint_pk_from(location: str) -> int:
    match = LOCATION_PK.search(location)
    if match is None:
        raise BenchSetupError(f"The intake answered with a redirect to {location!r}, not to a complaint.")
    return int(match[1])


def _get(path: str, **query: str) -> Callable[[Fixtures, int], Call]:
    full = f"{path}?{urlencode(query)}" if query else path
    return lambda fixtures, run: Call(full)


def _local_input(delta: timedelta) -> str:
    return f"{timezone.localtime() + delta:%Y-%m-%dT%H:%M}"


def intake_payload(fixtures: Fixtures, run: int) -> dict[str, str]:
    """A valid walk-in intake (WalkInIntakeForm) with an agreed reply time: a new complainant
    each run (a fresh phone number), so each run logs one ordinary complaint."""
    return {
        "complainant_name": "基准先生",
        "contact_phone": f"1370{(run * 7919) % 10_000_000:07d}",
        "contact_email": "",
        "incident_at": _local_input(-timedelta(hours=1)),
        "incident_place": "河畔花园 3 号楼大堂",
        "persons_involved": "",
        "subject": f"基准测试：大堂门禁失灵 {run}",
        "category": str(fixtures.category_id),
        "description": "大堂自动门从早上开始无法打开，住户只能从侧门进出。",
        "outcome": "reply_time",
        "reply_due_at": _local_input(timedelta(hours=4)),
    }


def _intake(fixtures: Fixtures, run: int) -> Call:
    return Call(reverse("complaints:intake_walk_in"), intake_payload(fixtures, run))


def _reply(fixtures: Fixtures, run: int) -> Call:
    pk = fixtures.next_for_action()
    path = reverse("complaints:action", args=[pk, "reply"])
    return Call(path, {"reply-note": "已电话回复投诉人：维修人员今天下午到场处理。"})


def _list(**query: str) -> Callable[[Fixtures, int], Call]:
    return _get(reverse("complaints:list"), **query)


def _mine(fixtures: Fixtures, run: int) -> Call:
    return Call(f"{reverse('complaints:list')}?mine=on")


def _detail(fixtures: Fixtures, run: int) -> Call:
    return Call(reverse("complaints:detail", args=[fixtures.detail_pk]))


def _dashboard(month: Callable[[Fixtures], str]) -> Callable[[Fixtures, int], Call]:
    return lambda fixtures, run: Call(f"{reverse('reports:monthly')}?month={month(fixtures)}")


def _download(fmt: str) -> Callable[[Fixtures, int], Call]:
    return lambda fixtures, run: Call(reverse("reports:monthly_download", args=[fixtures.last_month, fmt]))


def _public_form(fixtures: Fixtures, run: int) -> Call:
    return Call(reverse("complainants:form", args=[fixtures.office_code]))


def _progress(fixtures: Fixtures, run: int) -> Call:
    return Call(reverse("complainants:progress", args=[fixtures.progress_token]))


def change_last_month_end(fixtures: Fixtures) -> None:
    """What the summary's triggers log for any write to the complaints or events of the last
    day of the last complete month (migration 0026): that month's kept figures no longer
    hold, and the dashboard adds them up again from its days — as it does for the current
    month on its last day after every intake. The one write the bench makes besides its
    intake and action runs: one row of the change log (PostgreSQL's: elsewhere nothing is kept,
    and every dashboard computes its months)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO complaints_summary_change (month) VALUES (%s)", [fixtures.last_month_end])


def _last(fixtures: Fixtures) -> str:
    return fixtures.last_month


def _this(fixtures: Fixtures) -> str:
    return fixtures.this_month


def _detail_role(fixtures: Fixtures) -> str:
    return fixtures.detail_role


FLOOR = "floor"

WORKLOADS: tuple[Workload, ...] = (
    Workload(FLOOR, "framework floor (authenticated one-line page)", AGENT, _get("/bench/floor/")),
    Workload("list_default", "list, default (25 rows)", AGENT, _list(), budget=LIST),
    Workload("list_all_offices", "list, every office (manager)", MANAGER, _list(), budget=LIST),
    Workload("list_status", "list by status (in progress)", SUPERVISOR, _list(status="in_progress"), budget=LIST),
    Workload("list_assignee", "list by assignee (handler: assigned to me)", HANDLER, _mine, budget=LIST),
    Workload("list_overdue", "list, overdue only", SUPERVISOR, _list(overdue="on"), budget=LIST),
    Workload(
        "search_2char",
        f"search, 2-char Chinese ({data.SEARCH_2CHAR})",
        AGENT,
        _list(q=data.SEARCH_2CHAR),
        budget=SEARCH,
    ),
    Workload(
        "search_2char_none",
        f"search, 2-char Chinese, no match ({data.SEARCH_2CHAR_NO_MATCH})",
        AGENT,
        _list(q=data.SEARCH_2CHAR_NO_MATCH),
        budget=SEARCH,
    ),
    Workload(
        "search_4char", f"search, 4-char phrase ({data.SEARCH_4CHAR})", AGENT, _list(q=data.SEARCH_4CHAR), budget=SEARCH
    ),
    Workload(
        "search_latin", f"search, Latin word ({data.SEARCH_LATIN})", AGENT, _list(q=data.SEARCH_LATIN), budget=SEARCH
    ),
    Workload("search_phone", "search, a phone with 4 complaints", AGENT, _list(q=data.PHONE_WITH_FOUR), budget=SEARCH),
    Workload("detail", "detail, 20 events", _detail_role, _detail, budget=DETAIL),
    Workload(
        "intake_post",
        "walk-in intake POST",
        AGENT,
        _intake,
        expect=302,
        method="POST",
        budget=INTAKE,
        logs_complaint=True,
    ),
    Workload("action_post", "action POST (reply)", AGENT, _reply, expect=302, method="POST", budget=ACTION),
    Workload(
        "dashboard_last_month", "monthly dashboard, last complete month", MANAGER, _dashboard(_last), budget=DASHBOARD
    ),
    Workload("dashboard_this_month", "monthly dashboard, this month", MANAGER, _dashboard(_this), budget=DASHBOARD),
    Workload(
        "dashboard_month_end",
        "monthly dashboard, a whole month changed on its last day",
        MANAGER,
        _dashboard(_last),
        budget=DASHBOARD,
        prepare=change_last_month_end,
    ),
    Workload("xlsx_month", "XLSX of the last complete month", MANAGER, _download("xlsx"), budget=XLSX),
    Workload("csv_month", "CSV of the last complete month", MANAGER, _download("csv")),
    Workload("public_form", "public complaint form", ANONYMOUS, _public_form, budget=PUBLIC),
    Workload("progress_page", "complainant's progress page", ANONYMOUS, _progress, budget=PUBLIC),
    Workload("api_list", "API complaint list", AGENT, _get("/api/v1/complaints/"), budget=LIST),
)


def workload(key: str) -> Workload:
    for w in WORKLOADS:
        if w.key == key:
            return w
    raise KeyError(key)

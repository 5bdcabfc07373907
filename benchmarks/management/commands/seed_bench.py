"""`python manage.py seed_bench --complaints 1000000`: realistic data for the benchmark, fast.

Loads the demo organisation first (seed_demo: offices, the demo users the bench logs in as,
departments with heads), adds offices and staff in proportion, then streams customers,
complaints, their events, visits and notifications into PostgreSQL with COPY. The complaint
table's secondary indexes are dropped for the load and rebuilt after it (one sort per index
instead of a million insertions), then the tables are VACUUM ANALYZEd. Complaints are written
in time order (ids follow received_at), as a live system writes them; a database filled from
an import in random order should be `CLUSTER complaints_complaint USING complaint_recent`d
(benchmarks/README.md).

The load runs with `session_replication_role = replica` (a superuser's setting, as the
project's PostgreSQL user is): no foreign-key or other trigger fires for the COPY, whose rows
refer only to what it wrote itself or read from the database; so the kept monthly figures
(complaints/reports/summary.py) see none of it — right for the fresh database it fills.

Refuses a database that holds any complaint or customer: it is for a fresh, migrated one.
"""

from __future__ import annotations

import io
import random
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import BaseCommand, CommandError, call_command
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Office
from accounts.roles import Role
from benchmarks import data
from benchmarks.generate import DAY, Generator, People, customers, dumps, ts
from complaints.models import Category, Complaint, ComplaintEvent, Department
from customers.models import Customer
from followups.models import Visit

BENCH_OFFICES = [
    ("bench-01", "翠湖苑管理处"),
    ("bench-02", "金色家园管理处"),
    ("bench-03", "阳光城管理处"),
    ("bench-04", "滨江一号管理处"),
    ("bench-05", "锦绣花城管理处"),
    ("bench-06", "星河湾管理处"),
]
AGENTS_PER_OFFICE = 4
COPY_CHUNK = 1 << 20  # characters per write to the COPY stream

_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).translate(_ESCAPE)


class Copy:
    """Rows into one table with COPY FROM STDIN, streamed in chunks."""

    def __init__(self, table: str, columns: list[str]) -> None:
        self.table, self.columns = table, columns
        self.buffer = io.StringIO()
        self.rows = 0

    def __enter__(self) -> Copy:
        self.stack = ExitStack()
        cursor = self.stack.enter_context(connection.connection.cursor())
        self.copy = self.stack.enter_context(cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN"))
        return self

    def line(self, text: str) -> None:
        self.buffer.write(text)
        self.rows += 1
        if self.buffer.tell() > COPY_CHUNK:
            self.flush()

    def flush(self) -> None:
        self.copy.write(self.buffer.getvalue())
        self.buffer = io.StringIO()

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            self.flush()
        self.stack.__exit__(*exc)


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields]


def _blank(f: models.Field) -> Any:
    """What the column holds when the story does not set it (as Django would write it)."""
    if f.null:
        return None
    if isinstance(f, models.BooleanField):
        return False
    if isinstance(f, models.JSONField):
        return "{}"
    if f.has_default() and not callable(f.default):
        return f.default
    return ""


class Command(BaseCommand):
    help = "Fill a fresh PostgreSQL database with N realistic complaints for the benchmark (COPY)."

    def add_arguments(self, parser):
        parser.add_argument("--complaints", type=int, default=10_000)
        parser.add_argument("--customers", type=int, help="default: N/50, at least 100, at most 20,000")
        parser.add_argument("--months", type=int, default=24)
        parser.add_argument("--seed", type=int, default=17)

    def handle(self, *args, complaints: int, customers: int | None, months: int, seed: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench writes with COPY: it needs PostgreSQL (set DATABASE_URL).")
        if complaints < 100:
            raise CommandError("--complaints must be at least 100.")
        if Complaint.objects.exists() or Customer.objects.exists():
            raise CommandError(
                "This database holds complaints or customers: seed_bench fills only a fresh, migrated "
                "database (it would mix invented data with real data). Create an empty one."
            )
        started = time.monotonic()
        n_customers = customers if customers is not None else min(20_000, max(100, complaints // 50))
        now = timezone.now().replace(microsecond=0)
        rnd = random.Random(seed)
        # the demo organisation and users (the bench logs in as them); seed_demo's few own
        # complaints and customers stay, the first the demo users see
        call_command("seed_demo", force=True, stdout=io.StringIO())
        people = self._people(rnd)
        self.stdout.write(f"organisation: {len(people.offices)} offices, {len(people.staff)} staff")
        due = round(complaints * data.DUE_FRACTION)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")  # no FK triggers for the load
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            customer_rows = self._customers(rnd, n_customers, people, now)
            dropped = self._drop_indexes()
            first_id = 1 + (Complaint.objects.aggregate(m=models.Max("pk"))["m"] or 0)
            gen = Generator(
                seed=seed,
                complaints=complaints,
                first_id=first_id,
                now=now,
                months=months,
                people=people,
                customers=customer_rows,
                due=due,
            )
            n_events = self._complaints(gen, now)
            self._searched_text()
            self._notifications(rnd, people, first_id, complaints, now)
            self._visits(rnd, customer_rows, people, now)
            t = time.monotonic()
            self._rebuild_indexes(dropped)
            self.stdout.write(f"indexes rebuilt: {time.monotonic() - t:.0f} s")
            self._reset_sequences()
        self._detail_complaint(people)
        with connection.cursor() as cursor:
            for table in ("complaints_complaint", "complaints_complaintevent", "customers_customer", self.SEARCH_TABLE):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_bench: {complaints:,} complaints, {n_events:,} events, {n_customers:,} customers, "
                f"{due:,} due for each sweep, in {time.monotonic() - started:.0f} s"
            )
        )

    # ------------------------------------------------------------------ organisation
    def _people(self, rnd: random.Random) -> People:
        User = get_user_model()
        groups = {g.name: g for g in Group.objects.filter(name__in=[Role.AGENT, Role.SUPERVISOR])}
        offices = list(Office.objects.filter(is_head_office=False).order_by("pk"))
        for code, name in BENCH_OFFICES:
            offices.append(Office.objects.get_or_create(code=code, defaults={"name": name})[0])
        agents: dict[int, list[int]] = {}
        supervisors: dict[int, list[int]] = {}
        for office in offices:
            existing_agents = list(
                User.objects.filter(office=office, groups__name=Role.AGENT).values_list("pk", flat=True)
            )
            existing_sups = list(
                User.objects.filter(office=office, groups__name=Role.SUPERVISOR).values_list("pk", flat=True)
            )
            for k in range(len(existing_agents), AGENTS_PER_OFFICE):
                u = User.objects.create(
                    username=f"{office.code}-agent{k}",
                    first_name=rnd.choice("王李张刘陈杨黄赵周吴") + rnd.choice("伟芳娜敏静丽强磊军洋"),
                    office=office,
                    email=f"{office.code}-agent{k}@example.com",
                )
                u.set_unusable_password()
                u.save(update_fields=["password"])
                u.groups.add(groups[Role.AGENT])
                existing_agents.append(u.pk)
            if not existing_sups:
                u = User.objects.create(
                    username=f"{office.code}-supervisor",
                    first_name=rnd.choice("王李张刘陈") + "主管",
                    office=office,
                    email=f"{office.code}-supervisor@example.com",
                    is_staff=True,
                )
                u.set_unusable_password()
                u.save(update_fields=["password"])
                u.groups.add(groups[Role.SUPERVISOR])
                Office.objects.filter(pk=office.pk, supervisor_on_duty__isnull=True).update(supervisor_on_duty=u)
                existing_sups.append(u.pk)
            agents[office.pk], supervisors[office.pk] = existing_agents, existing_sups
        # the demo's own office receives the most (the bench's agent sees a busy office)
        weights = [3.0 if o.code == "riverside" else 1.5 if o.code == "harbour" else 1.0 for o in offices]
        departments = {d.name: d.pk for d in Department.objects.all()}
        heads = dict(Department.objects.filter(head__isnull=False).values_list("pk", "head_id"))
        handlers = list(User.objects.filter(department__isnull=False).values_list("pk", flat=True))
        return People(
            offices=[o.pk for o in offices],
            office_weights=weights,
            agents=agents,
            supervisors=supervisors,
            handlers=handlers,
            categories={c.name: c.pk for c in Category.objects.all()},
            departments=departments,
            department_heads=heads,
            staff=list(User.objects.filter(is_active=True).values_list("pk", flat=True)),
        )

    # ------------------------------------------------------------------ rows
    def _customers(self, rnd, count, people, now):
        first_id = 1 + (Customer.objects.aggregate(m=models.Max("pk"))["m"] or 0)
        rows = customers(rnd, count, first_id)
        fields = _columns(Customer)
        set_by_story = {"id", "name", "tier", "phone", "email", "account_manager_id", "created_at", "tier_reason"}
        columns = [f.column for f in fields]
        managers = [pk for ids in people.agents.values() for pk in ids]
        rest = {f.column: copy_text(_blank(f)) for f in fields if f.column not in set_by_story}
        with Copy("customers_customer", columns) as copy:
            for c in rows:
                values = {
                    "id": c.pk,
                    "name": c.name,
                    "tier": c.tier,
                    "phone": c.phone,
                    "email": c.email,
                    "account_manager_id": rnd.choice(managers),
                    "created_at": ts(now.timestamp() - rnd.uniform(30, 1500) * DAY),
                    "tier_reason": {"A": "政府单位", "B": "有二次签约潜力", "C": "普通客户"}[c.tier],
                }
                copy.line("\t".join(copy_text(values[col]) if col in values else rest[col] for col in columns) + "\n")
        self.stdout.write(f"customers: {count:,}")
        return rows

    def _complaints(self, gen: Generator, now: datetime) -> int:
        t = time.monotonic()
        fields = _columns(Complaint)
        columns = [f.column for f in fields]
        times = {f.column for f in fields if isinstance(f, models.DateTimeField)}
        blank = {f.column: copy_text(_blank(f)) for f in fields}
        event_columns = [
            "complaint_id",
            "created_at",
            "kind",
            "from_status",
            "to_status",
            "from_level",
            "to_level",
            "note",
            "data",
            "actor_id",
        ]
        n_events = 0
        with tempfile.TemporaryFile("w+", encoding="utf-8") as events_file:
            with Copy("complaints_complaint", columns) as copy:
                for story in gen.stories():
                    row = story.row
                    last = max(e[0] for e in story.events)
                    row["updated_at"] = max(last, float(row.get("closed_at") or 0))  # type: ignore[arg-type]
                    parts = []
                    for col in columns:
                        if col in row:
                            value = row[col]
                            parts.append(copy_text(ts(value) if col in times and value is not None else value))  # type: ignore[arg-type]
                        else:
                            parts.append(blank[col])
                    copy.line("\t".join(parts) + "\n")
                    pk = row["id"]
                    for at, kind, frm, to, fl, tl, note, payload, actor in story.events:
                        events_file.write(
                            f"{pk}\t{ts(at).isoformat()}\t{kind}\t{frm}\t{to}\t{copy_text(fl)}\t{copy_text(tl)}\t"
                            f"{copy_text(note)}\t{copy_text(dumps(payload))}\t{copy_text(actor)}\n"
                        )
                        n_events += 1
            self.stdout.write(f"complaints: {gen.n:,} in {time.monotonic() - t:.0f} s")
            t = time.monotonic()
            events_file.seek(0)
            with connection.connection.cursor() as cursor:
                with cursor.copy(f"COPY complaints_complaintevent ({', '.join(event_columns)}) FROM STDIN") as copy:
                    while chunk := events_file.read(COPY_CHUNK):
                        copy.write(chunk)
        self.stdout.write(f"events: {n_events:,} in {time.monotonic() - t:.0f} s")
        return n_events

    def _notifications(self, rnd, people, first_id, complaints, now) -> None:
        kinds = ["moved_up", "reply_overdue", "progress_report_due", "reassigned", "department_assigned"]
        count = complaints // 5
        columns = [
            "kind",
            "data",
            "created_at",
            "read_at",
            "email_status",
            "email_attempts",
            "email_last_error",
            "emailed_at",
            "complaint_id",
            "recipient_id",
        ]
        start = now.timestamp() - 700 * DAY
        with Copy("notifications_notification", columns) as copy:
            for i in range(count):
                at = ts(start + (i / max(count, 1)) * 700 * DAY)
                read = copy_text(at + timedelta(hours=2) if rnd.random() < 0.85 else None)
                complaint = first_id + int(i * complaints / count)
                copy.line(
                    f"{rnd.choice(kinds)}\t{{}}\t{at.isoformat()}\t{read}\tsent\t1\t\t{at.isoformat()}\t"
                    f"{complaint}\t{rnd.choice(people.staff)}\n"
                )
        self.stdout.write(f"notifications: {count:,}")

    def _visits(self, rnd, customer_rows, people, now) -> None:
        cadence = {"A": 30, "B": 90, "C": 365}  # days between visits (R-CU3, roughly)
        fields = _columns(Visit)
        columns = [f.column for f in fields if f.column != "id"]
        blank = {f.column: copy_text(_blank(f)) for f in fields}
        managers = [pk for ids in people.agents.values() for pk in ids]
        today = now.date()
        count = 0
        with Copy("followups_visit", columns) as copy:
            for c in customer_rows:
                visitor = rnd.choice(managers)
                day = today - timedelta(days=720 - rnd.randrange(cadence[c.tier]))
                while day <= today + timedelta(days=cadence[c.tier]):
                    done = day < today and rnd.random() < 0.9
                    values = {
                        "visitor_role": "account_manager",
                        "reason": "cadence",
                        "due_on": day,
                        "status": "done" if done else "missed" if day < today else "planned",
                        "method": rnd.choice(["phone", "door_visit"]) if done else "",
                        "checklist": "{}",
                        "done_at": datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10)
                        if done
                        else None,
                        "missed_at": datetime.combine(day, datetime.min.time(), UTC) + timedelta(days=1)
                        if not done and day < today
                        else None,
                        "created_at": datetime.combine(day, datetime.min.time(), UTC) - timedelta(days=20),
                        "customer_id": c.pk,
                        "recorded_by_id": visitor if done else None,
                        "visitor_id": visitor,
                    }
                    copy.line(
                        "\t".join(copy_text(values[col]) if col in values else blank[col] for col in columns) + "\n"
                    )
                    count += 1
                    day += timedelta(days=cadence[c.tier])
        self.stdout.write(f"visits: {count:,}")

    # ------------------------------------------------------------------ indexes
    TABLES = ("complaints_complaint", "complaints_complaintevent", "notifications_notification", "followups_visit")
    # the complaints' searched text (complaints/migrations/0022), which their trigger writes
    # outside a load
    SEARCH_TABLE = "complaint_search"

    def _searched_text(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {self.SEARCH_TABLE}")
            cursor.execute(
                f"INSERT INTO {self.SEARCH_TABLE} (complaint_id, text, phone) SELECT id, "
                "helpdesk_searched_text(subject, description, complainant_name, incident_place), contact_phone "
                "FROM complaints_complaint ORDER BY id"
            )

    def _drop_indexes(self) -> list[str]:
        """The secondary indexes of the loaded tables (not those of constraints): their
        definitions, dropped for the load."""
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT i.indexname, i.indexdef FROM pg_indexes i
                   WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
                [[*self.TABLES, self.SEARCH_TABLE]],
            )
            found = cursor.fetchall()
            for name, _definition in found:
                cursor.execute(f'DROP INDEX "{name}"')
        return [definition for _name, definition in found]

    def _rebuild_indexes(self, definitions: list[str]) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_maintenance_workers = 2")
            for definition in definitions:
                cursor.execute(definition)

    def _reset_sequences(self) -> None:
        with connection.cursor() as cursor:
            for table in (*self.TABLES, "customers_customer"):
                top = f"(SELECT coalesce(max(id), 1) FROM {table})"
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {top})")

    # ------------------------------------------------------------------ the detail page's complaint
    def _detail_complaint(self, people: People) -> None:
        """The complaint the detail benchmark opens: logged and worked through the lifecycle
        methods themselves (20 events), so its page is what a person would see."""
        User = get_user_model()
        agent = User.objects.get(username=data.AGENT)
        category = Category.objects.get(name="Repairs")
        with transaction.atomic():
            complaint = Complaint.receive(
                actor=agent,
                office=agent.office,
                channel="phone",
                complainant_name="黄先生",
                contact_phone="13900000020",
                incident_at=timezone.now() - timedelta(hours=3),
                incident_place="3 号楼 1202 室",
                subject=data.DETAIL_SUBJECT,
                description="厨房天花板漏水，已经持续两天，楼上住户无人应门。",
                category=category,
            )
            complaint.reply(actor=agent, note=NOTE_REPLY_DETAIL)
            for k in range(18):
                complaint.add_note(actor=agent, note=f"跟进记录 {k + 1}：已联系楼上住户，安排维修人员上门。")
        if ComplaintEvent.objects.filter(complaint=complaint).count() < 20:
            raise CommandError("The detail benchmark's complaint should have 20 events.")


NOTE_REPLY_DETAIL = "已致电投诉人，约定明天上午派维修人员上门查看。"

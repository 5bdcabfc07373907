"""Measure the periodic sweeps (SPEC R-T1 … R-T4) at scale, on PostgreSQL.

    DATABASE_URL=postgres://… .venv/bin/python benchmarks/sweep_probe.py seed --complaints 1000000
    DATABASE_URL=postgres://… .venv/bin/python benchmarks/sweep_probe.py measure [--repeat 3] [--commit]

`seed` fills an empty, migrated database (it refuses one that holds complaints) with offices,
supervisors, agents, managers, department heads, 20,000 customers and N complaints in time
order, written by set-based SQL in a few minutes: 1 % of them due for each sweep (scattered
over the whole table, the worst case for the heap), ~2 % open and not due, the rest closed;
three events per complaint and one notification per ten, so the sweeps' INSERTs land in
indexes of a realistic size. For R-T4 half the due complaints have a newer complaint from
the same complainant (they are linked), half none (they are closed).

`measure` runs each sweep at the seeding's `now` and then idle (nothing due), each inside a
transaction that is rolled back (the data can be measured again; the after-commit hand-off
of notification ids to the broker is not run), and prints wall time, queries, the time spent
in SQL by statement kind, and the counts. `--commit` runs them for real once instead.
It also works on a `seed_bench` database (the sweeps at the current time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Office, Role, User  # noqa: E402
from complaints import sweeps  # noqa: E402
from complaints.models import Category, Complaint, Department  # noqa: E402

OFFICES = 10
SUPERVISORS_PER_OFFICE = 3
AGENTS_PER_OFFICE = 5
CUSTOMERS = 20_000
PHONES = 200_000
SPAN_DAYS = 720
# the probe's `now`: stored in the database (seeded data is relative to it)
NOW_KEY = "sweep_probe_now"


class Rollback(Exception):
    pass


def _now_of_seed() -> datetime | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('sweep_probe_meta') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT value FROM sweep_probe_meta WHERE key = %s", [NOW_KEY])
        row = cursor.fetchone()
        return datetime.fromisoformat(row[0]) if row else None


def seed(n: int) -> None:
    if Complaint.objects.exists():
        raise SystemExit("This database holds complaints: seed a fresh, migrated one.")
    now = timezone.now().replace(microsecond=0)
    t = time.perf_counter()
    with transaction.atomic():
        groups = {name: Group.objects.get(name=name) for name in (Role.SUPERVISOR, Role.AGENT, Role.MANAGER)}
        offices = [Office.objects.create(name=f"Probe office {k}", code=f"probe-{k}") for k in range(OFFICES)]
        for k, office in enumerate(offices):
            sups = []
            for s in range(SUPERVISORS_PER_OFFICE):
                u = User.objects.create(
                    username=f"probe-sup-{k}-{s}", office=office, first_name="Sup", last_name=f"{k}-{s}"
                )
                u.groups.add(groups[Role.SUPERVISOR])
                sups.append(u)
            for a in range(AGENTS_PER_OFFICE):
                u = User.objects.create(username=f"probe-agent-{k}-{a}", office=office, first_name="Agent")
                u.groups.add(groups[Role.AGENT])
            if k % 2 == 0:  # half the offices have a supervisor on duty, the others take turns
                office.supervisor_on_duty = sups[0]
                office.save(update_fields=["supervisor_on_duty"])
        for m in range(2):
            User.objects.create(username=f"probe-manager-{m}", office=offices[0]).groups.add(groups[Role.MANAGER])
        for d, dept in enumerate(Department.objects.order_by("pk")):
            head = User.objects.create(username=f"probe-head-{d}", office=offices[d % OFFICES], first_name="Head")
            head.groups.add(groups[Role.SUPERVISOR])
            dept.head = head
            dept.save(update_fields=["head"])
    office_ids = list(Office.objects.filter(code__startswith="probe-").order_by("pk").values_list("pk", flat=True))
    agents = list(User.objects.filter(username__startswith="probe-agent-").order_by("pk").values_list("pk", flat=True))
    departments = list(Department.objects.order_by("pk").values_list("pk", flat=True))
    category = Category.objects.order_by("pk").values_list("pk", flat=True)[0]
    with connection.cursor() as c:
        c.execute("CREATE TABLE IF NOT EXISTS sweep_probe_meta (key text PRIMARY KEY, value text)")
        c.execute("INSERT INTO sweep_probe_meta VALUES (%s, %s)", [NOW_KEY, now.isoformat()])
        c.execute(
            """INSERT INTO customers_customer (name, tier, tier_reason, contact_person, phone, email, address,
                   created_at, archive_notes, credit_rating, credit_status, investment, licence_no,
                   production_process, raw_materials, tax_registration_no)
               SELECT 'Probe customer ' || i, (ARRAY['A','B','C','C'])[1 + i %% 4], '', 'Contact ' || i,
                   '139' || lpad(i::text, 8, '0'), '', '', %s, '', '', '', '', '', '', '', ''
               FROM generate_series(1, %s) i""",
            [now, CUSTOMERS],
        )
        c.execute("SELECT min(id) FROM customers_customer")
        first_customer = c.fetchone()[0]
        # i % 100: 1 → R-T1 due, 2 → R-T2 due, 3 → R-T3 due, 4 → R-T4 due, 5, 6 → open, not due
        c.execute(
            f"""
            CREATE TEMP TABLE probe_src AS
            SELECT i, k, h, at,
                   (%(offices)s::bigint[])[1 + h %% {OFFICES}] AS office_id,
                   (%(agents)s::bigint[])[1 + (h / 11) %% {AGENTS_PER_OFFICE} + (h %% {OFFICES}) * {AGENTS_PER_OFFICE}]
                       AS agent_id,
                   CASE WHEN h %% 5 < 3 AND NOT lone THEN {first_customer} + (i::bigint * 7919) %% {CUSTOMERS} END
                       AS customer_id,
                   CASE WHEN lone THEN '150' || lpad(i::text, 8, '0')
                        ELSE '138' || lpad(((i::bigint * 104729) %% {PHONES})::text, 8, '0') END AS phone,
                   CASE WHEN (h / 5) %% 5 = 0 AND NOT lone THEN 'mail' || ((i::bigint * 31) %% 50000) || '@example.com'
                        ELSE '' END AS email,
                   (%(departments)s::bigint[])[1 + (h / 3) %% {len(departments)}] AS department_id
            FROM (
                SELECT i, i %% 100 AS k, (i::bigint * 2654435761) %% 1000003 AS h,
                       %(start)s::timestamptz + (i::float8 / %(n)s) * interval '{SPAN_DAYS} days' AS at,
                       i %% 100 = 4 AND i %% 200 >= 100 AS lone
                FROM generate_series(1, %(n)s) i
            ) s
            """,
            {
                "start": now - timedelta(days=SPAN_DAYS + 8),
                "n": n,
                "offices": office_ids,
                "agents": agents,
                "departments": departments,
            },
        )
        c.execute(
            """
            INSERT INTO complaints_complaint (channel, received_at, complainant_name, is_anonymous, contact_phone,
                contact_email, contact_qq, contact_wechat, incident_at, incident_place, persons_involved, subject,
                description, is_emotional, is_sensitive, status, close_reason, escalation_level, reply_due_at,
                first_replied_at, last_progress_at, committed_completion_at, resolved_at, callback_declined_at,
                closed_at, resolution, apologised, signoff_name, is_training_case, updated_at, assignee_id,
                category_id, customer_id, office_id, received_by_id, department_id, auto_close_due_at,
                completion_overdue_at, progress_due_at, progress_flagged_at, reply_overdue_at, training_lesson,
                incident_containment, incident_reported_to, is_special_incident, outside_body_answer,
                outside_body_contact, outside_body_kind, outside_body_name, findings, solution)
            SELECT 'phone', at, '投诉人 ' || i, false, phone, email, '', '', at - interval '2 hours', '三号楼大厅',
                '', '电梯故障 ' || i, '电梯从早上开始就坏了。', false, false,
                CASE k WHEN 1 THEN 'received' WHEN 2 THEN 'in_progress' WHEN 3 THEN 'handling'
                       WHEN 4 THEN 'callback_declined' WHEN 5 THEN 'in_progress' WHEN 6 THEN 'handling'
                       ELSE 'closed' END,
                CASE WHEN k BETWEEN 1 AND 6 THEN '' ELSE 'callback_satisfied' END,
                CASE WHEN k = 1 THEN (h / 7) %% 4 WHEN k IN (2, 3) THEN (h / 7) %% 2 ELSE 0 END,
                at + interval '24 hours',
                CASE WHEN k = 1 THEN NULL ELSE at + interval '2 hours' END,
                NULL,
                CASE WHEN k = 3 THEN at + interval '3 days' WHEN k = 6 THEN %(now)s + interval '3 days' END,
                CASE WHEN k = 4 OR k NOT BETWEEN 1 AND 6 THEN at + interval '4 days' END,
                CASE WHEN k = 4 THEN at + interval '5 days' END,
                CASE WHEN k NOT BETWEEN 1 AND 6 THEN at + interval '6 days' END,
                '', false, '', false, at, agent_id, %(category)s, customer_id, office_id, agent_id,
                CASE WHEN k IN (1, 2, 3, 6) OR h %% 3 = 0 THEN department_id END,
                CASE WHEN k = 4 THEN at + interval '12 days' END,
                NULL,
                CASE WHEN k BETWEEN 1 AND 3 THEN at + interval '26 hours'
                     WHEN k IN (5, 6) THEN %(now)s + interval '20 hours' END,
                CASE WHEN k IN (1, 3) THEN at + interval '27 hours' END,
                NULL, '', '', '', false, '', '', '', '', '', ''
            FROM probe_src ORDER BY i
            """,
            {"now": now, "category": category},
        )
        # R-T4: the newer complaints of half the due ones come from the same customer, phone or e-mail
        # (they are received after those were handled); the other half have their own phone and no customer
        c.execute(
            """INSERT INTO complaints_complaintevent (complaint_id, actor_id, created_at, kind, from_status, to_status,
                   from_level, to_level, note, data)
               SELECT c.id, c.received_by_id, c.received_at + (s || ' hours')::interval,
                   (ARRAY['received', 'replied', 'progress_reported'])[s], 'received', c.status, 0, 0, '', '{}'
               FROM complaints_complaint c, generate_series(1, 3) s ORDER BY c.id, s"""
        )
        c.execute(
            """INSERT INTO notifications_notification (recipient_id, complaint_id, kind, data, created_at,
                   email_status, email_attempts, email_last_error, emailed_at)
               SELECT c.assignee_id, c.id, 'reassigned', '{}', c.received_at, 'sent', 1, '', c.received_at
               FROM complaints_complaint c WHERE c.id % 10 = 0 ORDER BY c.id"""
        )
        c.execute("DROP TABLE probe_src")
    with connection.cursor() as c:
        c.execute("ANALYZE")
    print(f"seeded {n} complaints in {time.perf_counter() - t:.0f} s (now = {now.isoformat()})")


# ---------------------------------------------------------------------------- measure
def _kind(sql: str) -> str:
    words = sql.split(None, 4)
    head = " ".join(words[:3]).upper()
    if head.startswith("INSERT INTO"):
        return "INSERT " + words[2].strip('"')
    if head.startswith("UPDATE"):
        return "UPDATE " + words[1].strip('"')
    if head.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
        return "savepoint (the probe's outer transaction)"
    if "PG_TRY_ADVISORY" in sql.upper()[:60]:
        return "advisory lock"
    if "FOR UPDATE" in sql.upper():
        return "SELECT due … FOR UPDATE"
    return "SELECT"


def run(name: str, now: datetime, *, commit: bool) -> tuple[float, int, dict, dict]:
    spent: dict[str, float] = defaultdict(float)
    queries = [0]

    def timer(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = _kind(sql)
            spent[kind] += time.perf_counter() - start
            queries[0] += not kind.startswith("savepoint")  # the probe's own, not the sweep's

    sweep = sweeps.SWEEPS[name]
    counts: dict = {}
    with connection.execute_wrapper(timer):
        start = time.perf_counter()
        if commit:
            counts = sweep(now=now)
            wall = time.perf_counter() - start
        else:
            try:
                with transaction.atomic():
                    counts = sweep(now=now)
                    wall = time.perf_counter() - start
                    raise Rollback
            except Rollback:
                pass
    return wall, queries[0], dict(spent), counts


def measure(repeat: int, commit: bool) -> None:
    now = _now_of_seed() or timezone.now()
    total = Complaint.objects.count()
    print(f"{total} complaints, now = {now.isoformat()}, {'committed' if commit else 'rolled back'}")
    for name in sweeps.SWEEPS:
        walls, idle = [], []
        for _ in range(1 if commit else repeat):
            wall, n, spent, counts = run(name, now, commit=commit)
            walls.append(wall)
        # idle: nothing due (a moment before the earliest deadline of the seeding)
        for _ in range(5):
            iw, iq, _, icounts = run(name, now - timedelta(days=SPAN_DAYS + 30), commit=commit)
            idle.append(iw)
        sql = sum(spent.values())
        print(
            f"\n{name}: median {statistics.median(walls):.3f} s (runs {', '.join(f'{w:.2f}' for w in walls)}),"
            f" {n} queries, SQL {sql:.3f} s, Python {walls[-1] - sql:.3f} s"
        )
        for kind, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
            print(f"    {seconds:7.3f} s  {kind}")
        print(f"    counts: {counts}")
        print(f"  idle: median {statistics.median(idle) * 1000:.1f} ms, {iq} queries, {icounts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--complaints", type=int, default=1_000_000)
    m = sub.add_parser("measure")
    m.add_argument("--repeat", type=int, default=3)
    m.add_argument("--commit", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("PostgreSQL only (DATABASE_URL=postgres://…)")
    if args.command == "seed":
        seed(args.complaints)
    else:
        measure(args.repeat, args.commit)


if __name__ == "__main__":
    main()

"""Who a complaint is moved up to when R-T1 moves it for a missed reply (R-C8: "the person a
complaint is moved up to becomes its first receiver at that level").

- Level 1, the service centre's supervisor: the office's supervisor on duty
  (`Office.supervisor_on_duty`), while they are an active supervisor of that office. With none
  on duty, the office's active supervisors take them in turn — each complaint, in the order of
  its missed deadline, to the supervisor with the fewest open complaints at that moment (ties to
  the lower id), counting the ones this batch has just given out. Why "fewest open" rather than a
  rota: it needs no stored pointer (no schema, nothing for two sweeps to race on, nothing lost
  when a supervisor leaves or joins), a batch is dealt round-robin among supervisors who are
  level, and a supervisor who already carries many complaints is not given more until the others
  catch up.
- Level 2, the responsible department head: the head of the complaint's department
  (`Department.head`), while they are active and can see the complaint
  (`selectors.complaints_visible_to`): staff of its office, someone who sees every office, or a
  department handler (who sees the complaints of the department they head in every office).
  No department, no head, or a head who could not open it: the assignee keeps it.
- Level 3 (outside bodies) and everything else: nobody new — the assignee keeps following it.

Set-based: at most two queries per batch, whatever its size (the supervisors of the batch's
offices with their load and duty; the heads of its departments), none when no row needs them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.access import VIEW_ALL_OFFICES, VIEW_OFFICE_COMPLAINTS
from accounts.models import Office, Role

from .choices import OPEN_STATUSES, EscalationLevel
from .models import Complaint, Department
from .periodic import raised_level

VIEW_COMPLAINT = "complaints.view_complaint"


class Receiver(NamedTuple):
    """The person a complaint is moved up to: their id and name (for the event's data)."""

    user_id: int
    name: str


def _name(first_name: str, last_name: str, username: str) -> str:
    return str(get_user_model()(first_name=first_name, last_name=last_name, username=username))


def _open_load() -> Coalesce:
    """The number of open complaints assigned to the user of the outer row (its index:
    complaint_assignee_status)."""
    count = (
        Complaint.objects.filter(assignee_id=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), Value(0))


def _head_holds(perm: str) -> Q:
    """The department's head holds `perm` through a group or their own permissions (in SQL)."""
    app_label, codename = perm.split(".")
    perms = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return Q(Exists(perms.filter(group__user=OuterRef("head_id")))) | Q(Exists(perms.filter(user=OuterRef("head_id"))))


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def supervisors_in_turn(office_ids: Iterable[int]) -> dict[int, list[tuple[int, str, bool, int]]]:
    """Per office: its active supervisors as (id, name, on duty, open complaints), by id. One query."""
    on_duty = Office.objects.filter(pk=OuterRef("office_id"), supervisor_on_duty=OuterRef("pk"))
    rows = (
        get_user_model()
        .objects.filter(groups__name=Role.SUPERVISOR, office_id__in=set(office_ids), is_active=True)
        .annotate(on_duty=Exists(on_duty), load=_open_load())
        .values_list("office_id", "pk", "first_name", "last_name", "username", "on_duty", "load")
        .order_by("office_id", "pk")
    )
    found: dict[int, list[tuple[int, str, bool, int]]] = defaultdict(list)
    for office_id, pk, first, last, username, duty, load in rows:
        found[office_id].append((pk, _name(first, last, username), bool(duty), int(load)))
    return found


def department_heads(department_ids: Iterable[int]) -> dict[int, tuple[Receiver, int | None, bool, bool]]:
    """Per department with an active head: (the head, their office id, they see every office,
    they see only their lane — a department handler, who sees their department's complaints in
    every office). One query."""
    rows = (
        Department.objects.filter(pk__in=set(department_ids), head__isnull=False, head__is_active=True)
        .annotate(
            everywhere=_flag(Q(head__is_superuser=True) | _head_holds(VIEW_ALL_OFFICES)),
            lane=_flag(_head_holds(VIEW_COMPLAINT) & ~_head_holds(VIEW_OFFICE_COMPLAINTS)),
        )
        .values_list(
            "pk",
            "head_id",
            "head__first_name",
            "head__last_name",
            "head__username",
            "head__office_id",
            "everywhere",
            "lane",
        )
    )
    return {
        pk: (Receiver(head, _name(first, last, username)), office, bool(everywhere), bool(lane))
        for pk, head, first, last, username, office, everywhere, lane in rows
    }


def _moves_to(row: Any, level: int) -> bool:
    return row.escalation_level < level == raised_level(row.escalation_level)


def overdue_receivers(rows: Iterable[Any]) -> dict[int, Receiver]:
    """The receiver of each row R-T1 moves up (rows: `pk`, `escalation_level` before the move,
    `office_id`, `department_id`, `assignee_id`, in the order of their missed deadline). Rows
    that get nobody new are left out.

    The rows are dealt in order, and each move is counted in the supervisors' loads as the
    database will count it once the batch is written (the receiver has one more open
    complaint, the previous assignee one fewer — a supervisor can be both, or be a head too),
    so the turns come out the same however the sweep cuts the due complaints into batches."""
    rows = list(rows)
    to_supervisor = {r.pk for r in rows if _moves_to(r, EscalationLevel.SUPERVISOR)}
    to_head = {r.pk for r in rows if r.department_id is not None and _moves_to(r, EscalationLevel.DEPARTMENT_HEAD)}
    supervisors = supervisors_in_turn({r.office_id for r in rows if r.pk in to_supervisor}) if to_supervisor else {}
    heads = department_heads({r.department_id for r in rows if r.pk in to_head}) if to_head else {}
    load = {pk: n for staff in supervisors.values() for pk, _, _, n in staff}
    found: dict[int, Receiver] = {}
    for r in rows:
        receiver = None
        if r.pk in to_supervisor and (staff := supervisors.get(r.office_id)):
            duty = next((s for s in staff if s[2]), None)
            pk, name, _, _ = duty or min(staff, key=lambda s: (load[s[0]], s[0]))
            receiver = Receiver(pk, name)
        elif r.pk in to_head and r.department_id in heads:
            head, office_id, everywhere, lane = heads[r.department_id]
            if everywhere or lane or office_id == r.office_id:  # they can see it (the selector's rule)
                receiver = head
        if receiver is None:  # nobody to move it to: the assignee keeps it (the sweep tells the managers)
            continue
        found[r.pk] = receiver
        if r.assignee_id in load:
            load[r.assignee_id] -= 1
        if receiver.user_id in load:
            load[receiver.user_id] += 1
    return found

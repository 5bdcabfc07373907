"""Every state change of a complaint, in one place (SPEC R-C2 … R-C10).

Each method has the same shape: inside `transaction.atomic`, re-read the row with
`select_for_update`; refuse with `InvalidTransition` if the action is not allowed in the
current status (rules.ACTIONS); raise `ValidationError` for bad arguments; return early if
nothing would change; save the changed fields; write exactly one `ComplaintEvent`. A merge
and an un-merge (issue 14) touch two complaints: they lock both rows, the lower id first, and
write one event on each.
Views, admin, API and periodic jobs call these methods and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import sees_every_office, sees_whole_office

from . import deadlines, event_data, rules
from .attachments import store_attachments
from .choices import (
    MAX_ESCALATION_LEVEL,
    CallbackMethod,
    CloseReason,
    EscalationCause,
    EventKind,
    Status,
)
from .exceptions import InvalidTransition, not_allowed
from .intake import ComplaintIntake, reply_time_error, signed_off
from .outside_bodies import (
    OutsideBodySteps,
    any_outside_body,
    keep_internal_owner,
    outside_body_of,
    record_outside_body,
)
from .periodic import PeriodicTransitions, raised_level
from .signals import events_logged
from .special_incidents import SpecialIncidentSteps

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from .models import Complaint, ComplaintEvent, Department
    from .types import Actor, Staff


def _tier(complaint: Complaint) -> str | None:
    customer = complaint.customer if complaint.customer_id else None
    return customer.tier if customer is not None else None


@dataclass
class Step:
    """A step worked out on a complaint in memory, not yet written: the fields it changed, its
    event (unsaved) and what follows once both are written (a notification). The lifecycle
    methods write it on the row they locked (`_write`); `Complaint.receive()` writes the outcome
    chosen at intake with the new row and its received event (one INSERT each)."""

    fields: list[str]
    event: ComplaintEvent
    then: Callable[[], None] | None = None


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


class ComplaintLifecycle(ComplaintIntake, PeriodicTransitions, OutsideBodySteps, SpecialIncidentSteps):
    """Mixed into `Complaint`; the transition methods of the procedure (intake in
    complaints/intake.py, the periodic rules' bulk transitions in complaints/periodic.py, the
    outside bodies of level 3 in complaints/outside_bodies.py, special incidents in
    complaints/special_incidents.py)."""

    @property
    def facts(self) -> frozenset[str]:
        """The facts besides the status that rules.ACTIONS' `requires` / `excludes` read."""
        found = set()
        if self.escalation_level >= MAX_ESCALATION_LEVEL:
            found.add(rules.AT_OUTSIDE_BODIES)
        if self.outside_body_kind:
            found.add(rules.OUTSIDE_BODY_RECORDED)
        if self.is_special_incident:
            found.add(rules.SPECIAL_INCIDENT)
        return frozenset(found)

    # ----------------------------------------------------------------- helpers
    @contextmanager
    def _transition(self, action_name: str) -> Iterator[Complaint]:
        """Lock and re-read the row; the methods take `now` inside the block, after the lock,
        so that a step that waited for another is timed (and its event ordered) after it."""
        act = rules.action(action_name)
        with transaction.atomic():
            locked = type(self).objects.select_for_update().get(pk=self.pk)
            locked._check_allowed(act)
            yield locked
        self._copy_from(locked)

    def _check_allowed(self, act: rules.Action) -> None:
        """The gate (rules.ACTIONS): raise `InvalidTransition` unless `act` is possible now."""
        if not act.allowed_in(self.status):
            raise not_allowed(act, self.status)
        if (refusal := act.refusal(self.facts)) is not None:
            raise InvalidTransition(refusal, action=act.name, status=self.status, code=act.refusal_code(self.facts))
        if not act.takes_close_reason(self.status, self.close_reason):
            raise InvalidTransition(
                _("“%(action)s” is not possible while the complaint is “%(status)s”: it was closed as “%(reason)s”.")
                % {
                    "action": act.label,
                    "status": Status(self.status).label,
                    "reason": CloseReason(self.close_reason).label,
                },
                action=act.name,
                status=self.status,
            )

    def _copy_from(self, other: Complaint) -> None:
        for field in self._meta.concrete_fields:
            setattr(self, field.attname, getattr(other, field.attname))

    def _set_status(self, new_status: str) -> None:
        if not rules.can_move(self.status, new_status, close_reason=self.close_reason):  # guards the table itself
            raise InvalidTransition(
                _("A complaint cannot move from “%(old)s” to “%(new)s”.")
                % {"old": Status(self.status).label, "new": Status(new_status).label}
            )
        self.status = new_status

    def _event(
        self,
        *,
        actor: Actor,
        kind: str,
        from_status: str,
        from_level: int | None,
        now: datetime,
        note: str = "",
        data: Mapping[str, Any] | None = None,
    ) -> ComplaintEvent:
        """The event of a step, from the complaint's state now (after the step); not written."""
        # the event model through the relation (complaints.models imports this module)
        model: type[ComplaintEvent] = self._meta.get_field("events").related_model
        return model(
            complaint=self,
            actor=actor,
            created_at=now,
            kind=kind,
            from_status=from_status,
            to_status=self.status,
            from_level=from_level,
            to_level=self.escalation_level,
            note=note,
            data=data or {},
        )

    def _log(
        self,
        *,
        actor: Actor,
        kind: str,
        from_status: str,
        from_level: int | None,
        now: datetime,
        note: str = "",
        data: Mapping[str, Any] | None = None,
    ) -> ComplaintEvent:
        event = self._event(
            actor=actor, kind=kind, from_status=from_status, from_level=from_level, now=now, note=note, data=data
        )
        event.save(force_insert=True)  # type: ignore[no-untyped-call]
        events_logged.send(sender=type(self), events=[event])
        return event

    def _write(self: Complaint, step: Step | None) -> None:
        """Save a step worked out on this (locked) row: its fields, its event, then what follows."""
        if step is None:  # nothing would change
            return
        self.save(update_fields=[*step.fields, "updated_at"])
        step.event.save(force_insert=True)  # type: ignore[no-untyped-call]
        events_logged.send(sender=type(self), events=[step.event])
        if step.then is not None:
            step.then()

    def _escalate(self, *, cause: str, to_user: Staff | None = None) -> dict[str, Any]:
        """Raise the level by one (R-C8); the caller saves and logs. Returns event data."""
        if cause not in EscalationCause.values:
            raise ValidationError({"cause": _("Choose a valid escalation cause.")})
        if self.escalation_level >= MAX_ESCALATION_LEVEL:
            raise InvalidTransition(
                _("The complaint is already at the highest level (outside bodies); it cannot move up."),
                code="max_escalation_level",
            )
        self._check_staff(to_user, "to_user")
        self.escalation_level = raised_level(self.escalation_level)
        data: dict[str, Any] = {"escalation_cause": cause}
        if to_user is not None:
            # The person it is moved up to becomes its first receiver at that level.
            self.assignee = to_user
            data.update(to_user=to_user.pk, to_user_name=str(to_user))
        return data

    def _check_staff(self, user: Staff | None, field: str) -> None:
        if user is None:
            return
        if not user.is_active or (user.office_id != self.office_id and not sees_every_office(user)):
            raise ValidationError({field: _("Choose an active member of staff of this complaint's office.")})

    def _notify(self, *, kind: str, user: Staff | None, actor: Actor, data: dict[str, Any]) -> None:
        """Tell the person a complaint was handed to (in-app + e-mail after commit)."""
        if user is None or (actor is not None and user.pk == actor.pk):
            return
        from notifications.services import notify

        notify([user.pk], kind=kind, complaint_id=self.pk, data=data)

    def _note_reply(self, now: datetime) -> list[str]:
        """Anything said to the complainant counts as a reply and a progress report."""
        if self.first_replied_at is None:
            self.first_replied_at = now
        self.last_progress_at = now
        self.progress_due_at = deadlines.progress_deadline(now)
        self.progress_flagged_at = None  # R-T2 flag answered
        return ["first_replied_at", "last_progress_at", "progress_due_at", "progress_flagged_at"]

    # ------------------------------------------------------- reply and timing
    def agree_reply_time(self, *, actor: Actor, reply_due_at: datetime, note: str = "") -> None:
        """R-C5: agree a reply time no later than 24 hours after receipt."""
        with self._transition("agree_reply_time") as c:
            c._write(c._reply_time_agreed(actor=actor, reply_due_at=reply_due_at, note=note, now=timezone.now()))

    def _reply_time_agreed(
        self: Complaint, *, actor: Actor, reply_due_at: datetime, note: str, now: datetime
    ) -> Step | None:
        """`agree_reply_time` worked out on this complaint (locked, or new at intake)."""
        message = reply_time_error(reply_due_at=reply_due_at, received_at=self.received_at, tier=_tier(self), now=now)
        if message:
            raise ValidationError({"reply_due_at": message})
        if self.reply_due_at == reply_due_at and self.status == Status.IN_PROGRESS:
            return None
        old = self.status
        self.reply_due_at = reply_due_at
        self._set_status(Status.IN_PROGRESS)
        event = self._event(
            actor=actor,
            kind=EventKind.REPLY_TIME_AGREED,
            from_status=old,
            from_level=self.escalation_level,
            now=now,
            note=note,
            data={"reply_due_at": reply_due_at.isoformat()},
        )
        return Step(["reply_due_at", "status"], event)

    def claim(self, *, actor: Staff, note: str = "") -> None:
        """An agent takes an online complaint nobody has claimed yet and becomes its receiver
        (and assignee). The claim is an event; a complaint claimed already cannot be claimed."""
        with self._transition("claim") as c:
            now = timezone.now()
            if c.received_by_id is not None:
                raise InvalidTransition(
                    _("This complaint was already claimed by %(name)s.") % {"name": c.received_by},
                    code="already_claimed",
                )
            c._check_staff(actor, "actor")
            c.received_by = c.assignee = actor
            c.save(update_fields=["received_by", "assignee", "updated_at"])
            data: event_data.Claimed = {"to_user": actor.pk, "to_user_name": str(actor)}
            c._log(
                actor=actor,
                kind=EventKind.CLAIMED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=note,
                data=dict(data),
            )

    def add_information(self, *, note: str, via: str, attachments: Sequence[UploadedFile] = ()) -> ComplaintEvent:
        """R-P2: the complainant adds information or photos (private link or e-mail). The
        assignee is told; while nobody has claimed it, the office's supervisors are."""
        note = (note or "").strip()
        if not note and not attachments:
            raise ValidationError({"note": _("Write what you want to add, or attach a photo.")})
        with self._transition("add_information") as c:
            now = timezone.now()
            data: event_data.InformationAdded = {"via": via}
            event = c._log(
                actor=None,
                kind=EventKind.INFORMATION_ADDED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=note,
                data=dict(data),
            )
            store_attachments(event, attachments, by=None)
            c._notify_handlers(kind="information_added", data={})
        return event

    def record_notice(self, *, channel: str, to: str, notice_kind: str, at: datetime | None = None) -> None:
        """R-P4: a notice to the complainant was sent (`to` already masked). No status change."""
        with self._transition("record_notice") as c:
            data: event_data.NoticeSent = {"channel": channel, "to": to, "notice_kind": notice_kind}
            c._log(
                actor=None,
                kind=EventKind.NOTICE_SENT,
                from_status=c.status,
                from_level=c.escalation_level,
                now=at or timezone.now(),
                data=dict(data),
            )

    def record_link_revoked(self, *, actor: Actor, note: str = "") -> None:
        """The complainant's private link was revoked (a new one may be issued)."""
        with self._transition("revoke_link") as c:
            c._log(
                actor=actor,
                kind=EventKind.LINK_REVOKED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=timezone.now(),
                note=note,
            )

    def _notify_handlers(self, *, kind: str, data: dict[str, Any]) -> None:
        """Tell whoever has the complaint about something the complainant did: the assignee,
        or the office's supervisors while it is unclaimed (one query, after commit)."""
        from notifications.services import notify, supervisors_of

        if self.assignee_id is not None:
            recipients: list[int] = [self.assignee_id]
        else:
            recipients = supervisors_of([self.office_id]).get(self.office_id, [])
        notify(recipients, kind=kind, complaint_id=self.pk, data=data)

    def reply(self, *, actor: Actor, note: str) -> None:
        """Reply to the complainant (stops the R-T1 reply clock)."""
        note = _required(note, "note", _("Write what was replied."))
        with self._transition("reply") as c:
            now = timezone.now()
            old = c.status
            fields = c._note_reply(now)
            if c.status == Status.RECEIVED:
                c._set_status(Status.IN_PROGRESS)
            c.save(update_fields=[*fields, "status", "updated_at"])
            c._log(
                actor=actor, kind=EventKind.REPLIED, from_status=old, from_level=c.escalation_level, now=now, note=note
            )

    def report_progress(self, *, actor: Actor, note: str) -> None:
        """R-C5/R-C9: tell the complainant the progress; departments feed it back."""
        note = _required(note, "note", _("Write the progress reported."))
        with self._transition("report_progress") as c:
            now = timezone.now()
            fields = c._note_reply(now)
            c.save(update_fields=[*fields, "updated_at"])
            c._log(
                actor=actor,
                kind=EventKind.PROGRESS_REPORTED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=note,
            )
            c._feed_back(actor=actor, step="progress")

    # --------------------------------------------------------- on the spot
    def resolve_on_the_spot(
        self,
        *,
        actor: Actor,
        resolution: str,
        signoff_name: str,
        satisfied: bool,
        apologised: bool = False,
        signature: str = "",
    ) -> None:
        """R-C4: explained/resolved at once; the complainant's sign-off closes it. `signature`
        is the stored name of the complainant's signature (complaints.paper.store_signature)."""
        resolution, signoff_name = signed_off(resolution=resolution, signoff_name=signoff_name, satisfied=satisfied)
        with self._transition("resolve_on_the_spot") as c:
            step = c._resolved_on_the_spot(
                actor=actor,
                resolution=resolution,
                signoff_name=signoff_name,
                apologised=apologised,
                signature=signature,
                now=timezone.now(),
            )
            c._write(step)

    def _resolved_on_the_spot(
        self: Complaint,
        *,
        actor: Actor,
        resolution: str,
        signoff_name: str,
        apologised: bool,
        signature: str,
        now: datetime,
    ) -> Step:
        """`resolve_on_the_spot` worked out on this complaint (locked, or new at intake), with the
        sign-off checked by `signed_off`."""
        old = self.status
        fields = self._note_reply(now)
        self.resolution, self.apologised, self.signoff_name = resolution, apologised, signoff_name
        self.signed_off_at = now
        self.close_reason, self.closed_at = CloseReason.ON_THE_SPOT, now
        self._set_status(Status.CLOSED)
        event = self._event(
            actor=actor,
            kind=EventKind.RESOLVED_ON_THE_SPOT,
            from_status=old,
            from_level=self.escalation_level,
            now=now,
            note=resolution,
            data={
                "signoff_name": signoff_name,
                "apologised": apologised,
                "satisfied": True,
                **({event_data.SIGNATURE: signature} if signature else {}),
            },
        )
        changed = ["resolution", "apologised", "signoff_name", "signed_off_at", "close_reason", "closed_at", "status"]
        return Step([*fields, *changed], event)

    # ---------------------------------------------------------- escalation
    def move_up(
        self,
        *,
        actor: Actor,
        cause: str,
        to_user: Staff | None = None,
        note: str = "",
        outside_body_kind: str = "",
        outside_body_name: str = "",
        outside_body_contact: str = "",
    ) -> None:
        """R-C8 服務上移: one level up; `to_user` becomes the receiver at that level.

        Level 3 is the outside bodies (原則8.3): the move records which body (its kind, name
        and contact — refused without them), and the complaint keeps an internal owner who
        follows it: `to_user`, else its assignee, else the mover. The complainant is told (a
        progress report, R-C5.3). A body given for a move to a lower level is refused."""
        with self._transition("move_up") as c:
            step = c._moved_up(
                actor=actor,
                cause=cause,
                to_user=to_user,
                note=note,
                outside_body_kind=outside_body_kind,
                outside_body_name=outside_body_name,
                outside_body_contact=outside_body_contact,
                now=timezone.now(),
            )
            c._write(step)

    def _moved_up(
        self: Complaint,
        *,
        actor: Actor,
        cause: str,
        to_user: Staff | None,
        note: str,
        outside_body_kind: str = "",
        outside_body_name: str = "",
        outside_body_contact: str = "",
        now: datetime,
    ) -> Step:
        """`move_up` worked out on this complaint (locked, or new at intake); the person it is
        moved up to is told once it is written."""
        old, old_level = self.status, self.escalation_level
        body: event_data.OutsideBody | None = None
        if old_level + 1 == MAX_ESCALATION_LEVEL:
            body = outside_body_of(self, kind=outside_body_kind, name=outside_body_name, contact=outside_body_contact)
        elif old_level + 1 < MAX_ESCALATION_LEVEL and any_outside_body(
            outside_body_kind, outside_body_name, outside_body_contact
        ):
            raise ValidationError(
                {"outside_body_kind": _("An outside body is recorded only when the complaint moves up to level 3.")}
            )
        data = self._escalate(cause=cause, to_user=to_user)
        fields: list[str] = []
        if body is not None:
            data.update(body)
            data.update(keep_internal_owner(self, actor))
            fields = [*record_outside_body(self, body, now), *self._note_reply(now)]
        if self.status in (Status.RECEIVED, Status.SOLUTION_PROPOSED, Status.RESOLVED, Status.CALLBACK_DECLINED):
            self._set_status(Status.IN_PROGRESS)
            self.resolved_at = self.callback_declined_at = self.auto_close_due_at = None
        event = self._event(
            actor=actor, kind=EventKind.MOVED_UP, from_status=old, from_level=old_level, now=now, note=note, data=data
        )
        to_level = self.escalation_level

        def tell() -> None:
            self._notify(kind="moved_up", user=to_user, actor=actor, data={"to_level": to_level, "cause": cause})

        changed = ["escalation_level", "assignee", "status", "resolved_at", "callback_declined_at", "auto_close_due_at"]
        return Step([*changed, *fields], event, then=tell)

    def reassign(self, *, actor: Actor, assignee: Staff | None, note: str = "") -> None:
        if assignee is None:
            raise ValidationError({"assignee": _("Choose who takes the complaint over.")})
        with self._transition("reassign") as c:
            now = timezone.now()
            c._check_staff(assignee, "assignee")
            if c.assignee_id == assignee.pk:
                return
            previous = c.assignee_id
            c.assignee = assignee
            c.save(update_fields=["assignee", "updated_at"])
            c._log(
                actor=actor,
                kind=EventKind.REASSIGNED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=note,
                data={"from_user": previous, "to_user": assignee.pk, "to_user_name": str(assignee)},
            )
            c._notify(kind="reassigned", user=assignee, actor=actor, data={})

    # -------------------------------------------------------- investigation
    def assign_department(self, *, actor: Actor, department: Department | None, note: str = "") -> None:
        """R-C6: make the responsible department head investigate."""
        if department is None or not department.is_active:
            raise ValidationError({"department": _("Choose an active department.")})
        with self._transition("assign_department") as c:
            now = timezone.now()
            if c.department_id == department.pk:
                return
            old = c.status
            c.department = department
            if c.status == Status.RECEIVED:
                c._set_status(Status.IN_PROGRESS)
            c.save(update_fields=["department", "status", "updated_at"])
            c._log(
                actor=actor,
                kind=EventKind.DEPARTMENT_ASSIGNED,
                from_status=old,
                from_level=c.escalation_level,
                now=now,
                note=note,
                data={"department": department.pk, "department_name": department.name},
            )
            c._notify_department(department, actor=actor)

    def record_findings(
        self,
        *,
        actor: Actor,
        findings: str,
        apologised_in_person: bool = False,
        attachments: Sequence[UploadedFile] = (),
    ) -> None:
        """R-C6: the investigation's findings; a serious fault gets an in-person apology."""
        findings = _required(findings, "findings", _("Record the findings."))
        with self._transition("record_findings") as c:
            now = timezone.now()
            c.findings = findings
            c.apologised = c.apologised or apologised_in_person
            c.save(update_fields=["findings", "apologised", "updated_at"])
            event = c._log(
                actor=actor,
                kind=EventKind.FINDINGS_RECORDED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=findings,
                data={"apologised_in_person": apologised_in_person},
            )
            store_attachments(event, attachments, by=actor)  # photos of the site, reports (issue 11)
            c._feed_back(actor=actor, step="findings")

    def _notify_department(self, department: Department, *, actor: Actor) -> None:
        """R-C6: the department asked to investigate is told — its head, when they can open the
        complaint (complaints_visible_to's rule: staff of its office, every office, or a handler,
        who sees the department they head everywhere), and its handlers in this office (its
        staff who may investigate). One query for the handlers, one INSERT, mail after commit."""
        from notifications.services import notify

        handlers = (
            get_user_model()
            .objects.with_perm(
                rules.INVESTIGATE,
                is_active=True,
                include_superusers=False,
                backend="django.contrib.auth.backends.ModelBackend",  # where the roles' permissions live
            )
            .filter(department=department, office_id=self.office_id)
            .values_list("pk", flat=True)
        )
        recipients = list(handlers)
        head = department.head
        if head is not None and head.is_active and self._head_sees_it(head):
            recipients.insert(0, head.pk)
        if actor is not None:
            recipients = [pk for pk in recipients if pk != actor.pk]
        notify(
            recipients,
            kind="department_assigned",
            complaint_id=self.pk,
            data={"department": department.pk, "department_name": department.name},
        )

    def _head_sees_it(self, head: Staff) -> bool:
        if sees_every_office(head) or head.office_id == self.office_id:
            return True
        return head.has_perm("complaints.view_complaint") and not sees_whole_office(head)

    def _feed_back(self, *, actor: Actor, step: str) -> None:
        """R-C9.3: a department's progress report or findings go back to the receiver (and to
        the assignee when that is someone else); whoever wrote them is not told."""
        from notifications.services import notify

        recipients = [pk for pk in (self.received_by_id, self.assignee_id) if pk is not None]
        if actor is not None:
            recipients = [pk for pk in recipients if pk != actor.pk]
        notify(
            recipients,
            kind="department_progress",
            complaint_id=self.pk,
            data={"by": str(actor) if actor is not None else "", "step": step},
        )

    # ------------------------------------------------------------ solution
    def propose_solution(self, *, actor: Actor, solution: str) -> None:
        """R-C7: put a solution to the complainant."""
        solution = _required(solution, "solution", _("Describe the proposed solution."))
        with self._transition("propose_solution") as c:
            now = timezone.now()
            old = c.status
            fields = c._note_reply(now)
            c.solution = solution
            c._set_status(Status.SOLUTION_PROPOSED)
            c.save(update_fields=[*fields, "solution", "status", "updated_at"])
            c._log(
                actor=actor,
                kind=EventKind.SOLUTION_PROPOSED,
                from_status=old,
                from_level=c.escalation_level,
                now=now,
                note=solution,
            )

    def record_answer(
        self, *, actor: Actor, accepted: bool, note: str = "", to_user: Staff | None = None, via: str = ""
    ) -> None:
        """R-C7: accepted → handling (R-C9); rejected → back in progress, moved up (R-C8).
        `via` ("web", "email"): the complainant answered themselves (no actor); whoever has
        the complaint is told."""
        with self._transition("record_answer") as c:
            now = timezone.now()
            old, old_level = c.status, c.escalation_level
            data: dict[str, Any] = {"accepted": accepted}
            if via:
                data[event_data.VIA] = via
            if accepted:
                c._set_status(Status.HANDLING)
                kind = EventKind.SOLUTION_ACCEPTED
            else:
                if c.escalation_level < MAX_ESCALATION_LEVEL:
                    data.update(c._escalate(cause=EscalationCause.SOLUTION_REJECTED, to_user=to_user))
                c._set_status(Status.IN_PROGRESS)
                kind = EventKind.SOLUTION_REJECTED
            c.save(update_fields=["status", "escalation_level", "assignee", "updated_at"])
            c._log(actor=actor, kind=kind, from_status=old, from_level=old_level, now=now, note=note, data=data)
            if via:
                c._notify_handlers(
                    kind="complainant_answered", data={"accepted": accepted, "to_level": c.escalation_level}
                )
            elif c.escalation_level > old_level:
                c._notify(
                    kind="moved_up",
                    user=to_user,
                    actor=actor,
                    data={"to_level": c.escalation_level, "cause": EscalationCause.SOLUTION_REJECTED},
                )

    def commit_completion(self, *, actor: Actor, completion_at: datetime, note: str = "") -> None:
        """R-C9: cannot finish today — tell the customer and commit a completion date."""
        if completion_at is None or completion_at <= timezone.now():
            raise ValidationError({"completion_at": _("The committed completion time must be in the future.")})
        with self._transition("commit_completion") as c:
            now = timezone.now()
            if c.committed_completion_at == completion_at:
                return
            fields = c._note_reply(now)
            c.committed_completion_at = completion_at
            c.completion_overdue_at = None  # R-T3: a new date answers the missed one
            c.save(update_fields=[*fields, "committed_completion_at", "completion_overdue_at", "updated_at"])
            c._log(
                actor=actor,
                kind=EventKind.COMPLETION_COMMITTED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=note,
                data={"committed_completion_at": completion_at.isoformat()},
            )

    def mark_handled(self, *, actor: Actor, note: str, attachments: Sequence[UploadedFile] = ()) -> None:
        """R-C9 done → resolved, awaiting call-back; closed at once when no call-back is
        needed (R-C10: anonymous, unreachable or sensitive)."""
        note = _required(note, "note", _("Describe what was done."))
        with self._transition("mark_handled") as c:
            now = timezone.now()
            old = c.status
            c.resolved_at = now
            needs_callback = c.needs_callback
            if needs_callback:
                c._set_status(Status.RESOLVED)
            else:
                c.close_reason, c.closed_at = CloseReason.NO_CALLBACK_NEEDED, now
                c._set_status(Status.CLOSED)
            c.save(update_fields=["resolved_at", "status", "close_reason", "closed_at", "updated_at"])
            event = c._log(
                actor=actor,
                kind=EventKind.HANDLED,
                from_status=old,
                from_level=c.escalation_level,
                now=now,
                note=note,
                data={"needs_callback": needs_callback},
            )
            store_attachments(event, attachments, by=actor)

    # ------------------------------------------------------------- call-back
    def record_callback(
        self,
        *,
        actor: Actor,
        method: str,
        satisfied: bool,
        note: str = "",
        answers: Mapping[str, str] | None = None,
        to_user: Staff | None = None,
        attachments: Sequence[UploadedFile] = (),
        signature: str = "",
        rating: int | None = None,
        via: str = "",
    ) -> None:
        """R-C10: satisfied → closed; unsatisfied → moved up again and back in progress. A
        door-visit call-back may carry the complainant's signature (its stored name).
        `rating` is the complainant's 1–5; `via` ("web", "email") marks the online
        questionnaire or reply the complainant answered themselves (no actor)."""
        if method not in CallbackMethod.values:
            raise ValidationError({"method": _("Choose how the call-back was made.")})
        if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5):
            raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
        with self._transition("record_callback") as c:
            now = timezone.now()
            old, old_level = c.status, c.escalation_level
            data: dict[str, Any] = {"method": method, "satisfied": satisfied, "answers": dict(answers or {})}
            if signature:
                data[event_data.SIGNATURE] = signature
            if rating is not None:
                data[event_data.RATING] = rating
            if via:
                data[event_data.VIA] = via
            if satisfied:
                c.close_reason, c.closed_at = CloseReason.CALLBACK_SATISFIED, now
                c._set_status(Status.CLOSED)
            else:
                if c.escalation_level < MAX_ESCALATION_LEVEL:
                    data.update(c._escalate(cause=EscalationCause.CALLBACK_UNSATISFIED, to_user=to_user))
                c.resolved_at = None
                c._set_status(Status.IN_PROGRESS)
            c.save(
                update_fields=[
                    "status",
                    "close_reason",
                    "closed_at",
                    "resolved_at",
                    "escalation_level",
                    "assignee",
                    "updated_at",
                ]
            )
            event = c._log(
                actor=actor,
                kind=EventKind.CALLBACK_RECORDED,
                from_status=old,
                from_level=old_level,
                now=now,
                note=note,
                data=data,
            )
            store_attachments(event, attachments, by=actor)
            if via:
                c._notify_handlers(
                    kind="complainant_answered",
                    data={"satisfied": satisfied, "to_level": c.escalation_level, "callback": True},
                )
            elif c.escalation_level > old_level:
                c._notify(
                    kind="moved_up",
                    user=to_user,
                    actor=actor,
                    data={"to_level": c.escalation_level, "cause": EscalationCause.CALLBACK_UNSATISFIED},
                )

    def decline_callback(self, *, actor: Actor, note: str = "", via: str = "") -> None:
        """R-C10: the customer declines a call-back; closes after 7 quiet days (R-T4). `via`:
        the complainant declined it themselves through the questionnaire link."""
        with self._transition("decline_callback") as c:
            now = timezone.now()
            old = c.status
            c.callback_declined_at = now
            c.auto_close_due_at = deadlines.auto_close_deadline(now)
            c._set_status(Status.CALLBACK_DECLINED)
            c.save(update_fields=["callback_declined_at", "auto_close_due_at", "status", "updated_at"])
            c._log(
                actor=actor,
                kind=EventKind.CALLBACK_DECLINED,
                from_status=old,
                from_level=c.escalation_level,
                now=now,
                note=note,
                data={event_data.VIA: via} if via else {},
            )

    # ------------------------------------------------------------- duplicates
    def _lock_with(self, other_pk: int) -> Complaint:
        """Lock this complaint's row and `other_pk`'s, the lower id first: every step that locks
        two complaints takes them in that order, so two such steps never wait for each other
        (STYLE: locks in one order). Returns the other complaint, re-read under its lock. Inside
        a transaction; `_transition` then re-reads this one (its lock already held)."""
        model = type(self)
        locked = {pk: model.objects.select_for_update().get(pk=pk) for pk in sorted({self.pk, other_pk})}
        other: Complaint = locked[other_pk]
        return other

    def _merge_target_error(self, target: Complaint, actor: Staff) -> ValidationError | None:
        """Why `target` (locked) cannot take this complaint as its duplicate, if it cannot."""
        if target.pk == self.pk:
            message, code = _("A complaint cannot be merged into itself."), "merge_into_itself"
        elif target.office_id != self.office_id and not sees_every_office(actor):
            message, code = _("Choose a complaint of this complaint's office."), "merge_target_other_office"
        elif target.merged_into_id == self.pk:
            message, code = (
                _("%(ref)s was merged into this complaint: merging this one into it would make a circle.")
                % {"ref": target.reference},
                "merge_cycle",
            )
        elif target.close_reason == CloseReason.MERGED:
            message, code = (
                _("%(ref)s is itself a duplicate merged into #%(into)s: merge into #%(into)s instead.")
                % {"ref": target.reference, "into": target.merged_into_id},
                "merge_target_merged",
            )
        elif target.status == Status.CLOSED:
            message, code = (
                _("%(ref)s is closed: merge into an open complaint.") % {"ref": target.reference},
                "merge_target_closed",
            )
        else:
            return None
        return ValidationError({"target": ValidationError(message, code=code)})

    def merge_into(self, actor: Staff, *, target: Complaint | None, note: str) -> None:
        """Issue 14: this complaint duplicates `target` (the same complainant, the same matter —
        the supervisor's judgement, not checked here). It is closed as `merged` into `target`:
        an open complaint of the same office (any office for those who see every office), not
        closed, not itself merged, and not one merged into this complaint. Its events stay where
        they are; `merged` is written on it and `duplicate_merged_in` on `target`, each naming
        the other. Closed, it leaves every queue and sweep (they select by open status).

        Both rows are locked, the lower id first (`_lock_with`), so two supervisors merging
        A into B and B into A at once are serialised: the second sees the first's merge and is
        refused (a circle), and neither waits for the other for ever."""
        note = _required(note, "note", _("Write why this complaint is a duplicate."))
        if target is None:
            raise ValidationError({"target": _("Choose the complaint to merge it into.")})
        with transaction.atomic():
            into = self._lock_with(target.pk)
            with self._transition("merge") as c:
                now = timezone.now()
                error = c._merge_target_error(into, actor)
                if error is not None:
                    raise error
                old = c.status
                c._set_status(Status.CLOSED)
                c.close_reason, c.closed_at, c.merged_into = CloseReason.MERGED, now, into
                c.save(update_fields=["status", "close_reason", "closed_at", "merged_into", "updated_at"])
                merged: event_data.Merged = {event_data.MERGED_INTO: into.pk}
                c._log(
                    actor=actor,
                    kind=EventKind.MERGED,
                    from_status=old,
                    from_level=c.escalation_level,
                    now=now,
                    note=note,
                    data=dict(merged),
                )
                merged_in: event_data.DuplicateMergedIn = {event_data.DUPLICATE: c.pk}
                into._log(
                    actor=actor,
                    kind=EventKind.DUPLICATE_MERGED_IN,
                    from_status=into.status,
                    from_level=into.escalation_level,
                    now=now,
                    note=note,
                    data=dict(merged_in),
                )

    def unmerge(self, actor: Staff, *, note: str) -> None:
        """Issue 14: the merge was a mistake. Never silent: `unmerged` is written on this
        complaint and on the one it was merged into (both rows locked, lower id first). It goes
        back in progress with `merged_into` and the close fields cleared. Only a merged
        complaint can be taken back (rules.REOPENED_BY_CLOSE_REASON): for any other closed
        complaint `InvalidTransition`.

        Its clocks, stopped while it was closed, go on as follows:
        - reply (R-C5/R-T1): the reply time stays as it was — at most 24 hours after receipt,
          promised to the complainant and held by the database. If it passed unanswered, R-T1
          marks the complaint overdue (and moves it up) at its next run, once, like any late
          complaint; if R-T1 had done so before the merge, not again.
        - progress reports (R-T2): restart now — the next one is due one window after the
          unmerge, and a pending flag is cleared.
        - committed completion (R-T3): the date is kept, but it counts only while handling; back
          in progress, it counts again once handling resumes.
        - a declined call-back (R-T4): cleared with the resolution, as moving up does; the
          complaint is worked on again."""
        note = _required(note, "note", _("Write why the merge is undone."))
        with transaction.atomic():
            into_pk = type(self).objects.filter(pk=self.pk).values_list("merged_into_id", flat=True).get()
            into = self._lock_with(into_pk) if into_pk is not None else None
            with self._transition("unmerge") as c:  # refuses a complaint that is not (or no longer) merged
                if into is None or c.merged_into_id != into.pk:  # merged elsewhere meanwhile (unmerged, merged)
                    raise InvalidTransition(
                        _("This complaint was changed meanwhile: reload the page and try again."),
                        action="unmerge",
                        status=c.status,
                    )
                now = timezone.now()
                old = c.status
                c._set_status(Status.IN_PROGRESS)  # the one way out of closed (while it is still merged)
                c.close_reason, c.closed_at, c.merged_into = "", None, None
                c.resolved_at = c.callback_declined_at = c.auto_close_due_at = None
                c.progress_due_at, c.progress_flagged_at = deadlines.progress_deadline(now), None
                c.save(
                    update_fields=[
                        "status",
                        "close_reason",
                        "closed_at",
                        "merged_into",
                        "resolved_at",
                        "callback_declined_at",
                        "auto_close_due_at",
                        "progress_due_at",
                        "progress_flagged_at",
                        "updated_at",
                    ]
                )
                unmerged: event_data.Unmerged = {event_data.MERGED_INTO: into.pk}
                c._log(
                    actor=actor,
                    kind=EventKind.UNMERGED,
                    from_status=old,
                    from_level=c.escalation_level,
                    now=now,
                    note=note,
                    data=dict(unmerged),
                )
                duplicate_out: event_data.DuplicateUnmerged = {event_data.DUPLICATE: c.pk}
                into._log(
                    actor=actor,
                    kind=EventKind.UNMERGED,
                    from_status=into.status,
                    from_level=into.escalation_level,
                    now=now,
                    note=note,
                    data=dict(duplicate_out),
                )

    # ---------------------------------------------------------------- review
    def record_satisfaction_recheck(
        self,
        *,
        actor: Staff,
        sample_item: int,
        reached: bool,
        satisfied: bool | None = None,
        rating: int | None = None,
        note: str = "",
    ) -> ComplaintEvent:
        """R-F5: the manager re-checks a sampled closed complaint's satisfaction by phone. Recorded
        like a call-back, but as a review: no status change, not counted as a call-back."""
        if reached and satisfied is None:
            raise ValidationError({"satisfied": _("Record whether the complainant is satisfied.")})
        if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5):
            raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
        with self._transition("record_satisfaction_recheck") as c:
            data: event_data.SatisfactionRechecked = {
                "sample_item": sample_item,
                "reached": reached,
                "satisfied": satisfied if reached else None,
                "rating": rating if reached else None,
            }
            return c._log(
                actor=actor,
                kind=EventKind.SATISFACTION_RECHECKED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=timezone.now(),
                note=note,
                data=dict(data),
            )

    # -------------------------------------------------------------- training
    def mark_training_case(self, *, actor: Actor, lesson: str) -> None:
        """R-C11: a valuable closed case becomes a training case, with its lesson."""
        lesson = _required(lesson, "lesson", _("Write the lesson staff should learn from this case."))
        with self._transition("mark_training_case") as c:
            now = timezone.now()
            if c.is_training_case and c.training_lesson == lesson:
                return
            c.is_training_case, c.training_lesson, c.training_marked_at = True, lesson, now
            c.save(update_fields=["is_training_case", "training_lesson", "training_marked_at", "updated_at"])
            c._log(
                actor=actor,
                kind=EventKind.TRAINING_CASE_MARKED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=lesson,
            )

    # ----------------------------------------------------------------- notes
    def add_note(self, *, actor: Actor, note: str) -> None:
        note = _required(note, "note", _("Write a note."))
        with self._transition("add_note") as c:
            now = timezone.now()
            c._log(
                actor=actor,
                kind=EventKind.NOTE_ADDED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=note,
            )

"""Special incidents (R-C6.2: 遇特殊事件，需先行穩定事態，控制其擴大，然後立即向有關單位或部門反應):
a complaint is flagged a special incident, the situation is first contained (the steps taken)
and then reported upward at once (to whom, when). Each is one step of the lifecycle with its
event; flagging tells the office's supervisors and the managers at once (in-app and e-mail,
after commit). Special incidents are a line of the daily log and of the monthly summary.

Mixed into `Complaint` with the rest of the lifecycle (complaints/lifecycle.py), whose helpers
these steps use. Any open complaint may be flagged (rules.ACTIONS), once; the containment and
the report need the flag (rules.SPECIAL_INCIDENT).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import event_data, rules
from .choices import EventKind

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from .models import Complaint
    from .types import Actor


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _holders_of(permission: str) -> Q:
    """Users granted `permission` ("app_label.codename") through a group or directly."""
    app_label, codename = permission.split(".")
    return Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label) | Q(
        user_permissions__codename=codename, user_permissions__content_type__app_label=app_label
    )


def incident_recipients(office_id: int) -> list[int]:
    """Who is told of a special incident at once: the office's active supervisors and the
    managers — the active users who see every office's complaints (granted
    complaints.view_all_offices and complaints.view_complaint, so not an executive, who reads
    only the dashboards). Two queries."""
    from notifications.services import supervisors_of

    supervisors = supervisors_of([office_id], flag_gaps=False).get(office_id, [])
    User = get_user_model()
    managers = (
        User.objects.filter(is_active=True)
        .filter(pk__in=User.objects.filter(_holders_of(rules.VIEW_ALL_OFFICES)).values("pk"))
        .filter(pk__in=User.objects.filter(_holders_of("complaints.view_complaint")).values("pk"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(dict.fromkeys([*supervisors, *managers]))


# The complaint's special-incident record, in display order (the admin and the API).
SPECIAL_INCIDENT_RECORD = (
    "is_special_incident",
    "special_incident_at",
    "incident_containment",
    "incident_contained_at",
    "incident_reported_to",
    "incident_reported_at",
)


class SpecialIncidentSteps:
    """Mixed into `Complaint` (through `ComplaintLifecycle`)."""

    if TYPE_CHECKING:  # complaints.lifecycle.ComplaintLifecycle's, which mixes this in

        def _transition(self, action_name: str) -> AbstractContextManager[Complaint]: ...

    def flag_special_incident(self, *, actor: Actor, note: str) -> None:
        """Flag the complaint a special incident (`note`: what happened). The office's
        supervisors and the managers are told at once (not the person who flags it)."""
        note = _text(note, "note", _("Write what happened."))
        with self._transition("flag_special_incident") as c:  # refused if flagged already
            now = timezone.now()
            c.is_special_incident, c.special_incident_at = True, now
            c.save(update_fields=["is_special_incident", "special_incident_at", "updated_at"])
            data: event_data.SpecialIncidentFlagged = {}
            c._log(
                actor=actor,
                kind=EventKind.SPECIAL_INCIDENT_FLAGGED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=note,
                data=dict(data),
            )
            from notifications.services import notify

            recipients = [pk for pk in incident_recipients(c.office_id) if actor is None or pk != actor.pk]
            notify(recipients, kind="special_incident", complaint_id=c.pk, data={"office_name": c.office.name})

    def record_incident_containment(self, *, actor: Actor, steps: str) -> None:
        """R-C6.2 first: the steps taken to stabilise the situation and stop it spreading.
        Recorded again, the new steps replace the old on the complaint (each stays an event)."""
        steps = _text(steps, "steps", _("Write the steps taken to contain the incident."))
        with self._transition("record_incident_containment") as c:
            if c.incident_containment == steps:
                return
            now = timezone.now()
            c.incident_containment, c.incident_contained_at = steps, now
            c.save(update_fields=["incident_containment", "incident_contained_at", "updated_at"])
            data: event_data.IncidentContained = {}
            c._log(
                actor=actor,
                kind=EventKind.INCIDENT_CONTAINED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=steps,
                data=dict(data),
            )

    def record_incident_report(
        self, *, actor: Actor, reported_to: str, reported_at: datetime | None, note: str = ""
    ) -> None:
        """R-C6.2 then: the incident was reported upward, to whom (`reported_to`: a unit,
        department or person) and when (`reported_at`: not in the future, not before the
        incident — it may be before the complaint was logged: report first, type later)."""
        errors: dict[str, str] = {}
        reported_to = (reported_to or "").strip()
        if not reported_to:
            errors["reported_to"] = _("Write to whom the incident was reported.")
        if reported_at is None:
            errors["reported_at"] = _("Enter when the incident was reported.")
        if errors or reported_at is None:
            raise ValidationError(errors)
        with self._transition("record_incident_report") as c:
            now = timezone.now()
            limit = getattr(type(c)._meta.get_field("incident_reported_to"), "max_length", None) or 0
            if len(reported_to) > limit:
                raise ValidationError({"reported_to": _("At most %(limit)d characters.") % {"limit": limit}})
            if reported_at > now:
                raise ValidationError({"reported_at": _("The report cannot be in the future.")})
            if reported_at < c.incident_at:  # it may precede the complaint's logging, not the incident
                raise ValidationError({"reported_at": _("The report cannot be before the incident happened.")})
            if (c.incident_reported_to, c.incident_reported_at) == (reported_to, reported_at):
                return
            c.incident_reported_to, c.incident_reported_at = reported_to, reported_at
            c.save(update_fields=["incident_reported_to", "incident_reported_at", "updated_at"])
            data: event_data.IncidentReported = {"reported_to": reported_to, "reported_at": reported_at.isoformat()}
            c._log(
                actor=actor,
                kind=EventKind.INCIDENT_REPORTED,
                from_status=c.status,
                from_level=c.escalation_level,
                now=now,
                note=(note or "").strip(),
                data=dict(data),
            )

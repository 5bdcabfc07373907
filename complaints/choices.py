"""Vocabulary of the complaint procedure (SPEC R-C1 … R-C11)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    SOLUTION_PROPOSED = "solution_proposed", _("Solution proposed")
    HANDLING = "handling", _("Handling")
    RESOLVED = "resolved", _("Resolved, awaiting call-back")
    CALLBACK_DECLINED = "callback_declined", _("Call-back declined")
    CLOSED = "closed", _("Closed")


# The status groups, defined once: the transition table, the periodic rules, the partial
# indexes that serve them (Complaint.Meta.indexes) and the lists all read these.
# Statuses in which the complaint is still being worked on (the reply and progress clocks run).
WORKING_STATUSES: tuple[str, ...] = (Status.RECEIVED, Status.IN_PROGRESS, Status.SOLUTION_PROPOSED, Status.HANDLING)
# Every status but closed: working, plus waiting for (or declined) the call-back.
OPEN_STATUSES: tuple[str, ...] = (*WORKING_STATUSES, Status.RESOLVED, Status.CALLBACK_DECLINED)


class CloseReason(models.TextChoices):
    """Why a closed complaint is closed: every closed complaint has exactly one, and only a
    closed one has any (the constraint complaint_closed_has_reason).

    The four of R-C10 say the complaint was handled to its end — resolved on the spot with the
    complainant's sign-off, satisfied at call-back, auto-closed 7 days after a declined
    call-back, handled with no call-back needed (rules.HANDLED_CLOSE_REASONS). They are final:
    nothing leaves `closed` for them.

    `merged` (issue 14) says the complaint was no complaint of its own: a duplicate (the same
    complainant, the same matter) of the complaint named in `merged_into`, which is set exactly
    when the reason is `merged` (complaint_merged_has_target). It extends the contract in three
    ways. It closes from any open status, with no call-back and no notice to the complainant.
    It is the one close reason that can be undone — by `unmerge`, an event on both complaints,
    back in progress (rules.REOPENED_BY_CLOSE_REASON). And a merged complaint counts nowhere:
    the reports, the daily log, the queues and the training library count the pair once, as
    the complaint it was merged into. Code that asks "was it handled?" reads the close reason,
    not only `status == closed`.
    """

    ON_THE_SPOT = "on_the_spot", _("Resolved on the spot with sign-off")
    CALLBACK_SATISFIED = "callback_satisfied", _("Satisfied at call-back")
    AUTO_CLOSED = "auto_closed", _("Auto-closed 7 days after declined call-back")
    NO_CALLBACK_NEEDED = "no_callback_needed", _("Handled; no call-back needed")
    MERGED = "merged", _("Merged into another complaint (duplicate)")  # issue 14: not one of R-C10's four


class Channel(models.TextChoices):
    """R-C1 intake channels."""

    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")
    ONLINE = "online", _("Online (web form, e-mail, message)")
    LETTER = "letter", _("Letter")
    FIELD_VISIT = "field_visit", _("Field visit")


class Outcome(models.TextChoices):
    """What happens at intake, once the receiver has listened and restated (R-C3)."""

    REPLY_TIME = "reply_time", _("Agree a reply time (within 24 hours)")  # R-C5
    ON_THE_SPOT = "on_the_spot", _("Resolved on the spot, complainant signs off")  # R-C4
    MOVE_UP = "move_up", _("Still agitated or not satisfied: move up to the supervisor now")  # R-C2
    DEADLINE = "deadline", _("No time agreed yet: reply by the reply deadline")  # online, letters (R-C5)


class EscalationLevel(models.IntegerChoices):
    """R-C8 服務上移 levels."""

    RECEIVER = 0, _("0 — receiver")
    SUPERVISOR = 1, _("1 — service-centre supervisor")
    DEPARTMENT_HEAD = 2, _("2 — responsible department head")
    OUTSIDE_BODIES = 3, _("3 — outside bodies")


MAX_ESCALATION_LEVEL = EscalationLevel.OUTSIDE_BODIES


class OutsideBodyKind(models.TextChoices):
    """R-C8 level 3, 原則8.3: the bodies outside the service centre a complaint is moved up to."""

    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")  # 業委會
    COMPANY_DEPARTMENT = "company_department", _("Another company department")  # 公司其他部門
    PUBLIC_AGENCY = "public_agency", _("Public agency")  # 政府或公共機構


class EscalationCause(models.TextChoices):
    """R-C8 causes for moving a complaint up."""

    EMOTIONAL = "emotional", _("Emotional complainant")
    BEYOND_AUTHORITY = "beyond_authority", _("Beyond the receiver's authority")
    SOLUTION_REJECTED = "solution_rejected", _("Solution rejected")
    DEADLINE_MISSED = "deadline_missed", _("Reply deadline missed")
    CALLBACK_UNSATISFIED = "callback_unsatisfied", _("Unsatisfied at call-back")


class CallbackMethod(models.TextChoices):
    """R-C10 call-back methods."""

    PHONE = "phone", _("Phone")
    DOOR_VISIT = "door_visit", _("Door visit")
    ONLINE_REPLY = "online_reply", _("Online reply")
    QUESTIONNAIRE = "questionnaire", _("Questionnaire")


class EventKind(models.TextChoices):
    RECEIVED = "received", _("Complaint received")
    REPLY_TIME_AGREED = "reply_time_agreed", _("Reply time agreed")
    REPLIED = "replied", _("Replied to complainant")
    PROGRESS_REPORTED = "progress_reported", _("Progress reported")
    RESOLVED_ON_THE_SPOT = "resolved_on_the_spot", _("Resolved on the spot")
    MOVED_UP = "moved_up", _("Moved up")
    REASSIGNED = "reassigned", _("Reassigned")
    DEPARTMENT_ASSIGNED = "department_assigned", _("Department asked to investigate")
    FINDINGS_RECORDED = "findings_recorded", _("Findings recorded")
    SOLUTION_PROPOSED = "solution_proposed", _("Solution proposed")
    SOLUTION_ACCEPTED = "solution_accepted", _("Solution accepted")
    SOLUTION_REJECTED = "solution_rejected", _("Solution rejected")
    COMPLETION_COMMITTED = "completion_committed", _("Completion date committed")
    HANDLED = "handled", _("Handling finished")
    CALLBACK_RECORDED = "callback_recorded", _("Call-back recorded")
    CALLBACK_DECLINED = "callback_declined", _("Call-back declined")
    AUTO_CLOSED = "auto_closed", _("Auto-closed")
    NOTE_ADDED = "note_added", _("Note added")
    TRAINING_CASE_MARKED = "training_case_marked", _("Marked as training case")
    # written by the periodic rules (R-T1 … R-T4)
    REPLY_OVERDUE = "reply_overdue", _("Reply deadline missed")
    PROGRESS_REPORT_DUE = "progress_report_due", _("Progress report due")
    COMPLETION_OVERDUE = "completion_overdue", _("Committed completion date missed")
    NEWER_COMPLAINT_LINKED = "newer_complaint_linked", _("Newer complaint from the same complainant")
    # the complainant's side (R-P1 … R-P4)
    CLAIMED = "claimed", _("Claimed by an agent")  # an online complaint gets its receiver
    INFORMATION_ADDED = "information_added", _("Information added by the complainant")
    NOTICE_SENT = "notice_sent", _("Notice sent to the complainant")
    LINK_REVOKED = "link_revoked", _("Complainant's private link revoked")
    # merging duplicates (issue 14)
    MERGED = "merged", _("Merged into another complaint")
    DUPLICATE_MERGED_IN = "duplicate_merged_in", _("A duplicate was merged into this complaint")
    UNMERGED = "unmerged", _("Merge undone")
    # the manager's satisfaction re-check of a sampled complaint (R-F5, issue 14)
    SATISFACTION_RECHECKED = "satisfaction_rechecked", _("Satisfaction re-checked (performance sample)")
    # level 3, outside bodies (R-C8, 原則8.3; issue 13)
    OUTSIDE_BODY_REFERRED = "outside_body_referred", _("Referred to an outside body")
    OUTSIDE_BODY_ANSWERED = "outside_body_answered", _("Outside body's answer recorded")
    # special incidents (R-C6.2; issue 13): flagged, contained, reported upward
    SPECIAL_INCIDENT_FLAGGED = "special_incident_flagged", _("Flagged as a special incident")
    INCIDENT_CONTAINED = "incident_contained", _("Special incident contained")
    INCIDENT_REPORTED = "incident_reported", _("Special incident reported upward")

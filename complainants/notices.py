"""Notices to the complainant (R-P4): at received (reference + link), reply, progress report,
solution proposed, resolved (with the questionnaire link) and closed — by SMS and/or e-mail,
in the complainant's language, through the outbox of `notifications` (written in the same
transaction as the step, sent after commit, retried; when sent, recorded on the timeline as
"SMS sent to 139****5678"). A complainant who stopped the notices gets none."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from complaints.choices import EventKind, Status
from complaints.models import Complaint, ComplaintEvent
from helpdesk.urls_tools import absolute_url
from notifications.models import Notice, NoticeChannel
from notifications.outbox import is_mobile, mask_address, queue_notice

from . import tokens
from .models import ComplainantAccess
from .timeline import is_outside_body_step, outside_body_entry

logger = logging.getLogger(__name__)

KINDS = ("received", "replied", "progress", "solution_proposed", "resolved", "closed", "link")

# Every e-mail to the complainant carries the complaint's reference and private token in its
# subject, "[#123 <token>]": a reply to it is added to that complaint (complainants/mail.py).
SUBJECT_TAG = re.compile(r"\[#(\d+) ([A-Za-z0-9_-]{" + str(tokens.TOKEN_LENGTH) + r"})\]")


def subject_tag(complaint: Complaint, token: str | None) -> str:
    return f" [{complaint.reference} {token}]" if token else ""


def kind_of(event: ComplaintEvent) -> str | None:
    """Which notice a step of the procedure sends the complainant, if any."""
    kind = event.kind
    if kind == EventKind.REPLIED or kind == EventKind.REPLY_TIME_AGREED:
        return "replied"
    if kind in (EventKind.PROGRESS_REPORTED, EventKind.COMPLETION_COMMITTED):
        return "progress"
    if is_outside_body_step(event):  # level 3: passed on to an outside body, its answer (R-C5.3)
        return "progress"
    if kind == EventKind.SOLUTION_PROPOSED:
        return "solution_proposed"
    if kind == EventKind.HANDLED:
        return "resolved" if event.to_status == Status.RESOLVED else "closed"
    if kind in (EventKind.CALLBACK_RECORDED, EventKind.AUTO_CLOSED) and event.to_status == Status.CLOSED:
        return "closed"
    return None


def _links(token: str | None) -> dict[str, str]:
    if not token:
        return {"progress_url": "", "questionnaire_url": ""}
    return {
        "progress_url": absolute_url(reverse("complainants:progress", args=[token])),
        "questionnaire_url": absolute_url(reverse("complainants:questionnaire", args=[token])),
    }


def sms_text(kind: str, *, reference: str, links: dict[str, str]) -> str:
    """The SMS of `kind`, in the active language (kept short: SMS parts are 70 characters)."""
    sign = getattr(settings, "HELPDESK_SMS_SIGNATURE", "") or _("[Service centre]")
    params = {"ref": reference, **links}
    texts = {
        "received": _("We received your complaint %(ref)s and will reply within 24 hours. Follow it: %(progress_url)s"),
        "replied": _("Your complaint %(ref)s has a reply: %(progress_url)s"),
        "progress": _("News on your complaint %(ref)s: %(progress_url)s"),
        "solution_proposed": _("A solution to your complaint %(ref)s awaits your answer: %(progress_url)s"),
        "resolved": _("Your complaint %(ref)s was handled. Are you satisfied? Tell us: %(questionnaire_url)s"),
        "closed": _("Your complaint %(ref)s is closed. Thank you. %(progress_url)s"),
        "link": _("Your new private link to complaint %(ref)s: %(progress_url)s"),
    }
    return f"{sign}{texts[kind] % params}".strip()


def _message(kind: str, event: ComplaintEvent | None) -> str:
    """What the e-mail quotes of the step: what staff said to the complainant; for a level-3
    step the complainant's wording of it (the body's kind, never its contact or the answer)."""
    if event is None or kind not in ("replied", "progress", "solution_proposed"):
        return ""
    if is_outside_body_step(event):
        entry = outside_body_entry(event)
        return f"{entry.title}\n{entry.text}"
    return event.note


def email_parts(
    kind: str, *, complaint: Complaint, event: ComplaintEvent | None, links: dict[str, str], token: str | None = None
):
    subjects = {
        "received": _("We received your complaint %(ref)s"),
        "replied": _("A reply to your complaint %(ref)s"),
        "progress": _("News on your complaint %(ref)s"),
        "solution_proposed": _("A solution to your complaint %(ref)s awaits your answer"),
        "resolved": _("Your complaint %(ref)s was handled: are you satisfied?"),
        "closed": _("Your complaint %(ref)s is closed"),
        "link": _("Your new private link to complaint %(ref)s"),
    }
    context: dict[str, Any] = {
        "kind": kind,
        "complaint": complaint,
        "reference": complaint.reference,
        "subject_line": complaint.subject,
        "office_name": complaint.office.name,
        "language": translation.get_language(),
        "message": _message(kind, event),
        **links,
    }
    subject = subjects[kind] % {"ref": complaint.reference} + subject_tag(complaint, token)
    text = render_to_string("complainants/email/notice.txt", context)
    html = render_to_string("complainants/email/notice.html", context)
    return subject, text, html


def queue_for(
    complaint: Complaint,
    kind: str,
    *,
    access: ComplainantAccess | None = None,
    event: ComplaintEvent | None = None,
    token: str | None = None,
    force: bool = False,
) -> list[Notice]:
    """Write the notices of `kind` for `complaint` (SMS to a mobile, e-mail to an address, as
    the complainant chose), in their language. Nothing if they stopped notices, unless
    `force` (a new private link they asked staff for)."""
    if access is None:
        access = ComplainantAccess.objects.filter(complaint=complaint).first()
    if access is None or not (access.notices_on or force):
        return []
    token = token or tokens.token_for(complaint)
    written = []
    with translation.override(access.language):
        links = _links(token)
        if access.notify_sms and is_mobile(complaint.contact_phone):
            written.append(
                queue_notice(
                    channel=NoticeChannel.SMS,
                    to=complaint.contact_phone,
                    language=access.language,
                    kind=kind,
                    body=sms_text(kind, reference=complaint.reference, links=links),
                    complaint_id=complaint.pk,
                )
            )
        if access.notify_email and complaint.contact_email:
            subject, text, html = email_parts(kind, complaint=complaint, event=event, links=links, token=token)
            written.append(
                queue_notice(
                    channel=NoticeChannel.EMAIL,
                    to=complaint.contact_email,
                    language=access.language,
                    kind=kind,
                    subject=subject,
                    body=text,
                    body_html=html,
                    complaint_id=complaint.pk,
                )
            )
    return written


def on_events_logged(sender, *, events: list[ComplaintEvent], **kwargs) -> None:
    """`complaints.signals.events_logged`: the notices of these steps, in their transaction."""
    wanted = {e.complaint_id: (e, k) for e in events if (k := kind_of(e)) is not None}
    if not wanted:
        return
    found = ComplainantAccess.objects.filter(
        complaint_id__in=list(wanted), notices_stopped_at__isnull=True
    ).select_related("complaint", "complaint__office", "complaint__customer")
    accesses = list(found)
    links = tokens.tokens_for([a.complaint for a in accesses])  # one query for the batch
    for access in accesses:
        event, kind = wanted[access.complaint_id]
        queue_for(access.complaint, kind, access=access, event=event, token=links[access.complaint_id])


def on_notice_sent(sender, *, notice: Notice, **kwargs) -> None:
    """`notifications.signals.notice_sent`: "SMS sent to 139****5678" on the timeline."""
    if notice.complaint_id is None:
        return
    complaint = Complaint(pk=notice.complaint_id)
    try:
        complaint.record_notice(
            channel=notice.channel, to=mask_address(notice.channel, notice.to), notice_kind=notice.kind
        )
    except Exception:  # the notice is sent; a timeline entry that could not be written is logged
        logger.exception("Could not record notice %s on complaint %s", notice.pk, notice.complaint_id)

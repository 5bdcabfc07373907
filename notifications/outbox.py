"""Writing notices to people who are not users (complainants, R-P4) into the outbox.

`queue_notice` writes one `Notice` row inside the caller's transaction and, only after it
commits, hands its id to the delivery task (the same broker rules as the staff e-mails:
notifications/services.py). An SMS written during the quiet hours waits for their end
(`not_before`); `deliver_pending_notices` (beat) sends it then. `send_again` puts failed
notices back (the admin's "Send again").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from .models import Notice, NoticeChannel, NoticeStatus
from .services import publish

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def is_mobile(phone: str) -> bool:
    """A mainland mobile number in the stored form (helpdesk.phones): SMS can reach it."""
    return bool(_MOBILE.match(phone or ""))


def mask_address(channel: str, to: str) -> str:
    """What a timeline shows of an address: 139****5678, l***@example.com."""
    to = to or ""
    if channel == NoticeChannel.SMS:
        if len(to) >= 7:
            return f"{to[:3]}{'*' * (len(to) - 7)}{to[-4:]}" if len(to) > 7 else f"{to[:3]}****"
        return "****"
    local, _, domain = to.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _parse_hhmm(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))


def quiet_hours() -> tuple[time, time] | None:
    """HELPDESK_SMS_QUIET_HOURS ("21:00-08:00", local time; empty: none)."""
    value = (getattr(settings, "HELPDESK_SMS_QUIET_HOURS", "") or "").strip()
    if not value:
        return None
    start, _, end = value.partition("-")
    return _parse_hhmm(start.strip()), _parse_hhmm(end.strip())


def sms_not_before(now: datetime | None = None) -> datetime:
    """`now`, or the end of the quiet hours when `now` falls inside them."""
    now = now or timezone.now()
    window = quiet_hours()
    if window is None:
        return now
    start, end = window
    local = timezone.localtime(now)
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return now
    end_day = local.date() if t < end else local.date() + timedelta(days=1)
    naive = datetime.combine(end_day, end)
    return timezone.make_aware(naive, timezone.get_current_timezone())


def queue_notice(
    *,
    channel: str,
    to: str,
    language: str,
    kind: str,
    body: str,
    subject: str = "",
    body_html: str = "",
    complaint_id: int | None = None,
) -> Notice:
    """Write one notice (in the caller's transaction); delivery is enqueued after commit."""
    now = timezone.now()
    notice = Notice.objects.create(
        channel=channel,
        to=to,
        language=language,
        kind=kind,
        complaint_id=complaint_id,
        subject=subject[:200],
        body=body,
        body_html=body_html,
        created_at=now,
        not_before=sms_not_before(now) if channel == NoticeChannel.SMS else now,
    )
    if notice.not_before <= now:
        transaction.on_commit(lambda: _enqueue([notice.pk]), robust=True)
    return notice


def _enqueue(ids: list[int]) -> None:
    """Hand the ids to the delivery task, after commit; a broker that is down (or slow) leaves
    them pending for `deliver_pending_notices` (never raised: the caller's work is committed)."""
    from .tasks import deliver_notices

    publish(deliver_notices, ids, what="notice(s)")


def send_again(notice_ids: Iterable[int]) -> int:
    """Put failed notices back in the outbox (the admin's "Send again"): pending again, their
    attempts and last error kept (one more failure fails them again), an SMS not before the end
    of the quiet hours. Those due are sent after commit; the others by `deliver_pending_notices`
    at their time. Returns how many were put back."""
    now = timezone.now()
    sms_due = sms_not_before(now)
    with transaction.atomic():
        rows = list(
            Notice.objects.select_for_update()
            .filter(pk__in=list(notice_ids), status=NoticeStatus.FAILED)
            .order_by("pk")
            .values_list("pk", "channel")
        )
        Notice.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            status=NoticeStatus.PENDING,
            not_before=Case(When(channel=NoticeChannel.SMS, then=Value(sms_due)), default=Value(now)),
        )
        due = [pk for pk, channel in rows if channel != NoticeChannel.SMS or sms_due <= now]
        if due:
            transaction.on_commit(lambda: _enqueue(due), robust=True)
    return len(rows)

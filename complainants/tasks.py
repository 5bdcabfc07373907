"""Complaints by e-mail from an IMAP mailbox (R-C1 online): the beat runs `poll_imap` every
HELPDESK_IMAP_POLL_SECONDS; it does nothing while HELPDESK_IMAP_URL is empty.

HELPDESK_IMAP_URL = imaps://user:password@host:993/INBOX (imap:// for plain IMAP on port 143;
user and password percent-encoded, the mailbox INBOX if the path is empty).

Each run takes the unseen messages (at most MAX_PER_RUN), fetches each without marking it
(BODY.PEEK[]), hands it to `complainants.mail.take_in`, and flags it \\Seen only after that
committed. A run that dies between the two leaves the message unseen: the next run finds its
`InboundEmail` row (a duplicate, nothing written) and flags it then — processed once. A
database error stops the run with the message unseen; a message whose intake failed for
another reason (the file store) stays unseen for the next run, and the run goes on.

Two pollers never run at once: a PostgreSQL advisory lock held for the run (a cache lock on
other databases), as the sweeps do (complaints/sweeps.py)."""

from __future__ import annotations

import base64
import imaplib
import logging
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection

from helpdesk.db import advisory_key

from .mail import take_in

logger = logging.getLogger(__name__)

MAX_PER_RUN = 200
IMAP_TIMEOUT = 30  # seconds, per network operation
LOCK_NAME = "complainants.poll_imap"
LOCK_KEY = advisory_key(LOCK_NAME)  # the PostgreSQL advisory lock
TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": False}


@dataclass(frozen=True)
class Mailbox:
    ssl: bool
    host: str
    port: int
    user: str
    password: str
    name: str


def parse_imap_url(url: str) -> Mailbox:
    """imap[s]://user:password@host[:port][/MAILBOX], user and password percent-decoded."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError("HELPDESK_IMAP_URL must look like imaps://user:password@host:993/INBOX")
    secure = parts.scheme == "imaps"
    return Mailbox(
        ssl=secure,
        host=parts.hostname,
        port=parts.port or (993 if secure else 143),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        name=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def mailbox_argument(name: str) -> str:
    """A mailbox name as an IMAP argument: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return '"' + "".join(out).replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def _single_run() -> Iterator[bool]:
    """True if this run may poll: no other poller holds the lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            held = bool(cursor.fetchone()[0])
        try:
            yield held
        finally:
            if held:
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
                except DatabaseError:  # the connection is gone, and the lock with it
                    logger.warning("poll_imap: could not release the advisory lock", exc_info=True)
        return
    held = cache.add(LOCK_NAME, 1, timeout=settings.CELERY_TASK_TIME_LIMIT)
    try:
        yield held
    finally:
        if held:
            cache.delete(LOCK_NAME)


def _connect(box: Mailbox) -> imaplib.IMAP4:
    if box.ssl:
        return imaplib.IMAP4_SSL(box.host, box.port, ssl_context=ssl.create_default_context(), timeout=IMAP_TIMEOUT)
    return imaplib.IMAP4(box.host, box.port, timeout=IMAP_TIMEOUT)


def _check(response: tuple[str, Sequence[Any]], what: str) -> Sequence[Any]:
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what}: {status} {data!r}")
    return data


def _fetch(client: imaplib.IMAP4, uid: str) -> bytes | None:
    """The whole message, without setting \\Seen (BODY.PEEK[]); None if the server has none."""
    data = _check(client.uid("FETCH", uid, "(BODY.PEEK[])"), f"FETCH {uid}")
    for item in data:
        if isinstance(item, tuple) and len(item) > 1 and isinstance(item[1], bytes):
            return item[1]
    return None


def mark_seen(client: imaplib.IMAP4, uid: str) -> None:
    _check(client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)"), f"STORE {uid}")


def poll_mailbox(url: str, *, limit: int = MAX_PER_RUN) -> dict[str, int]:
    """Take in the unseen messages of the mailbox at `url` (module docstring); the counts of
    each outcome (created, appended, ignored, rejected, duplicate), of the messages that
    failed (left unseen) and of those left for the next run."""
    counts: dict[str, int] = {}
    with _single_run() as mine:
        if not mine:
            logger.info("poll_imap: another poller is running")
            return {"skipped_locked": 1}
        box = parse_imap_url(url)
        client = _connect(box)
        try:
            _check(client.login(box.user, box.password), "LOGIN")
            _check(client.select(mailbox_argument(box.name)), f"SELECT {box.name}")
            found = _check(client.uid("SEARCH", "UNSEEN"), "SEARCH UNSEEN")
            uids = found[0].decode().split() if found and isinstance(found[0], bytes) else []
            counts["left"] = max(0, len(uids) - limit)
            for uid in uids[:limit]:
                raw = _fetch(client, uid)
                if raw is None:
                    counts["failed"] = counts.get("failed", 0) + 1
                    continue
                try:
                    result = take_in(raw)
                except (DatabaseError, SoftTimeLimitExceeded):
                    raise
                except Exception:  # not the message's fault (take_in rejects bad ones): next run
                    logger.exception("poll_imap: message %s left unseen", uid)
                    counts["failed"] = counts.get("failed", 0) + 1
                    continue
                mark_seen(client, uid)
                counts[result.label] = counts.get(result.label, 0) + 1
        finally:
            try:
                client.logout()
            except (OSError, imaplib.IMAP4.error):
                pass
    return counts


@shared_task(name="complainants.tasks.poll_imap", **TASK_OPTIONS)
def poll_imap() -> dict[str, int]:
    url = settings.HELPDESK_IMAP_URL
    if not url:
        return {}
    counts = poll_mailbox(url)
    logger.info("poll_imap: %s", counts)
    return counts

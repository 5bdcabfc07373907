"""Take in one e-mail from standard input (R-C1 online), for an MTA's pipe — Postfix:

    mailbox_command = /app/.venv/bin/python /app/manage.py receive_email

or an alias "complaints: |/app/.venv/bin/python /app/manage.py receive_email".

Exit status: 0 whatever became of the message (created, appended, ignored, duplicate, and
rejected too: a bounce to the sender helps nobody; the reason is logged and recorded); 75
(EX_TEMPFAIL) when the database could not be written — or anything else failed that is not the
message's fault (the file store, a bug) — so that the MTA keeps the message and delivers it
again later (taken in once: `complainants.mail`)."""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from complainants.mail import take_in

logger = logging.getLogger(__name__)

EX_TEMPFAIL = 75  # sysexits.h: "try again later"


class Command(BaseCommand):
    help = "Take in one e-mail (RFC 822, on standard input) as a new complaint or a reply to one."
    stealth_options = ("stdin",)  # call_command("receive_email", stdin=BytesIO(...))

    def handle(self, *args: Any, **options: Any) -> None:
        stream = options.get("stdin") or sys.stdin
        raw = getattr(stream, "buffer", stream).read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            result = take_in(raw)
        except DatabaseError as error:
            logger.exception("E-mail not taken in: database error (the MTA will retry)")
            raise CommandError(f"database error, try again later: {error}", returncode=EX_TEMPFAIL) from error
        except Exception as error:  # not the message's fault (take_in rejects bad messages): retry
            logger.exception("E-mail not taken in (the MTA will retry)")
            raise CommandError(f"error, try again later: {error}", returncode=EX_TEMPFAIL) from error
        self.stdout.write(str(result))

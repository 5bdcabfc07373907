"""The personal-information notice a complainant accepts before complaining online (R-P1,
China's Personal Information Protection Law): what is collected, why, how long it is kept.

The text is versioned: the version and the SHA-256 of the text shown (in the language shown)
are recorded with the complaint, so it can always be told which text was accepted. Change
the text → change `VERSION`."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.utils.translation import gettext as _

VERSION = "2026-12"


def retention_years() -> int:
    return int(getattr(settings, "HELPDESK_COMPLAINT_RETENTION_YEARS", 3))


def notice_paragraphs(office_name: str) -> list[str]:
    """The notice, paragraph by paragraph, in the active language."""
    return [
        _(
            "%(office)s collects the personal information you give on this form — your name (unless you"
            " complain anonymously), your contact details, the place and time of the incident, what happened"
            " and any photos — to handle your complaint: to investigate it, reply to you, tell you how it"
            " progresses and ask whether you are satisfied."
        )
        % {"office": office_name},
        _(
            "Only the staff handling complaints and, where your complaint needs them, the responsible"
            " departments see it. It is not sold or used for advertising. Photos are stored without their"
            " location data."
        ),
        _(
            "It is kept while your complaint is handled and for %(years)s years after it is closed, as the"
            " complaint records must be kept; then it is deleted or made anonymous."
        )
        % {"years": retention_years()},
        _(
            "You may ask to see, correct or delete your information, or withdraw this consent, by contacting"
            " the service centre. Without it we can still take your complaint by phone or in person."
        ),
    ]


def notice_sha256(office_name: str) -> str:
    return hashlib.sha256("\n".join(notice_paragraphs(office_name)).encode()).hexdigest()

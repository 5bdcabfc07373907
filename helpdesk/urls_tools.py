"""Links in anything sent out (e-mails, exports, messages to other systems) are absolute:
the site's public address, settings.HELPDESK_SITE_URL, in front of the path."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def absolute_url(path: str) -> str:
    """`path` ("/complaints/7/") as a full URL ("https://helpdesk.example.com/complaints/7/")."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.HELPDESK_SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def absolute_reverse(viewname: str, *args, **kwargs) -> str:
    """`reverse()` as an absolute URL."""
    return absolute_url(reverse(viewname, *args, **kwargs))


def site_host() -> str:
    """The host name of the site's public address (e.g. for Message-IDs)."""
    from urllib.parse import urlsplit

    return urlsplit(settings.HELPDESK_SITE_URL).hostname or "helpdesk.invalid"

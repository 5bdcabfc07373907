"""The complainant's private link (R-P1, R-P2): an unguessable token in the URL, stored only
as its SHA-256, revocable.

The token is derived — HMAC-SHA256 of a random nonce kept in the row, keyed with
HELPDESK_LINK_SECRET (the secret key by default) — so that a later notice ("your complaint was
replied to", the questionnaire) can carry the same link again without the database holding the
token: a copy of the database alone opens nothing. The reference (#id) alone reveals nothing;
a wrong, revoked or other complaint's token finds nothing (404)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from complaints.models import Complaint

from .models import AccessToken

TOKEN_LENGTH = 32  # characters of URL-safe base64: 192 bits


def _secrets() -> list[str]:
    first = getattr(settings, "HELPDESK_LINK_SECRET", "") or settings.SECRET_KEY
    return [first, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _derive(nonce: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"complainant-link:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:TOKEN_LENGTH]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(complaint: Complaint) -> str:
    """A new private link for `complaint` (in the caller's transaction); returns the token."""
    nonce = secrets.token_urlsafe(24)
    token = _derive(nonce, _secrets()[0])
    AccessToken.objects.create(complaint=complaint, nonce=nonce, token_hash=hash_token(token))
    return token


def _token_of(rows: list[AccessToken]) -> str | None:
    for row in rows:
        for secret in _secrets():
            token = _derive(row.nonce, secret)
            if hmac.compare_digest(hash_token(token), row.token_hash):
                return token
    return None


def token_for(complaint: Complaint) -> str | None:
    """The token of the complaint's newest active link, for a notice; None if it has none (or
    the secret changed since: then a new link is issued beside the old, which stays valid)."""
    rows = list(AccessToken.objects.active().filter(complaint=complaint).order_by("-created_at", "-id")[:3])
    return _token_of(rows) or (issue(complaint) if rows else None)


def tokens_for(complaints: list[Complaint]) -> dict[int, str | None]:
    """`token_for` of many complaints with one query (the notices of a sweep's batch)."""
    rows: dict[int, list[AccessToken]] = {c.pk: [] for c in complaints}
    active = AccessToken.objects.active().filter(complaint_id__in=list(rows)).order_by("-created_at", "-id")
    for row in active:
        rows[row.complaint_id].append(row)
    by_pk = {c.pk: c for c in complaints}
    return {pk: _token_of(found) or (issue(by_pk[pk]) if found else None) for pk, found in rows.items()}


def find(token: str) -> Complaint | None:
    """The complaint a valid, unrevoked token opens; None for anything else (one query)."""
    if not token or len(token) != TOKEN_LENGTH:
        return None
    row = (
        AccessToken.objects.active()
        .select_related("complaint", "complaint__office", "complaint__category")
        .filter(token_hash=hash_token(token))
        .first()
    )
    return row.complaint if row is not None else None


def revoke(complaint: Complaint, *, actor, note: str = "") -> int:
    """Revoke every active link of `complaint` (staff; an event records it). Returns how many."""
    with transaction.atomic():
        count = AccessToken.objects.active().filter(complaint=complaint).update(revoked_at=timezone.now())
        if count:
            complaint.record_link_revoked(actor=actor, note=note)
    return count

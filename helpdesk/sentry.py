"""Optional error reporting with Sentry (production settings call `init_sentry` only when
SENTRY_DSN is set). Personal data never leaves: `send_default_pii` is off, request bodies are
never sent, and `scrub_event` (the `before_send` hook) replaces the values of known personal
fields and masks anything phone-like in every string of the event. A name inside free text
cannot be recognised: it is kept out at the source (log messages name ids, never people;
request bodies and query strings are dropped)."""

from __future__ import annotations

from typing import Any

from helpdesk.logs import mask_phones

FILTERED = "[Filtered]"
# Field names (form fields, model fields, serializer fields, local variables) whose values are
# personal data of complainants, customers or staff.
PERSONAL_FIELDS = frozenset(
    {
        "complainant_name",
        "contact_phone",
        "contact_email",
        "phone",
        "email",
        "name",
        "first_name",
        "last_name",
        "full_name",
        "username",
        "address",
        "signoff_name",
        "customer",
        "complainant",
        "password",
        "ip_address",
    }
)


# Identifiers of the event itself (hex and numbers that look like phones): kept as they are.
ID_FIELDS = frozenset({"event_id", "trace_id", "span_id", "parent_span_id", "request_id", "task_id", "release"})


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 30:
        return FILTERED
    if isinstance(value, str):
        return mask_phones(value)
    if isinstance(value, dict):
        scrubbed = {}
        for key, item in value.items():
            name = str(key).lower()
            if name in PERSONAL_FIELDS:
                scrubbed[key] = FILTERED
            elif name in ID_FIELDS:
                scrubbed[key] = item
            else:
                scrubbed[key] = _scrub(item, depth + 1)
        return scrubbed
    if isinstance(value, list | tuple):
        return type(value)(_scrub(item, depth + 1) for item in value)
    return value


def scrub_event(event: Any, hint: Any = None) -> Any:
    """Sentry `before_send`/`before_send_transaction`: the event without personal data."""
    event = _scrub(event)
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("data", None)  # the body: a complaint form carries names and phones
        request.pop("cookies", None)
        request.pop("query_string", None)  # searches by phone or name
    return event


def init_sentry(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        integrations=[DjangoIntegration(), CeleryIntegration(), LoggingIntegration()],
    )

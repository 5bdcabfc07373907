"""The one domain error of the complaint lifecycle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from helpdesk.exceptions import DomainConflict

if TYPE_CHECKING:
    from .rules import Action


class InvalidTransition(DomainConflict):
    """An action that the complaint's current state does not allow.

    Views show it as a message (HTTP 409), the API answers 409 with `code`."""

    code = "invalid_transition"


def not_allowed(action: Action, status: str) -> InvalidTransition:
    """`action` is a rules.Action; `status` the complaint's current status value."""
    from .choices import Status

    return InvalidTransition(
        _("“%(action)s” is not possible while the complaint is “%(status)s”.")
        % {"action": action.label, "status": Status(status).label},
        action=action.name,
        status=status,
    )

"""Type names of the complaint core (for annotations only; nothing here runs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import Office, User

    Staff: TypeAlias = User  # a member of staff
    Actor: TypeAlias = User | None  # who did it; None for the periodic rules
    Visitor: TypeAlias = User | AnonymousUser  # whoever makes the request
    OfficeT: TypeAlias = Office

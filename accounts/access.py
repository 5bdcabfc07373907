"""Office scope: who sees every office (the head office, R-C11) rather than only their own.
The one test of it — complaint lists and admin, reports, front-desk logs and the assignee
checks all ask `sees_every_office`."""

from __future__ import annotations

from collections.abc import Collection

# declared on complaints.Complaint (Meta.permissions); complaints.rules names it too
VIEW_ALL_OFFICES = "complaints.view_all_offices"
# the whole own office (agents, supervisors, customer information); without it a department
# handler sees only their lane (complaints.selectors.complaints_visible_to)
VIEW_OFFICE_COMPLAINTS = "complaints.view_office_complaints"


def sees_every_office(user) -> bool:
    """A superuser, or a user holding complaints.view_all_offices (managers). False for
    no user and for anonymous users."""
    if user is None:
        return False
    return bool(user.is_superuser or user.has_perm(VIEW_ALL_OFFICES))


def sees_whole_office(user) -> bool:
    """Holds complaints.view_office_complaints (every role but the department handler)."""
    return bool(user is not None and user.has_perm(VIEW_OFFICE_COMPLAINTS))


def has_any_perm(user, perms: Collection[str]) -> bool:
    """`any(user.has_perm(p) for p in perms)`, answered from the user's permission set read
    once per user object: `has_perm` looks the authentication backends up again on every call,
    and the API's list asks ~450 times a page (the actions of 25 complaints, issue 17). The
    same answers: an active superuser has every permission, an inactive user none."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return bool(perms)
    granted = getattr(user, "_granted_permissions", None)
    if granted is None:
        granted = user._granted_permissions = frozenset(user.get_all_permissions())
    return any(p in granted for p in perms)

"""Office scope: who sees every office (the head office, R-C11) rather than only their own.
The one test of it — complaint lists and admin, reports, front-desk logs and the assignee
checks all ask `sees_every_office`."""

from __future__ import annotations

# declared on complaints.Complaint (Meta.permissions); complaints.rules names it too
VIEW_ALL_OFFICES = "complaints.view_all_offices"


def sees_every_office(user) -> bool:
    """A superuser, or a user holding complaints.view_all_offices (managers). False for
    no user and for anonymous users."""
    if user is None:
        return False
    return bool(user.is_superuser or user.has_perm(VIEW_ALL_OFFICES))

"""Office scope: who sees every office (the head office, R-C11) rather than only their own.
The one test of it — complaint lists and admin, reports, front-desk logs and the assignee
checks all ask `sees_every_office`."""

from __future__ import annotations

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

"""The SPEC's role table as Django groups and permissions (used by the data migration and
by seed_demo; views check the permissions, never the group names)."""
from .models import Role

_AGENT = [
    "complaints.view_complaint", "complaints.add_complaint", "complaints.receive_complaint",
    "complaints.move_up_complaint", "complaints.comment_on_complaint", "complaints.view_complaintevent",
    "complaints.view_category", "complaints.view_department", "customers.view_customer",
]
_SUPERVISOR = _AGENT + [
    "complaints.reassign_complaint", "complaints.investigate_complaint",
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.AGENT: _AGENT,
    Role.SUPERVISOR: _SUPERVISOR,
    Role.DEPARTMENT_HANDLER: [
        "complaints.view_complaint", "complaints.investigate_complaint", "complaints.move_up_complaint",
        "complaints.comment_on_complaint", "complaints.view_complaintevent", "complaints.view_category",
        "complaints.view_department", "customers.view_customer",
    ],
    Role.MANAGER: _SUPERVISOR + [
        "complaints.view_all_offices",
        "complaints.add_category", "complaints.change_category",
        "complaints.add_department", "complaints.change_department",
        "accounts.view_user", "accounts.add_user", "accounts.change_user",
        "accounts.view_office", "accounts.add_office", "accounts.change_office",
        "customers.add_customer", "customers.change_customer",
    ],
    Role.CUSTOMER_INFO: [
        "customers.view_customer", "customers.add_customer", "customers.change_customer",
        "complaints.view_complaint", "complaints.comment_on_complaint", "complaints.view_complaintevent",
        "complaints.view_category",
    ],
}

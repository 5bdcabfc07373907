"""The one definition of who may see the confidential archive (R-CU5), used by the pages,
the download view and the API."""

from .models import AccessAction, ArchiveAccess

VIEW_CONFIDENTIAL = "customers.view_confidential"
UPLOAD = "customers.add_customerdocument"
ADD_TRANSACTION = "customers.add_customertransaction"
CHANGE = "customers.change_customer"


def can_view_confidential(user) -> bool:
    return user.is_authenticated and user.has_perm(VIEW_CONFIDENTIAL)


def log_access(user, customer_id: int, action: str, document_id: int | None = None) -> None:
    ArchiveAccess.objects.create(user=user, customer_id=customer_id, document_id=document_id, action=action)


__all__ = [
    "VIEW_CONFIDENTIAL",
    "UPLOAD",
    "ADD_TRANSACTION",
    "CHANGE",
    "AccessAction",
    "can_view_confidential",
    "log_access",
]

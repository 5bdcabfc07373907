"""Small pieces every HTML view uses: permission checks, domain errors onto forms, paging."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from .pagination import CappedPaginator


def require_perms(user, *perms: str) -> None:
    """403 unless the user has every one of `perms`."""
    if not all(user.has_perm(p) for p in perms):
        raise PermissionDenied(_("You do not have permission to do this."))


def apply_validation_error(form, error: ValidationError) -> None:
    """Put a ValidationError raised by a model method or service onto the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def paginate(request, queryset, per_page: int | None = None, *, paginator=CappedPaginator):
    """The requested page of a list, with a capped count (CappedPaginator, or a subclass)."""
    return paginator(queryset, per_page or settings.HELPDESK_LIST_PAGE_SIZE).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The list's filter query string, for the pager's links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()

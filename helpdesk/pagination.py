"""Pagination shared by the HTML lists and the API."""

from functools import partial
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.db.models.sql.where import WhereNode
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination


class CappedPaginator(Paginator):
    """Counts at most `cap` rows (COUNT over a LIMIT subquery), so a list of a million
    complaints costs a bounded count, not a full scan; pages say "more than …"."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        rows = cast("QuerySet[Any]", self.object_list)  # always a queryset here (lists and API)
        counted = rows.order_by()[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)


class ApiPagination(PageNumberPagination):
    django_paginator_class = CappedPaginator
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class ComplaintPaginator(CappedPaginator):
    """The complaint lists (HTML and API) at a million complaints (issue 17).

    A search finds its matches' ids first, in the list's order, up to a cap of 100 (one query;
    the page says "more than 100 … narrow the list" beyond: counting every complaint that
    mentions a common word would read them all). Each page then reads its 25 rows by id:
    ordering all complaints newest first and filtering on the way would walk most of the table
    to find a handful of rows (a phone number, a rare word), and for a common word it would
    walk the same rows a second time, with the relations joined.
    Other lists (by status, assignee, overdue) page the usual way, on their indexes."""

    # The HTML list counts up to 1,000 (40 pages; "more than 1,000 … narrow the list"
    # beyond): an office's overdue or a handler's own complaints at a million would otherwise
    # count 10,000 index entries on every page (the API keeps CappedPaginator's 10,000).
    list_cap = 1_000

    def __init__(self, object_list, per_page, *, searching: bool = False, html: bool = False, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.searching = searching
        if searching:
            self.cap = 100
        elif html:
            self.cap = self.list_cap
        self.ids: list[int] | None = None

    @cached_property
    def count(self) -> int:
        rows = cast("QuerySet[Any]", self.object_list).order_by()
        if not self.searching:  # a list by status, assignee …: its indexes serve the ordered page
            counted = rows.values("pk")[: self.cap + 1].count()  # the ids only, not the annotations
            self.capped = counted > self.cap
            return min(counted, self.cap)
        # one query: the ids up to the cap, in the list's order (newest first: the recent pages,
        # which the cache holds, when there are many)
        ids = list(cast("QuerySet[Any]", self.object_list).values_list("pk", flat=True)[: self.cap + 1])
        self.capped = len(ids) > self.cap
        self.ids = ids[: self.cap]
        return len(self.ids)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = cast("QuerySet[Any]", self.object_list)
        if self.ids is not None:  # a search: in the list's order already, read this page's rows
            return Page(self._by_id(rows, self.ids[bottom : bottom + self.per_page]), number, self)
        # A list by status, overdue …: the page's ids first, sorted on the complaints alone,
        # then their rows with the relations — PostgreSQL would otherwise join every match
        # (thousands of overdue complaints) before keeping 25.
        top = min(bottom + self.per_page, self.count)
        ids = list(rows.values_list("pk", flat=True)[bottom:top])
        return Page(self._by_id(rows, ids), number, self)

    @staticmethod
    def _by_id(rows: QuerySet[Any], ids: list[int]) -> QuerySet[Any]:
        """`rows` with the same select_related, annotations and order, filtered by these ids
        only (found by this very queryset: its scope and filters already applied)."""
        rows = rows.all()
        rows.query.where = WhereNode()
        return rows.filter(pk__in=ids)


class ComplaintApiPagination(ApiPagination):
    """The API's complaint list: `ComplaintPaginator`, searching when `?search=` is given."""

    def paginate_queryset(self, queryset, request, view=None):
        searching = bool(request.query_params.get("search", "").strip())
        self.django_paginator_class = partial(ComplaintPaginator, searching=searching)  # type: ignore[assignment]
        return super().paginate_queryset(queryset, request, view)

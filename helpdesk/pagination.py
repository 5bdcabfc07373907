"""Pagination shared by the HTML lists and the API."""

from typing import Any, cast

from django.core.paginator import Paginator
from django.db.models import QuerySet
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

"""Keyset pagination: no COUNT(*) over a million rows, stable under inserts. The client follows
`next`/`previous`; ordering may be any allowed field, with `code`-like unique tiebreakers added by
the view's ordering."""

from rest_framework.pagination import CursorPagination


class KeysetPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"

"""Keyset pagination: no COUNT(*) over a million rows, stable under inserts. The client follows
`next`/`previous`; ordering may be any allowed field, with `code`-like unique tiebreakers added by
the view's ordering."""

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

_CURSOR_SHAPE = re.compile(r"[A-Za-z0-9+/=_-]{1,1000}")


class KeysetPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering: str | tuple[str, ...] = "-id"
    invalid_cursor_message = _(  # type: ignore[assignment]
        "Invalid cursor: follow the `next` and `previous` links as given."
    )

    def decode_cursor(self, request: Any) -> Any:
        """A cursor that is not one we issued is a bad request (400 naming `cursor`), not a
        missing page; a forged position the database could not compare is refused too."""
        encoded = request.query_params.get(self.cursor_query_param)
        # base64 decoding skips characters outside its alphabet, so "%00" would decode to the
        # first page; only what we issue is accepted.
        if encoded and not _CURSOR_SHAPE.fullmatch(encoded):
            raise ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}, code="invalid_cursor"
            )
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}, code="invalid_cursor"
            ) from exc
        position = str(cursor.position) if cursor is not None and cursor.position else ""
        if "\x00" in position or len(position) > 200:
            raise ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}, code="invalid_cursor"
            )
        return cursor

"""Human messages for the machine codes of billing/domain.py, in the active language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import domain

_MESSAGES = {
    domain.NOT_AN_OBJECT: gettext_lazy("A record must be a JSON object."),
    domain.UNKNOWN_FIELD: gettext_lazy("Unknown field."),
    domain.REQUIRED: gettext_lazy("This field is required."),
    domain.WRONG_TYPE: gettext_lazy("Wrong type: %(expected)s."),
    domain.INVALID_CODE: gettext_lazy(
        "Not a valid code (letters, digits, '.', '_' or '-', at most 32 characters)."
    ),
    domain.UNKNOWN_ACCOUNT: gettext_lazy("No group customer has this code."),
    domain.UNKNOWN_PRODUCT: gettext_lazy("No product has this code."),
    domain.INVALID_PERIOD: gettext_lazy("The period must be a month written YYYY-MM."),
    domain.PERIOD_OUT_OF_RANGE: gettext_lazy("The period must be between %(min)s and %(max)s."),
    domain.INVALID_DECIMAL: gettext_lazy('The amount must be a decimal string such as "1234.50".'),
    domain.TOO_MANY_DECIMALS: gettext_lazy("The amount has more than 2 decimal places."),
    domain.OUT_OF_RANGE: gettext_lazy("The value is too large."),
    domain.NEGATIVE: gettext_lazy("The value must not be negative."),
    domain.DUPLICATE_IN_BATCH: gettext_lazy(
        "The same account, period and product already appear at index %(first_index)s of this "
        "batch."
    ),
}


def _expected(field: str) -> str:
    if field in ("quantity", "member_count"):
        return _("an integer")
    if field == "amount":
        return _('a decimal string such as "1234.50"')
    return _("a string")


def error_message(field: str, code: str, params: dict[str, Any] | None = None) -> str:
    template = _MESSAGES.get(code)
    if template is None:
        return code
    values = {"expected": _expected(field), **(params or {})}
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return str(template)


def render_errors(errors: Iterable[domain.RecordError]) -> list[dict[str, Any]]:
    return [
        {
            "field": e.field,
            "code": e.code,
            "message": error_message(e.field, e.code, dict(e.params)),
        }
        | ({"params": dict(e.params)} if e.params else {})
        for e in errors
    ]


def rerender(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored errors with their message in the reader's language (codes never change)."""
    return [
        {**e, "message": error_message(e.get("field", ""), e.get("code", ""), e.get("params"))}
        for e in errors
    ]

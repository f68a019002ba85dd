"""One JSON error shape for the whole API:

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"name": ["..."]}}}

Field messages are keyed by the input field's name (nested ones as "records.3.amount")."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The resource was changed by someone else."


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _first_code(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_code(value)
    if isinstance(detail, list) and detail:
        return _first_code(detail[0])
    return str(getattr(detail, "code", "invalid"))


def error_body(status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    body: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied | PermissionError):
        exc = exceptions.PermissionDenied(_("You may read this record but not change it."))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        only_general = set(fields) == {"non_field_errors"}
        message = fields["non_field_errors"][0] if only_general else _("The input is not valid.")
        response.data = error_body(response.status_code, _first_code(exc.detail), message, fields)
    else:
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else _("Request failed.")
        response.data = error_body(
            response.status_code, str(getattr(detail, "code", exc.default_code)), message
        )
    return response

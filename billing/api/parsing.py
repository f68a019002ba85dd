"""Turning an HTTP request into a batch: limits, content type, key, JSON. Every refusal is a JSON
error with a 4xx status; nothing here can raise anything else."""

from __future__ import annotations

import re
from typing import Any

import orjson
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework.request import Request

from .. import domain
from ..conf import billing_setting
from . import errors

KEY_RE = re.compile(r"[\x21-\x7e]{1,255}")


def idempotency_key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None or key.strip() == "":
        raise errors.MissingIdempotencyKey()
    key = key.strip()
    if not KEY_RE.fullmatch(key):
        raise errors.InvalidIdempotencyKey()
    return key


def _check_length(request: Request, limit: int) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise errors.PayloadTooLarge(
            _("The body is larger than the limit of %(limit)s bytes.") % {"limit": limit}
        )


def json_body(request: Request) -> bytes:
    """The raw body of a JSON request, within the size limit."""
    content_type = request.META.get("CONTENT_TYPE", "")
    media, _sep, params = content_type.partition(";")
    if media.strip().lower() != "application/json":
        raise errors.UnsupportedContentType()
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", params, re.IGNORECASE)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        raise errors.UnsupportedContentType()
    limit = int(billing_setting("MAX_BODY_BYTES"))
    _check_length(request, limit)
    try:
        body = request._request.body
    except RequestDataTooBig as exc:
        raise errors.PayloadTooLarge(
            _("The body is larger than the limit of %(limit)s bytes.") % {"limit": limit}
        ) from exc
    if len(body) > limit:
        raise errors.PayloadTooLarge(
            _("The body is larger than the limit of %(limit)s bytes.") % {"limit": limit}
        )
    if not body:
        raise errors.EmptyBody()
    return body


def records_from_json(body: bytes) -> list[Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.InvalidUtf8() from exc
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc).lower() or "recursion" in str(exc).lower():
            raise errors.TooDeep() from exc
        raise errors.MalformedJson(
            _("The body is not valid JSON: %(reason)s") % {"reason": str(exc)[:200]}
        ) from exc
    records = records_in(data)
    if domain.records_too_deep(records, int(billing_setting("MAX_JSON_DEPTH"))):
        raise errors.TooDeep()
    return records


def records_in(data: Any) -> list[Any]:
    if not isinstance(data, dict) or set(data) != {"records"}:
        raise errors.InvalidShape()
    records = data["records"]
    if not isinstance(records, list) or not records:
        raise errors.InvalidShape()
    check_record_count(len(records))
    return records


def check_record_count(count: int) -> None:
    limit = int(billing_setting("MAX_RECORDS"))
    if count > limit:
        raise errors.PayloadTooLarge(
            _("A batch holds at most %(limit)s records; this one has %(count)s.")
            % {"limit": limit, "count": count}
        )


def csv_upload(request: Request) -> tuple[bytes, list[dict[str, Any]]]:
    """The uploaded file's bytes and its records (multipart field `file`)."""
    limit = int(billing_setting("MAX_BODY_BYTES"))
    _check_length(request, limit + 64 * 1024)
    upload = request.FILES.get("file")
    if upload is None:
        raise errors.InvalidCsv(_("Upload the CSV file in the form field 'file'."))
    if upload.size is not None and upload.size > limit:
        raise errors.PayloadTooLarge(
            _("The file is larger than the limit of %(limit)s bytes.") % {"limit": limit}
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise errors.PayloadTooLarge(
            _("The file is larger than the limit of %(limit)s bytes.") % {"limit": limit}
        )
    try:
        records = domain.records_from_csv(domain.decode_csv(data))
    except domain.CsvFormatError as exc:
        if exc.code == "invalid_csv_header":
            raise errors.InvalidCsv(
                _("The first row must name the columns: %(columns)s.") % {"columns": exc.detail}
            ) from exc
        raise errors.InvalidCsv() from exc
    if not records:
        raise errors.InvalidCsv(_("The file has no bill lines."))
    check_record_count(len(records))
    return data, records

"""Request-level refusals of the billing API, rendered in the project's error shape by
core.api.errors.exception_handler."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException


class BillingRequestError(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = _("The request is not valid.")


class MissingIdempotencyKey(BillingRequestError):
    default_code = "idempotency_key_missing"
    default_detail = _(
        "Send an Idempotency-Key header (a unique value per batch, at most 255 characters)."
    )


class InvalidIdempotencyKey(BillingRequestError):
    default_code = "idempotency_key_invalid"
    default_detail = _("The Idempotency-Key must be 1 to 255 visible ASCII characters.")


class MalformedJson(BillingRequestError):
    default_code = "malformed_json"
    default_detail = _("The body is not valid JSON.")


class InvalidUtf8(BillingRequestError):
    default_code = "invalid_utf8"
    default_detail = _("The body is not valid UTF-8.")


class TooDeep(BillingRequestError):
    default_code = "too_deep"
    default_detail = _("The JSON is nested too deeply.")


class InvalidShape(BillingRequestError):
    default_code = "invalid_body"
    default_detail = _(
        'The body must be a JSON object {"records": [...]} with at least one record.'
    )


class EmptyBody(BillingRequestError):
    default_code = "empty_body"
    default_detail = _("The body is empty (send it with a Content-Length).")


class InvalidCsv(BillingRequestError):
    default_code = "invalid_csv"
    default_detail = _("The file is not a readable CSV file.")


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = _("The request is too large.")


class UnsupportedContentType(APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_code = "unsupported_media_type"
    default_detail = _("Send the batch as application/json in UTF-8.")


class BatchInFlight(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "in_flight"
    default_detail = _(
        "A request with this Idempotency-Key is still being processed; retry in a moment."
    )


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = _("This Idempotency-Key was already used for a different body.")

"""Thin API views for billing ingestion: parse the request, one service or selector call, render."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from org.models import User
from org.permissions import HasMachineScope, IsCrmStaff, IsHqOrMachineScope
from org.visibility import is_crm_staff

from .. import selectors, services
from ..models import IngestBatch
from . import errors, parsing
from .serializers import (
    BatchDetailOutput,
    BatchInputSchema,
    BatchOutput,
    BatchReceiptOutput,
    BillLineOutput,
    CsvUploadSchema,
    ErrorSchema,
    ReprocessOutput,
)


class IsHq(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return is_crm_staff(user) and (user.is_superuser or user.role == User.Role.HQ)


def _language(request: Request) -> str:
    return translation.get_language_from_request(request._request)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSchema, description=description)


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "A unique value per batch (1–255 visible ASCII characters, e.g. a UUID). Resending the "
        "same key with the same body returns the first response with `Idempotent-Replayed: true` "
        "and writes nothing; the same key with another body is refused with 422. Keys are kept "
        "at least 7 days."
    ),
)
ACCEPT_LANGUAGE_HEADER = OpenApiParameter(
    "Accept-Language",
    str,
    OpenApiParameter.HEADER,
    enum=["zh-hans", "en"],
    description="Language of the error messages (default zh-hans).",
)
REQUEST_EXAMPLE = OpenApiExample(
    "Two lines, one with a member count",
    value={
        "records": [
            {
                "account_code": "G00000001",
                "period": "2026-09",
                "product_code": "DL-DIA",
                "amount": "12800.00",
                "quantity": 2,
            },
            {
                "account_code": "G00000001",
                "period": "2026-09",
                "product_code": "VN-VPMN",
                "amount": "-150.50",
                "quantity": 320,
                "member_count": 320,
            },
        ]
    },
    request_only=True,
)
RECEIPT_EXAMPLE = OpenApiExample(
    "One line written, one quarantined",
    value={
        "id": 42,
        "idempotency_key": "2026-09-run-7f3a",
        "source": "api",
        "status": "completed",
        "received_at": "2026-10-02T03:00:01+08:00",
        "completed_at": "2026-10-02T03:00:01+08:00",
        "counts": {"records": 2, "inserted": 1, "corrected": 0, "unchanged": 0, "quarantined": 1},
        "quarantined": [
            {
                "index": 1,
                "errors": [
                    {
                        "field": "amount",
                        "code": "too_many_decimals",
                        "message": "The amount has more than 2 decimal places.",
                    }
                ],
            }
        ],
    },
    response_only=True,
    status_codes=["201"],
)


class BatchListCreateApi(GenericAPIView):
    required_scope = "billing"
    serializer_class = BatchOutput

    def get_permissions(self):  # type: ignore[no-untyped-def]
        # Only the billing client posts batches; hq uploads files through /billing/uploads/.
        if self.request.method == "POST":
            return [HasMachineScope()]
        return [IsHqOrMachineScope()]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.batch_list(user=self.request.user)

    @extend_schema(responses=BatchOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(BatchOutput(page, many=True).data)

    @extend_schema(
        operation_id="billing_batch_create",
        summary="Post a batch of bill lines (idempotent)",
        parameters=[IDEMPOTENCY_HEADER, ACCEPT_LANGUAGE_HEADER],
        request=BatchInputSchema,
        examples=[REQUEST_EXAMPLE, RECEIPT_EXAMPLE],
        responses={
            201: OpenApiResponse(
                BatchReceiptOutput,
                description=(
                    "Processed: valid records written, invalid ones quarantined. A replay of the "
                    "same key and body returns this first response again with the header "
                    "`Idempotent-Replayed: true`."
                ),
            ),
            400: _error(
                "Missing or invalid Idempotency-Key, malformed JSON, invalid UTF-8, nesting "
                'too deep, or not {"records": [...]}.'
            ),
            401: _error("No or invalid credentials (expired or revoked key)."),
            403: _error("The credentials lack the `billing` scope."),
            409: _error("A request with this key is still in flight."),
            413: _error("More than 10,000 records or a body over the size limit."),
            415: _error("Not application/json in UTF-8."),
            422: _error("The key was already used with a different body."),
            429: _error("Rate limited; see Retry-After."),
        },
    )
    def post(self, request: Request) -> Response:
        with translation.override(_language(request)):
            body = parsing.json_body(request)
            key = parsing.idempotency_key(request)
            records = parsing.records_from_json(body)
            return _ingest(request, key=key, body=body, records=records, source="api")


def _ingest(
    request: Request, *, key: str, body: bytes, records: list[Any], source: str
) -> Response:
    try:
        outcome = services.batch_ingest(
            client=request.user,
            idempotency_key=key,
            body=body,
            records=records,
            source=source,
            content_type=request.META.get("CONTENT_TYPE", ""),
        )
    except services.BatchInFlight as exc:
        raise errors.BatchInFlight() from exc
    except services.IdempotencyKeyReused as exc:
        raise errors.IdempotencyKeyReused() from exc
    response = Response(outcome.body, status=outcome.status_code)
    response["Location"] = f"/api/v1/billing/batches/{outcome.batch_id}/"
    if outcome.replayed:
        response[services.REPLAY_HEADER] = "true"
    return response


class BatchDetailApi(APIView):
    permission_classes = [IsHqOrMachineScope]
    required_scope = "billing"

    @extend_schema(
        parameters=[ACCEPT_LANGUAGE_HEADER],
        responses={200: BatchDetailOutput, 404: _error("No such batch (or not yours).")},
    )
    def get(self, request: Request, batch_id: int) -> Response:
        batch = selectors.batch_get(user=request.user, batch_id=batch_id)
        batch.quarantine_rows = selectors.batch_quarantine(batch=batch)  # type: ignore[attr-defined]
        with translation.override(_language(request)):
            return Response(BatchDetailOutput(batch).data)


class BatchReprocessApi(APIView):
    permission_classes = [IsHqOrMachineScope]
    required_scope = "billing"

    @extend_schema(
        request=None,
        responses={200: ReprocessOutput, 404: _error("No such batch (or not yours).")},
        summary="Apply a batch's quarantined records again after reference data was fixed",
    )
    def post(self, request: Request, batch_id: int) -> Response:
        batch = selectors.batch_get(user=request.user, batch_id=batch_id)
        with translation.override(_language(request)):
            result = services.batch_reprocess(batch_id=batch.pk)
        return Response(ReprocessOutput(result).data)


class BatchPayloadApi(APIView):
    permission_classes = [IsHq]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, batch_id: int) -> HttpResponse:
        payload = selectors.batch_payload(user=request.user, batch_id=batch_id)
        content_type = (
            IngestBatch.objects.filter(pk=batch_id).values_list("content_type", flat=True).first()
        )
        response = HttpResponse(payload, content_type=content_type or "application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="batch-{batch_id}.payload"'
        return response


class CsvUploadApi(APIView):
    permission_classes = [IsHq]
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Upload bill lines as a CSV file (hq; the file's SHA-256 is the idempotency key)",
        request={"multipart/form-data": CsvUploadSchema},
        parameters=[ACCEPT_LANGUAGE_HEADER],
        responses={
            201: OpenApiResponse(
                BatchReceiptOutput,
                description="Processed; the same file again replays this response.",
            ),
            400: _error("No file, unreadable CSV or wrong header."),
            409: _error("The same file is being processed right now."),
            413: _error("More than 10,000 lines or a file over the size limit."),
        },
    )
    def post(self, request: Request) -> Response:
        with translation.override(_language(request)):
            data, records = parsing.csv_upload(request)
            key = f"sha256:{services.body_sha256(data)}"
            return _ingest(request, key=key, body=data, records=records, source="csv")


class AccountBillLinesApi(APIView):
    # Staff, not only hq: the selector answers 404 for an account the caller cannot see before
    # it refuses a non-hq caller (403), so the status never tells another portfolio's accounts.
    permission_classes = [IsCrmStaff]

    @extend_schema(
        responses={
            200: BillLineOutput(many=True),
            403: _error("Not hq (the correction history is for hq)."),
            404: _error("No such account (or not visible to you)."),
        }
    )
    def get(self, request: Request, code: str) -> Response:
        lines = selectors.bill_lines_with_history(user=request.user, code=code)[:2000]
        return Response(BillLineOutput(lines, many=True).data, status=status.HTTP_200_OK)

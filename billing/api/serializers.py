"""Output shapes, and the request/response shapes published in the OpenAPI schema. Records are
validated by billing/domain.py (per record, with quarantine), not by these serializers."""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework import serializers

from ..messages import rerender


class RecordSchema(serializers.Serializer):
    account_code = serializers.CharField(max_length=32, help_text="Group-customer code.")
    period = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="Billing month, `YYYY-MM`.")
    product_code = serializers.CharField(max_length=32, help_text="Catalogue product code.")
    amount = serializers.RegexField(
        r"^-?\d{1,12}(\.\d{1,2})?$",
        help_text="CNY as a decimal string, at most 2 decimals; negative for a credit.",
    )
    quantity = serializers.IntegerField(min_value=0)
    member_count = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, help_text="Member lines billed (optional)."
    )


class BatchInputSchema(serializers.Serializer):
    records = RecordSchema(many=True, help_text="1 to 10,000 bill-line records.")


class CsvUploadSchema(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV with header account_code,period,product_code,amount,quantity[,member_count]"
    )


class RecordErrorOutput(serializers.Serializer):
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class ReceiptQuarantineOutput(serializers.Serializer):
    index = serializers.IntegerField()
    errors = RecordErrorOutput(many=True)


class CountsOutput(serializers.Serializer):
    records = serializers.IntegerField()
    inserted = serializers.IntegerField()
    corrected = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    quarantined = serializers.IntegerField()


class BatchReceiptOutput(serializers.Serializer):
    id = serializers.IntegerField()
    idempotency_key = serializers.CharField(allow_null=True)
    source = serializers.CharField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField()
    counts = CountsOutput()
    quarantined = ReceiptQuarantineOutput(many=True)


def _counts(batch: Any) -> dict[str, int]:
    return {
        "records": batch.record_count,
        "inserted": batch.inserted_count,
        "corrected": batch.updated_count,
        "unchanged": batch.unchanged_count,
        "quarantined": batch.quarantined_count,
    }


class BatchOutput(serializers.Serializer):
    id = serializers.IntegerField()
    idempotency_key = serializers.CharField(allow_null=True)
    client = serializers.CharField(source="client.username")
    source = serializers.CharField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField(source="created_at")
    completed_at = serializers.DateTimeField()
    payload_bytes = serializers.IntegerField()
    counts = serializers.SerializerMethodField()

    def get_counts(self, batch: Any) -> dict[str, int]:
        return _counts(batch)


class QuarantinedOutput(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.CharField()
    record = serializers.SerializerMethodField(help_text="The record exactly as received.")
    errors = serializers.SerializerMethodField()
    reprocessed_at = serializers.DateTimeField()

    def get_record(self, q: Any) -> Any:
        return orjson.loads(q.raw)

    def get_errors(self, q: Any) -> list[dict[str, Any]]:
        return rerender(q.errors)


class BatchDetailOutput(BatchOutput):
    quarantined = QuarantinedOutput(many=True, source="quarantine_rows")


class ReprocessOutput(serializers.Serializer):
    batch_id = serializers.IntegerField()
    examined = serializers.IntegerField()
    applied = serializers.IntegerField()
    inserted = serializers.IntegerField()
    corrected = serializers.IntegerField()
    superseded = serializers.IntegerField()
    still_open = serializers.IntegerField()


class LineVersionOutput(serializers.Serializer):
    version = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    quantity = serializers.IntegerField()
    member_count = serializers.IntegerField(allow_null=True)
    batch_id = serializers.IntegerField()
    superseded_by_batch_id = serializers.IntegerField()
    recorded_at = serializers.DateTimeField()
    superseded_at = serializers.DateTimeField()


class BillLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    period = serializers.SerializerMethodField()
    product_code = serializers.CharField(source="product.product_code")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    quantity = serializers.IntegerField()
    member_count = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField()
    batch_id = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    versions = LineVersionOutput(many=True)

    def get_period(self, line: Any) -> str:
        return f"{line.period_on:%Y-%m}"


class ErrorBodySchema(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class ErrorSchema(serializers.Serializer):
    error = ErrorBodySchema()

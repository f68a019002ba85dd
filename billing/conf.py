"""Billing limits. Defaults here; override any of them with a `BILLING` dict in settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # The contract: at most this many records per batch (413 above it).
    "MAX_RECORDS": 10_000,
    # 10,000 records are ~1.5 MB of JSON; 8 MiB leaves room for whitespace and stays under
    # DATA_UPLOAD_MAX_MEMORY_SIZE, so Django never answers first with its own 400.
    "MAX_BODY_BYTES": 8 * 1024 * 1024,
    # {"records": [{"amount": ...}]} is 3 deep; anything far deeper is an attack, not a bill.
    "MAX_JSON_DEPTH": 16,
    # Idempotency keys are honoured at least this long (the contract promises 7 days).
    "IDEMPOTENCY_KEY_DAYS": 7,
    # zlib level for stored payloads: 1 compresses bill JSON ~6x at a fraction of level 6's cost.
    "PAYLOAD_COMPRESS_LEVEL": 1,
}


def billing_setting(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "BILLING", {})}[name]

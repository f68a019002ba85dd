from __future__ import annotations

import json
from typing import Any

from rest_framework.test import APIClient

BATCHES = "/api/v1/billing/batches/"


def record(account: str, period: str = "2026-09", product: str = "DL-DIA", **over: Any) -> dict:
    base: dict[str, Any] = {
        "account_code": account,
        "period": period,
        "product_code": product,
        "amount": "100.00",
        "quantity": 1,
    }
    base.update(over)
    return base


def body(records: list[Any]) -> bytes:
    return json.dumps({"records": records}).encode()


def machine(key: str, **headers: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}", **headers)
    return client


def post_batch(
    client: APIClient, payload: bytes | dict | list, *, key: str | None = "k-1", **extra
):
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    extra.setdefault("content_type", "application/json")
    return client.generic("POST", BATCHES, data, **extra)


def ensure_catalogue() -> None:
    """Transactional tests flush every table, the data-migrated catalogue included: put it back."""
    from importlib import import_module

    from django.apps import apps

    from solutions.models import Product

    if not Product.objects.exists():
        for name in ("0002_seed_nine_modules", "0003_seed_product_catalogue"):
            import_module(f"solutions.migrations.{name}").seed(apps, None)

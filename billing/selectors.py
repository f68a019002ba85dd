"""Reads of batches, bill lines and revenue. Customer revenue goes through the visibility policy;
batches are the ledger of a client's own requests (hq sees every client's)."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Max, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from accounts.selectors import account_get
from org.models import User

from . import domain
from .models import BillLine, BillLineVersion, IngestBatch, QuarantinedRecord

BATCH_LIST_COLUMNS = (
    "id",
    "idempotency_key",
    "client_id",
    "client__username",
    "source",
    "status",
    "record_count",
    "inserted_count",
    "updated_count",
    "unchanged_count",
    "quarantined_count",
    "payload_bytes",
    "created_at",
    "completed_at",
)


def _is_hq(user: Any) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role == User.Role.HQ)
    )


def batches_visible_to(user: Any) -> QuerySet[IngestBatch]:
    """hq sees every batch; a billing client sees its own; nobody else sees any."""
    batches = IngestBatch.objects.select_related("client").only(*BATCH_LIST_COLUMNS)
    if _is_hq(user):
        return batches
    if user and user.is_authenticated and user.role == User.Role.BILLING_CLIENT:
        return batches.filter(client_id=user.pk)
    return batches.none()


def batch_list(*, user: Any) -> QuerySet[IngestBatch]:
    return batches_visible_to(user)


def batch_get(*, user: Any, batch_id: int) -> IngestBatch:
    batch = batches_visible_to(user).filter(pk=batch_id).first()
    if batch is None:
        raise Http404("No such batch.")
    return batch


def batch_quarantine(*, batch: IngestBatch) -> QuerySet[QuarantinedRecord]:
    return QuarantinedRecord.objects.filter(batch_id=batch.pk).order_by("index", "id")


def batch_payload(*, user: Any, batch_id: int) -> bytes:
    """The request body exactly as received (hq only: it may name any customer)."""
    if not _is_hq(user):
        raise Http404("No such batch.")
    payload = IngestBatch.objects.filter(pk=batch_id).values_list("payload", flat=True).first()
    if payload is None:
        raise Http404("No such batch.")
    return zlib.decompress(bytes(payload))


def bill_lines_with_history(*, user: Any, code: str) -> QuerySet[BillLine]:
    """An account's bill lines, newest period first, each with its superseded versions (hq).

    The account is looked up through the visibility policy first: an account of another portfolio
    is a 404 for everyone, and only then is a staff member who sees it but is not hq refused."""
    account = account_get(user=user, code=code)
    if not _is_hq(user):
        raise PermissionDenied
    versions = BillLineVersion.objects.order_by("-version")
    return (
        BillLine.objects.filter(account_id=account.pk)
        .select_related("product")
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("-period_on", "product__product_code", "id")
    )


# --- The account 360° page: 12-month revenue trend and products billed ----------------------


@dataclass(frozen=True)
class ProductBilled:
    product_code: str
    name: str
    name_en: str
    module_code: str
    module_name: str
    last_period: str
    last_3_months: Decimal
    months_12: Decimal


@dataclass(frozen=True)
class RevenueTrend:
    account_code: str
    months: list[str]  # "YYYY-MM", oldest first, the 12 closed months before as_of
    revenue: list[Decimal]
    member_lines: list[int]
    total_12: Decimal
    products: list[ProductBilled]

    @property
    def has_revenue(self) -> bool:
        return any(self.revenue)

    def chart_data(self) -> dict[str, Any]:
        """Plain JSON for the chart (json_script): months and amounts as numbers."""
        return {
            "labels": self.months,
            "revenue": [float(v) for v in self.revenue],
            "member_lines": self.member_lines,
        }


def _month_start(day: dt.date, months_back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def account_revenue_trend(*, user: Any, code: str, as_of: dt.date) -> RevenueTrend:
    """Revenue per month for the 12 closed months before `as_of` (DOMAIN.md §5.1: months before
    as_of's own month are closed) and the products billed in them."""
    return account_revenue_trend_of(account=account_get(user=user, code=code), as_of=as_of)


def account_revenue_trend_of(*, account: Any, as_of: dt.date) -> RevenueTrend:
    """`account_revenue_trend` for an account the caller already read through the visibility
    policy (the account page): two queries, the account is not fetched again."""
    months = [_month_start(as_of, back) for back in range(12, 0, -1)]
    first, last = months[0], months[-1]
    per_month = {
        row["period_on"]: row
        for row in BillLine.objects.filter(
            account_id=account.pk, period_on__gte=first, period_on__lte=last
        )
        .values("period_on")
        .annotate(revenue=Sum("amount"), members=Sum("member_count"))
        .order_by("period_on")
    }
    m3_start = months[-3]
    products = [
        ProductBilled(
            product_code=row["product__product_code"],
            name=row["product__name"],
            name_en=row["product__name_en"],
            module_code=row["product__module__code"],
            module_name=row["product__module__name"],
            last_period=domain.format_period(row["last_period"]),
            last_3_months=row["last_3"] or Decimal("0.00"),
            months_12=row["total"] or Decimal("0.00"),
        )
        for row in BillLine.objects.filter(
            account_id=account.pk, period_on__gte=first, period_on__lte=last
        )
        .values(
            "product__product_code",
            "product__name",
            "product__name_en",
            "product__module__code",
            "product__module__name",
        )
        .annotate(
            total=Sum("amount"),
            last_period=Max("period_on"),
            last_3=Sum("amount", filter=Q(period_on__gte=m3_start)),
        )
        .order_by("-total", "product__product_code")
    ]
    revenue = [
        Decimal(per_month[m]["revenue"]) if m in per_month else Decimal("0.00") for m in months
    ]
    members = [int(per_month[m]["members"] or 0) if m in per_month else 0 for m in months]
    return RevenueTrend(
        account_code=account.code,
        months=[domain.format_period(m) for m in months],
        revenue=revenue,
        member_lines=members,
        total_12=sum(revenue, Decimal("0.00")),
        products=products,
    )

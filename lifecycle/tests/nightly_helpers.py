"""Test helpers of the nightly lifecycle step: load bill lines and the records the flags look at,
and compute what the pure rules expect for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Account, Activity, KeyPerson, ServiceRequest
from billing.models import BillLine, IngestBatch
from lifecycle import domain, nightly
from org.models import User
from solutions.models import Product


def batch() -> IngestBatch:
    client, _ = User.objects.get_or_create(
        username="client:lifecycle-tests", defaults={"role": User.Role.BILLING_CLIENT}
    )
    return IngestBatch.objects.create(
        client=client,
        source=IngestBatch.Source.DEMO,
        status=IngestBatch.Status.COMPLETED,
        body_sha256="0" * 64,
        payload=b"",
        completed_at=timezone.now(),
    )


def products(n: int = 4) -> list[Product]:
    return list(Product.objects.order_by("product_code")[:n])


def add_lines(account: Account, lines: Iterable[domain.Line], *, batch_row: IngestBatch) -> None:
    by_code = {p.product_code: p for p in Product.objects.all()}
    now = timezone.now()
    BillLine.objects.bulk_create(
        [
            BillLine(
                account=account,
                period_on=line.period_on,
                product=by_code[line.product],
                amount=Decimal(line.cents) / 100,
                quantity=1,
                member_count=line.member_count,
                batch=batch_row,
                created_at=now,
                updated_at=now,
            )
            for line in lines
        ]
    )


def day_end(as_of: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min))


def context_of(account: Account, value_class: str) -> domain.Context:
    return domain.Context(
        contract_end=account.contract_end,
        complaints=[
            domain.Complaint(r.opened_at, r.sla_due_at, r.resolved_at)
            for r in ServiceRequest.objects.filter(account=account, kind="complaint")
        ],
        key_persons=[
            domain.KeyPersonLeft(k.role, k.left_on)
            for k in KeyPerson.objects.filter(account=account)
        ],
        activity_dates=list(
            Activity.objects.filter(account=account).values_list("occurred_on", flat=True)
        ),
        value_class=value_class,
    )


def fallback_class(account: Account) -> str:
    config = nightly.lifecycle_config()
    if account.org_kind in config.social_org_kinds:
        return "social"
    if account.size_band in config.economic_size_bands:
        return "economic"
    return "clustered_sme"


def expected(
    account: Account,
    lines: Sequence[domain.Line],
    *,
    as_of: dt.date,
    value_class: str | None = None,
) -> domain.Assessment:
    account.refresh_from_db()
    series = domain.series_from_lines(lines, as_of=as_of)
    return domain.assess(
        status=account.status,
        series=series,
        context=context_of(account, value_class or fallback_class(account)),
        as_of=as_of,
        day_end=day_end(as_of),
        thresholds=nightly.lifecycle_config().thresholds,
    )


def month(as_of: dt.date, k: int) -> dt.date:
    """m<k> of as_of (k ≥ 1), or as_of's own month for k = 0."""
    return domain.add_months(domain.month_start(as_of), -k)


def series_lines(
    as_of: dt.date, revenue_by_k: dict[int, int], product: str = "DL-DIA", members: Any = None
) -> list[domain.Line]:
    """One product's lines: cents per m<k>."""
    return [
        domain.Line(month(as_of, k), product, cents, members)
        for k, cents in sorted(revenue_by_k.items())
    ]

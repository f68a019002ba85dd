from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from billing import demo
from billing.models import BillLine, IngestBatch

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 15)


def test_demo_bill_lines_go_through_ingestion_with_realistic_trajectories(world, account_factory):
    sizes = ["large", "medium", "small", "micro"]
    industries = ["finance", "government", "manufacturing", "retail_consumer", "power"]
    accounts = [
        account_factory(
            owner=world.am_a,
            region=world.district_a1,
            size_band=sizes[i % 4],
            industry=industries[i % 5],
            status="churned" if i % 20 == 0 else "active",
        )
        for i in range(120)
    ]
    prospect = account_factory(owner=world.am_a, region=world.district_a1, status="prospect")
    with_small_batches = 500
    demo.BATCH_RECORDS, original = with_small_batches, demo.BATCH_RECORDS
    try:
        accepted = demo.ingest_demo_bill_lines(as_of=AS_OF, seed=7)
        batches = IngestBatch.objects.count()
        lines = BillLine.objects.count()
        assert accepted == lines > 0
        assert batches == -(-lines // with_small_batches)  # every line came through a batch
        assert set(IngestBatch.objects.values_list("source", flat=True)) == {"demo"}
        # Running it again is a replay per batch: nothing new.
        assert demo.ingest_demo_bill_lines(as_of=AS_OF, seed=7) == accepted
        assert (IngestBatch.objects.count(), BillLine.objects.count()) == (batches, lines)
    finally:
        demo.BATCH_RECORDS = original

    assert not BillLine.objects.filter(account=prospect).exists()
    months = demo._months(AS_OF)
    assert BillLine.objects.filter(period_on__lt=months[0]).count() == 0
    assert BillLine.objects.filter(period_on__gte=dt.date(2026, 11, 1)).count() == 0
    revenue: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for account_id, period, amount in BillLine.objects.values_list(
        "account_id", "period_on", "amount"
    ):
        revenue[account_id][period] += amount

    def r3(a, start):
        return sum(revenue[a][m] for m in months[start : start + 3])

    growing = declining = gone = 0
    for account in accounts:
        recent, earlier = r3(account.pk, 9), r3(account.pk, 6)
        if earlier > 0 and recent >= Decimal("1.10") * earlier:
            growing += 1
        elif earlier > 0 and 0 < recent <= Decimal("0.90") * earlier:
            declining += 1
        if any(revenue[account.pk].values()) and recent <= 0:
            gone += 1
    # Churned-status accounts (6) plus "leaving" ones have no revenue in the last 3 months.
    assert gone >= 6
    assert growing >= 5 and declining >= 5
    assert BillLine.objects.filter(member_count__gt=0).exists()

"""AccountMonth and FirstRevenue always equal their bill lines: random sequences of every kind of
write (multi-row insert, the ingestion upsert with corrections, updates of values and of keys,
deletes, truncation) checked against the sums computed here in Python after each step."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import AccountFactory
from billing import services
from billing.domain import ValidLine
from billing.models import AccountMonth, BillLine, FirstRevenue
from lifecycle.tests import nightly_helpers as h
from solutions.models import Product

MONTHS = [dt.date(2026, m, 1) for m in (3, 4, 5, 6)]
AMOUNTS = st.sampled_from(["0.00", "0.01", "-0.01", "12.34", "-50.00", "99999.99", "120.00"])
MEMBERS = st.sampled_from([None, 0, 1, 7, 250])


def expected() -> tuple[dict, dict]:
    months: dict[tuple[int, dt.date], dict] = defaultdict(
        lambda: {"revenue_cents": 0, "products": 0, "product_ids": [], "members": 0}
    )
    for line in BillLine.objects.order_by("product_id"):
        month = months[(line.account_id, line.period_on)]
        month["revenue_cents"] += int(line.amount * 100)
        month["members"] += line.member_count or 0
        if line.amount > 0:
            month["products"] += 1
            month["product_ids"].append(line.product_id)
    first: dict[int, dt.date] = {}
    for (account_id, period_on), month in sorted(months.items()):
        if month["revenue_cents"] > 0:
            first.setdefault(account_id, period_on)
    return dict(months), first


def actual() -> tuple[dict, dict]:
    months = {
        (row.pop("account_id"), row.pop("period_on")): row
        for row in AccountMonth.objects.values(
            "account_id", "period_on", "revenue_cents", "products", "product_ids", "members"
        )
    }
    return months, dict(FirstRevenue.objects.values_list("account_id", "period_on"))


operation = st.one_of(
    st.tuples(
        st.just("insert"),
        st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(0, 3), AMOUNTS, MEMBERS),
            max_size=8,
        ),
    ),
    st.tuples(
        st.just("upsert"),
        st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(0, 3), AMOUNTS, MEMBERS),
            max_size=8,
        ),
    ),
    st.tuples(st.just("update"), st.integers(0, 3), AMOUNTS, MEMBERS),
    st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, 2), st.integers(0, 3)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("truncate")),
)
_batch_ids = itertools.count(1)


def apply(op, accounts, products, batch_row) -> None:
    kind, *args = op
    now = timezone.now()
    if kind in ("insert", "upsert"):
        # One value per natural key: a batch never carries the same key twice.
        keys = {(a, m, p): (amount, members) for a, m, p, amount, members in args[0]}
        if kind == "upsert":
            lines = [
                ValidLine(i, accounts[a].pk, MONTHS[m], products[p].pk, Decimal(amount), 1, mem)
                for i, ((a, m, p), (amount, mem)) in enumerate(keys.items())
            ]
            services.apply_lines(batch_id=batch_row.pk, lines=lines, now=now)
            return
        taken = set(BillLine.objects.values_list("account_id", "period_on", "product_id"))
        BillLine.objects.bulk_create(
            [
                BillLine(
                    account=accounts[a],
                    period_on=MONTHS[m],
                    product=products[p],
                    amount=Decimal(amount),
                    quantity=1,
                    member_count=members,
                    batch=batch_row,
                    created_at=now,
                    updated_at=now,
                )
                for (a, m, p), (amount, members) in keys.items()
                if (accounts[a].pk, MONTHS[m], products[p].pk) not in taken
            ]
        )
    elif kind == "update":
        month, amount, members = args
        BillLine.objects.filter(period_on=MONTHS[month]).update(
            amount=Decimal(amount), member_count=members, updated_at=now
        )
    elif kind == "move":
        nth, account, month = args
        line = BillLine.objects.order_by("id")[nth : nth + 1].first()
        target = (accounts[account].pk, MONTHS[month], line.product_id if line else 0)
        if (
            line
            and not BillLine.objects.filter(
                account_id=target[0], period_on=target[1], product_id=target[2]
            ).exists()
        ):
            BillLine.objects.filter(pk=line.pk).update(account_id=target[0], period_on=target[1])
    elif kind == "delete":
        ids = list(BillLine.objects.order_by("id").values_list("id", flat=True))
        BillLine.objects.filter(id__in=ids[args[0] % 3 :: 3]).delete()
    elif kind == "truncate" and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The test's own transaction still holds deferred FK checks; TRUNCATE refuses those.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE billing_billline CASCADE")


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=8))
def test_summary_equals_the_lines_after_every_write(ops):
    BillLine.objects.all().delete()
    assert actual() == ({}, {})
    accounts = [AccountFactory() for _ in range(3)]
    products = list(Product.objects.order_by("id")[:4])
    batch_row = h.batch()
    for op in ops:
        apply(op, accounts, products, batch_row)
        assert actual() == expected(), op


@pytest.mark.django_db
def test_a_credit_moves_the_first_revenue_month_and_an_emptied_month_goes():
    account = AccountFactory()
    batch_row = h.batch()
    h.add_lines(
        account,
        [
            h.domain.Line(MONTHS[0], "DL-DIA", 10000, 5),
            h.domain.Line(MONTHS[1], "DL-DIA", 20000, 5),
        ],
        batch_row=batch_row,
    )
    assert FirstRevenue.objects.get(account=account).period_on == MONTHS[0]
    # A correction to zero: March no longer has revenue, April is now the first.
    BillLine.objects.filter(account=account, period_on=MONTHS[0]).update(amount=Decimal("0"))
    assert FirstRevenue.objects.get(account=account).period_on == MONTHS[1]
    march = AccountMonth.objects.get(account=account, period_on=MONTHS[0])
    assert (march.revenue_cents, march.products, march.product_ids) == (0, 0, [])
    BillLine.objects.filter(account=account, period_on=MONTHS[0]).delete()
    assert not AccountMonth.objects.filter(account=account, period_on=MONTHS[0]).exists()
    BillLine.objects.filter(account=account).delete()
    assert not FirstRevenue.objects.filter(account=account).exists()

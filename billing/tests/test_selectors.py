from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse

from billing import selectors, services
from billing.tests.helpers import body, record

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 20)


def _ingest(world, records, key):
    raw = body(records)
    return services.batch_ingest(
        client=world.billing, idempotency_key=key, body=raw, records=json.loads(raw)["records"]
    )


@pytest.fixture
def billed(world, account_factory):
    account = account_factory(owner=world.am_a, region=world.district_a1)
    records = [
        record(account.code, period="2025-10", product="DL-DIA", amount="999.00"),  # 13 months ago
        record(account.code, period="2025-11", product="DL-DIA", amount="100.00"),
        record(account.code, period="2026-09", product="DL-DIA", amount="120.00"),
        record(account.code, period="2026-10", product="DL-DIA", amount="130.50"),
        record(account.code, period="2026-10", product="VN-VPMN", amount="-10.00", member_count=40),
        record(account.code, period="2026-11", product="DL-DIA", amount="500.00"),  # open month
    ]
    _ingest(world, records, "trend")
    return account


def test_revenue_trend_covers_the_12_closed_months(world, billed):
    trend = selectors.account_revenue_trend(user=world.am_a, code=billed.code, as_of=AS_OF)
    assert (
        trend.months[0] == "2025-11" and trend.months[-1] == "2026-10" and len(trend.months) == 12
    )
    assert trend.revenue[0] == Decimal("100.00")
    assert trend.revenue[-2] == Decimal("120.00")
    assert trend.revenue[-1] == Decimal("120.50")
    assert trend.member_lines[-1] == 40
    assert trend.total_12 == Decimal("340.50")
    assert [
        (p.product_code, p.months_12, p.last_3_months, p.last_period) for p in trend.products
    ] == [
        ("DL-DIA", Decimal("350.50"), Decimal("250.50"), "2026-10"),
        ("VN-VPMN", Decimal("-10.00"), Decimal("-10.00"), "2026-10"),
    ]
    assert trend.chart_data()["revenue"][-1] == 120.5


def test_revenue_trend_respects_visibility(world, billed):
    with pytest.raises(Http404):
        selectors.account_revenue_trend(user=world.am_b, code=billed.code, as_of=AS_OF)
    with pytest.raises(Http404):
        selectors.account_revenue_trend(user=world.billing, code=billed.code, as_of=AS_OF)
    assert selectors.account_revenue_trend(
        user=world.rm_a, code=billed.code, as_of=AS_OF
    ).has_revenue


def test_account_page_shows_the_trend_chart_and_products(client, world, billed):
    client.force_login(world.am_a)
    response = client.get(reverse("accounts:detail", args=[billed.code]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="revenue-chart-data"' in html and "js/revenue_chart.js" in html
    assert "Dedicated internet access" in html and "VN-VPMN" in html
    assert "<script>" not in html.split('id="revenue-trend"')[1].split("</section>")[0]


def test_account_page_without_bills_says_so(client, world, account_factory):
    account = account_factory(owner=world.am_a, region=world.district_a1)
    client.force_login(world.am_a)
    response = client.get(
        reverse("accounts:detail", args=[account.code]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "No bill lines in the last 12 months." in response.content.decode()

"""The list with its lifecycle filters and columns in a real browser, in both languages: the
stage filter narrows the list through htmx, region names follow the language."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import AccountFactory
from lifecycle.models import AccountLifecycle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("locale", "region", "stage", "risk"),
    [("zh-CN", "天河区", "D 衰退期", "高"), ("en-US", "Tianhe", "D decline", "high")],
)
def test_stage_filter_and_columns(live_server, open_page, world, locale, region, stage, risk):  # type: ignore[no-untyped-def]
    world.district_a1.name_en = "Tianhe"
    world.district_a1.save()
    for i in range(6):
        account = AccountFactory(
            code=f"GZ-B-{i:03d}", name=f"广州客户{i}", owner=world.am_a, region=world.district_a1
        )
        AccountLifecycle.objects.create(
            account=account,
            as_of=dt.date(2026, 10, 31),
            stage="D" if i % 2 else "C",
            churn_risk="high" if i % 2 else "low",
            high_risk_since=dt.date(2026, 10, 31) if i % 2 else None,
        )
    page: Any = open_page(f"p-list-{locale}", locale)
    base = live_server.url
    page.page.goto(f"{base}/login/")
    page.page.fill("input[name=username]", "am_gz")
    page.page.fill("input[name=password]", "pass-word-123")
    page.page.click("button[type=submit].primary")
    page.page.wait_for_url(f"{base}/")
    page.page.goto(f"{base}/accounts/")
    expect(page.page.locator("td.col-code")).to_have_count(6)
    page.page.select_option("#id_stage", "D")
    expect(page.page.locator("td.col-code")).to_have_count(3)
    assert "stage=D" in page.page.url
    expect(page.page.locator("td.col-stage").first).to_have_text(stage)
    expect(page.page.locator("td.col-churn_risk").first).to_have_text(risk)
    expect(page.page.locator("td.col-region").first).to_have_text(region)
    page.shot("stage-filter")

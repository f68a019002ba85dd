"""A manager's KPI journey in a real browser, in Chinese and in English: the province dashboard
(scorecard with definitions, charts, regions by score, league table), down to a city, an account
manager, and the accounts behind one of their numbers."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from kpi.tests.k2.conftest import kpi  # noqa: F401 - the fixture
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-CN": {"nav": "考核", "title": "考核看板", "definition": "期间内新入网的客户数"},
    "en-US": {
        "nav": "KPI",
        "title": "KPI dashboard",
        "definition": "Accounts that joined in the period.",
    },
}
SHOTS = str(ARTIFACTS)


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-word-123")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")


def _charts_drawn(page: Any) -> int:
    return int(page.evaluate("document.querySelectorAll('canvas[data-drawn]').length"))


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_kpi_dashboard_journey(live_server, open_page, kpi, locale):  # type: ignore[no-untyped-def]  # noqa: F811
    text = TEXT[locale]
    lang = "zh" if locale == "zh-CN" else "en"
    base = live_server.url
    w = open_page(f"kpi-{lang}", locale)
    page = w.page
    _login(page, base, "hq")

    # The nav link leads to the province dashboard (default period: the newest snapshot's quarter).
    page.click(f"nav.mainnav >> text={text['nav']}")
    page.wait_for_selector("#scorecard-table")
    assert text["title"] in page.locator("h1").inner_text()
    assert "广东省" in page.locator("h1").inner_text()
    assert page.locator("#scorecard-table tbody tr").count() == 10
    total = page.locator("#scorecard-total").inner_text()
    assert total not in ("", "—")
    # A metric's exact definition opens in place.
    row = page.locator("tr[data-metric=new_accounts]")
    row.locator("summary").click()
    expect(row.locator("details p")).to_contain_text(text["definition"])
    # Charts: ten monthly trends and three distributions, drawn by Chart.js from json_script.
    page.wait_for_function("document.querySelectorAll('canvas[data-drawn]').length >= 13")
    assert _charts_drawn(page) == 13
    assert page.locator("#league tbody tr").count() == 3
    page.screenshot(path=f"{SHOTS}/k2_dashboard_{lang}.png", full_page=True)
    w.shot("1-province")

    # Down the tree to Guangzhou: Shenzhen's people are gone from the league table.
    page.click("#regions >> text=广州市")
    page.wait_for_url("**region=GZ**")
    expect(page.locator("#league tbody tr")).to_have_count(2)
    assert "am_sz" not in page.content()

    # To an account manager, then the accounts behind their "new accounts".
    page.click("#league tbody tr:first-child a")
    page.wait_for_selector("#targets")
    page.click("tr[data-metric=new_accounts] td a")
    page.wait_for_selector("#drill-accounts")
    codes = page.locator("#drill-accounts tbody tr").all_inner_texts()
    assert len(codes) == 3 and all("GZNEW" in c for c in codes)
    page.screenshot(path=f"{SHOTS}/k2_drill_{lang}.png", full_page=True)
    w.shot("2-drill")

    # A drill-down link edited by hand to another city's manager: hq may, Guangzhou's manager not.
    edited = f"{base}/kpi/accounts/?metric=new_accounts&user=am_sz&period=2026Q3"
    assert page.request.get(edited).status == 200
    page.context.clear_cookies()
    _login(page, base, "rm_gz")
    assert page.request.get(edited).status == 404
    page.goto(f"{base}/kpi/")
    page.wait_for_selector("#scorecard-table")
    page.screenshot(path=f"{SHOTS}/k2_rm_dashboard_{lang}.png", full_page=True)

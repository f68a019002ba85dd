"""An outbound call campaign in a real browser, in Chinese and in English: a regional manager
creates a questionnaire campaign, previews the list size, generates the list; a caller records a
call from "My calls"; the manager reads the results."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from lifecycle.models import Campaign, CampaignCall
from lifecycle.tests.campaigns.conftest import billed_accounts, org  # noqa: F401 - fixtures
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = str(ARTIFACTS)
TEXT = {
    "zh-CN": {
        "nav_rm": "外呼活动",
        "nav_am": "我的外呼",
        "match": "6 个客户符合条件",
        "each": "每人约 3 个",
    },
    "en-US": {
        "nav_rm": "Campaigns",
        "nav_am": "My calls",
        "match": "6 accounts match",
        "each": "~3 each",
    },
}


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-word-123")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_campaign_journey(live_server, open_page, org, billed_accounts, locale):  # type: ignore[no-untyped-def]  # noqa: F811
    text = TEXT[locale]
    lang = "zh" if locale == "zh-CN" else "en"
    base = live_server.url

    # The regional manager defines the campaign.
    w = open_page(f"campaign-rm-{lang}", locale)
    page = w.page
    _login(page, base, "rm_city")
    page.click(f"nav.mainnav >> text={text['nav_rm']}")
    page.wait_for_url(f"{base}/campaigns/")
    page.click("a.button.primary[href='/campaigns/new/']")
    page.fill("input[name=name]", "宽带满意度回访")
    page.select_option("select[name=kind]", "questionnaire")
    page.select_option("select[name=region]", str(org["city"].pk))
    page.fill("input[name=min_monthly_amount]", "120")
    page.fill("input[name=min_months]", "3")
    page.fill(
        "textarea[name=questions]",
        "您对我们的网络质量满意吗？ | 满意 / 一般 / 不满意\n您还希望我们提供哪些服务？",
    )
    # A missing caller is refused inline, the rest of the form kept.
    page.click("form.card button[type=submit].primary")
    expect(page.locator("#f-callers.has-error")).to_be_visible()
    expect(page.locator("input[name=name]")).to_have_value("宽带满意度回访")
    page.screenshot(path=f"{SHOTS}/l3_form_error_{lang}.png", full_page=True)
    for user in ("am1", "am2"):
        page.check(f"input[name=callers][value='{org[user].pk}']")
    page.click("form.card button[type=submit].primary")

    # The preview: how many match, how many each caller gets; then generate.
    page.wait_for_selector("#preview")
    expect(page.locator("#preview")).to_contain_text(text["match"])
    expect(page.locator("#preview")).to_contain_text(text["each"])
    page.screenshot(path=f"{SHOTS}/l3_preview_{lang}.png", full_page=True)
    page.click("#preview button[type=submit].primary")
    page.wait_for_selector("#results")
    campaign = Campaign.objects.get()
    assert CampaignCall.objects.filter(campaign=campaign).count() == 6
    w.shot("1-generated")

    # A caller records a call from "My calls".
    c = open_page(f"campaign-caller-{lang}", locale)
    caller = c.page
    _login(caller, base, "am2")
    caller.click(f"nav.mainnav >> text={text['nav_am']}")
    caller.wait_for_url(f"{base}/campaigns/my-calls/")
    expect(caller.locator("table.list tbody tr")).to_have_count(3)
    expect(caller.locator("table.list")).to_contain_text("张总")
    caller.screenshot(path=f"{SHOTS}/l3_my_calls_{lang}.png", full_page=True)
    caller.click("table.list tbody tr:first-child a")
    caller.wait_for_selector("#outcome")
    caller.check("input[name=reached][value=yes]")
    caller.check("input[name=answer_0][value=不满意]")
    caller.fill("input[name=answer_1]", "5G 专网")
    caller.fill("textarea[name=issue_raised]", "晚高峰专线丢包")
    caller.screenshot(path=f"{SHOTS}/l3_call_{lang}.png", full_page=True)
    caller.click("#outcome button[type=submit].primary")
    caller.wait_for_url(f"{base}/campaigns/my-calls/")
    expect(caller.locator("table.list tbody tr")).to_have_count(2)

    # The manager sees the results.
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    expect(page.locator("#results")).to_contain_text("100.0 %")
    expect(page.locator("#issues")).to_contain_text("晚高峰专线丢包")
    expect(page.locator("#answers")).to_contain_text("不满意")
    page.screenshot(path=f"{SHOTS}/l3_results_{lang}.png", full_page=True)

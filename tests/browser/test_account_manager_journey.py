"""An account manager's day in a real browser, in Chinese and in English."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services
from accounts.models import Account, Activity, KeyPerson
from accounts.tests.factories import (
    AccountFactory,
    ActivityFactory,
    KeyPersonFactory,
    MemberFactory,
    ServiceRequestFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-CN": {
        "nav_accounts": "我的客户",
        "today": "今日",
        "saved": "客户信息已保存。",
        "conflict": "您编辑期间，其他人保存了此客户",
        "logged": "活动已记录。",
        "problems": "发现 2 个问题",
        "means": "规范化短信通知",
        "added": "关键人已添加。",
    },
    "en-US": {
        "nav_accounts": "My accounts",
        "today": "Today",
        "saved": "The account was saved.",
        "conflict": "Someone else saved this account while you were editing",
        "logged": "The activity was logged.",
        "problems": "2 problems found",
        "means": "structured SMS notices",
        "added": "The key person was added.",
    },
}


@pytest.fixture
def desk(world: Any) -> dict[str, Any]:
    am = world.am_a
    am.display_name = "陈晓明"
    am.save()
    hq = AccountFactory(
        code="GZ-LOG-001",
        name="华南物流集团有限公司",
        owner=am,
        region=world.district_a1,
        industry="logistics_transport",
        size_band="large",
    )
    AccountFactory(
        code="SZ-LOG-002",
        name="华南物流深圳分公司",
        owner=world.am_b,
        region=world.city_b,
        parent=hq,
    )
    for i in range(1, 13):
        AccountFactory(
            code=f"GZ-MFG-{i:03d}",
            name=f"广州精密制造{i}厂",
            owner=am,
            region=world.district_a1,
            status="prospect" if i % 4 == 0 else "active",
            size_band=["large", "medium", "small", "micro"][i % 4],
        )
    today = timezone.localdate()
    boss = KeyPersonFactory(
        account=hq,
        name="王建国",
        title="总经理",
        role="decision_maker",
        influence=5,
        relationship=3,
        drivers=["power", "security"],
        birthday_on=dt.date(1972, today.month, today.day),
    )
    KeyPersonFactory(
        account=hq,
        name="李娜",
        title="信息中心主任",
        role="champion",
        influence=4,
        relationship=5,
        drivers=["achievement", "recognition"],
    )
    for n in range(3):
        MemberFactory(account=hq, is_vip=n == 0, number_masked=f"139****000{n}")
    ActivityFactory(
        account=hq,
        subject="季度拜访",
        occurred_on=today - dt.timedelta(days=6),
        outcome="客户关注专线扩容",
        next_step="发送扩容方案",
        next_step_on=today + dt.timedelta(days=1),
        key_person=boss,
    )
    ServiceRequestFactory(
        account=hq,
        title="天河园区专线中断",
        severity="critical",
        opened_at=timezone.now() - dt.timedelta(hours=3),
        sla_due_at=timezone.now() + dt.timedelta(hours=1),
    )
    return {"hq": hq, "boss": boss}


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-word-123")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_account_manager_journey(live_server, open_page, world, desk, locale, tmp_path):  # type: ignore[no-untyped-def]
    text = TEXT[locale]
    lang = "zh" if locale == "zh-CN" else "en"
    base = live_server.url
    w = open_page(f"journey-{lang}", locale)
    page = w.page

    # Log in; the browser's language decides the page language.
    _login(page, base, "am_gz")
    assert page.locator("html").get_attribute("lang") == ("zh-hans" if lang == "zh" else "en")
    assert page.locator("#next-steps").inner_text().count("发送扩容方案") == 1
    assert "天河园区专线中断" in page.locator("#sla").inner_text()
    assert "王建国" in page.locator("#care").inner_text()
    w.shot("1-today")

    # The list: filter by status (htmx swaps the results and the URL keeps the filter).
    page.click(f"nav.mainnav >> text={text['nav_accounts']}")
    page.wait_for_selector("table.list")
    assert page.locator("td.col-code").count() == 13
    page.select_option("#id_status", "prospect")
    expect(page.locator("td.col-code")).to_have_count(3)
    assert "status=prospect" in page.url
    page.select_option("#id_status", "")
    page.fill("#id_q", "物流")
    expect(page.locator("td.col-code")).to_have_count(1)
    assert "q=" in page.url
    page.fill("#id_q", "")
    expect(page.locator("td.col-code")).to_have_count(13)
    # Sort by name, descending (two clicks on the header).
    page.click("th.col-name a.sort")
    page.wait_for_url(re.compile(r"sort=name"))
    page.click("th.col-name a.sort")
    page.wait_for_url(re.compile(r"sort=-name"))
    names = page.locator("td.col-name a").all_inner_texts()
    assert names == sorted(names, reverse=True)
    w.shot("2-list")

    # Open the account.
    page.click("td.col-name >> text=华南物流集团有限公司")
    page.wait_for_url(f"{base}/accounts/GZ-LOG-001/")
    assert "华南物流深圳分公司" in page.locator("#hierarchy").inner_text()
    assert page.locator("article.person").count() == 2
    w.shot("3-account")

    # Add a key person.
    page.click("#key-persons a.button")
    page.fill("#id_name", "赵敏")
    page.fill("#id_title", "财务总监")
    page.select_option("#id_role", "finance")
    page.select_option("#id_influence", "4")
    page.select_option("#id_relationship", "2")
    page.check("input[name=drivers][value=orderliness]")
    page.check("input[name=drivers][value=financial]")
    page.fill("#id_email", "zhao.min@example.com")
    page.select_option("#id_care-0-occasion", "mid_autumn")
    page.fill("#id_care-0-month", "9")
    page.fill("#id_care-0-day", "15")
    w.shot("4-key-person-form")
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/accounts/GZ-LOG-001/#key-persons"))
    assert text["added"] in page.locator(".messages").inner_text()
    card = page.locator("article.person", has_text="赵敏")
    assert text["means"] in card.inner_text()
    assert KeyPerson.objects.filter(name="赵敏", account__code="GZ-LOG-001").exists()

    # Log an activity from the 360° page (htmx): it appears on the timeline at once.
    page.click("details.logform > summary")
    page.select_option("#id_kind", "visit")
    page.fill("#id_subject", "专线扩容方案交流")
    page.fill("#id_outcome", "客户原则同意扩容两条专线")
    page.fill("#id_next_step", "提交正式报价")
    page.fill("#id_next_step_on", (timezone.localdate() + dt.timedelta(days=3)).isoformat())
    page.click("#activity-panel button[type=submit]")
    page.wait_for_selector(f"#activity-panel >> text={text['logged']}")
    first = page.locator("#timeline li").first.inner_text()
    assert "专线扩容方案交流" in first and "提交正式报价" in first
    assert Activity.objects.filter(subject="专线扩容方案交流", created_by=world.am_a).exists()
    w.shot("5-timeline")

    # Edit the account while a regional manager saves it: the conflict keeps my input.
    page.click(".pagehead a.button[href$='/edit/']")
    page.fill("#id_name", "华南物流集团股份有限公司")
    services.account_update(
        actor=world.rm_a, code="GZ-LOG-001", expected_version=1, data={"size_band": "medium"}
    )
    page.click("button[type=submit].primary")
    page.wait_for_selector("#conflict")
    assert text["conflict"] in page.locator("#conflict").inner_text()
    assert page.input_value("#id_name") == "华南物流集团股份有限公司"
    w.shot("6-conflict")
    # Resolve: keep the manager's size band, then save my version.
    page.select_option("#id_size_band", "medium")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/accounts/GZ-LOG-001/")
    assert text["saved"] in page.locator(".messages").inner_text()
    account = Account.objects.get(code="GZ-LOG-001")
    assert (account.name, account.size_band, account.version) == (
        "华南物流集团股份有限公司",
        "medium",
        3,
    )

    # Import a small file with one bad row: the preview names the row and the column.
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text(
        "code,name,org_kind,industry,size_band\n"
        "GZ-NEW-001,广州新客户一,enterprise,retail_consumer,small\n"
        "GZ-NEW-002,,enterprise,retail_consumer,huge\n",
        encoding="utf-8-sig",
    )
    page.click("nav.mainnav a[href='/accounts/import/']")
    page.set_input_files("#id_file", str(csv_file))
    page.click("button[type=submit].primary")
    page.wait_for_selector("#preview")
    assert text["problems"] in page.locator("#problem-count").inner_text()
    rows = page.locator("table.problems tbody tr").all_inner_texts()
    assert any("3" in r and "name" in r for r in rows) and any("size_band" in r for r in rows)
    assert not Account.objects.filter(code__startswith="GZ-NEW").exists()
    w.shot("7-import-preview")


def test_import_runs_in_the_background_with_progress(live_server, open_page, world, tmp_path):  # type: ignore[no-untyped-def]
    w = open_page("import-en", "en-US")
    page = w.page
    _login(page, live_server.url, "am_gz")
    csv_file = tmp_path / "ok.csv"
    lines = ["code,name,org_kind,industry,size_band"] + [
        f"IMP-{i:03d},导入客户{i},enterprise,manufacturing,small" for i in range(40)
    ]
    csv_file.write_bytes("\n".join(lines).encode("gbk"))
    page.goto(f"{live_server.url}/accounts/import/")
    page.set_input_files("#id_file", str(csv_file))
    page.click("button[type=submit].primary")
    page.click("text=Import now")
    page.wait_for_selector("#job-status.job-succeeded")
    assert page.locator("progress").get_attribute("value") == "40"
    assert Account.objects.filter(code__startswith="IMP-").count() == 40
    w.shot("import-done")


def test_lockout_in_the_browser_and_tablet_layout(live_server, open_page, world, desk):  # type: ignore[no-untyped-def]
    w = open_page("tablet-zh", "zh-CN", viewport={"width": 820, "height": 1180})
    page = w.page
    page.goto(f"{live_server.url}/login/")
    for _ in range(5):
        page.fill("input[name=username]", "am_gz2")
        page.fill("input[name=password]", "wrong-password")
        page.click("button[type=submit].primary")
    page.wait_for_selector("#locked-out")
    w.shot("lockout")
    # The console shows the 429 of the locked-out answer; that one is expected.
    w.problems = [p for p in w.problems if "429" not in p]
    _login(page, live_server.url, "am_gz")
    page.goto(f"{live_server.url}/accounts/")
    assert page.locator("td.col-code").count() == 13
    w.shot("tablet-list")
    page.goto(f"{live_server.url}/accounts/GZ-LOG-001/")
    w.shot("tablet-account")


def test_regional_manager_reassigns_in_bulk(live_server, open_page, world, desk):  # type: ignore[no-untyped-def]
    w = open_page("manager-zh", "zh-CN")
    page = w.page
    _login(page, live_server.url, "rm_gz")
    page.goto(f"{live_server.url}/accounts/?owner=am_gz&sort=code")
    assert page.locator("th.col-owner").count() == 1
    page.check("input[name=codes][value='GZ-MFG-001']")
    page.check("input[name=codes][value='GZ-MFG-002']")
    page.select_option("#id_new_owner", "am_gz2")
    page.fill("#id_reason", "片区调整")
    w.shot("reassign-before")
    page.click(".bulk button[type=submit]")
    page.wait_for_selector(".messages .msg.success")
    assert "已将 2 个客户调整给" in page.locator(".messages").inner_text()
    assert "owner=am_gz" in page.url
    moved = Account.objects.filter(code__in=["GZ-MFG-001", "GZ-MFG-002"], owner=world.am_a2)
    assert moved.count() == 2
    w.shot("reassign-after")

"""The list page's lifecycle and value-class filters and columns (page and exports), region
names in the user's language, and a search word that names a region."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse

from accounts.tests.factories import AccountFactory
from lifecycle.models import AccountLifecycle

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 10, 31)


def _codes(body: str) -> list[str]:
    return re.findall(r'<td class="col-code">([^<]+)</td>', body)


def _cells(body: str, column: str) -> dict[str, str]:
    """code → the text of `column` in that row."""
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    found = {}
    for row in rows:
        code = re.search(r'<td class="col-code">([^<]+)</td>', row)
        cell = re.search(rf'<td class="col-{column}">(.*?)</td>', row, re.S)
        if code and cell:
            found[code.group(1)] = re.sub(r"<[^>]+>", "", cell.group(1)).strip()
    return found


@pytest.fixture
def states(world, portfolio):  # type: ignore[no-untyped-def]
    AccountLifecycle.objects.create(
        account=portfolio["hq"], as_of=AS_OF, stage="D", stage_since=AS_OF,
        churn_risk="high", flag_count=2, high_risk_since=AS_OF,
    )  # fmt: skip
    AccountLifecycle.objects.create(
        account=portfolio["others"][0], as_of=AS_OF, stage="B", stage_since=AS_OF,
        churn_risk="low", flag_count=0,
    )  # fmt: skip
    return portfolio


def test_stage_and_risk_columns_show_labels_or_a_dash(world, states, login):
    body = login(world.am_a).get(reverse("accounts:list")).content.decode()
    stage = _cells(body, "stage")
    risk = _cells(body, "churn_risk")
    assert stage["G-HQ-001"] == "D decline" and risk["G-HQ-001"] == "high"
    assert stage["G-AM-001"] == "B growth" and risk["G-AM-001"] == "low"
    assert stage["G-AM-002"] == "—" and risk["G-AM-002"] == "—"  # no lifecycle row yet
    assert ">Lifecycle stage<" in body and ">Churn risk<" in body


def test_filters_by_stage_risk_and_value_class(world, states, login):
    client = login(world.am_a)
    get = lambda **p: _codes(client.get(reverse("accounts:list"), p).content.decode())  # noqa: E731
    assert get(stage="D") == ["G-HQ-001"]
    assert get(churn_risk="low") == ["G-AM-001"]
    assert get(stage="D", churn_risk="low") == []
    body = client.get(reverse("accounts:list"), {"stage": "B"}).content.decode()
    assert 'value="B" selected' in body and "stage=B" in body  # kept in links and exports
    # Value class: the fallback class of unscored accounts; every shown row has it.
    from segmentation.models import ValueClass

    by_class = {v: get(value_class=v) for v in ValueClass.values}
    assert sorted(c for codes in by_class.values() for c in codes) == sorted(get())
    assert any(by_class.values())
    body = client.get(reverse("accounts:list"), {"stage": "Z"}).content.decode()
    assert "Select a valid choice" in body


def test_exports_carry_stage_and_risk(world, states, login):
    response = login(world.am_a).get(reverse("accounts:export_csv"), {"churn_risk": "high"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header = rows[0]
    assert "Lifecycle stage" in header and "Churn risk" in header
    assert len(rows) == 2
    row = dict(zip(header, rows[1], strict=True))
    assert row["Code"] == "G-HQ-001"
    assert (row["Lifecycle stage"], row["Churn risk"]) == ("D decline", "high")
    response = login(world.am_a, "zh-hans").get(reverse("accounts:export_xlsx"), {"stage": "B"})
    assert response.status_code == 200


def test_page_queries_are_bounded_with_lifecycle_rows(
    world, states, login, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    client = login(world.rm_a)
    url = reverse("accounts:list")
    for i in range(20):
        account = AccountFactory(code=f"G-LC-{i:03d}", owner=world.am_a, region=world.district_a1)
        AccountLifecycle.objects.create(
            account=account, as_of=AS_OF, stage="C", churn_risk="medium", flag_count=1
        )
    with django_assert_max_num_queries(14):
        body = client.get(url, {"churn_risk": "medium", "sort": "name"}).content.decode()
    assert len(_codes(body)) == 20
    with django_assert_max_num_queries(14):
        client.get(url, {"q": "广州", "stage": "C"})


def test_english_ui_shows_english_region_names(world, portfolio, login):
    world.district_a1.name_en = "Tianhe"
    world.district_a1.save()
    world.city_a.name_en = "Guangzhou"
    world.city_a.save()
    english = login(world.rm_a, "en").get(reverse("accounts:list")).content.decode()
    assert _cells(english, "region")["G-HQ-001"] == "Tianhe"
    assert "Accounts in Guangzhou" in english
    assert '<option value="GZ-TH">\u2003\u2003Tianhe</option>' in english  # the filter
    chinese = login(world.rm_a, "zh-hans").get(reverse("accounts:list")).content.decode()
    assert _cells(chinese, "region")["G-HQ-001"] == "天河区"
    detail = login(world.rm_a, "en").get(reverse("accounts:detail", args=["G-HQ-001"]))
    assert "Tianhe" in detail.content.decode()
    # A region without an English name keeps its official name in English too.
    assert _cells(english, "region")["G-X-900"] == "Guangzhou"
    world.city_a.name_en = ""
    world.city_a.save()
    english = login(world.rm_a, "en").get(reverse("accounts:list")).content.decode()
    assert _cells(english, "region")["G-X-900"] == "广州市"


@pytest.mark.parametrize("cap", [500, 0])
def test_a_search_word_that_names_a_region_finds_its_accounts_and_names_elsewhere(
    world, portfolio, login, monkeypatch, cap
):  # type: ignore[no-untyped-def]
    from accounts import querysets

    # cap 0: more matches elsewhere than the search reads by id (the unbounded way).
    monkeypatch.setattr(querysets, "ELSEWHERE_CAP", cap)
    elsewhere = AccountFactory(
        code="S-GZB-001", name="广州银行深圳分行", owner=world.am_b, region=world.city_b
    )
    client = login(world.hq)
    found = set(_codes(client.get(reverse("accounts:list"), {"q": "广州"}).content.decode()))
    # Every Guangzhou account, including 华南物流集团 whose name does not say 广州, and the
    # Shenzhen account whose name does.
    assert found == {
        "G-HQ-001", "G-X-900", *(f"G-AM-{i:03d}" for i in range(1, 8)), elsewhere.code,
    }  # fmt: skip
    # 广州市 names the same city; 广州银行深圳分行 does not contain it.
    assert set(_codes(client.get(reverse("accounts:list"), {"q": "广州市"}).content.decode())) == (
        found - {elsewhere.code}
    )
    world.city_a.name_en = "Guangzhou"
    world.city_a.save()
    by_english = client.get(reverse("accounts:list"), {"q": "guangzhou"}).content.decode()
    assert set(_codes(by_english)) == found - {elsewhere.code}  # no name says "guangzhou"
    # Visibility still applies: the Shenzhen manager sees only their region's match.
    assert _codes(
        login(world.rm_b).get(reverse("accounts:list"), {"q": "广州"}).content.decode()
    ) == [elsewhere.code]
    # The Guangzhou manager naming their own city keeps their whole list.
    mine = set(_codes(login(world.rm_a).get(reverse("accounts:list")).content.decode()))
    assert (
        set(_codes(login(world.rm_a).get(reverse("accounts:list"), {"q": "广州"}).content.decode()))
        == mine
    )
    assert "G-HQ-001" in mine
    # A word that names no region is a plain name/code search.
    assert _codes(client.get(reverse("accounts:list"), {"q": "物流"}).content.decode()) == [
        "G-BR-002",
        "G-HQ-001",
    ]


@pytest.mark.parametrize("few", [True, False])
def test_lifecycle_filter_pages_in_the_chosen_order(world, login, monkeypatch, few):  # type: ignore[no-untyped-def]
    """Whether the matches are read by id and sorted, or by the join, the pages agree."""
    from accounts.api import filters

    if not few:
        monkeypatch.setattr(filters, "LIFECYCLE_IDS", 0)
    for i in range(60):
        account = AccountFactory(
            code=f"G-P-{i:03d}", name=f"客户{(i * 37) % 60:03d}", owner=world.am_a,
            region=world.district_a1,
        )  # fmt: skip
        AccountLifecycle.objects.create(
            account=account, as_of=AS_OF, stage="C" if i % 2 else "D", churn_risk="low"
        )
    client = login(world.am_a)
    first = client.get(reverse("accounts:list"), {"stage": "C", "sort": "-name"}).content.decode()
    codes = _codes(first)
    nxt = re.search(r'href="(\?[^"]*after=[^"]+)" rel="next"', first)
    assert len(codes) == 30 and nxt is None  # 30 of stage C, one page
    names = {f"G-P-{i:03d}": f"客户{(i * 37) % 60:03d}" for i in range(60)}
    assert [names[c] for c in codes] == sorted((names[c] for c in codes), reverse=True)

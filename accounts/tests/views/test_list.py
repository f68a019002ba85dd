"""My accounts: visibility, filters, search, sort, keyset paging, capped count, exports, bulk
reassignment by a regional manager."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from django.test import override_settings
from django.urls import reverse

from accounts import listing
from accounts.models import Account
from accounts.tests.factories import AccountFactory
from org.models import AccountTeamMember

pytestmark = pytest.mark.django_db


def _codes(body: str) -> list[str]:
    return re.findall(r'<td class="col-code">([^<]+)</td>', body)


def test_account_manager_sees_own_and_team_accounts_only(world, portfolio, login):
    AccountTeamMember.objects.create(
        account=portfolio["other_am"], user=world.am_a, team_role="solution_engineer"
    )
    body = login(world.am_a).get(reverse("accounts:list")).content.decode()
    codes = _codes(body)
    assert "G-HQ-001" in codes and "G-X-900" in codes
    assert "G-BR-002" not in codes  # the Shenzhen branch belongs to am_sz
    assert len(codes) == 9
    assert "9 accounts" in body
    assert 'class="col-owner"' not in body  # an account manager's own portfolio: no owner column


def test_filters_are_applied_and_kept_in_the_url(world, portfolio, login):
    client = login(world.am_a)
    body = client.get(reverse("accounts:list"), {"status": "prospect"}).content.decode()
    assert set(_codes(body)) == {"G-AM-003", "G-AM-006"}
    assert 'value="prospect" selected' in body
    assert "status=prospect" in body  # sort links, pager and exports keep the filter
    body = client.get(
        reverse("accounts:list"), {"industry": "logistics_transport"}
    ).content.decode()
    assert _codes(body) == ["G-HQ-001"]
    body = client.get(reverse("accounts:list"), {"size_band": "large"}).content.decode()
    assert _codes(body) == ["G-HQ-001"]
    body = client.get(reverse("accounts:list"), {"org_kind": "government"}).content.decode()
    assert _codes(body) == []
    assert "No account matches these filters." in body


def test_region_filter_includes_the_subtree(world, portfolio, login):
    client = login(world.rm_a)
    gz = set(_codes(client.get(reverse("accounts:list"), {"region": "GZ"}).content.decode()))
    assert "G-HQ-001" in gz and "G-X-900" in gz  # GZ-TH is under GZ
    th = set(_codes(client.get(reverse("accounts:list"), {"region": "GZ-TH"}).content.decode()))
    assert "G-HQ-001" in th and "G-X-900" not in th


def test_search_by_name_and_code(world, portfolio, login):
    client = login(world.am_a)
    assert _codes(client.get(reverse("accounts:list"), {"q": "物流"}).content.decode()) == [
        "G-HQ-001"
    ]
    assert _codes(client.get(reverse("accounts:list"), {"q": "am-00"}).content.decode()) == [
        f"G-AM-{i:03d}" for i in range(1, 8)
    ]


def test_sort_by_name_descending_with_code_tiebreak(world, portfolio, login):
    body = login(world.am_a).get(reverse("accounts:list"), {"sort": "-name"}).content.decode()
    names = re.findall(r'<td class="col-name"><a [^>]+>([^<]+)</a>', body)
    assert names == sorted(names, reverse=True)
    assert "sort=name" in body  # clicking again flips the order


def test_invalid_filter_value_shows_an_error_not_a_crash(world, portfolio, login):
    response = login(world.am_a, "en").get(reverse("accounts:list"), {"status": "bogus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_keyset_paging_walks_forward_and_back_without_gaps(world, login, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 4)
    for i in range(10):
        AccountFactory(
            code=f"P{i:02d}", name=f"客户{i % 3}", owner=world.am_a, region=world.district_a1
        )
    client = login(world.am_a)
    seen: list[str] = []
    url = reverse("accounts:list") + "?sort=name"
    pages = []
    while url:
        body = client.get(url).content.decode()
        page = _codes(body)
        pages.append(page)
        seen += page
        match = re.search(r'href="(\?[^"]*after=[^"]+)" rel="next"', body)
        url = reverse("accounts:list") + match.group(1).replace("&amp;", "&") if match else ""
    expected = list(
        Account.objects.filter(owner=world.am_a)
        .order_by("name", "code")
        .values_list("code", flat=True)
    )
    assert seen == expected and len(pages) == 3
    # Back from the last page gives the middle page again.
    prev = re.search(r'href="(\?[^"]*before=[^"]+)" rel="prev"', body)
    assert prev is not None
    back = client.get(reverse("accounts:list") + prev.group(1).replace("&amp;", "&"))
    assert _codes(back.content.decode()) == pages[1]


@override_settings(
    GROUPCRM={
        "ACCOUNT_LIST_MAX_COUNT": 5,
        "SLA_HOURS": {"critical": 4, "high": 24, "medium": 72, "low": 168},
    }
)
def test_count_is_capped(world, portfolio, login):
    body = login(world.am_a).get(reverse("accounts:list")).content.decode()
    assert "More than 5 accounts" in body


def test_list_query_count_is_bounded(world, login, django_assert_max_num_queries):
    for i in range(60):
        AccountFactory(code=f"Q{i:03d}", owner=world.am_a, region=world.district_a1)
    client = login(world.rm_a)
    # session, user, regions, owners, region subtree and bounds, page, count, the page's scores
    # and lifecycle state (one query by id): a constant, never per row.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("accounts:list"), {"region": "GZ", "sort": "-updated"})
    assert response.status_code == 200
    assert len(_codes(response.content.decode())) == 50


def test_htmx_request_gets_only_the_results(world, portfolio, login):
    response = login(world.am_a).get(
        reverse("accounts:list"), {"q": "物流"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    body = response.content.decode()
    assert "<html" not in body and _codes(body) == ["G-HQ-001"]


def test_csv_export_is_exactly_the_filtered_list_and_formula_safe(world, portfolio, login):
    AccountFactory(
        code="G-EVIL", name='=HYPERLINK("http://x")', owner=world.am_a, region=world.district_a1
    )
    response = login(world.am_a).get(
        reverse("accounts:export_csv"), {"status": "active", "sort": "-code"}
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Code", "Name", "Region", "Industry", "Size band", "Status", "Lifecycle stage",
        "Churn risk", "Updated",
    ]  # fmt: skip
    page = login(world.am_a).get(reverse("accounts:list"), {"status": "active", "sort": "-code"})
    assert [r[0] for r in rows[1:]] == _codes(page.content.decode())
    evil = next(r for r in rows if r[0] == "G-EVIL")
    assert evil[1].startswith("'=")


def test_excel_export_matches_and_is_formula_safe(world, portfolio, login):
    AccountFactory(code="G-EVIL", name="@SUM(1+1)", owner=world.am_a, region=world.district_a1)
    response = login(world.am_a, "zh-hans").get(reverse("accounts:export_xlsx"), {"q": "G-"})
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "编码" and len(rows) == 1 + 9
    evil = next(r for r in rows if r[0] == "G-EVIL")
    assert evil[1] == "'@SUM(1+1)"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_regional_manager_gets_owner_filter_and_bulk_reassign(world, portfolio, login):
    client = login(world.rm_a)
    body = client.get(reverse("accounts:list"), {"owner": "am_gz2"}).content.decode()
    assert _codes(body) == ["G-X-900"]
    assert 'name="new_owner"' in body and 'class="col-owner"' in body
    response = client.post(
        reverse("accounts:reassign"),
        {
            "codes": ["G-AM-001", "G-AM-002"],
            "new_owner": "am_gz2",
            "reason": "调整片区",
            "next": "/accounts/?owner=am_gz",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/?owner=am_gz"
    moved = Account.objects.filter(code__in=["G-AM-001", "G-AM-002"])
    assert {a.owner.username for a in moved} == {"am_gz2"}
    history = Account.history.filter(code="G-AM-001").order_by("-history_date").first()
    assert history.history_user == world.rm_a and history.history_change_reason == "调整片区"
    assert "2 accounts reassigned" in client.get("/accounts/").content.decode()


def test_reassign_to_a_manager_outside_the_region_is_refused(world, portfolio, login):
    client = login(world.rm_a)
    response = client.post(
        reverse("accounts:reassign"), {"codes": ["G-AM-001"], "new_owner": "am_sz"}, follow=True
    )
    assert Account.objects.get(code="G-AM-001").owner == world.am_a
    assert (
        "Select a valid choice" in response.content.decode()
        or "Choose the new" in response.content.decode()
    )


def test_reassign_needs_a_selection(world, portfolio, login):
    response = login(world.rm_a).post(
        reverse("accounts:reassign"), {"new_owner": "am_gz2"}, follow=True
    )
    assert "Select at least one account." in response.content.decode()


def test_account_manager_cannot_reassign(world, portfolio, login):
    response = login(world.am_a).post(
        reverse("accounts:reassign"), {"codes": ["G-AM-001"], "new_owner": "am_gz2"}
    )
    assert response.status_code == 403


def test_regional_manager_pages_region_by_region_without_gaps(world, login, monkeypatch):
    """Sorted by code, a regional manager's list is read per region and merged (listing
    .region_partitions); walking the pages forward and back gives exactly the database order."""
    monkeypatch.setattr(listing, "PAGE_SIZE", 3)
    for i in range(5):
        AccountFactory(code=f"B{i}", owner=world.am_a, region=world.district_a1)
        AccountFactory(code=f"A{i}", owner=world.am_a2, region=world.city_a)
        AccountFactory(code=f"Z{i}", owner=world.am_b, region=world.city_b)  # not visible
    client = login(world.rm_a)
    url, seen, pages = reverse("accounts:list"), [], []
    while url:
        body = client.get(url).content.decode()
        pages.append(_codes(body))
        seen += pages[-1]
        match = re.search(r'href="(\?[^"]*after=[^"]+)" rel="next"', body)
        url = reverse("accounts:list") + match.group(1).replace("&amp;", "&") if match else ""
    assert seen == [f"A{i}" for i in range(5)] + [f"B{i}" for i in range(5)]
    prev = re.search(r'href="(\?[^"]*before=[^"]+)" rel="prev"', body)
    back = client.get(reverse("accounts:list") + prev.group(1).replace("&amp;", "&"))
    assert _codes(back.content.decode()) == pages[-2]
    assert listing.region_partitions([1, 2], sort="code", searching=False) is not None
    assert listing.region_partitions([1, 2], sort="name", searching=False) is None
    assert listing.region_partitions([1, 2], sort="code", searching=True) is None

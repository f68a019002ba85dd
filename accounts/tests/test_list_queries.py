"""The query shapes the account lists rely on at a million rows (bench/README.md) return exactly
the rows of the plain conditions: the two-character search, and a region subtree with its
code and name bounds, including across cursor pages."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Account
from accounts.tests.factories import AccountFactory, RegionFactory

pytestmark = pytest.mark.django_db

NAMES_AND_CODES = [
    ("广州科技有限公司", "GZ0001"),
    ("深圳物流集团", "SZ0002"),
    ("华信科技", "GZ0003"),
    ("Acme Tech 物", "ab0004"),
    ("流水线工厂X", "Y00005"),  # "XY" spans name and code: not a match
    ("百分比%公司", "GZ0006"),
    ("下划_线", "GZ0007"),
]
QUERIES = [
    "科技",
    "物流",
    "华信",
    "te",
    "TE",
    "AB",
    "b0",
    "XY",
    "X",
    "%公",
    "_线",
    "无关",
    "科技有限",
]


def _expected(text: str) -> set[str]:
    needle = text.upper()
    return {c for n, c in NAMES_AND_CODES if needle in n.upper() or needle in c.upper()}


@pytest.mark.parametrize("text", QUERIES)
def test_search_matches_name_or_code_case_insensitively(world: Any, text: str) -> None:
    for name, code in NAMES_AND_CODES:
        AccountFactory(name=name, code=code, owner=world.am_a, region=world.district_a1)
    found = set(Account.objects.search(text).values_list("code", flat=True))
    assert found == _expected(text)


def _world_accounts(world: Any) -> None:
    other_district = RegionFactory(
        code="GZ-YX", name="越秀区", parent=world.city_a, level="district"
    )
    spread = [
        (world.city_a, "GZ", "广州"),
        (world.district_a1, "GZ", "天河"),
        (other_district, "GZ", "越秀"),
        (world.city_b, "SZ", "深圳"),
    ]
    for i in range(24):
        region, prefix, city = spread[i % 4]
        AccountFactory(
            code=f"{prefix}{(i * 7919) % 1000:05d}{i:02d}",
            name=f"{'甲乙丙丁'[i % 3]}{city}公司{i:02d}",
            owner=world.am_a,
            region=region,
        )


@pytest.mark.parametrize("bounded", [False, True])
def test_in_region_is_exactly_the_subtree(world: Any, bounded: bool) -> None:
    _world_accounts(world)
    for region in (world.province, world.city_a, world.district_a1, world.city_b):
        subtree = Account.objects.in_region(region, bounded=bounded)
        assert set(subtree.values_list("code", flat=True)) == set(
            Account.objects.region_bounded(region)
            .filter(pk__in=subtree.values("pk"))
            .values_list("code", flat=True)
        )
        got = set(subtree.values_list("code", flat=True))
        want = set(
            Account.objects.filter(region__path__startswith=region.path).values_list(
                "code", flat=True
            )
        )
        assert got == want and want


@pytest.mark.parametrize("ordering", ["code", "-code", "name", "-name"])
@pytest.mark.parametrize("who,region", [("rm_a", None), ("hq", "GZ"), ("hq", "GZ-TH")])
def test_region_lists_page_through_every_row_once(
    world: Any, api: Any, ordering: str, who: str, region: str | None
) -> None:
    _world_accounts(world)
    client = api(getattr(world, who))
    url = f"/api/v1/accounts/?ordering={ordering}&page_size=4"
    if region:
        url += f"&region={region}"
    seen: list[str] = []
    while url:
        body = client.get(url).json()
        seen += [row["code"] for row in body["results"]]
        url = body["next"]
    path = world.city_a.path if region in (None, "GZ") else world.district_a1.path
    rows = Account.objects.filter(region__path__startswith=path)
    key = ordering.lstrip("-")
    want = [
        a.code
        for a in sorted(rows, key=lambda a: (getattr(a, key), a.code), reverse=ordering[0] == "-")
    ]
    assert seen == want


@pytest.mark.parametrize("dense", [0, 10_000])
@pytest.mark.parametrize("by_name", [False, True])
@pytest.mark.parametrize("text", QUERIES)
def test_search_within_regions_is_the_plain_search_of_those_regions(
    world: Any, text: str, dense: int, by_name: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`search(within=…)` (a regional list: the per-region bigram index on PostgreSQL, sorted
    when the matches are few, walked when many) finds exactly the plain search's rows in those
    regions, in the same order; dense 0 takes the walking branch, 10,000 the sorted one."""
    from accounts import listing, querysets

    monkeypatch.setattr(querysets, "DENSE_MATCHES", dense)
    monkeypatch.setattr(querysets, "DENSE_MATCHES_BY_NAME", dense)
    other = RegionFactory(code="GZ-HZ", name="海珠区", parent=world.city_a, level="district")
    for i, (name, code) in enumerate(NAMES_AND_CODES):
        region = (world.district_a1, other, world.city_b)[i % 3]
        AccountFactory(name=name, code=code, owner=world.am_a, region=region)
    within = [world.city_a.pk, world.district_a1.pk, other.pk]
    subtree = Account.objects.filter(region_id__in=within)
    sort = "name" if by_name else "code"
    plain = listing.ordered(subtree.search(text, named=None), sort, False)
    regional = subtree.search(text, named=None, within=within, by_name=by_name).settle_search()
    if dense:
        assert listing.capped_count(regional) == (len(_expected_in(text, within)), False)
    expected = [a.code for a in plain]
    assert [a.code for a in listing.ordered(regional, sort, False)] == expected
    assert set(expected) == _expected_in(text, within)


def _expected_in(text: str, within: list[int]) -> set[str]:
    return {c for c in _expected(text) if Account.objects.get(code=c).region_id in within}

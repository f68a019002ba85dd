"""The drill-down returns exactly the accounts whose pure contribution is behind a number, within
the given scope and the given (visibility-filtered) queryset."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Account
from kpi import credit, drill, snapshots
from kpi import metrics as m
from org.models import Region

from .generated import AS_OF, build_world, read_population


def _behind(metric: str, a: m.AccountRecord, ctx: m.Context, denominator: bool) -> bool:
    part = m.contribution(metric, a, ctx)
    if denominator:
        return part.denominator != 0
    if metric == m.BILLED_REVENUE:
        return any(b.amount != 0 and ctx.window.contains(b.period_on) for b in a.bills)
    return part.numerator != 0


def _inside(
    i: int, metric: str, path: str, population: m.Population, roots: dict[int, int | None]
) -> bool:
    """In the region scope: its own region is in the subtree, or (credited metrics) its root's."""
    by_id = {a.id: a for a in population.accounts}
    paths = population.regions
    if paths[by_id[i].region_id].startswith(path):
        return True
    root = roots[i]
    return (
        metric in m.CREDITED_METRICS
        and root is not None
        and paths[by_id[root].region_id].startswith(path)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2026, 10, 1)])
def test_accounts_behind_match_the_pure_contributions(as_of: dt.date) -> None:
    build_world(4, accounts=50)
    population = read_population()
    by_id = {a.id: a for a in population.accounts}
    roots = credit.group_roots({a.id: a.parent_id for a in population.accounts})
    contexts = snapshots.windows(as_of).contexts()
    regions = list(Region.objects.order_by("path"))
    owners = sorted({a.owner_id for a in population.accounts})
    checked = 0
    for period, ctx in contexts.items():
        for metric in m.METRICS:
            for denominator in (False, True):
                if denominator and metric in drill.NO_DENOMINATOR:
                    with pytest.raises(ValueError):
                        drill.accounts_behind(
                            metric=metric, as_of=as_of, period=period,
                            accounts=Account.objects.all(), user=owners[0], denominator=True,
                        )  # fmt: skip
                    continue
                behind = {a.id for a in population.accounts if _behind(metric, a, ctx, denominator)}
                for owner in owners:
                    got = drill.accounts_behind(
                        metric=metric, as_of=as_of, period=period, accounts=Account.objects.all(),
                        user=owner, denominator=denominator,
                    )  # fmt: skip
                    want = {i for i in behind if by_id[i].owner_id == owner}
                    assert set(got.values_list("id", flat=True)) == want, (metric, period)
                    checked += len(want)
                for region in regions:
                    got = drill.accounts_behind(
                        metric=metric, as_of=as_of, period=period, accounts=Account.objects.all(),
                        region=region, denominator=denominator,
                    )  # fmt: skip
                    want = {i for i in behind if _inside(i, metric, region.path, population, roots)}
                    assert set(got.values_list("id", flat=True)) == want, (metric, period, region)
    assert checked > 50


@pytest.mark.django_db
def test_accounts_behind_stays_inside_the_given_queryset() -> None:
    accounts = build_world(5, accounts=30)
    visible = Account.objects.filter(owner=accounts[0].owner)
    province = Region.objects.get(depth=0) if Region.objects.filter(depth=0).count() == 1 else None
    province = province or Region.objects.order_by("path").first()
    assert province is not None
    got = drill.accounts_behind(
        metric=m.IT_PENETRATION, as_of=AS_OF, period="month", accounts=visible,
        region=province, denominator=True,
    )  # fmt: skip
    assert set(got.values_list("owner_id", flat=True)) <= {accounts[0].owner_id}
    assert got.count() == visible.filter(status="active").count()


def test_accounts_behind_refuses_bad_scopes() -> None:
    with pytest.raises(ValueError):
        drill.accounts_behind(
            metric="nonsense", as_of=AS_OF, period="month", accounts=Account.objects.none(), user=1
        )
    with pytest.raises(ValueError):
        drill.accounts_behind(
            metric=m.CHURN_RATE, as_of=AS_OF, period="month", accounts=Account.objects.none()
        )

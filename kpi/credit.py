"""Cross-region credit (DOMAIN.md §3) and region roll-ups, pure (no Django import).

The lead's decision, so that the shares of one group always add up to its whole: an account whose
group root (its top-most ancestor through `parent`, at any depth) lies in another region is a
*branch*; its contributions to the credited metrics (revenue, churn, penetration: numerator and
denominator alike) go (1 − s) to its own region and s to the root's region, s being
settings.KPI["HQ_COORDINATION_SHARE"]. Everything else stays 100 % with the account's own region.

A region's row is a roll-up over its whole subtree (by the materialised `path`): the sum of what
is credited to every region inside it. When a branch and its root are both inside, the two parts
add up to the account's whole, so it counts once in full."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from . import metrics as m

ONE = Decimal(1)
# A parent chain longer than this is treated as broken (a cycle): the chain stops there.
MAX_DEPTH = 32


def group_roots(parents: Mapping[int, int | None]) -> dict[int, int | None]:
    """`{account: its top-most ancestor}` (itself when it has no parent) for `{account: parent}`.
    None when the chain does not end within MAX_DEPTH steps (a cycle): no credit split then."""
    roots: dict[int, int | None] = {}
    for account in parents:
        node, depth = account, 0
        while parents.get(node) is not None and depth < MAX_DEPTH:
            node, depth = parents[node], depth + 1  # type: ignore[assignment]
        roots[account] = node if parents.get(node) is None else None
    return roots


def shares(own_region: int, root_region: int | None, share: Decimal) -> list[tuple[int, Decimal]]:
    """How one credited contribution is split between regions: `[(region, weight)]`, weights
    summing to exactly 1."""
    if root_region is None or root_region == own_region:
        return [(own_region, ONE)]
    return [(own_region, ONE - share), (root_region, share)]


def credit(
    contributions: Iterable[tuple[int, int | None, m.Contribution]], share: Decimal
) -> dict[int, m.Contribution]:
    """Per region, the sum of `(own_region, root_region_or_None, contribution)` after the split."""
    out: dict[int, m.Contribution] = defaultdict(m.Contribution)
    for own, root, part in contributions:
        for region, weight in shares(own, root, share):
            out[region] = out[region] + (part if weight == ONE else part.scaled(weight))
    return dict(out)


def roll_up(
    per_region: Mapping[int, m.Contribution], paths: Mapping[int, str]
) -> dict[int, m.Contribution]:
    """Each region's subtree total: the sum over every region whose path starts with its path.
    Every region in `paths` gets a row (zeros when nothing is credited inside it)."""
    out: dict[int, m.Contribution] = {}
    for region, path in paths.items():
        total = m.Contribution()
        for other, part in per_region.items():
            other_path = paths.get(other)
            if other_path is not None and other_path.startswith(path):
                total = total + part
        out[region] = total
    return out


def roll_up_counts(per_region: Mapping[int, int], paths: Mapping[int, str]) -> dict[int, int]:
    return {
        region: sum(n for other, n in per_region.items() if paths.get(other, "\0").startswith(path))
        for region, path in paths.items()
    }


ScopeKey = tuple[str, str, str, int]  # (period, metric, "region" | "user", id)


def expected_snapshot(
    population: m.Population,
    contexts: Mapping[str, m.Context],
    share: Decimal,
) -> dict[ScopeKey, m.Result]:
    """The reference computation of one night's snapshot rows, account by account: what the
    set-based `kpi.snapshots` must reproduce. `contexts` maps each period to its context."""
    accounts = population.accounts
    by_id = {a.id: a for a in accounts}
    roots = group_roots({a.id: a.parent_id for a in accounts})
    root_region: dict[int, int | None] = {}
    for a in accounts:
        root = roots[a.id]
        root_region[a.id] = by_id[root].region_id if root is not None and root != a.id else None
    owners = sorted({a.owner_id for a in accounts})
    am_totals = roll_up_counts(population.account_managers_by_region, population.regions)
    rows: dict[ScopeKey, m.Result] = {}
    for period, context in contexts.items():
        for metric in m.METRICS:
            parts = [(a, m.contribution(metric, a, context)) for a in accounts]
            credited = metric in m.CREDITED_METRICS
            per_region = credit(
                ((a.region_id, root_region[a.id] if credited else None, c) for a, c in parts),
                share,
            )
            for region, total in roll_up(per_region, population.regions).items():
                rows[(period, metric, "region", region)] = m.evaluate(
                    metric, total, account_managers=am_totals.get(region, 0)
                )
            for owner in owners:
                total = sum((c for a, c in parts if a.owner_id == owner), m.Contribution())
                rows[(period, metric, "user", owner)] = m.evaluate(
                    metric, total, account_managers=1
                )
    return rows

"""Cross-region credit: the split, group roots, roll-ups, and that the shares of every group add
up to its whole (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kpi import credit
from kpi import metrics as m

S = Decimal("0.10")
PATHS = {1: "/GD/", 2: "/GD/GZ/", 3: "/GD/SZ/", 4: "/GD/GZ/TH/", 5: "/BJ/"}


def c(num: str, den: str = "0") -> m.Contribution:
    return m.Contribution(Decimal(num), Decimal(den))


def test_a_branch_gives_the_coordination_share_to_its_roots_region() -> None:
    assert credit.shares(3, 2, S) == [(3, Decimal("0.90")), (2, Decimal("0.10"))]
    assert credit.shares(3, None, S) == [(3, Decimal(1))]
    assert credit.shares(3, 3, S) == [(3, Decimal(1))]


def test_credit_and_roll_up_by_hand() -> None:
    # a root in GZ (2) with 100; its branch in SZ (3) with 50; a TH account (4) alone with 7
    per_region = credit.credit([(2, None, c("100")), (3, 2, c("50", "1")), (4, None, c("7"))], S)
    assert per_region == {2: c("105.0", "0.10"), 3: c("45.0", "0.90"), 4: c("7")}
    rolled = credit.roll_up(per_region, PATHS)
    assert rolled[1] == c("157", "1")  # the province holds both: the branch once in full
    assert rolled[2] == c("112.0", "0.10")  # GZ: its own, the coordination share and TH
    assert rolled[3] == c("45.0", "0.90")
    assert rolled[4] == c("7")
    assert rolled[5] == c("0")  # another province: a zero row


def test_group_roots_at_any_depth_and_cycles() -> None:
    parents = {1: None, 2: 1, 3: 2, 4: 3, 5: None, 6: 7, 7: 6}
    roots = credit.group_roots(parents)
    assert roots == {1: 1, 2: 1, 3: 1, 4: 1, 5: 5, 6: None, 7: None}


contribution = st.builds(
    m.Contribution,
    st.decimals(min_value=-10_000, max_value=10_000, places=2),
    st.integers(min_value=0, max_value=5).map(Decimal),
)


@settings(max_examples=200)
@given(
    parents=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=30),
    regions=st.lists(st.sampled_from(sorted(PATHS)), min_size=30, max_size=30),
    parts=st.lists(contribution, min_size=30, max_size=30),
    share=st.decimals(min_value=0, max_value=1, places=3),
)
def test_shares_of_every_group_add_up_to_its_whole(parents, regions, parts, share) -> None:  # type: ignore[no-untyped-def]
    # account i's parent is a lower-numbered account (or none): a forest of groups
    parent_of = {i: (p % i if p and i else None) for i, p in enumerate(parents)}
    roots = credit.group_roots(parent_of)
    groups: dict[int, list[int]] = {}
    for account, root in roots.items():
        assert root is not None
        groups.setdefault(root, []).append(account)
    for root, members in groups.items():
        rows = [(regions[a], regions[root] if a != root else None, parts[a]) for a in members]
        per_region = credit.credit(rows, share)
        whole = sum((parts[a] for a in members), m.Contribution())
        assert sum(per_region.values(), m.Contribution()) == whole
        # and every region's roll-up above all of them (the country) holds the whole once
        rolled = credit.roll_up(per_region, {**PATHS, 0: "/"})
        assert rolled[0] == whole

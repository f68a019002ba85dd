"""The scoring rule, pure: no database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from segmentation import domain
from segmentation.domain import CLUSTERED_SME, ECONOMIC, SOCIAL, ClassRule

RULE = ClassRule()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # DOMAIN.md §4.2: ten distinct values give 1 1 2 2 3 3 4 4 5 5 from the smallest up.
        (list(range(10)), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
        (list(range(9, -1, -1)), [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]),
        ([42.0], [1]),  # n = 1 → percent rank 0
        ([7, 7, 7, 7], [1, 1, 1, 1]),  # all equal: all share the lowest rank
        ([1, 2, 2, 2, 3], [1, 2, 2, 2, 5]),  # ties share the lowest rank: r = 2, (5·1) div 4 = 1
        ([None, 3, None, 1], [None, 5, None, 1]),  # unknowns are left out of n
        ([None, None], [None, None]),
        ([-0.3, -0.1, 0.0, 0.2], [1, 2, 4, 5]),  # negative growth ranks below zero
        ([1, 2], [1, 5]),
        ([1, 2, 3], [1, 3, 5]),  # r=2: 1 + 5 div 2 = 3
        ([1, 2, 3, 4], [1, 2, 4, 5]),  # r=2: 1 + 5 div 3 = 2; r=3: 1 + 10 div 3 = 4
        ([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 5]),
    ],
)
def test_rank_points(values, expected):
    assert domain.rank_points(values) == expected


def test_points_for_rank_integer_boundaries():
    # 5·(r−1)/(n−1) exactly an integer lands on the higher point: 1 + 5·20/100 = 2.
    assert domain.points_for_rank(21, 101) == 2
    assert domain.points_for_rank(20, 101) == 1
    assert domain.points_for_rank(101, 101) == 5
    with pytest.raises(ValueError):
        domain.points_for_rank(0, 3)


@given(st.lists(st.one_of(st.none(), st.integers(-5, 5), st.floats(-1e6, 1e6)), max_size=60))
def test_cut_points_agree_with_ranks(values):
    cuts = domain.cuts_for(values)
    assert [domain.points_from_cuts(v, cuts) for v in values] == domain.rank_points(values)


def test_points_range_explains_a_three():
    cuts = domain.cuts_for(list(range(10)))
    assert domain.points_from_cuts(4, cuts) == 3
    low, high = domain.points_range(3, cuts)
    assert low < 4 <= high
    assert domain.points_range(1, cuts)[0] is None
    assert domain.points_range(5, cuts)[1] is None


@pytest.mark.parametrize(
    ("points", "cents"),
    [
        ([1, 2], 150),
        ([1, 2, 2], 167),  # 1.666… → 1.67
        ([1, 1, 2], 133),  # 1.333… → 1.33
        ([5, 4, 4, 4], 425),
        ([None, 3, None], 300),
        ([None, None], None),
        ([], None),
    ],
)
def test_mean_points_cents(points, cents):
    assert domain.mean_points_cents(points) == cents


@pytest.mark.parametrize(
    ("cents", "mean"),
    [
        ([133, 134], 134),  # 1.335 → 1.34 (half up, exact: no float 1.3349999)
        ([100, 101], 101),  # 1.005 → 1.01
        ([167, 133, 100], 133),
        ([None, 250], 250),
        ([None], None),
    ],
)
def test_mean_cents_half_up(cents, mean):
    assert domain.mean_cents(cents) == mean


@given(st.lists(st.integers(100, 500), min_size=1, max_size=4))
def test_mean_cents_is_decimal_round_half_up(cents):
    from decimal import ROUND_HALF_UP

    exact = Decimal(sum(cents)) / Decimal(len(cents))
    assert domain.mean_cents(cents) == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _points(**values):
    return {name: values.get(name) for name in domain.QUANTITATIVE}


def _rated(**values):
    return {name: values.get(name) for name in domain.RATED}


def test_score_account_steps_groups_and_values():
    points = _points(
        headcount=5, headcount_growth=4, revenue=5, revenue_growth=None,  # step1 14/3 = 4.67
        it_investment=3, it_staff=2,  # step2 2.5
        customer_count=1,  # step3 1
        profit_margin=4, profit_margin_growth=5,  # 4.5
    )  # fmt: skip
    rated = _rated(it_awareness=4, it_importance=5, standards_participation=2, media_influence=3)
    s = domain.score_account(points, rated, org_kind="enterprise", size_band="small", rule=RULE)
    assert s.step1_score == Decimal("4.67")
    assert s.step2_score == Decimal("2.50")
    assert s.step3_score == Decimal("1.00")
    assert s.segment_score == Decimal("2.72")  # (467 + 250 + 100) / 3 = 272.33
    # economic: scale 4.67, profitability 4.5, IT attitude 4.5, IT investment 2.5 → 4.0425
    assert s.economic_value_score == Decimal("4.04")
    # social: policy 2 (only one known), resource 3, demonstration unknown → 2.5
    assert s.social_value_score == Decimal("2.50")
    assert s.value_class == ECONOMIC
    assert s.groups["demonstration_influence"] is None


def test_score_account_nothing_known():
    s = domain.score_account(
        _points(), _rated(), org_kind="enterprise", size_band="large", rule=RULE
    )
    assert (s.segment_score, s.economic_value_score, s.social_value_score) == (None, None, None)
    assert s.value_class == ECONOMIC  # size-band fallback


@pytest.mark.parametrize(
    ("org_kind", "size_band", "economic", "social", "expected"),
    [
        ("government", "micro", 100, 100, SOCIAL),
        ("public_institution", "large", 500, None, SOCIAL),
        ("non_profit", "small", None, None, SOCIAL),  # org kind before the size-band fallback
        ("enterprise", "small", 340, 350, SOCIAL),
        ("enterprise", "small", None, 350, SOCIAL),  # unknown economic never reaches 3.5
        ("enterprise", "small", 350, 400, ECONOMIC),  # social only when economic < 3.5
        ("enterprise", "small", 350, None, ECONOMIC),
        ("enterprise", "large", 349, 349, CLUSTERED_SME),
        ("enterprise", "large", 349, None, CLUSTERED_SME),  # has a score: no fallback
        ("enterprise", "large", None, None, ECONOMIC),  # fallback: large → economic
        ("enterprise", "medium", None, None, CLUSTERED_SME),
        ("enterprise", "micro", None, 349, CLUSTERED_SME),
    ],
)
def test_value_class(org_kind, size_band, economic, social, expected):
    assert (
        domain.value_class(
            org_kind=org_kind,
            size_band=size_band,
            economic_cents=economic,
            social_cents=social,
            rule=RULE,
        )
        == expected
    )


def test_value_class_thresholds_are_settings():
    strict = ClassRule(economic_threshold_cents=400, social_threshold_cents=450)
    kw = {"org_kind": "enterprise", "size_band": "small"}
    assert domain.value_class(economic_cents=390, social_cents=None, rule=strict, **kw) == (
        CLUSTERED_SME
    )
    assert domain.value_class(economic_cents=400, social_cents=449, rule=strict, **kw) == ECONOMIC


def test_to_cents():
    assert domain.to_cents("3.5") == 350
    assert domain.to_cents(Decimal("4.25")) == 425
    with pytest.raises(ValueError):
        domain.to_cents("3.555")


def test_score_population_leaves_churned_out_of_ranks():
    def acct(key, status, revenue):
        return domain.AccountInput(key, status, "enterprise", "medium", {"revenue": revenue})

    accounts = [acct(1, "active", 10), acct(2, "prospect", 20), acct(3, "churned", 1000)]
    out = domain.score_population(
        accounts, rule=RULE, scored_statuses=frozenset({"active", "prospect"})
    )
    assert set(out) == {1, 2}
    assert out[2].points["revenue"] == 5
    assert out[1].points["revenue"] == 1

"""The five-point scoring rule (5分法), value scores and the three value classes (DOMAIN.md §4).

Pure: no Django, no clock, no I/O. The nightly job runs the very same rule set-based in SQL
(`segmentation/scoring_sql.py`); a property test proves both give identical results.

Arithmetic, exactly:

* points are integers: ``min(5, 1 + (5 × (r − 1)) div (n − 1))`` with ``r = 1 + #{values < v}``;
  ``n = 1`` gives 1 point.
* every mean (a step score, a group mean, and the top-level scores) is rounded half-up to the cent
  and computed in integer cents, so no floating-point error can move a boundary:
  ``cents = (200 × Σ + k) div (2 × k)`` for a mean of k integer points, and
  ``(2 × Σcents + k) div (2 × k)`` for a mean of k cent values. This is Decimal ROUND_HALF_UP of the
  exact mean; the SQL does the same integer division.
* ``segment_score`` is the mean of the *rounded* step scores; ``economic_value_score`` and
  ``social_value_score`` are the means of the *rounded* group means (scale and IT investment are
  the step 1 and step 2 scores themselves).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

# --- vocabulary (DOMAIN.md §4.1) ---------------------------------------------------------------

STEP1 = ("headcount", "headcount_growth", "revenue", "revenue_growth")
STEP2 = ("it_investment", "it_investment_growth", "it_staff", "it_staff_growth")
STEP3 = ("customer_count", "agent_count", "supplier_count", "solution_type_count")
PROFITABILITY = ("profit_margin", "profit_margin_growth")
QUANTITATIVE = STEP1 + STEP2 + STEP3 + PROFITABILITY

IT_ATTITUDE = ("it_awareness", "it_importance", "it_need_complexity")
POLICY_INFLUENCE = ("standards_participation", "local_economy_position", "government_relations")
RESOURCE_INFLUENCE = ("industry_info_participation", "media_influence")
DEMONSTRATION_INFLUENCE = ("industry_org_participation", "industry_reputation")
RATED = IT_ATTITUDE + POLICY_INFLUENCE + RESOURCE_INFLUENCE + DEMONSTRATION_INFLUENCE

ECONOMIC = "economic"
SOCIAL = "social"
CLUSTERED_SME = "clustered_sme"
VALUE_CLASSES = (ECONOMIC, SOCIAL, CLUSTERED_SME)


@dataclass(frozen=True)
class ClassRule:
    """The class rule's settings (DOMAIN.md §4.3). Thresholds are in cents (3.5 → 350) so the
    comparison is exact in Python and SQL alike."""

    economic_threshold_cents: int = 350
    social_threshold_cents: int = 350
    social_org_kinds: frozenset[str] = frozenset({"government", "public_institution", "non_profit"})
    economic_size_bands: frozenset[str] = frozenset({"large"})


# --- five-point scoring ------------------------------------------------------------------------


def points_for_rank(r: int, n: int) -> int:
    """Points for rank r (1 + the number of strictly smaller values) among n known values."""
    if not 1 <= r <= n:
        raise ValueError(f"rank {r} outside 1..{n}")
    if n == 1:
        return 1
    return min(5, 1 + (5 * (r - 1)) // (n - 1))


def rank_points(values: Sequence[float | None]) -> list[int | None]:
    """Points of each value among the known values of the list (None stays None)."""
    known = sorted(v for v in values if v is not None)
    n = len(known)
    return [
        None if v is None else points_for_rank(1 + bisect.bisect_left(known, v), n) for v in values
    ]


@dataclass(frozen=True)
class Cuts:
    """One indicator's cut points for a population: n known values and, for 2..5 points, the value
    a value must strictly exceed (the c-th smallest, c = ceil((p − 1)(n − 1) / 5)).

    Equivalent to `points_for_rank`: points ≥ p ⇔ 5(r − 1) ≥ (p − 1)(n − 1) ⇔ more than c − 1
    values are smaller ⇔ v > the c-th smallest value."""

    n: int
    cut_2: float | None = None
    cut_3: float | None = None
    cut_4: float | None = None
    cut_5: float | None = None

    def as_tuple(self) -> tuple[float | None, float | None, float | None, float | None]:
        return (self.cut_2, self.cut_3, self.cut_4, self.cut_5)


def cut_positions(n: int) -> tuple[int, int, int, int] | None:
    """1-based positions in the ascending sorted known values of the cuts for 2, 3, 4, 5 points."""
    if n < 2:
        return None
    return tuple(((p - 1) * (n - 1) + 4) // 5 for p in (2, 3, 4, 5))  # type: ignore[return-value]


def cuts_for(values: Iterable[float | None]) -> Cuts:
    known = sorted(v for v in values if v is not None)
    positions = cut_positions(len(known))
    if positions is None:
        return Cuts(n=len(known))
    c2, c3, c4, c5 = (known[c - 1] for c in positions)
    return Cuts(n=len(known), cut_2=c2, cut_3=c3, cut_4=c4, cut_5=c5)


def points_from_cuts(value: float | None, cuts: Cuts) -> int | None:
    if value is None:
        return None
    if cuts.n <= 1:
        return 1
    points = 1
    for p, cut in zip((2, 3, 4, 5), cuts.as_tuple(), strict=True):
        if cut is not None and value > cut:
            points = p
    return points


# --- means in cents ----------------------------------------------------------------------------


def mean_points_cents(points: Iterable[int | None]) -> int | None:
    """The mean of the known integer points (or rated values) in cents, rounded half-up."""
    known = [p for p in points if p is not None]
    if not known:
        return None
    k = len(known)
    return (200 * sum(known) + k) // (2 * k)


def mean_cents(cents: Iterable[int | None]) -> int | None:
    """The mean of known cent values, in cents, rounded half-up."""
    known = [c for c in cents if c is not None]
    if not known:
        return None
    k = len(known)
    return (2 * sum(known) + k) // (2 * k)


def to_score(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-2)


def to_cents(score: Decimal | str | float) -> int:
    """A threshold setting as integer cents; more than two decimals is a configuration error."""
    value = Decimal(str(score)) * 100
    if value != value.to_integral_value():
        raise ValueError(f"{score} has more than two decimals")
    return int(value)


# --- one account --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    step1_score: Decimal | None
    step2_score: Decimal | None
    step3_score: Decimal | None
    segment_score: Decimal | None
    economic_value_score: Decimal | None
    social_value_score: Decimal | None
    value_class: str
    groups: Mapping[str, Decimal | None] = field(default_factory=dict)


def value_class(
    *,
    org_kind: str,
    size_band: str,
    economic_cents: int | None,
    social_cents: int | None,
    rule: ClassRule,
) -> str:
    """DOMAIN.md §4.3. An unknown score never reaches a threshold. The org_kind rule needs no score,
    so it comes before the size-band fallback (a government body with no indicators is social)."""
    economic_high = economic_cents is not None and economic_cents >= rule.economic_threshold_cents
    social_high = social_cents is not None and social_cents >= rule.social_threshold_cents
    if org_kind in rule.social_org_kinds or (social_high and not economic_high):
        return SOCIAL
    if economic_high:
        return ECONOMIC
    if economic_cents is None and social_cents is None:
        return ECONOMIC if size_band in rule.economic_size_bands else CLUSTERED_SME
    return CLUSTERED_SME


def score_account(
    points: Mapping[str, int | None],
    rated: Mapping[str, int | None],
    *,
    org_kind: str,
    size_band: str,
    rule: ClassRule,
) -> Scores:
    """Scores from one account's indicator points (QUANTITATIVE keys) and rated values (RATED)."""

    def pts(names: Sequence[str]) -> list[int | None]:
        return [points.get(n) for n in names]

    def rat(names: Sequence[str]) -> list[int | None]:
        return [rated.get(n) for n in names]

    step1 = mean_points_cents(pts(STEP1))
    step2 = mean_points_cents(pts(STEP2))
    step3 = mean_points_cents(pts(STEP3))
    profitability = mean_points_cents(pts(PROFITABILITY))
    it_attitude = mean_points_cents(rat(IT_ATTITUDE))
    policy = mean_points_cents(rat(POLICY_INFLUENCE))
    resource = mean_points_cents(rat(RESOURCE_INFLUENCE))
    demonstration = mean_points_cents(rat(DEMONSTRATION_INFLUENCE))
    economic = mean_cents([step1, profitability, it_attitude, step2])
    social = mean_cents([policy, resource, demonstration])
    return Scores(
        step1_score=to_score(step1),
        step2_score=to_score(step2),
        step3_score=to_score(step3),
        segment_score=to_score(mean_cents([step1, step2, step3])),
        economic_value_score=to_score(economic),
        social_value_score=to_score(social),
        value_class=value_class(
            org_kind=org_kind,
            size_band=size_band,
            economic_cents=economic,
            social_cents=social,
            rule=rule,
        ),
        groups={
            "scale": to_score(step1),
            "profitability": to_score(profitability),
            "it_attitude": to_score(it_attitude),
            "it_investment": to_score(step2),
            "complexity": to_score(step3),
            "policy_influence": to_score(policy),
            "resource_influence": to_score(resource),
            "demonstration_influence": to_score(demonstration),
        },
    )


# --- a whole population -------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountInput:
    """One account as the scoring sees it. `indicators` is None when it has no snapshot."""

    key: int
    status: str
    org_kind: str
    size_band: str
    indicators: Mapping[str, float | int | None] | None


@dataclass(frozen=True)
class AccountResult:
    key: int
    points: Mapping[str, int | None]
    scores: Scores


def score_population(
    accounts: Sequence[AccountInput], *, rule: ClassRule, scored_statuses: frozenset[str]
) -> dict[int, AccountResult]:
    """Scores for every account whose status is in `scored_statuses` (the population rule);
    ranks are taken among those accounts only. Others get no result (they keep their last)."""
    population = [a for a in accounts if a.status in scored_statuses]
    points_by_indicator = {
        name: rank_points(
            [
                None if a.indicators is None else _as_float(a.indicators.get(name))
                for a in population
            ]
        )
        for name in QUANTITATIVE
    }
    results: dict[int, AccountResult] = {}
    for i, account in enumerate(population):
        points = {name: points_by_indicator[name][i] for name in QUANTITATIVE}
        rated = {
            name: None if account.indicators is None else _as_int(account.indicators.get(name))
            for name in RATED
        }
        results[account.key] = AccountResult(
            key=account.key,
            points=points,
            scores=score_account(
                points, rated, org_kind=account.org_kind, size_band=account.size_band, rule=rule
            ),
        )
    return results


def _as_float(value: float | int | None) -> float | None:
    return None if value is None else float(value)


def _as_int(value: float | int | None) -> int | None:
    return None if value is None else int(value)


# --- explaining a score -------------------------------------------------------------------------


def points_range(points: int, cuts: Cuts) -> tuple[float | None, float | None]:
    """(exclusive lower bound, inclusive upper bound) of the values that earn `points`: "why is
    this a 3?" — because the value is above the cut for 3 and not above the cut for 4."""
    if cuts.n <= 1:
        return (None, None)
    bounds = (None, *cuts.as_tuple(), None)
    return (bounds[points - 1], bounds[points])

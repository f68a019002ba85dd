"""Pure KPI scoring rules (DOMAIN.md §8): attainment, points per scoring rule, scheme and target
validation. No Django import, no clock: plain values in, frozen dataclasses out."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

HIGHER = "higher"
LOWER = "lower"
LINEAR = "linear"
THRESHOLD = "threshold"
BANDED = "banded"
RULES = (LINEAR, THRESHOLD, BANDED)
DIRECTIONS = (HIGHER, LOWER)
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
YEAR = "Y"
TOTAL_POINTS = 100

# The metrics whose value accumulates over the year (counts and sums): their quarterly targets are
# year-to-date and rise to the annual target, and their actual is read year to date. Every other
# metric is a rate or a level (a share of accounts, a ratio, a stock at the period's end): each
# quarter has its own target and is read quarter to date.
CUMULATIVE_METRICS = frozenset({"new_accounts", "billed_revenue", "visits_per_am"})
# Attainment is unbounded when "lower is better" and the actual is 0: it is shown as this (1000 %).
MAX_ATTAINMENT = Decimal(10)
# Banded rule (DOMAIN.md §8, kpi.models.ScoringRule.BANDED).
BAND_FLOOR = Decimal("0.8")
BAND_AT_REALISTIC = Decimal("0.6")

_ONE = Decimal(1)
_ZERO = Decimal(0)


def _dec(value: Decimal | int | float | str | None) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def attainment(
    actual: Decimal | int | float | None,
    target: Decimal | int | float | None,
    direction: str,
) -> Decimal | None:
    """Share of the target reached: actual ÷ target when higher is better, target ÷ actual when
    lower is better (a churn rate of 2 % against a target of 4 % is 200 %). None when unknown."""
    a, t = _dec(actual), _dec(target)
    if a is None or t is None:
        return None
    if direction == HIGHER:
        if t <= 0:
            return _ONE if a >= t else _ZERO
        return max(a / t, _ZERO)
    if direction != LOWER:
        raise ValueError(f"unknown direction {direction!r}")
    if a <= 0:
        return MAX_ATTAINMENT if t > 0 else _ONE
    if t <= 0:
        return _ZERO
    return min(t / a, MAX_ATTAINMENT)


def _band_progress(actual: Decimal, realistic: Decimal, stretch: Decimal) -> Decimal:
    """How far from realistic to stretch the actual is, 0..1 (works for both directions)."""
    span = stretch - realistic
    if span == 0:
        return _ONE
    return min(max((actual - realistic) / span, _ZERO), _ONE)


def points(
    *,
    weight: int,
    rule: str,
    direction: str,
    actual: Decimal | int | float | None,
    realistic: Decimal | int | float | None,
    stretch: Decimal | int | float | None = None,
    cap_percent: int = 120,
) -> Decimal:
    """Points earned by one metric. No actual or no target earns 0."""
    a, r = _dec(actual), _dec(realistic)
    s = _dec(stretch) if stretch is not None else r
    w = Decimal(weight)
    vs_realistic = attainment(a, r, direction)
    if vs_realistic is None or a is None or r is None or s is None:
        return _ZERO
    if rule == LINEAR:
        return w * min(vs_realistic, Decimal(cap_percent) / 100)
    if rule == THRESHOLD:
        return w if vs_realistic >= 1 else _ZERO
    if rule != BANDED:
        raise ValueError(f"unknown rule {rule!r}")
    if vs_realistic < BAND_FLOOR:
        return _ZERO
    if vs_realistic < 1:
        return w * BAND_AT_REALISTIC * (vs_realistic - BAND_FLOOR) / (_ONE - BAND_FLOOR)
    vs_stretch = attainment(a, s, direction)
    if vs_stretch is not None and vs_stretch >= 1:
        return w
    return w * (BAND_AT_REALISTIC + (_ONE - BAND_AT_REALISTIC) * _band_progress(a, r, s))


@dataclass(frozen=True)
class MetricRule:
    metric: str
    weight: int
    direction: str
    rule: str
    cap_percent: int = 120


@dataclass(frozen=True)
class Target:
    realistic: Decimal
    stretch: Decimal


@dataclass(frozen=True)
class ScoreLine:
    metric: str
    weight: int
    direction: str
    rule: str
    actual: Decimal | None
    realistic: Decimal | None
    stretch: Decimal | None
    attainment_realistic: Decimal | None
    attainment_stretch: Decimal | None
    points: Decimal


@dataclass(frozen=True)
class Score:
    lines: tuple[ScoreLine, ...]
    total: Decimal

    @property
    def has_targets(self) -> bool:
        return any(line.realistic is not None for line in self.lines)


def score(
    rules: Iterable[MetricRule],
    actuals: Mapping[str, Decimal | None],
    targets: Mapping[str, Target],
) -> Score:
    """The scorecard of one scope: a line per scheme metric and the total out of 100."""
    lines = []
    for rule in rules:
        actual = _dec(actuals.get(rule.metric))
        target = targets.get(rule.metric)
        realistic = target.realistic if target else None
        stretch = target.stretch if target else None
        lines.append(
            ScoreLine(
                metric=rule.metric,
                weight=rule.weight,
                direction=rule.direction,
                rule=rule.rule,
                actual=actual,
                realistic=realistic,
                stretch=stretch,
                attainment_realistic=attainment(actual, realistic, rule.direction),
                attainment_stretch=attainment(actual, stretch, rule.direction),
                points=points(
                    weight=rule.weight,
                    rule=rule.rule,
                    direction=rule.direction,
                    actual=actual,
                    realistic=realistic,
                    stretch=stretch,
                    cap_percent=rule.cap_percent,
                ),
            )
        )
    total = sum((line.points for line in lines), _ZERO)
    return Score(lines=tuple(lines), total=total)


# --- validation --------------------------------------------------------------------------------

# Codes for problems; the services translate them into messages.
WEIGHTS_NOT_100 = "weights_not_100"
DUPLICATE_METRIC = "duplicate_metric"
UNKNOWN_METRIC = "unknown_metric"
BAD_WEIGHT = "bad_weight"
BAD_DIRECTION = "bad_direction"
BAD_RULE = "bad_rule"
BAD_CAP = "bad_cap"
NO_METRICS = "no_metrics"


@dataclass(frozen=True)
class Problem:
    code: str
    metric: str = ""
    detail: str = ""


def validate_scheme(rules: Iterable[MetricRule], known_metrics: Iterable[str]) -> list[Problem]:
    """A scheme's metrics: each once, known, weights 0–100 summing to exactly 100 (a metric may
    weigh 0, as billed revenue does by default), a direction, a rule, a cap of at least 100 %."""
    rules = list(rules)
    known = set(known_metrics)
    problems: list[Problem] = []
    if not rules:
        return [Problem(NO_METRICS)]
    seen: set[str] = set()
    for rule in rules:
        if rule.metric not in known:
            problems.append(Problem(UNKNOWN_METRIC, rule.metric))
        elif rule.metric in seen:
            problems.append(Problem(DUPLICATE_METRIC, rule.metric))
        seen.add(rule.metric)
        if not isinstance(rule.weight, int) or not 0 <= rule.weight <= TOTAL_POINTS:
            problems.append(Problem(BAD_WEIGHT, rule.metric))
        if rule.direction not in DIRECTIONS:
            problems.append(Problem(BAD_DIRECTION, rule.metric))
        if rule.rule not in RULES:
            problems.append(Problem(BAD_RULE, rule.metric))
        if not isinstance(rule.cap_percent, int) or not 100 <= rule.cap_percent <= 1000:
            problems.append(Problem(BAD_CAP, rule.metric))
    total = sum(r.weight for r in rules if isinstance(r.weight, int))
    if total != TOTAL_POINTS:
        problems.append(Problem(WEIGHTS_NOT_100, detail=str(total)))
    return problems


STRETCH_SHORT = "stretch_short"
NEGATIVE_TARGET = "negative_target"
NOT_RISING = "not_rising"
Q4_NOT_YEAR = "q4_not_year"


@dataclass(frozen=True)
class TargetProblem:
    code: str
    quarter: str
    previous: str = ""


def validate_targets(
    metric: str, direction: str, targets: Mapping[str, Target]
) -> list[TargetProblem]:
    """One scope's targets for one metric, by quarter ("Q1"…"Q4", "Y"): never negative; stretch
    at least as ambitious as realistic; for accumulating metrics where higher is better the
    quarters are year to date, so Q1 ≤ Q2 ≤ Q3 ≤ Q4 = Y (both realistic and stretch). A rate's
    quarters each carry their own rate."""
    problems: list[TargetProblem] = []
    for quarter in (*QUARTERS, YEAR):
        t = targets.get(quarter)
        if t is None:
            continue
        if t.realistic < 0 or t.stretch < 0:
            problems.append(TargetProblem(NEGATIVE_TARGET, quarter))
            continue
        ambitious = t.stretch >= t.realistic if direction == HIGHER else t.stretch <= t.realistic
        if not ambitious:
            problems.append(TargetProblem(STRETCH_SHORT, quarter))
    if metric in CUMULATIVE_METRICS and direction == HIGHER:
        previous: tuple[str, Target] | None = None
        for quarter in QUARTERS:
            t = targets.get(quarter)
            if t is None:
                continue
            if previous is not None and (
                t.realistic < previous[1].realistic or t.stretch < previous[1].stretch
            ):
                problems.append(TargetProblem(NOT_RISING, quarter, previous[0]))
            previous = (quarter, t)
        q4, year = targets.get("Q4"), targets.get(YEAR)
        if q4 is not None and year is not None and (q4 != year):
            problems.append(TargetProblem(Q4_NOT_YEAR, "Q4"))
    return problems


# --- periods -----------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4]))?$")


@dataclass(frozen=True)
class ScorePeriod:
    """A scorecard's period: a quarter (Q1–Q4) or the whole year ("Y")."""

    year: int
    quarter: str  # "Q1".."Q4" or "Y"

    @property
    def code(self) -> str:
        return f"{self.year}" if self.quarter == YEAR else f"{self.year}{self.quarter}"

    @property
    def start(self) -> dt.date:
        if self.quarter == YEAR:
            return dt.date(self.year, 1, 1)
        return dt.date(self.year, 3 * (int(self.quarter[1]) - 1) + 1, 1)

    @property
    def end(self) -> dt.date:
        if self.quarter == YEAR:
            return dt.date(self.year, 12, 31)
        month = 3 * int(self.quarter[1])
        following = dt.date(self.year + (month == 12), month % 12 + 1, 1)
        return following - dt.timedelta(days=1)

    def snapshot_period(self, metric: str) -> str:
        """Which snapshot answers this period for this metric: year to date for accumulating
        metrics and for the whole year, quarter to date for rates in a quarter."""
        if self.quarter == YEAR or metric in CUMULATIVE_METRICS:
            return "year"
        return "quarter"


def parse_period(text: str) -> ScorePeriod | None:
    """ "2026Q3" → the third quarter, "2026" → the year; None when malformed."""
    match = _PERIOD.match(text.strip()) if text else None
    if not match:
        return None
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        return None
    return ScorePeriod(year, f"Q{match.group(2)}" if match.group(2) else YEAR)


def period_containing(day: dt.date) -> ScorePeriod:
    return ScorePeriod(day.year, f"Q{(day.month - 1) // 3 + 1}")


def month_ends(dates: Iterable[dt.date]) -> list[dt.date]:
    """The last of the given dates in each month, in order: a monthly trend's points."""
    last: dict[tuple[int, int], dt.date] = {}
    for day in dates:
        key = (day.year, day.month)
        if key not in last or day > last[key]:
            last[key] = day
    return [last[k] for k in sorted(last)]


def heat(total: Decimal | None) -> int:
    """A 0–10 heat step for colouring a total score out of 100 (None → -1: no score)."""
    if total is None:
        return -1
    return int(min(max(total, _ZERO), Decimal(TOTAL_POINTS)) // 10)

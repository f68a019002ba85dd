"""Pure KPI scoring rules: hand-computed tables, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from kpi import domain
from kpi.domain import MetricRule, Target

METRICS = [
    "churn_rate", "high_value_churn_rate", "it_penetration", "new_accounts", "accounts_in_growth",
    "retention_on_time", "complaint_sla", "key_person_coverage", "visits_per_am", "billed_revenue",
]  # fmt: skip


@pytest.mark.parametrize(
    ("actual", "target", "direction", "expected"),
    [
        (50, 100, "higher", D("0.5")),
        (120, 100, "higher", D("1.2")),
        (0, 100, "higher", D("0")),
        (5, 0, "higher", D("1")),
        (-5, 10, "higher", D("0")),
        (D("0.02"), D("0.04"), "lower", D("2")),  # half the churn of the target: 200 %
        (D("0.08"), D("0.04"), "lower", D("0.5")),
        (0, D("0.04"), "lower", D("10")),  # no churn at all: bounded at 1000 %
        (0, 0, "lower", D("1")),
        (D("0.01"), 0, "lower", D("0")),
        (None, 10, "higher", None),
        (10, None, "lower", None),
    ],
)
def test_attainment(actual, target, direction, expected):
    assert domain.attainment(actual, target, direction) == expected


def test_attainment_refuses_unknown_direction():
    with pytest.raises(ValueError):
        domain.attainment(1, 1, "sideways")


@pytest.mark.parametrize(
    ("rule", "direction", "actual", "realistic", "stretch", "cap", "expected"),
    [
        # linear: weight × min(attainment, cap)
        ("linear", "higher", 50, 100, 120, 120, D("12.5")),
        ("linear", "higher", 100, 100, 120, 120, D("25")),
        ("linear", "higher", 200, 100, 120, 120, D("30")),  # capped at 120 %
        ("linear", "higher", 200, 100, 120, 150, D("37.5")),
        ("linear", "lower", D("0.05"), D("0.04"), D("0.03"), 120, D("20")),
        ("linear", "higher", None, 100, 120, 120, D("0")),
        ("linear", "higher", 50, None, None, 120, D("0")),
        # threshold: all or nothing at the realistic target
        ("threshold", "higher", 99, 100, 120, 120, D("0")),
        ("threshold", "higher", 100, 100, 120, 120, D("25")),
        ("threshold", "lower", D("0.04"), D("0.04"), D("0.03"), 120, D("25")),
        ("threshold", "lower", D("0.041"), D("0.04"), D("0.03"), 120, D("0")),
        # banded: 0 below 80 % of realistic, 0→60 % up to realistic, 60 %→100 % up to stretch
        ("banded", "higher", 79, 100, 120, 120, D("0")),
        ("banded", "higher", 80, 100, 120, 120, D("0")),
        ("banded", "higher", 90, 100, 120, 120, D("7.5")),
        ("banded", "higher", 100, 100, 120, 120, D("15")),
        ("banded", "higher", 110, 100, 120, 120, D("20")),
        ("banded", "higher", 120, 100, 120, 120, D("25")),
        ("banded", "higher", 500, 100, 120, 120, D("25")),
        ("banded", "higher", 100, 100, 100, 120, D("25")),
        ("banded", "lower", D("0.04"), D("0.04"), D("0.02"), 120, D("15")),
        ("banded", "lower", D("0.03"), D("0.04"), D("0.02"), 120, D("20")),
        ("banded", "lower", D("0.02"), D("0.04"), D("0.02"), 120, D("25")),
        ("banded", "lower", D("0.06"), D("0.04"), D("0.02"), 120, D("0")),
    ],
)
def test_points(rule, direction, actual, realistic, stretch, cap, expected):
    got = domain.points(
        weight=25,
        rule=rule,
        direction=direction,
        actual=actual,
        realistic=realistic,
        stretch=stretch,
        cap_percent=cap,
    )
    assert got == expected


def test_points_refuse_unknown_rule():
    with pytest.raises(ValueError):
        domain.points(weight=1, rule="magic", direction="higher", actual=1, realistic=1)


def test_score_totals_out_of_100_with_attainment_against_both_targets():
    rules = [
        MetricRule("churn_rate", 60, "lower", "linear"),
        MetricRule("it_penetration", 40, "higher", "threshold"),
        MetricRule("billed_revenue", 0, "higher", "linear"),
    ]
    result = domain.score(
        rules,
        {"churn_rate": D("0.04"), "it_penetration": D("0.5"), "billed_revenue": D("1000")},
        {
            "churn_rate": Target(D("0.04"), D("0.02")),
            "it_penetration": Target(D("0.6"), D("0.7")),
        },
    )
    assert result.total == D("60")
    churn, penetration, revenue = result.lines
    assert churn.attainment_realistic == D("1") and churn.attainment_stretch == D("0.5")
    assert penetration.points == 0 and penetration.attainment_realistic == D("0.5") / D("0.6")
    assert revenue.realistic is None and revenue.points == 0
    assert result.has_targets


def _rules(weights: dict[str, int]) -> list[MetricRule]:
    return [MetricRule(m, w, "higher", "linear") for m, w in weights.items()]


@pytest.mark.parametrize(
    ("rules", "codes"),
    [
        (_rules({"churn_rate": 60, "it_penetration": 40}), []),
        (_rules({"churn_rate": 60, "it_penetration": 40, "billed_revenue": 0}), []),
        (_rules({"churn_rate": 60, "it_penetration": 39}), ["weights_not_100"]),
        (_rules({"churn_rate": 60, "it_penetration": 41}), ["weights_not_100"]),
        ([], ["no_metrics"]),
        (
            [MetricRule("churn_rate", 50, "lower", "linear")] * 2,
            ["duplicate_metric"],
        ),
        (
            [MetricRule("happiness", 100, "higher", "linear")],
            ["unknown_metric"],
        ),
        (
            [MetricRule("churn_rate", 100, "up", "linear")],
            ["bad_direction"],
        ),
        (
            [MetricRule("churn_rate", 100, "lower", "magic")],
            ["bad_rule"],
        ),
        (
            [MetricRule("churn_rate", 100, "lower", "linear", cap_percent=90)],
            ["bad_cap"],
        ),
        (
            [MetricRule("churn_rate", 101, "lower", "linear")],
            ["bad_weight", "weights_not_100"],
        ),
    ],
)
def test_validate_scheme(rules, codes):
    assert [p.code for p in domain.validate_scheme(rules, METRICS)] == codes


def _t(pairs: dict[str, tuple[int, int]]) -> dict[str, Target]:
    return {q: Target(D(r), D(s)) for q, (r, s) in pairs.items()}


@pytest.mark.parametrize(
    ("metric", "direction", "targets", "codes"),
    [
        # accumulating metric: year to date, rising to the annual target
        (
            "new_accounts",
            "higher",
            _t({"Q1": (5, 6), "Q2": (10, 12), "Q3": (15, 18), "Q4": (20, 24), "Y": (20, 24)}),
            [],
        ),
        ("new_accounts", "higher", _t({"Q1": (5, 6), "Q2": (4, 12)}), ["not_rising"]),
        ("new_accounts", "higher", _t({"Q1": (5, 9), "Q2": (6, 8)}), ["not_rising"]),
        ("new_accounts", "higher", _t({"Q4": (20, 24), "Y": (21, 24)}), ["q4_not_year"]),
        ("new_accounts", "higher", _t({"Q1": (5, 6), "Q3": (15, 18)}), []),
        ("new_accounts", "higher", _t({"Q1": (5, 4)}), ["stretch_short"]),
        ("billed_revenue", "higher", _t({"Q1": (-1, 4)}), ["negative_target"]),
        # rates: each quarter its own rate
        ("it_penetration", "higher", _t({"Q1": (50, 60), "Q2": (40, 45)}), []),
        ("churn_rate", "lower", _t({"Q1": (4, 3), "Q2": (5, 4), "Y": (4, 3)}), []),
        ("churn_rate", "lower", _t({"Q1": (4, 5)}), ["stretch_short"]),
    ],
)  # fmt: skip
def test_validate_targets(metric, direction, targets, codes):
    assert [p.code for p in domain.validate_targets(metric, direction, targets)] == codes


@pytest.mark.parametrize(
    ("text", "code", "start", "end"),
    [
        ("2026Q3", "2026Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("2026Q4", "2026Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ("2026Q1", "2026Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        ("2026", "2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ],
)
def test_parse_period(text, code, start, end):
    period = domain.parse_period(text)
    assert period is not None
    assert (period.code, period.start, period.end) == (code, start, end)


@pytest.mark.parametrize("text", ["", "2026Q5", "26Q1", "2026-Q1", "1999", "2026Q", "x"])
def test_parse_period_refuses_malformed(text):
    assert domain.parse_period(text) is None


def test_snapshot_period_per_metric_kind():
    quarter, year = domain.ScorePeriod(2026, "Q2"), domain.ScorePeriod(2026, "Y")
    assert quarter.snapshot_period("new_accounts") == "year"
    assert quarter.snapshot_period("churn_rate") == "quarter"
    assert year.snapshot_period("churn_rate") == "year"


def test_month_ends_and_heat():
    days = [dt.date(2026, 1, 3), dt.date(2026, 1, 31), dt.date(2026, 2, 2), dt.date(2026, 1, 10)]
    assert domain.month_ends(days) == [dt.date(2026, 1, 31), dt.date(2026, 2, 2)]
    assert domain.period_containing(dt.date(2026, 8, 1)).code == "2026Q3"
    assert [domain.heat(v) for v in (None, D(0), D("59.9"), D(100), D(130))] == [-1, 0, 5, 10, 10]

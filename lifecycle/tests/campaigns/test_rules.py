"""The pure target rule and list arithmetic: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lifecycle.campaigns import rules

AS_OF = dt.date(2026, 11, 15)
M = rules.closed_months(AS_OF, 12)  # M[0] = 2026-10-01 (m1) … M[11] = 2025-11-01 (m12)


def facts(**kw):  # type: ignore[no-untyped-def]
    base = {"status": "active", "in_region": True}
    base.update(kw)
    return rules.AccountFacts(**base)


def test_closed_months_and_window():
    assert M[0] == dt.date(2026, 10, 1)
    assert M[11] == dt.date(2025, 11, 1)
    assert rules.window_bounds(AS_OF, 12) == (dt.date(2025, 11, 1), dt.date(2026, 11, 1))
    assert rules.window_bounds(dt.date(2026, 1, 1), 1) == (
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
    )
    assert rules.add_months(dt.date(2026, 1, 1), -13) == dt.date(2024, 12, 1)


RULE_120x3 = rules.TargetRule(min_monthly_amount=Decimal("120"), min_months=3, window_months=12)


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        ({M[0]: "120", M[1]: "120", M[2]: "120"}, True),  # exactly the threshold, 3 months
        ({M[0]: "120", M[1]: "120", M[2]: "119.99"}, False),  # a cent short
        ({M[0]: "500", M[5]: "130", M[11]: "121"}, True),  # any 3 months, not consecutive
        ({M[0]: "500", M[5]: "130"}, False),  # only two months
        ({M[0]: "500", M[1]: "500", dt.date(2025, 10, 1): "500"}, False),  # m13 is outside
        ({M[0]: "500", M[1]: "500", dt.date(2026, 11, 1): "500"}, False),  # as_of's month is open
        ({M[0]: "-5", M[1]: "500", M[2]: "500"}, False),  # a refund month
        ({}, False),
    ],
)
def test_billing_part(amounts, expected):
    monthly = {k: Decimal(v) for k, v in amounts.items()}
    assert rules.matches(RULE_120x3, facts(monthly_amounts=monthly), as_of=AS_OF) is expected


def test_min_months_defaults_to_one():
    rule = rules.TargetRule(min_monthly_amount=Decimal("1000"))
    assert rules.matches(rule, facts(monthly_amounts={M[3]: Decimal("1000.00")}), as_of=AS_OF)
    assert not rules.matches(rule, facts(monthly_amounts={M[3]: Decimal("999.99")}), as_of=AS_OF)


@pytest.mark.parametrize(
    ("rule", "account", "expected"),
    [
        (rules.TargetRule(), facts(), True),  # no rule part: every active account in the region
        (rules.TargetRule(), facts(status="churned"), False),
        (rules.TargetRule(), facts(status="prospect"), False),
        (rules.TargetRule(), facts(in_region=False), False),
        (rules.TargetRule(churn_risks=frozenset({"high"})), facts(churn_risk="high"), True),
        (rules.TargetRule(churn_risks=frozenset({"high"})), facts(churn_risk="medium"), False),
        (rules.TargetRule(churn_risks=frozenset({"high"})), facts(churn_risk=None), False),
        (rules.TargetRule(stages=frozenset({"D", "E"})), facts(stage="D"), True),
        (rules.TargetRule(stages=frozenset({"D"})), facts(stage=None), False),
        (
            rules.TargetRule(value_classes=frozenset({"economic"})),
            facts(value_class="economic"),
            True,
        ),
        (
            rules.TargetRule(value_classes=frozenset({"economic"})),
            facts(value_class="social"),
            False,
        ),
        (
            rules.TargetRule(churn_risks=frozenset({"high"}), stages=frozenset({"D"})),
            facts(churn_risk="high", stage="C"),
            False,  # every part must hold
        ),
    ],
)
def test_rule_parts(rule, account, expected):
    assert rules.matches(rule, account, as_of=AS_OF) is expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"window_months": 0},
        {"window_months": 25},
        {"min_monthly_amount": Decimal("0")},
        {"min_monthly_amount": Decimal("-1")},
        {"min_monthly_amount": Decimal("10"), "min_months": 13, "window_months": 12},
        {"min_months": 2},  # months without an amount
    ],
)
def test_invalid_rules(kwargs):
    with pytest.raises(ValueError):
        rules.TargetRule(**kwargs)


def test_round_robin_and_split_sizes():
    callers = [7, 8, 9]
    assert [rules.caller_for(p, callers) for p in range(1, 8)] == [7, 8, 9, 7, 8, 9, 7]
    assert [rules.caller_for(p, callers, offset=2) for p in (1, 2)] == [9, 7]
    assert rules.split_sizes(412, 3) == [138, 137, 137]
    assert sum(rules.split_sizes(10, 4)) == 10
    assert rules.per_caller_estimate(412, 3) == 137
    assert rules.per_caller_estimate(5, 0) == 0


def test_parse_and_format_questions():
    text = "满意吗？ | 非常满意 / 满意 / 不满意\n\n还需要什么服务？\n"
    questions = rules.parse_questions(text)
    assert questions == [
        rules.Question("满意吗？", ("非常满意", "满意", "不满意")),
        rules.Question("还需要什么服务？"),
    ]
    again = rules.parse_questions(rules.format_questions([q.as_json() for q in questions]))
    assert again == questions
    with pytest.raises(ValueError) as exc:
        rules.parse_questions("ok?\n| a / b")
    assert exc.value.args[0] == 2
    with pytest.raises(ValueError):
        rules.parse_questions("one option? | yes")


def test_clean_answers():
    questions = [rules.Question("q1", ("yes", "no")), rules.Question("q2")]
    assert rules.clean_answers(questions, {"0": "yes", "1": "  more 5G  "}) == {
        "0": "yes",
        "1": "more 5G",
    }
    assert rules.clean_answers(questions, {"0": "", "1": None}) == {}
    for bad in ({"0": "maybe"}, {"2": "x"}, {"x": "yes"}):
        with pytest.raises(ValueError):
            rules.clean_answers(questions, bad)


def test_answer_distribution_and_rates():
    questions = [rules.Question("q1", ("yes", "no")), rules.Question("q2")]
    rows = [{"0": "yes", "1": "5G"}, {"0": "yes"}, {"0": "no", "1": "5G"}, {"1": "cloud"}, {}]
    q1, q2 = rules.answer_distribution(questions, rows)
    assert q1.answered == 3 and [(a.answer, a.count) for a in q1.counts] == [("yes", 2), ("no", 1)]
    assert q2.answered == 3 and [(a.answer, a.count) for a in q2.counts] == [
        ("5G", 2),
        ("cloud", 1),
    ]
    assert rules.rate(1, 3) == Decimal("33.3")
    assert rules.rate(0, 0) is None

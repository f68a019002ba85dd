"""The pure lifecycle rules (DOMAIN.md §5.1 stage, §5.2 flags, risk), table-driven, no database."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from lifecycle import domain
from lifecycle.domain import Line, Thresholds

AS_OF = dt.date(2026, 7, 15)
M = {k: domain.add_months(dt.date(2026, 7, 1), -k) for k in range(0, 14)}  # M[1] = m1 …
DAY_END = dt.datetime(2026, 7, 16, tzinfo=dt.UTC)


def lines(revenue: dict[int, int], product: str = "P1", members: int | None = None) -> list[Line]:
    return [Line(M[k], product, cents, members) for k, cents in revenue.items()]


def flat(cents: int, months: range = range(1, 13)) -> dict[int, int]:
    return dict.fromkeys(months, cents)


DEFAULT = Thresholds()
NO_CONTEXT = domain.Context()


def stage_of(ls: list[Line], status: str = "active", thresholds: Thresholds = DEFAULT):
    series = domain.series_from_lines(ls, as_of=AS_OF)
    return domain.stage(status=status, series=series, as_of=AS_OF, thresholds=thresholds)


def with_r3_p3(r3_month: int, p3_month: int) -> list[Line]:
    """12 months of history, m1–m3 at r3_month each and m4–m6 at p3_month each."""
    rev = flat(p3_month)
    rev.update({1: r3_month, 2: r3_month, 3: r3_month})
    return lines(rev)


@pytest.mark.parametrize(
    ("case", "ls", "status", "want"),
    [
        ("churned status wins over everything", lines(flat(1000)), "churned", "E"),
        ("churned status without any bill", [], "churned", "E"),
        ("nothing in m1–m3 after revenue earlier", lines(flat(1000, range(4, 13))), "active", "E"),
        ("old revenue only (m12)", lines({12: 500}), "active", "E"),
        ("zero-sum months m1–m3 count as none", lines({**flat(1000, range(4, 13)), 1: 0}),
         "active", "E"),
        ("a credit (negative) month is no revenue", lines({**flat(1000, range(4, 13)), 2: -300}),
         "active", "E"),
        ("prospect: never any revenue", [], "prospect", None),
        ("never positive: only credits", lines({3: -100, 8: -5}), "active", None),
        ("first revenue in m6 is new", lines(flat(1000, range(1, 7))), "active", "A"),
        ("first revenue in m1 is new", lines({1: 10}), "active", "A"),
        ("first revenue in m7 is not new", lines(flat(1000, range(1, 8))), "active", "C"),
        ("a credit before m6 does not make it older", lines({**flat(1000, range(1, 7)), 9: -50}),
         "active", "A"),
        ("exactly 110 % is growth", with_r3_p3(1100, 1000), "active", "B"),
        ("just under 110 % is mature", with_r3_p3(1099, 1000), "active", "C"),
        ("exactly 90 % is decline", with_r3_p3(900, 1000), "active", "D"),
        ("just over 90 % is mature", with_r3_p3(901, 1000), "active", "C"),
        ("current month's lines are not closed", lines({**flat(1000), 0: 99999}), "active", "C"),
        ("prospect status with revenue gets a stage", with_r3_p3(1200, 1000), "prospect", "B"),
    ],
)  # fmt: skip
def test_stage_rules(case, ls, status, want):
    assert stage_of(ls, status) == want, case


def test_p3_zero_r3_positive_is_not_growth_by_revenue_but_by_products():
    # Revenue returned in m1–m3 after a gap in m4–m6 (first revenue long ago): P3 = 0, so rule 4's
    # B needs P3 > 0; R3 ≤ 0.9 × 0 is false; rule 5: products m1 (1) > m4 (0) → B.
    ls = lines({12: 100, 11: 100, 1: 100, 2: 100, 3: 100})
    assert stage_of(ls) == "B"


def test_decline_needs_no_positive_p3():
    # P3 = 0 and R3 = 0 (a credit cancels m2's revenue): R3 ≤ 0.9 × P3 holds → D, before rule 5.
    ls = lines({12: 100, 1: 100, 2: -100}) + lines({1: 5}, "P2") + lines({1: -5}, "P3")
    series = domain.series_from_lines(ls, as_of=AS_OF)
    assert (series.r3, series.p3) == (0, 0)
    assert stage_of(ls) == "D"


@pytest.mark.parametrize(
    ("m1_products", "m4_products", "want"),
    [(("P1", "P2"), ("P1",), "B"), (("P1",), ("P1", "P2"), "D"), (("P1",), ("P2",), "C")],
)
def test_product_count_rule(m1_products, m4_products, want):
    # Revenue flat at 1000 a month overall, so rule 4 does not decide.
    ls = lines(flat(1000, range(2, 13)), "P1")
    ls = [x for x in ls if x.period_on != M[4]]
    ls += [Line(M[1], p, 1000 // len(m1_products)) for p in m1_products]
    ls += [Line(M[4], p, 1000 // len(m4_products)) for p in m4_products]
    assert stage_of(ls) == want


def test_non_positive_lines_are_not_products():
    ls = [*lines(flat(1000)), Line(M[1], "P2", 0), Line(M[1], "P3", -20), Line(M[4], "P4", 20)]
    series = domain.series_from_lines(ls, as_of=AS_OF)
    assert series.months[0].products == frozenset({"P1"})
    assert series.months[3].products == frozenset({"P1", "P4"})


def test_thresholds_are_parameters():
    ls = with_r3_p3(1050, 1000)
    assert stage_of(ls) == "C"
    assert stage_of(ls, thresholds=Thresholds(growth_ratio=Fraction(105, 100))) == "B"
    custom = Thresholds.from_mapping(
        {
            "GROWTH_RATIO": "1.05",
            "DECLINE_RATIO": "0.9",
            "REVENUE_DROP_RATIO": "0.7",
            "MEMBER_DROP_RATIO": "0.9",
            "NEW_ACCOUNT_MONTHS": 3,
            "CONTRACT_WINDOW_DAYS": 30,
            "KEY_PERSON_WINDOW_DAYS": 30,
            "NO_CONTACT_DAYS": 30,
            "OPEN_COMPLAINTS": 3,
            "COMPLAINTS_PAST_SLA": 1,
            "HIGH_RISK_FLAG_COUNT": 2,
            "CONTACT_VALUE_CLASSES": ["economic"],
        }
    )
    assert custom.growth_ratio == Fraction(21, 20)
    assert stage_of(ls, thresholds=custom) == "B"
    first_in_m4 = lines(flat(1000, range(1, 5)))
    assert stage_of(first_in_m4) == "A"
    assert stage_of(first_in_m4, thresholds=custom) == "B"  # new only within 3 months


def test_to_cents_rounds_half_away_from_zero():
    assert [domain.to_cents(x) for x in ("1.005", "-1.005", "2", "0.004")] == [101, -101, 200, 0]


# --- flags -------------------------------------------------------------------------------------


def flags_of(ls, context=NO_CONTEXT, thresholds=DEFAULT):
    series = domain.series_from_lines(ls, as_of=AS_OF)
    return domain.flags(
        series=series, context=context, as_of=AS_OF, day_end=DAY_END, thresholds=thresholds
    )


@pytest.mark.parametrize(
    ("r3_month", "p3_month", "raised"),
    [(700, 1000, False), (699, 1000, True), (0, 1000, True), (100, 0, False)],
)
def test_revenue_drop_boundary(r3_month, p3_month, raised):
    got = flags_of(with_r3_p3(r3_month, p3_month))
    assert (domain.REVENUE_DROP in got) is raised
    if raised:
        assert got[domain.REVENUE_DROP] == {"r3": 3 * r3_month / 100, "p3": 3 * p3_month / 100}


def test_zero_revenue():
    got = flags_of(lines({**flat(1000, range(2, 13)), 1: 0}))
    assert got[domain.ZERO_REVENUE] == {"m1": 0.0, "first_revenue_on": M[12].isoformat()}
    assert domain.ZERO_REVENUE not in flags_of(lines({1: 5}))
    assert flags_of([]) == {}  # a prospect without lines: nothing to lose


@pytest.mark.parametrize(
    ("m1", "m4", "raised"), [(90, 100, True), (91, 100, False), (0, 100, True), (5, 0, False)]
)
def test_member_drop_boundary(m1, m4, raised):
    ls = [x for x in lines(flat(1000)) if x.period_on not in (M[1], M[4])]
    ls += [Line(M[1], "P1", 1000, m1), Line(M[4], "P1", 1000, m4)]
    got = flags_of(ls)
    assert (domain.MEMBER_DROP in got) is raised
    if raised:
        assert got[domain.MEMBER_DROP] == {"m1": m1, "m4": m4}


def test_member_lines_sum_over_lines_and_missing_counts_are_zero():
    ls = [*lines(flat(1000)), Line(M[4], "P2", 10, 30), Line(M[4], "P3", 10, None)]
    series = domain.series_from_lines(ls, as_of=AS_OF)
    assert series.months[3].members == 30


def test_product_cancelled_lists_the_products():
    ls = [*lines(flat(1000)), Line(M[4], "P9", 50), Line(M[4], "P8", 50), Line(M[1], "P8", -5)]
    assert flags_of(ls)[domain.PRODUCT_CANCELLED] == {"products": ["P8", "P9"]}


@pytest.mark.parametrize(
    ("days", "raised"), [(-1, False), (0, True), (90, True), (91, False), (None, False)]
)
def test_contract_expiring_window(days, raised):
    end = None if days is None else AS_OF + dt.timedelta(days=days)
    got = flags_of(lines(flat(1000)), domain.Context(contract_end=end))
    assert (domain.CONTRACT_EXPIRING in got) is raised
    if raised:
        assert got[domain.CONTRACT_EXPIRING] == {"contract_end": end.isoformat(), "days": days}


def _complaint(opened_h: int, sla_h: int, resolved_h: int | None = None) -> domain.Complaint:
    def at(h: int) -> dt.datetime:
        return DAY_END + dt.timedelta(hours=h)

    return domain.Complaint(at(opened_h), at(sla_h), None if resolved_h is None else at(resolved_h))


@pytest.mark.parametrize(
    ("complaints", "evidence"),
    [
        ([_complaint(-10, 5)], None),  # one open within SLA
        ([_complaint(-10, 5), _complaint(-20, 50)], {"open": 2, "past_sla": 0}),
        ([_complaint(-10, -1)], {"open": 1, "past_sla": 1}),  # past its SLA
        ([_complaint(-10, 0)], None),  # SLA exactly at the end of as_of: not yet past
        ([_complaint(-10, -1, -2)], None),  # resolved before the end of as_of
        ([_complaint(-10, -1, 3)], {"open": 1, "past_sla": 1}),  # resolved after as_of
        ([_complaint(1, 2), _complaint(2, 3)], None),  # opened after as_of
    ],
)
def test_complaints(complaints, evidence):
    got = flags_of(lines(flat(1000)), domain.Context(complaints=complaints))
    assert got.get(domain.COMPLAINTS) == evidence


@pytest.mark.parametrize(
    ("role", "days_ago", "raised"),
    [
        ("decision_maker", 0, True),
        ("champion", 90, True),
        ("champion", 91, False),
        ("decision_maker", -1, False),  # leaves in the future
        ("influencer", 5, False),
    ],
)
def test_key_person_left(role, days_ago, raised):
    left = AS_OF - dt.timedelta(days=days_ago)
    context = domain.Context(key_persons=[domain.KeyPersonLeft(role, left)])
    got = flags_of(lines(flat(1000)), context)
    assert (domain.KEY_PERSON_LEFT in got) is raised
    if raised:
        assert got[domain.KEY_PERSON_LEFT] == {"left": 1, "last_left_on": left.isoformat()}


@pytest.mark.parametrize(
    ("value_class", "dates", "evidence"),
    [
        ("economic", [], {"last_contact_on": None}),
        ("social", [AS_OF - dt.timedelta(days=61)], {"last_contact_on": "2026-05-15"}),
        ("economic", [AS_OF - dt.timedelta(days=60)], None),
        ("economic", [AS_OF + dt.timedelta(days=1)], {"last_contact_on": None}),  # future
        ("clustered_sme", [], None),
    ],
)
def test_no_contact(value_class, dates, evidence):
    context = domain.Context(value_class=value_class, activity_dates=dates)
    assert flags_of(lines(flat(1000)), context).get(domain.NO_CONTACT) == evidence


# --- risk and assessment -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "risk"),
    [
        ((), "low"),
        (("no_contact",), "medium"),
        (("no_contact", "complaints"), "medium"),
        (("no_contact", "complaints", "member_drop"), "high"),
        (("revenue_drop",), "high"),
        (("zero_revenue",), "high"),
    ],
)
def test_churn_risk(codes, risk):
    assert domain.churn_risk(codes) == risk


def test_stage_e_has_no_flags_and_low_risk():
    context = domain.Context(contract_end=AS_OF, value_class="economic")
    got = domain.assess(
        status="churned",
        series=domain.series_from_lines(lines(flat(1000)), as_of=AS_OF),
        context=context,
        as_of=AS_OF,
        day_end=DAY_END,
    )
    assert (got.stage, got.flags, got.churn_risk) == ("E", {}, "low")


def test_a_prospect_without_stage_still_gets_flags():
    got = domain.assess(
        status="prospect",
        series=domain.series_from_lines([], as_of=AS_OF),
        context=domain.Context(contract_end=AS_OF),
        as_of=AS_OF,
        day_end=DAY_END,
    )
    assert (got.stage, set(got.flags), got.churn_risk) == (None, {"contract_expiring"}, "medium")


def test_stage_since_and_high_risk_episode():
    prev = domain.Previous(stage="C", stage_since=dt.date(2026, 1, 1), high_risk_since=None)
    assert domain.stage_since(prev, "C", AS_OF) == dt.date(2026, 1, 1)
    assert domain.stage_since(prev, "D", AS_OF) == AS_OF
    assert domain.stage_since(None, "D", AS_OF) == AS_OF
    assert domain.stage_since(prev, None, AS_OF) is None
    assert domain.high_risk_since(prev, "high", AS_OF) == AS_OF
    ongoing = domain.Previous(stage="D", high_risk_since=dt.date(2026, 7, 1))
    assert domain.high_risk_since(ongoing, "high", AS_OF) == dt.date(2026, 7, 1)
    assert domain.high_risk_since(ongoing, "medium", AS_OF) is None

"""Lifecycle stages A–E and churn flags (DOMAIN.md §5), as pure rules.

No Django, no clock: the run's `as_of` and every threshold are passed in (`Thresholds`, whose
values the caller reads from settings.LIFECYCLE via `Thresholds.from_mapping`). The nightly job
(lifecycle/nightly.py) applies exactly these rules in SQL; a property test proves they agree.

Money is in integer cents (an amount's cents are rounded half away from zero), so the ratio tests
are exact: `R3 ≥ 1.10 × P3` is `100·R3 ≥ 110·P3` in integers, on every database.

Months: for a run at `as_of`, the months before as_of's own month are closed; m1 is the month
before, m2 the one before that, … m6. A month "has revenue" when the sum of its lines is positive;
its products are the distinct products with a positive amount; its member lines are the sum of
the lines' `member_count` (a missing count is 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

STAGE_NEW = "A"
STAGE_GROWTH = "B"
STAGE_MATURE = "C"
STAGE_DECLINE = "D"
STAGE_CHURNED = "E"
STAGES = (STAGE_NEW, STAGE_GROWTH, STAGE_MATURE, STAGE_DECLINE, STAGE_CHURNED)

REVENUE_DROP = "revenue_drop"
ZERO_REVENUE = "zero_revenue"
MEMBER_DROP = "member_drop"
PRODUCT_CANCELLED = "product_cancelled"
CONTRACT_EXPIRING = "contract_expiring"
COMPLAINTS = "complaints"
KEY_PERSON_LEFT = "key_person_left"
NO_CONTACT = "no_contact"
# The order flags are evaluated and listed in (DOMAIN.md §5.2's table).
FLAG_CODES = (
    REVENUE_DROP,
    ZERO_REVENUE,
    MEMBER_DROP,
    PRODUCT_CANCELLED,
    CONTRACT_EXPIRING,
    COMPLAINTS,
    KEY_PERSON_LEFT,
    NO_CONTACT,
)
# Each flag's bit in AccountLifecycle.open_flags (the order above; never renumber).
FLAG_BITS = {code: 1 << i for i, code in enumerate(FLAG_CODES)}


def flag_mask(codes: Iterable[str]) -> int:
    """The open_flags value of a set of open flag codes."""
    return sum(FLAG_BITS[code] for code in set(codes))


# Either of these alone makes the risk high.
HIGH_RISK_CODES = (REVENUE_DROP, ZERO_REVENUE)

RISK_LOW = "low"
RISK_MEDIUM = "medium"
RISK_HIGH = "high"

CHURNED_STATUS = "churned"
KEY_PERSON_ROLES = ("decision_maker", "champion")


def ratio(value: Any) -> Fraction:
    """A threshold ratio as an exact fraction ("1.10" → 11/10; never through a float)."""
    return Fraction(Decimal(str(value)))


@dataclass(frozen=True)
class Thresholds:
    """Every threshold of §5 (the defaults are those of settings.LIFECYCLE)."""

    growth_ratio: Fraction = Fraction(11, 10)
    decline_ratio: Fraction = Fraction(9, 10)
    revenue_drop_ratio: Fraction = Fraction(7, 10)
    member_drop_ratio: Fraction = Fraction(9, 10)
    new_account_months: int = 6
    contract_window_days: int = 90
    key_person_window_days: int = 90
    no_contact_days: int = 60
    open_complaints: int = 2
    complaints_past_sla: int = 1
    high_risk_flag_count: int = 3
    contact_value_classes: frozenset[str] = frozenset({"economic", "social"})

    @classmethod
    def from_mapping(cls, conf: Mapping[str, Any]) -> Thresholds:
        """From settings.LIFECYCLE (passed in: this module reads no settings)."""
        return cls(
            growth_ratio=ratio(conf["GROWTH_RATIO"]),
            decline_ratio=ratio(conf["DECLINE_RATIO"]),
            revenue_drop_ratio=ratio(conf["REVENUE_DROP_RATIO"]),
            member_drop_ratio=ratio(conf["MEMBER_DROP_RATIO"]),
            new_account_months=int(conf["NEW_ACCOUNT_MONTHS"]),
            contract_window_days=int(conf["CONTRACT_WINDOW_DAYS"]),
            key_person_window_days=int(conf["KEY_PERSON_WINDOW_DAYS"]),
            no_contact_days=int(conf["NO_CONTACT_DAYS"]),
            open_complaints=int(conf["OPEN_COMPLAINTS"]),
            complaints_past_sla=int(conf["COMPLAINTS_PAST_SLA"]),
            high_risk_flag_count=int(conf["HIGH_RISK_FLAG_COUNT"]),
            contact_value_classes=frozenset(conf["CONTACT_VALUE_CLASSES"]),
        )


# --- months and money --------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def closed_months(as_of: dt.date, count: int = 6) -> tuple[dt.date, ...]:
    """(m1, m2, … m<count>): the first days of the closed months before as_of's month."""
    current = month_start(as_of)
    return tuple(add_months(current, -k) for k in range(1, count + 1))


def to_cents(amount: Decimal | int | str) -> int:
    """CNY to integer cents, half away from zero (as SQL's ROUND(amount * 100))."""
    value = Decimal(str(amount)) * 100
    sign = -1 if value < 0 else 1
    return sign * int(abs(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cents_to_float(cents: int) -> float:
    """How evidence stores money: CNY as a JSON number."""
    return cents / 100


@dataclass(frozen=True)
class Line:
    """One bill line: (month's first day, product, amount in cents, member lines or None)."""

    period_on: dt.date
    product: str
    cents: int
    member_count: int | None = None


@dataclass(frozen=True)
class Month:
    revenue: int = 0  # cents
    products: frozenset[str] = frozenset()  # with a positive amount
    members: int = 0

    @property
    def has_revenue(self) -> bool:
        return self.revenue > 0


@dataclass(frozen=True)
class Series:
    """What the rules need from an account's bill lines: m1..m6 and its first month with revenue
    (over all its closed history)."""

    months: tuple[Month, ...]  # (m1, … m6)
    first_revenue_on: dt.date | None

    @property
    def r3(self) -> int:
        return sum(m.revenue for m in self.months[0:3])

    @property
    def p3(self) -> int:
        return sum(m.revenue for m in self.months[3:6])


def series_from_lines(lines: Iterable[Line], *, as_of: dt.date) -> Series:
    """Aggregate bill lines (any months; those of as_of's month or later are not closed and are
    ignored) into the series of `as_of`."""
    current = month_start(as_of)
    revenue: dict[dt.date, int] = {}
    products: dict[dt.date, set[str]] = {}
    members: dict[dt.date, int] = {}
    for line in lines:
        if line.period_on >= current:
            continue
        revenue[line.period_on] = revenue.get(line.period_on, 0) + line.cents
        if line.cents > 0:
            products.setdefault(line.period_on, set()).add(line.product)
        members[line.period_on] = members.get(line.period_on, 0) + (line.member_count or 0)
    months = tuple(
        Month(
            revenue=revenue.get(m, 0),
            products=frozenset(products.get(m, ())),
            members=members.get(m, 0),
        )
        for m in closed_months(as_of)
    )
    with_revenue = sorted(m for m, cents in revenue.items() if cents > 0)
    return Series(months=months, first_revenue_on=with_revenue[0] if with_revenue else None)


# --- §5.1 the stage ----------------------------------------------------------------------------


def at_least(value: int, share: Fraction, base: int) -> bool:
    """value ≥ share × base, exactly."""
    return value * share.denominator >= share.numerator * base


def at_most(value: int, share: Fraction, base: int) -> bool:
    return value * share.denominator <= share.numerator * base


def below(value: int, share: Fraction, base: int) -> bool:
    return value * share.denominator < share.numerator * base


def stage(
    *, status: str, series: Series, as_of: dt.date, thresholds: Thresholds = Thresholds()
) -> str | None:
    """The stage for the run of `as_of`: the first of §5.1's rules that holds (None: a prospect
    that has never had revenue)."""
    m = series.months
    ever = series.first_revenue_on is not None
    # 1. Churned: by status, or nothing in m1..m3 after some revenue earlier. (Every closed month
    # with revenue is earlier than m3 when m1..m3 have none.)
    if status == CHURNED_STATUS or (ever and not any(x.has_revenue for x in m[0:3])):
        return STAGE_CHURNED
    # 2. Never had revenue.
    if not ever:
        return None
    # 3. New: the first month with revenue is one of m1..m<new_account_months>.
    first = series.first_revenue_on
    assert first is not None
    if first >= add_months(month_start(as_of), -thresholds.new_account_months):
        return STAGE_NEW
    r3, p3 = series.r3, series.p3
    # 4. Revenue trend (D needs no P3 > 0: the rule reads "D if R3 ≤ 0.90 × P3").
    if p3 > 0 and at_least(r3, thresholds.growth_ratio, p3):
        return STAGE_GROWTH
    if at_most(r3, thresholds.decline_ratio, p3):
        return STAGE_DECLINE
    # 5. Product count, m1 against m4.
    if len(m[0].products) > len(m[3].products):
        return STAGE_GROWTH
    if len(m[0].products) < len(m[3].products):
        return STAGE_DECLINE
    return STAGE_MATURE


# --- §5.2 the flags ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Complaint:
    opened_at: dt.datetime
    sla_due_at: dt.datetime
    resolved_at: dt.datetime | None = None


@dataclass(frozen=True)
class KeyPersonLeft:
    role: str
    left_on: dt.date | None


@dataclass(frozen=True)
class Context:
    """Everything besides the bill lines that §5.2 looks at, for one account."""

    contract_end: dt.date | None = None
    complaints: Sequence[Complaint] = ()
    key_persons: Sequence[KeyPersonLeft] = ()
    activity_dates: Sequence[dt.date] = ()
    value_class: str = ""


@dataclass(frozen=True)
class Assessment:
    stage: str | None
    flags: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # code → evidence
    churn_risk: str = RISK_LOW
    r3: int = 0
    p3: int = 0
    products_m1: int = 0
    products_m4: int = 0
    first_revenue_on: dt.date | None = None


def complaint_counts(complaints: Sequence[Complaint], day_end: dt.datetime) -> tuple[int, int]:
    """(open, open past SLA) at `day_end`, the first instant after as_of: opened before it and
    not resolved before it."""
    open_now = [
        c
        for c in complaints
        if c.opened_at < day_end and (c.resolved_at is None or c.resolved_at >= day_end)
    ]
    return len(open_now), sum(1 for c in open_now if c.sla_due_at < day_end)


def flags(
    *,
    series: Series,
    context: Context,
    as_of: dt.date,
    day_end: dt.datetime,
    thresholds: Thresholds = Thresholds(),
) -> dict[str, dict[str, Any]]:
    """The flags of §5.2 that hold, each with its evidence (for an account not in stage E).
    Windows "within N days up to as_of" are [as_of − N days, as_of], both ends included."""
    t = thresholds
    m = series.months
    r3, p3 = series.r3, series.p3
    raised: dict[str, dict[str, Any]] = {}
    if p3 > 0 and below(r3, t.revenue_drop_ratio, p3):
        raised[REVENUE_DROP] = {"r3": cents_to_float(r3), "p3": cents_to_float(p3)}
    if not m[0].has_revenue and series.first_revenue_on is not None:
        raised[ZERO_REVENUE] = {
            "m1": cents_to_float(m[0].revenue),
            "first_revenue_on": series.first_revenue_on.isoformat(),
        }
    if m[3].members > 0 and at_most(m[0].members, t.member_drop_ratio, m[3].members):
        raised[MEMBER_DROP] = {"m1": m[0].members, "m4": m[3].members}
    cancelled = sorted(m[3].products - m[0].products)
    if cancelled:
        raised[PRODUCT_CANCELLED] = {"products": cancelled}
    end = context.contract_end
    if end is not None and as_of <= end <= as_of + dt.timedelta(days=t.contract_window_days):
        raised[CONTRACT_EXPIRING] = {"contract_end": end.isoformat(), "days": (end - as_of).days}
    open_count, past_sla = complaint_counts(context.complaints, day_end)
    if open_count >= t.open_complaints or past_sla >= t.complaints_past_sla:
        raised[COMPLAINTS] = {"open": open_count, "past_sla": past_sla}
    since = as_of - dt.timedelta(days=t.key_person_window_days)
    left = [
        kp.left_on
        for kp in context.key_persons
        if kp.role in KEY_PERSON_ROLES and kp.left_on is not None and since <= kp.left_on <= as_of
    ]
    if left:
        raised[KEY_PERSON_LEFT] = {"left": len(left), "last_left_on": max(left).isoformat()}
    if context.value_class in t.contact_value_classes:
        contact_since = as_of - dt.timedelta(days=t.no_contact_days)
        past = [d for d in context.activity_dates if d <= as_of]
        if not any(d >= contact_since for d in past):
            last = max(past) if past else None
            raised[NO_CONTACT] = {"last_contact_on": last.isoformat() if last else None}
    return raised


def churn_risk(codes: Iterable[str], thresholds: Thresholds = Thresholds()) -> str:
    codes = set(codes)
    if codes & set(HIGH_RISK_CODES) or len(codes) >= thresholds.high_risk_flag_count:
        return RISK_HIGH
    return RISK_MEDIUM if codes else RISK_LOW


def assess(
    *,
    status: str,
    series: Series,
    context: Context,
    as_of: dt.date,
    day_end: dt.datetime,
    thresholds: Thresholds = Thresholds(),
) -> Assessment:
    """Stage, flags (none in stage E) and churn risk of one account for the run of `as_of`."""
    current = stage(status=status, series=series, as_of=as_of, thresholds=thresholds)
    raised = (
        {}
        if current == STAGE_CHURNED
        else flags(
            series=series, context=context, as_of=as_of, day_end=day_end, thresholds=thresholds
        )
    )
    return Assessment(
        stage=current,
        flags=raised,
        churn_risk=churn_risk(raised, thresholds),
        r3=series.r3,
        p3=series.p3,
        products_m1=len(series.months[0].products),
        products_m4=len(series.months[3].products),
        first_revenue_on=series.first_revenue_on,
    )


@dataclass(frozen=True)
class Previous:
    """The account's lifecycle state before this run (None fields: no row yet)."""

    stage: str | None = None
    stage_since: dt.date | None = None
    high_risk_since: dt.date | None = None


def stage_since(previous: Previous | None, current: str | None, as_of: dt.date) -> dt.date | None:
    if current is None:
        return None
    if previous is None or previous.stage != current:
        return as_of
    return previous.stage_since


def high_risk_since(previous: Previous | None, risk: str, as_of: dt.date) -> dt.date | None:
    """The first night of the current high-risk episode (the retention task's key)."""
    if risk != RISK_HIGH:
        return None
    if previous is not None and previous.high_risk_since is not None:
        return previous.high_risk_since
    return as_of


# --- the retention desk's order --------------------------------------------------------------

# Highest churn risk first, then the value class (DOMAIN.md §4.3: economic, social, clustered
# SME, then none), then the largest revenue drop (revenue m4–m6 minus m1–m3, in cents).
DESK_RISK_ORDER = ("high", "medium")  # anything else (low) ranks after them
DESK_CLASS_ORDER = ("economic", "social", "clustered_sme")  # anything else ranks after them
DESK_RISK_WEIGHT = 10**17
DESK_CLASS_WEIGHT = 10**16
DESK_DROP_LIMIT = 5 * 10**15  # drops are clamped to ±this many cents (CNY 50 trillion)


def desk_key(
    *, churn_risk: str, value_class: str | None, revenue_p3: Decimal, revenue_r3: Decimal
) -> int:
    """One integer that sorts like (risk rank, class rank, revenue drop descending): the nightly
    job stores it per account, so the desk reads its pages in index order. Drops are compared in
    whole cents, rounded like every other amount here."""
    risk = DESK_RISK_ORDER.index(churn_risk) if churn_risk in DESK_RISK_ORDER else 2
    klass = (
        DESK_CLASS_ORDER.index(value_class)
        if value_class in DESK_CLASS_ORDER
        else len(DESK_CLASS_ORDER)
    )
    drop = to_cents(revenue_p3) - to_cents(revenue_r3)
    drop = max(-DESK_DROP_LIMIT, min(DESK_DROP_LIMIT - 1, drop))
    return risk * DESK_RISK_WEIGHT + klass * DESK_CLASS_WEIGHT + (DESK_DROP_LIMIT - 1 - drop)

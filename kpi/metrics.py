"""The KPI metrics of DOMAIN.md §8, defined once over plain values (no Django import, no clock).

Every metric is a sum over accounts of a per-account contribution `(numerator, denominator)`, so
that scopes add up: a region's row is the sum over the accounts credited to its subtree
(`kpi.credit`), an account manager's row the sum over the accounts they own. The set-based nightly
step (`kpi.snapshots`) computes exactly these sums in SQL; `tests/test_snapshot_equivalence.py`
proves it on generated data. The sentences shown to users are `kpi.labels.METRIC_DEFINITIONS`.

Periods are "to date": the month, quarter or year containing `as_of`, from its first day up to and
including `as_of` (`window`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CHURN_RATE = "churn_rate"
HIGH_VALUE_CHURN_RATE = "high_value_churn_rate"
IT_PENETRATION = "it_penetration"
NEW_ACCOUNTS = "new_accounts"
ACCOUNTS_IN_GROWTH = "accounts_in_growth"
RETENTION_ON_TIME = "retention_on_time"
COMPLAINT_SLA = "complaint_sla"
KEY_PERSON_COVERAGE = "key_person_coverage"
VISITS_PER_AM = "visits_per_am"
BILLED_REVENUE = "billed_revenue"

METRICS = (
    CHURN_RATE,
    HIGH_VALUE_CHURN_RATE,
    IT_PENETRATION,
    NEW_ACCOUNTS,
    ACCOUNTS_IN_GROWTH,
    RETENTION_ON_TIME,
    COMPLAINT_SLA,
    KEY_PERSON_COVERAGE,
    VISITS_PER_AM,
    BILLED_REVENUE,
)
# Counts and sums: the value is the numerator, there is no denominator.
COUNT_METRICS = frozenset({NEW_ACCOUNTS, ACCOUNTS_IN_GROWTH, BILLED_REVENUE})
# Split between a branch's region and its group root's region (DOMAIN.md §3, the lead's decision).
CREDITED_METRICS = frozenset({CHURN_RATE, HIGH_VALUE_CHURN_RATE, IT_PENETRATION, BILLED_REVENUE})
LOWER_IS_BETTER = frozenset({CHURN_RATE, HIGH_VALUE_CHURN_RATE})

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
PERIODS = (MONTH, QUARTER, YEAR)

ACTIVE_STAGES = frozenset({"A", "B", "C", "D"})
CHURNED_STAGE = "E"
GROWTH_STAGE = "B"
HIGH_VALUE_CLASSES = frozenset({"economic", "social"})
APPLICATION_LAYER = "application"
ACTIVE = "active"
# Months of billing that count as "adopted" for penetration (DOMAIN.md §6).
PENETRATION_MONTHS = 3
VALUE_PLACES = Decimal("0.0001")


# --- periods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The period to date: `start` … `as_of`, both included."""

    period: str
    start: dt.date
    as_of: dt.date

    def contains(self, day: dt.date | None) -> bool:
        return day is not None and self.start <= day <= self.as_of


def period_start(as_of: dt.date, period: str) -> dt.date:
    if period == MONTH:
        return as_of.replace(day=1)
    if period == QUARTER:
        return dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    if period == YEAR:
        return dt.date(as_of.year, 1, 1)
    raise ValueError(f"unknown period {period!r}")


def window(as_of: dt.date, period: str) -> Window:
    return Window(period=period, start=period_start(as_of, period), as_of=as_of)


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def closed_months(as_of: dt.date, count: int = PENETRATION_MONTHS) -> tuple[dt.date, dt.date]:
    """First days of the oldest and the newest of the `count` closed months before as_of's."""
    this_month = as_of.replace(day=1)
    return add_months(this_month, -count), add_months(this_month, -1)


# --- plain records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BillRecord:
    period_on: dt.date
    amount: Decimal
    application_layer: bool


@dataclass(frozen=True)
class TaskRecord:
    due_on: dt.date
    closed_on: dt.date | None  # the local date it was closed on; None while open


@dataclass(frozen=True)
class ComplaintRecord:
    sla_due_at: dt.datetime
    resolved_at: dt.datetime | None


@dataclass(frozen=True)
class AccountRecord:
    """What the metrics need to know about one account. `value_class` is the effective class
    (a class override first, else the computed class; None when never scored); `stage_changes`
    are `(changed_on, to_stage)`; `lifecycle` is the current state `(as_of, stage)` if any;
    `decision_makers_left_on` has one entry per decision maker (None while they are in post)."""

    id: int
    region_id: int
    owner_id: int
    status: str
    joined_on: dt.date | None = None
    parent_id: int | None = None
    value_class: str | None = None
    stage_changes: tuple[tuple[dt.date, str | None], ...] = ()
    lifecycle: tuple[dt.date, str | None] | None = None
    bills: tuple[BillRecord, ...] = ()
    tasks: tuple[TaskRecord, ...] = ()
    complaints: tuple[ComplaintRecord, ...] = ()
    decision_makers_left_on: tuple[dt.date | None, ...] = ()
    visits_on: tuple[dt.date, ...] = ()

    @property
    def high_value(self) -> bool:
        return self.value_class in HIGH_VALUE_CLASSES


@dataclass(frozen=True)
class Context:
    """Facts about the whole population that a definition depends on. `history_since` is the
    earliest `changed_on` of any stage change (None when lifecycle never ran): before it, "active
    at the period's start" falls back on the account's status and joining date. `window_start_at`
    and `window_end_at` are the aware instants bounding the window's days in local time (the
    start of `start`, the start of the day after `as_of`), for complaint SLA due times."""

    window: Window
    history_since: dt.date | None = None
    window_start_at: dt.datetime | None = None
    window_end_at: dt.datetime | None = None


@dataclass(frozen=True)
class Contribution:
    numerator: Decimal = Decimal(0)
    denominator: Decimal = Decimal(0)

    def __add__(self, other: Contribution) -> Contribution:
        return Contribution(self.numerator + other.numerator, self.denominator + other.denominator)

    def scaled(self, share: Decimal) -> Contribution:
        return Contribution(self.numerator * share, self.denominator * share)


@dataclass(frozen=True)
class Result:
    numerator: Decimal
    denominator: Decimal | None
    value: Decimal | None


# --- stages ------------------------------------------------------------------------------------


def stage_on(changes: Iterable[tuple[dt.date, str | None]], day: dt.date) -> str | None:
    """The stage of the last change on or before `day` (None before the first one)."""
    latest: tuple[dt.date, str | None] | None = None
    for changed_on, to_stage in changes:
        if changed_on <= day and (latest is None or changed_on > latest[0]):
            latest = (changed_on, to_stage)
    return latest[1] if latest else None


def stage_at(account: AccountRecord, day: dt.date) -> str | None:
    """The stage on `day`: the current state if its run is on or before `day`, else history."""
    if account.lifecycle is not None and account.lifecycle[0] <= day:
        return account.lifecycle[1]
    return stage_on(account.stage_changes, day)


def active_at_start(account: AccountRecord, context: Context) -> bool:
    start = context.window.start
    if context.history_since is not None and context.history_since <= start:
        return stage_on(account.stage_changes, start) in ACTIVE_STAGES
    return account.status == ACTIVE and account.joined_on is not None and account.joined_on < start


def reached_churn(account: AccountRecord, window: Window) -> bool:
    return any(
        to_stage == CHURNED_STAGE and window.contains(changed_on)
        for changed_on, to_stage in account.stage_changes
    )


def penetrated(account: AccountRecord, as_of: dt.date) -> bool:
    first, last = closed_months(as_of)
    return any(
        bill.application_layer and bill.amount > 0 and first <= bill.period_on <= last
        for bill in account.bills
    )


def has_decision_maker(account: AccountRecord, as_of: dt.date) -> bool:
    return any(left_on is None or left_on > as_of for left_on in account.decision_makers_left_on)


# --- contributions -------------------------------------------------------------------------------

_ONE = Decimal(1)
_ZERO = Decimal(0)


def _flag(value: bool) -> Decimal:
    return _ONE if value else _ZERO


def contribution(metric: str, account: AccountRecord, context: Context) -> Contribution:
    """One account's part of a metric over the context's window. For `visits_per_am` only the
    numerator (the visits); the denominator is the scope's account managers (`evaluate`)."""
    w = context.window
    if metric in (CHURN_RATE, HIGH_VALUE_CHURN_RATE):
        if metric == HIGH_VALUE_CHURN_RATE and not account.high_value:
            return Contribution()
        return Contribution(
            _flag(reached_churn(account, w)), _flag(active_at_start(account, context))
        )
    if metric == IT_PENETRATION:
        active = account.status == ACTIVE
        return Contribution(_flag(active and penetrated(account, w.as_of)), _flag(active))
    if metric == NEW_ACCOUNTS:
        return Contribution(_flag(w.contains(account.joined_on)))
    if metric == ACCOUNTS_IN_GROWTH:
        return Contribution(_flag(stage_at(account, w.as_of) == GROWTH_STAGE))
    if metric == RETENTION_ON_TIME:
        due = [t for t in account.tasks if w.contains(t.due_on)]
        on_time = [t for t in due if t.closed_on is not None and t.closed_on <= t.due_on]
        return Contribution(Decimal(len(on_time)), Decimal(len(due)))
    if metric == COMPLAINT_SLA:
        if context.window_start_at is None or context.window_end_at is None:
            raise ValueError("complaint_sla needs the window's instants")
        start_at, end_at = context.window_start_at, context.window_end_at
        due_c = [c for c in account.complaints if start_at <= c.sla_due_at < end_at]
        met = [c for c in due_c if c.resolved_at is not None and c.resolved_at <= c.sla_due_at]
        return Contribution(Decimal(len(met)), Decimal(len(due_c)))
    if metric == KEY_PERSON_COVERAGE:
        if not account.high_value:
            return Contribution()
        return Contribution(_flag(has_decision_maker(account, w.as_of)), _ONE)
    if metric == VISITS_PER_AM:
        return Contribution(Decimal(sum(1 for day in account.visits_on if w.contains(day))))
    if metric == BILLED_REVENUE:
        return Contribution(
            sum((b.amount for b in account.bills if w.contains(b.period_on)), _ZERO)
        )
    raise ValueError(f"unknown metric {metric!r}")


def evaluate(
    metric: str,
    total: Contribution,
    *,
    account_managers: Decimal | int | None = None,
) -> Result:
    """A scope's row from the sum of its contributions. Rates are fractions (0.0125 = 1.25 %),
    rounded half-up to 4 places; counts and sums have no denominator. `visits_per_am` divides the
    visits by `account_managers` (1 for an account manager's own scope)."""
    if metric in COUNT_METRICS:
        return Result(total.numerator, None, total.numerator)
    denominator = total.denominator
    if metric == VISITS_PER_AM:
        denominator = Decimal(account_managers or 0)
    return Result(total.numerator, denominator, ratio(total.numerator, denominator))


def ratio(numerator: Decimal, denominator: Decimal | None) -> Decimal | None:
    if not denominator:
        return None
    return (numerator / denominator).quantize(VALUE_PLACES, rounding=ROUND_HALF_UP)


def metric_over(
    metric: str,
    accounts: Sequence[AccountRecord],
    context: Context,
    *,
    account_managers: int | None = None,
) -> Result:
    """The metric over a plain list of accounts at full weight (an account manager's scope)."""
    total = sum((contribution(metric, a, context) for a in accounts), Contribution())
    return evaluate(metric, total, account_managers=account_managers)


@dataclass(frozen=True)
class Population:
    """Everything the snapshot of one `as_of` reads, as plain values: the region tree as
    `{region_id: path}`, the accounts, and the account managers per region."""

    regions: dict[int, str]
    accounts: tuple[AccountRecord, ...]
    account_managers_by_region: dict[int, int] = field(default_factory=dict)

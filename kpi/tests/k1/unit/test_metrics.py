"""Every metric's pure definition on hand-computed cases (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kpi import metrics as m

D = dt.date
AS_OF = D(2026, 8, 14)  # month from 1 Aug, quarter from 1 Jul, year from 1 Jan
CST = dt.timezone(dt.timedelta(hours=8))


HISTORY_SINCE = D(2025, 1, 1)


def ctx(period: str = m.MONTH, history_since: dt.date | None = HISTORY_SINCE) -> m.Context:
    w = m.window(AS_OF, period)
    return m.Context(
        window=w,
        history_since=history_since,
        window_start_at=dt.datetime.combine(w.start, dt.time.min, tzinfo=CST),
        window_end_at=dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time.min, tzinfo=CST),
    )


def acc(i: int = 1, **kw) -> m.AccountRecord:  # type: ignore[no-untyped-def]
    kw.setdefault("status", "active")
    return m.AccountRecord(id=i, region_id=1, owner_id=1, **kw)


@pytest.mark.parametrize(
    ("as_of", "period", "start"),
    [
        (D(2026, 8, 14), "month", D(2026, 8, 1)),
        (D(2026, 8, 14), "quarter", D(2026, 7, 1)),
        (D(2026, 8, 14), "year", D(2026, 1, 1)),
        (D(2026, 3, 31), "quarter", D(2026, 1, 1)),
        (D(2026, 12, 1), "quarter", D(2026, 10, 1)),
        (D(2026, 7, 1), "month", D(2026, 7, 1)),
    ],
)
def test_period_to_date_starts(as_of: dt.date, period: str, start: dt.date) -> None:
    assert m.window(as_of, period) == m.Window(period, start, as_of)


def test_closed_months_are_the_three_before_as_ofs_month() -> None:
    assert m.closed_months(D(2026, 8, 14)) == (D(2026, 5, 1), D(2026, 7, 1))
    assert m.closed_months(D(2026, 2, 1)) == (D(2025, 11, 1), D(2026, 1, 1))


# (records, period, history_since, numerator, denominator, value)
CHURN_CASES = [
    # active (C) at 1 Aug, churned 3 Aug: 1 / 1
    ([acc(1, stage_changes=((D(2026, 3, 1), "C"), (D(2026, 8, 3), "E")))], "month", 1, 1, "1"),
    # churned on the period's first day: counts in the numerator; at the start it was already E
    ([acc(1, stage_changes=((D(2026, 3, 1), "C"), (D(2026, 8, 1), "E")))], "month", 1, 0, None),
    # churned after as_of: not yet; active at the start
    ([acc(1, stage_changes=((D(2026, 3, 1), "B"), (D(2026, 8, 15), "E")))], "month", 0, 1, "0"),
    # churned in July: in the quarter, not the month
    ([acc(1, stage_changes=((D(2026, 3, 1), "D"), (D(2026, 7, 20), "E")))], "quarter", 1, 1, "1"),
    ([acc(1, stage_changes=((D(2026, 3, 1), "D"), (D(2026, 7, 20), "E")))], "month", 0, 0, None),
    # three accounts: one churns, one prospect (no stage), one stays A: 1 / 2
    (
        [
            acc(1, stage_changes=((D(2026, 1, 5), "A"), (D(2026, 8, 10), "E"))),
            acc(2, status="prospect"),
            acc(3, stage_changes=((D(2026, 6, 1), "A"),)),
        ],
        "month",
        1,
        2,
        "0.5000",
    ),
    # a stage with no letter (NULL) at the start does not count as active
    ([acc(1, stage_changes=((D(2026, 7, 1), None),))], "month", 0, 0, None),
]


@pytest.mark.parametrize(("records", "period", "num", "den", "value"), CHURN_CASES)
def test_churn_rate(records, period, num, den, value) -> None:  # type: ignore[no-untyped-def]
    r = m.metric_over(m.CHURN_RATE, records, ctx(period))
    assert (r.numerator, r.denominator) == (num, den)
    assert r.value == (None if value is None else Decimal(value))


def test_churn_denominator_falls_back_on_status_before_any_history() -> None:
    records = [
        acc(1, joined_on=D(2026, 7, 31)),  # active, joined before 1 Aug: counts
        acc(2, joined_on=D(2026, 8, 1)),  # joined on the start: not before it
        acc(3, status="churned", joined_on=D(2020, 1, 1)),
        acc(4, joined_on=None),
        acc(5, joined_on=D(2020, 1, 1), stage_changes=((D(2026, 8, 9), "E"),)),
    ]
    r = m.metric_over(m.CHURN_RATE, records, ctx(history_since=D(2026, 8, 2)))
    assert (r.numerator, r.denominator, r.value) == (1, 2, Decimal("0.5"))
    # once history reaches back to the start, the stage history decides (none here is A–D)
    r = m.metric_over(m.CHURN_RATE, records, ctx(history_since=D(2026, 8, 1)))
    assert (r.numerator, r.denominator, r.value) == (1, 0, None)


def test_high_value_churn_counts_only_economic_and_social() -> None:
    history = ((D(2026, 1, 1), "C"), (D(2026, 8, 2), "E"))
    records = [
        acc(1, value_class="economic", stage_changes=history),
        acc(2, value_class="social", stage_changes=((D(2026, 1, 1), "C"),)),
        acc(3, value_class="clustered_sme", stage_changes=history),
        acc(4, value_class=None, stage_changes=history),
    ]
    r = m.metric_over(m.HIGH_VALUE_CHURN_RATE, records, ctx())
    assert (r.numerator, r.denominator, r.value) == (1, 2, Decimal("0.5"))


def _bill(month: dt.date, amount: str, app: bool = True) -> m.BillRecord:
    return m.BillRecord(month, Decimal(amount), app)


def test_it_penetration() -> None:
    records = [
        acc(1, bills=(_bill(D(2026, 7, 1), "10"),)),  # m1, application: yes
        acc(2, bills=(_bill(D(2026, 5, 1), "0.01"),)),  # m3: yes
        acc(3, bills=(_bill(D(2026, 4, 1), "10"),)),  # m4: too old
        acc(4, bills=(_bill(D(2026, 8, 1), "10"),)),  # as_of's own month is not closed
        acc(5, bills=(_bill(D(2026, 7, 1), "10", app=False),)),  # basic layer
        acc(6, bills=(_bill(D(2026, 7, 1), "-10"), _bill(D(2026, 6, 1), "0"))),
        acc(7, status="churned", bills=(_bill(D(2026, 7, 1), "10"),)),  # not active
        acc(8, status="prospect"),
    ]
    r = m.metric_over(m.IT_PENETRATION, records, ctx(m.YEAR))
    assert (r.numerator, r.denominator, r.value) == (2, 6, Decimal("0.3333"))


def test_new_accounts_and_growth() -> None:
    records = [
        acc(1, joined_on=D(2026, 8, 1)),
        acc(2, joined_on=D(2026, 8, 14)),
        acc(3, joined_on=D(2026, 8, 15)),
        acc(4, joined_on=D(2026, 7, 31)),
        acc(5, joined_on=None),
    ]
    assert m.metric_over(m.NEW_ACCOUNTS, records, ctx()).value == 2
    assert m.metric_over(m.NEW_ACCOUNTS, records, ctx(m.QUARTER)).value == 3
    assert m.metric_over(m.NEW_ACCOUNTS, records, ctx()).denominator is None
    growth = [
        acc(1, lifecycle=(D(2026, 8, 14), "B")),  # the current state, run on as_of
        acc(2, lifecycle=(D(2026, 8, 20), "C"), stage_changes=((D(2026, 8, 1), "B"),)),  # history
        acc(3, lifecycle=(D(2026, 8, 10), "B"), stage_changes=((D(2026, 8, 1), "C"),)),
        acc(4, stage_changes=((D(2026, 8, 1), "B"), (D(2026, 8, 14), "D"))),
        acc(5, stage_changes=((D(2026, 8, 15), "B"),)),
    ]
    assert m.metric_over(m.ACCOUNTS_IN_GROWTH, growth, ctx()).value == 3


def test_retention_tasks_closed_on_time() -> None:
    tasks = (
        m.TaskRecord(D(2026, 8, 10), D(2026, 8, 10)),  # closed on the due date: on time
        m.TaskRecord(D(2026, 8, 10), D(2026, 8, 11)),  # a day late
        m.TaskRecord(D(2026, 8, 12), None),  # open past due
        m.TaskRecord(D(2026, 8, 20), D(2026, 8, 1)),  # due after as_of: not yet counted
        m.TaskRecord(D(2026, 7, 31), D(2026, 7, 1)),  # due last month
    )
    r = m.metric_over(m.RETENTION_ON_TIME, [acc(1, tasks=tasks)], ctx())
    assert (r.numerator, r.denominator, r.value) == (1, 3, Decimal("0.3333"))
    r = m.metric_over(m.RETENTION_ON_TIME, [acc(1, tasks=tasks)], ctx(m.QUARTER))
    assert (r.numerator, r.denominator) == (2, 4)


def test_complaint_sla() -> None:
    def at(day: int, hour: int) -> dt.datetime:
        return dt.datetime(2026, 8, day, hour, tzinfo=CST)

    complaints = (
        m.ComplaintRecord(at(10, 9), at(10, 9)),  # resolved exactly at the due time: met
        m.ComplaintRecord(at(10, 9), at(10, 10)),  # an hour late
        m.ComplaintRecord(at(14, 23), None),  # open, due late on as_of: missed
        m.ComplaintRecord(dt.datetime(2026, 8, 15, 0, tzinfo=CST), None),  # due after as_of
        m.ComplaintRecord(dt.datetime(2026, 7, 31, 23, tzinfo=CST), at(1, 0)),  # last month
    )
    r = m.metric_over(m.COMPLAINT_SLA, [acc(1, complaints=complaints)], ctx())
    assert (r.numerator, r.denominator, r.value) == (1, 3, Decimal("0.3333"))


def test_key_person_coverage() -> None:
    records = [
        acc(1, value_class="economic", decision_makers_left_on=(None,)),
        acc(2, value_class="social", decision_makers_left_on=(D(2026, 8, 14),)),  # left on as_of
        acc(3, value_class="social", decision_makers_left_on=(D(2026, 8, 15), D(2026, 1, 1))),
        acc(4, value_class="economic"),
        acc(5, value_class="clustered_sme", decision_makers_left_on=(None,)),
    ]
    r = m.metric_over(m.KEY_PERSON_COVERAGE, records, ctx())
    assert (r.numerator, r.denominator, r.value) == (2, 4, Decimal("0.5"))


def test_visits_per_account_manager() -> None:
    records = [
        acc(1, visits_on=(D(2026, 8, 1), D(2026, 8, 14), D(2026, 8, 15), D(2026, 7, 30))),
        acc(2, visits_on=(D(2026, 8, 3),)),
    ]
    r = m.metric_over(m.VISITS_PER_AM, records, ctx(), account_managers=2)
    assert (r.numerator, r.denominator, r.value) == (3, 2, Decimal("1.5"))
    assert m.metric_over(m.VISITS_PER_AM, records, ctx(), account_managers=0).value is None


def test_billed_revenue_sums_the_months_in_the_period() -> None:
    bills = (
        _bill(D(2026, 8, 1), "100.10"),
        _bill(D(2026, 7, 1), "50", app=False),
        _bill(D(2026, 7, 1), "-20.05"),
        _bill(D(2025, 12, 1), "999"),
    )
    assert m.metric_over(m.BILLED_REVENUE, [acc(1, bills=bills)], ctx()).value == Decimal("100.10")
    assert m.metric_over(m.BILLED_REVENUE, [acc(1, bills=bills)], ctx(m.QUARTER)).value == Decimal(
        "130.05"
    )


def test_ratio_rounds_half_up_to_four_places() -> None:
    assert m.ratio(Decimal(1), Decimal(32)) == Decimal("0.0313")
    assert m.ratio(Decimal(2), Decimal(3)) == Decimal("0.6667")
    assert m.ratio(Decimal(1), Decimal(0)) is None


def test_unknown_metric_and_period_are_refused() -> None:
    with pytest.raises(ValueError):
        m.contribution("nope", acc(), ctx())
    with pytest.raises(ValueError):
        m.period_start(AS_OF, "week")

"""The demo's scheme and targets: derived from each scope's own snapshots, valid by the rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from kpi import domain
from kpi.demo_targets import demo_scheme_and_targets, targets_from_baseline
from kpi.models import KpiTarget


@pytest.mark.parametrize(
    ("metric", "direction", "baseline", "q1", "year"),
    [
        ("churn_rate", "lower", D("0.04"), (D("0.036"), D("0.03")), (D("0.036"), D("0.03"))),
        ("it_penetration", "higher", D("0.5"), (D("0.55"), D("0.625")), (D("0.55"), D("0.625"))),
        ("accounts_in_growth", "higher", D("100"), (D("105"), D("112")), (D("105"), D("112"))),
        # 73 new accounts by 2026-07-02 (day 183 of 365): 145.6 a year → 153 / 164
        ("new_accounts", "higher", D("73"), (D("39"), D("41")), (D("153"), D("164"))),
    ],
)
def test_targets_from_baseline(metric, direction, baseline, q1, year):
    targets = targets_from_baseline(
        metric=metric, direction=direction, baseline=baseline, as_of=dt.date(2026, 7, 2)
    )
    assert (targets["Q1"].realistic, targets["Q1"].stretch) == q1
    assert (targets["Y"].realistic, targets["Y"].stretch) == year
    assert domain.validate_targets(metric, direction, targets) == []


@pytest.mark.django_db
def test_demo_creates_the_scheme_and_targets_for_every_scope(kpi):
    _scheme_id, saved = demo_scheme_and_targets(actor=kpi.world.hq, as_of=dt.date(2026, 8, 31))
    # 7 scopes × 10 metrics × (Q1–Q4, Y)
    assert saved > 0
    assert KpiTarget.objects.filter(scheme=kpi.scheme).count() == 7 * 10 * 5
    again = demo_scheme_and_targets(actor=kpi.world.hq, as_of=dt.date(2026, 8, 31))[1]
    assert again == 7 * 10 * 5  # replaced, not duplicated
    assert KpiTarget.objects.filter(scheme=kpi.scheme).count() == 7 * 10 * 5

"""The league table's SQL totals (kpi.ranking) equal the pure rules (kpi.domain.score) on random
data: every rule and direction, zero and negative values, missing actuals and targets, ties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import RegionFactory, UserFactory
from kpi import domain, ranking, selectors
from kpi.models import KpiScheme, KpiTarget, MetricSnapshot, SchemeMetric

AS_OF = dt.date(2026, 5, 20)
METRICS = ["churn_rate", "it_penetration", "new_accounts", "visits_per_am", "complaint_sla"]
MANAGERS = 5

values = st.one_of(
    st.none(),
    st.sampled_from([Decimal(0), Decimal(1), Decimal("0.5"), Decimal(-1)]),
    st.decimals(min_value=-5, max_value=200, places=4, allow_nan=False, allow_infinity=False),
)
line = st.tuples(values, values, values)  # actual, realistic, stretch
scheme_rule = st.tuples(
    st.integers(0, 40), st.sampled_from(domain.DIRECTIONS), st.sampled_from(domain.RULES),
    st.integers(100, 200),
)  # fmt: skip


@pytest.fixture
def people(db):  # type: ignore[no-untyped-def]
    province = RegionFactory(code="PX", name="省", level="province")
    city = RegionFactory(code="PX-C", name="市", parent=province)
    hq = UserFactory(username="prop_hq", role="hq", region=province)
    managers = [
        UserFactory(username=f"prop_am{i}", role="account_manager",
                    region=city if i % 2 else province)
        for i in range(MANAGERS)
    ]  # fmt: skip
    outsider_region = RegionFactory(code="QX", name="外省", level="province")
    outsider = UserFactory(username="prop_out", role="account_manager", region=outsider_region)
    return province, hq, managers, outsider


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rules=st.lists(scheme_rule, min_size=len(METRICS), max_size=len(METRICS)),
    lines=st.lists(
        st.lists(line, min_size=len(METRICS), max_size=len(METRICS)),
        min_size=MANAGERS + 1,
        max_size=MANAGERS + 1,
    ),
    quarter=st.sampled_from(["Q2", "Y"]),
)
def test_sql_totals_equal_the_pure_rules(people, rules, lines, quarter):
    province, hq, managers, outsider = people
    MetricSnapshot.objects.all().delete()
    KpiTarget.objects.all().delete()
    KpiScheme.objects.all().delete()
    scheme = KpiScheme.objects.create(year=2026, name="p", created_by=hq)
    SchemeMetric.objects.bulk_create(
        SchemeMetric(scheme=scheme, metric=m, weight=w, direction=d, rule=r, cap_percent=c)
        for m, (w, d, r, c) in zip(METRICS, rules, strict=True)
    )
    period = domain.ScorePeriod(2026, quarter)
    snapshots, targets = [], []
    for person, person_lines in zip([*managers, outsider], lines, strict=True):
        for metric, (actual, realistic, stretch) in zip(METRICS, person_lines, strict=True):
            snapshots.append(
                MetricSnapshot(as_of=AS_OF, period=period.snapshot_period(metric), metric=metric,
                               user=person, numerator=actual or 0, value=actual)
            )  # fmt: skip
            if realistic is not None and stretch is not None:
                targets.append(
                    KpiTarget(scheme=scheme, metric=metric, quarter=quarter, user=person,
                              realistic=realistic, stretch=stretch)
                )  # fmt: skip
    MetricSnapshot.objects.bulk_create(snapshots)
    KpiTarget.objects.bulk_create(targets)

    sql = ranking.manager_totals(
        scheme=scheme, period=period, as_of=AS_OF, region_path=province.path
    )
    pure = selectors.league_table(
        scheme=scheme, period=period, as_of=AS_OF, region=province, limit=None
    )
    assert {uid for uid, _t in sql} == {m.pk for m in managers}  # never the outsider
    expected = {row.user_id: row.total for row in pure.rows}
    for uid, total in sql:
        assert abs(total - expected[uid]) < Decimal("0.0001"), (uid, total, expected[uid])

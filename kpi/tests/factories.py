"""KPI test data: a scheme, targets and snapshot rows written directly (the dashboards read
snapshots; how they are computed is kpi.snapshots' business and tested there)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from kpi import services
from kpi.models import DistributionSnapshot, KpiScheme, KpiTarget, MetricSnapshot, SchemeMetric

YEAR = 2026
AS_OF = dt.date(2026, 8, 20)


def scheme_default(*, year: int = YEAR, created_by: Any) -> KpiScheme:
    scheme = KpiScheme.objects.create(year=year, name=f"考核方案 {year}", created_by=created_by)
    SchemeMetric.objects.bulk_create(
        SchemeMetric(scheme=scheme, metric=r.metric, weight=r.weight, direction=r.direction,
                     rule=r.rule, cap_percent=r.cap_percent)
        for r in services.default_metrics()
    )  # fmt: skip
    return scheme


def target(
    scheme: KpiScheme, metric: str, quarter: str, realistic: str, stretch: str, **scope: Any
) -> KpiTarget:
    return KpiTarget.objects.create(
        scheme=scheme,
        metric=metric,
        quarter=quarter,
        realistic=Decimal(realistic),
        stretch=Decimal(stretch),
        **scope,
    )


def snapshot(
    metric: str,
    value: str | None,
    *,
    period: str = "quarter",
    as_of: dt.date = AS_OF,
    numerator: str | None = None,
    denominator: str | None = None,
    **scope: Any,
) -> MetricSnapshot:
    return MetricSnapshot.objects.create(
        as_of=as_of,
        period=period,
        metric=metric,
        numerator=Decimal(numerator if numerator is not None else (value or "0")),
        denominator=Decimal(denominator) if denominator is not None else None,
        value=Decimal(value) if value is not None else None,
        **scope,
    )


def full_snapshots(values: dict[str, str], *, as_of: dt.date = AS_OF, **scope: Any) -> None:
    """The same value for every period (month, quarter, year) of each metric, for one scope."""
    rows = []
    for metric, value in values.items():
        for period in ("month", "quarter", "year"):
            rows.append(
                MetricSnapshot(
                    as_of=as_of,
                    period=period,
                    metric=metric,
                    numerator=Decimal(value),
                    value=Decimal(value),
                    **scope,
                )
            )
    MetricSnapshot.objects.bulk_create(rows)


def distribution(
    region: Any, dimension: str, counts: dict[str, int], as_of: dt.date = AS_OF
) -> None:
    DistributionSnapshot.objects.bulk_create(
        DistributionSnapshot(as_of=as_of, region=region, dimension=dimension, bucket=b, accounts=n)
        for b, n in counts.items()
    )

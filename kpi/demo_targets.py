"""The demo's KPI scheme and targets: the default scheme for the demo year and, for every region
and account manager, targets derived from their own snapshots (run after kpi.demo's snapshots):
realistic = a plausible improvement on the year to date, stretch = a bolder one. Counts and sums
are projected to the full year and spread over the quarters year to date (Q4 = the year)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.db.models import Max

from org.models import User

from . import domain, services
from .models import DistributionSnapshot, KpiScheme, KpiTarget, MetricSnapshot, Period

FOUR = Decimal("0.0001")
# (realistic, stretch) improvement: lower-is-better rates shrink, higher rates close part of the
# gap to 100 %, levels and projected counts grow.
LOWER_FACTORS = (Decimal("0.9"), Decimal("0.75"))
GAP_CLOSED = (Decimal("0.1"), Decimal("0.25"))
GROWTH = (Decimal("1.05"), Decimal("1.12"))
RATES_CAPPED_AT_ONE = frozenset(
    {
        "it_penetration",
        "retention_on_time",
        "complaint_sla",
        "key_person_coverage",
    }
)


def _round(metric: str, value: Decimal) -> Decimal:
    if metric in ("new_accounts", "accounts_in_growth"):
        return value.to_integral_value(rounding=ROUND_CEILING)
    if metric == "billed_revenue":
        return value.quantize(Decimal("1000"), rounding=ROUND_CEILING) if value >= 1000 else value
    return value.quantize(FOUR, rounding=ROUND_CEILING)


def targets_from_baseline(
    *, metric: str, direction: str, baseline: Decimal, as_of: dt.date
) -> dict[str, domain.Target]:
    """Pure: one scope's targets for one metric, for Q1–Q4 and the year, from its year to date."""
    if direction == domain.LOWER:
        pair = tuple((baseline * f).quantize(FOUR) for f in LOWER_FACTORS)
        return {q: domain.Target(pair[0], pair[1]) for q in (*domain.QUARTERS, domain.YEAR)}
    if metric in RATES_CAPPED_AT_ONE:
        pair = tuple(
            min(Decimal(1), baseline + (1 - baseline) * g).quantize(FOUR) for g in GAP_CLOSED
        )
        return {q: domain.Target(pair[0], pair[1]) for q in (*domain.QUARTERS, domain.YEAR)}
    if metric not in domain.CUMULATIVE_METRICS:
        pair = tuple(_round(metric, baseline * g) for g in GROWTH)
        return {q: domain.Target(pair[0], pair[1]) for q in (*domain.QUARTERS, domain.YEAR)}
    start = dt.date(as_of.year, 1, 1)
    elapsed = Decimal((as_of - start).days + 1)
    days = Decimal((dt.date(as_of.year + 1, 1, 1) - start).days)
    year = baseline * days / elapsed
    realistic_y, stretch_y = (_round(metric, year * g) for g in GROWTH)
    targets = {}
    for n, quarter in enumerate(domain.QUARTERS, start=1):
        share = Decimal(n) / 4
        targets[quarter] = domain.Target(
            _round(metric, realistic_y * share), _round(metric, stretch_y * share)
        )
    targets["Q4"] = targets[domain.YEAR] = domain.Target(realistic_y, stretch_y)
    return targets


def demo_scheme_and_targets(*, actor: User, as_of: dt.date) -> tuple[int, int]:
    """Idempotent: (re)creates the year's default scheme and replaces its targets."""
    year = as_of.year
    scheme = services.scheme_create_default(actor=actor, year=year)
    rules = {r.metric: r for r in services.scheme_rules(scheme)}
    latest = MetricSnapshot.objects.filter(
        period=Period.YEAR, as_of__year=year, as_of__lte=as_of
    ).aggregate(latest=Max("as_of"))["latest"]
    if latest is None:
        return scheme.pk, 0
    entries: list[services.TargetEntry] = []
    rows = MetricSnapshot.objects.filter(
        period=Period.YEAR, as_of=latest, metric__in=list(rules), value__isnull=False
    ).values_list("region_id", "user_id", "metric", "value")
    for region_id, user_id, metric, value in rows.iterator(chunk_size=5000):
        if value is None:
            continue
        targets = targets_from_baseline(
            metric=metric, direction=rules[metric].direction, baseline=value, as_of=latest
        )
        entries += [
            services.TargetEntry(
                metric=metric,
                quarter=quarter,
                realistic=t.realistic,
                stretch=t.stretch,
                region_id=region_id,
                user_id=user_id,
            )
            for quarter, t in targets.items()
        ]
    KpiTarget.objects.filter(scheme=scheme).delete()
    saved = services.targets_set(actor=actor, scheme=scheme, entries=entries)
    return scheme.pk, saved


def demo_step(run: Any) -> None:
    """The demo command's step (after the KPI snapshots)."""
    actor = (
        User.objects.filter(role=User.Role.HQ, is_active=True).order_by("id").first()
        or User.objects.filter(is_superuser=True).order_by("id").first()
    )
    if actor is None:
        run.say("      no hq user: skipped")
        return
    _scheme, saved = demo_scheme_and_targets(actor=actor, as_of=run.spec.as_of)
    run.say(f"      {saved:,} targets")


def demo_reset_step(run: Any) -> None:
    """With --reset, before the province is regenerated: schemes protect their creator; targets
    and snapshots follow their regions and users anyway, but go in one statement each."""
    if run.reset:
        KpiTarget.objects.all().delete()
        KpiScheme.objects.all().delete()
        MetricSnapshot.objects.all()._raw_delete(MetricSnapshot.objects.db)  # type: ignore[attr-defined]
        DistributionSnapshot.objects.all()._raw_delete(DistributionSnapshot.objects.db)  # type: ignore[attr-defined]

"""Demo indicators: every account gets a snapshot with distributions that look like a real
province (by size band and industry), with gaps; then the scoring runs once."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from django.db import transaction

from accounts.models import Account

from . import domain
from .models import IndicatorSnapshot

BATCH = 5000

# Median headcount and revenue (10k CNY) per size band; spread is log-normal.
SIZE = {
    "large": (5000, 200_000),
    "medium": (600, 20_000),
    "small": (80, 2_000),
    "micro": (12, 200),
}
# How IT-intensive an industry is (multiplies IT investment, staff and complexity).
IT_INTENSITY = {
    "finance": 2.5,
    "electronics": 2.0,
    "power": 1.6,
    "petrochemical": 1.4,
    "logistics_transport": 1.3,
    "healthcare": 1.2,
    "government": 1.2,
    "education": 1.0,
    "retail_consumer": 1.0,
    "manufacturing": 0.9,
    "other": 0.8,
}
PUBLIC_KINDS = {"government", "public_institution", "non_profit"}


def _indicators(rng: random.Random, industry: str, size_band: str, org_kind: str) -> dict:
    head, revenue = SIZE.get(size_band, SIZE["small"])
    it = IT_INTENSITY.get(industry, 1.0)
    band_rank = ["micro", "small", "medium", "large"].index(size_band) + 1

    def lognormal(median: float, sigma: float = 0.6) -> float:
        return round(median * math.exp(rng.gauss(0, sigma)), 2)

    def growth(mean: float = 0.05, sd: float = 0.12) -> float:
        return round(rng.gauss(mean, sd), 4)

    def rating(centre: float) -> int:
        return max(1, min(5, round(rng.gauss(centre, 0.9))))

    public = org_kind in PUBLIC_KINDS
    values: dict[str, Any] = {
        "headcount": round(lognormal(head)),
        "headcount_growth": growth(0.02, 0.08),
        "revenue": None if public else lognormal(revenue),
        "revenue_growth": None if public else growth(),
        "it_investment": lognormal(revenue * 0.02 * it),
        "it_investment_growth": growth(0.08, 0.2),
        "it_staff": round(lognormal(max(1.0, head * 0.02 * it))),
        "it_staff_growth": growth(0.03, 0.1),
        "customer_count": round(lognormal(head * 3)),
        "agent_count": round(lognormal(5 * band_rank, 1.0)),
        "supplier_count": round(lognormal(20 * band_rank, 0.8)),
        "solution_type_count": max(1, round(lognormal(band_rank * it, 0.5))),
        "profit_margin": None if public else round(rng.gauss(0.08, 0.06), 4),
        "profit_margin_growth": None if public else growth(0.0, 0.03),
        "it_awareness": rating(1.5 + band_rank * 0.5 + (it - 1)),
        "it_importance": rating(1.5 + band_rank * 0.5 + (it - 1)),
        "it_need_complexity": rating(1 + band_rank * 0.7),
        "standards_participation": rating(1 + band_rank * 0.5 + (1.5 if public else 0)),
        "local_economy_position": rating(band_rank + (1 if public else 0)),
        "government_relations": rating(1.5 + band_rank * 0.4 + (2 if public else 0)),
        "industry_info_participation": rating(1 + band_rank * 0.6),
        "media_influence": rating(1 + band_rank * 0.5 + (1 if public else 0)),
        "industry_org_participation": rating(1 + band_rank * 0.5),
        "industry_reputation": rating(1 + band_rank * 0.6),
    }
    # Gaps: an assessment is rarely complete.
    for name in (*domain.QUANTITATIVE, *domain.RATED):
        if rng.random() < 0.12:
            values[name] = None
    return values


def generate_demo_indicators(*, as_of: dt.date, seed: int) -> int:
    """One snapshot per account (about 5 % get none: not assessed yet), set-based in batches.
    Idempotent: (account, measured_on, source) is unique, so a re-run adds nothing."""
    rng = random.Random(seed)
    created = 0
    measured_on = as_of - dt.timedelta(days=14)
    rows = Account.objects.order_by("id").values_list("id", "industry", "size_band", "org_kind")
    batch: list[IndicatorSnapshot] = []
    for account_id, industry, size_band, org_kind in rows.iterator(chunk_size=BATCH):
        if rng.random() < 0.05:
            continue
        source = rng.choice(["survey", "statistics", "account_manager"])
        batch.append(
            IndicatorSnapshot(
                account_id=account_id,
                measured_on=measured_on,
                source=source,
                **_indicators(rng, industry, size_band, org_kind),
            )
        )
        if len(batch) >= BATCH:
            created += _flush(batch)
            batch = []
    created += _flush(batch)
    return created


def _flush(batch: list[IndicatorSnapshot]) -> int:
    if not batch:
        return 0
    with transaction.atomic():
        IndicatorSnapshot.objects.bulk_create(batch, ignore_conflicts=True)
    return len(batch)


def demo_step(run: Any) -> None:
    """The demo command's step: indicators for every account, then one scoring run."""
    from .services import scoring_run

    count = generate_demo_indicators(as_of=run.spec.as_of, seed=run.spec.seed)
    job = scoring_run(as_of=run.spec.as_of, triggered_by="manage.py demo")
    run.say(f"      {count} indicator snapshots; {job.rows} accounts scored")

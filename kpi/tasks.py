"""Celery interface of the KPI nightly steps: ISO dates in, one run call each."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError

from . import runs, services, warm


@shared_task(
    name="kpi.snapshot",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def snapshot(*, as_of: str, triggered_by: str = "") -> int:
    """The nightly step: one transaction, so a redelivered task simply redoes the night."""
    return runs.snapshot_run(as_of=dt.date.fromisoformat(as_of), triggered_by=triggered_by).rows


@shared_task(name="kpi.backfill", acks_late=True)
def backfill(*, as_of: str, dates: list[str] | None = None, triggered_by: str = "") -> int:
    days = [dt.date.fromisoformat(d) for d in dates] if dates is not None else None
    run = runs.backfill_run(
        as_of=dt.date.fromisoformat(as_of), dates=days, triggered_by=triggered_by
    )
    return run.rows


@shared_task(name="kpi.rankings", acks_late=True)
def rankings(*, as_of: str, triggered_by: str = "") -> int:
    """The nightly step after the snapshots (and after a scheme or target edit): rank and store
    the province's account managers for the quarter and the year, so no manager waits for a
    league table. Idempotent: a data version already stored is not ranked or written again."""
    return warm.rankings_warm_run(
        as_of=dt.date.fromisoformat(as_of), triggered_by=triggered_by
    ).rows


@shared_task(name="kpi.rank_period", acks_late=True)
def rank_period(*, scheme_id: int, period: str, as_of: str) -> int:
    """Rank and store one (scheme, period, snapshot day) at the current data version: what a
    dashboard asked for after an edit, while it shows the previous ranking. Idempotent."""
    return services.rank_period(
        scheme_id=scheme_id, period_code=period, as_of=dt.date.fromisoformat(as_of)
    )

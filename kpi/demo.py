"""The demo's KPI history: snapshots of a year, computed from the demo's own data — the month-ends
of the last 12 closed months and every day of the last 30 (settings.KPI["BACKFILL_*"]).

The demo's lifecycle history may only start at its own as_of run; the definitions fall back on
status and joining date before any history (kpi.metrics.active_at_start), so the past months
still show sensible churn denominators."""

from __future__ import annotations

from typing import Any


def demo_step(run: Any) -> None:
    """The demo command's step."""
    from .runs import backfill_run

    job = backfill_run(as_of=run.spec.as_of, triggered_by="manage.py demo")
    run.say(f"      {job.total} nights, {job.rows:,} snapshot rows")

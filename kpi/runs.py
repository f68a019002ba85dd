"""The KPI snapshot runs: the nightly step and the backfill, each recorded in the job ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.conf import settings

from core.jobs import recorded_run
from core.models import JobRun

from . import snapshots

JOB = "kpi.snapshot"
BACKFILL_JOB = "kpi.backfill"

Progress = Callable[[int, int], None]


def snapshot_run(
    *, as_of: dt.date, triggered_by: str = "", progress: Progress | None = None
) -> JobRun:
    """The nightly step (core.nightly): every metric and distribution row of `as_of`, upserted
    in one transaction, so a re-run changes nothing and a killed run is simply run again."""
    with recorded_run(JOB, as_of=as_of, total=1, triggered_by=triggered_by[:150]) as run:
        if progress:
            progress(0, 1)
        rows = snapshots.snapshot(as_of)
        JobRun.objects.filter(pk=run.pk).update(rows=rows)
        if progress:
            progress(1, 1)
    run.refresh_from_db()
    return run


def backfill_run(
    *,
    as_of: dt.date,
    dates: Sequence[dt.date] | None = None,
    triggered_by: str = "",
    progress: Progress | None = None,
) -> JobRun:
    """Snapshots of several nights (default: the month-ends of the last KPI["BACKFILL_MONTHS"]
    closed months and the last KPI["BACKFILL_DAYS"] days up to `as_of`), one transaction each,
    so an interrupted backfill keeps the nights it finished and a re-run redoes them unchanged."""
    days = (
        list(dates)
        if dates is not None
        else snapshots.backfill_dates(
            as_of,
            months=int(settings.KPI["BACKFILL_MONTHS"]),
            days=int(settings.KPI["BACKFILL_DAYS"]),
        )
    )
    with recorded_run(
        BACKFILL_JOB, as_of=as_of, total=len(days), triggered_by=triggered_by[:150]
    ) as run:
        rows = 0
        if progress:
            progress(0, len(days))
        for day in sorted(set(days)):
            rows += snapshots.snapshot(day)
            JobRun.objects.filter(pk=run.pk).update(rows=rows)
            if progress:
                progress(1, len(days))
    run.refresh_from_db()
    return run

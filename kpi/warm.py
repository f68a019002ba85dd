"""A nightly step after the KPI snapshots: rank the province's account managers for the current
quarter and year and store the rankings (kpi.models.ManagerRanking, one per period, answering
every region's league table) ahead of the morning (kpi.selectors.rankings_warm), recorded in the
job ledger with the rows written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from core.jobs import recorded_run
from core.models import JobRun

from . import selectors

JOB = "kpi.rankings"


def rankings_warm_run(
    *,
    as_of: dt.date,
    triggered_by: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> JobRun:
    with recorded_run(JOB, as_of=as_of, total=1, triggered_by=triggered_by[:150]) as run:
        computed = selectors.rankings_warm(as_of=as_of)
        JobRun.objects.filter(pk=run.pk).update(rows=computed)
        if progress:
            progress(1, 1)
    run.refresh_from_db()
    return run

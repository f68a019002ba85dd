"""Recording runs in the job ledger: start, progress, finish, failure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import F
from django.utils import timezone

from .models import JobRun


@contextmanager
def recorded_run(
    job: str, *, as_of: dt.date | None = None, total: int = 0, triggered_by: str = ""
) -> Iterator[JobRun]:
    run = JobRun.objects.create(job=job, as_of=as_of, total=total, triggered_by=triggered_by)
    try:
        yield run
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.FAILED,
            finished_at=timezone.now(),
            errors=[*run.errors, f"{type(exc).__name__}: {exc}"[:2000]],
        )
        raise
    else:
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.SUCCEEDED, finished_at=timezone.now()
        )


def add_progress(run_id: int, rows: int) -> None:
    JobRun.objects.filter(pk=run_id).update(rows=F("rows") + rows)

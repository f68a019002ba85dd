"""Celery interface of the scoring run: ids and ISO dates in, one service call each.

`segmentation.run_scoring` does phase 1 and then replaces itself with a chord: one
`segmentation.score_chunk` per chunk of accounts (spread over the workers) and
`segmentation.finish_scoring` once all are done. Inside a nightly chain the next step starts only
after the chord's body. Chunks are upserts and count once, so a chunk redelivered after a worker
died (acks_late, reject_on_worker_lost, prefetch 1: see settings) is simply done again."""

from __future__ import annotations

import datetime as dt

from celery import chord, group, shared_task
from django.db import OperationalError

from . import services


@shared_task(name="segmentation.run_scoring", bind=True)
def run_scoring(self, *, as_of: str, triggered_by: str = "") -> int:  # type: ignore[no-untyped-def]
    day = dt.date.fromisoformat(as_of)
    run_id, bounds = services.scoring_prepare(as_of=day, triggered_by=triggered_by)
    if self.request.is_eager or not bounds:
        # The embedded default (no broker): the same chunks, one after the other, in-process
        # (an eager chord would block on its own results).
        try:
            for first, last in bounds:
                services.scoring_chunk(run_id=run_id, as_of=day, first_id=first, last_id=last)
            return services.scoring_finish(run_id=run_id, as_of=day)
        except Exception as exc:
            services.scoring_fail(run_id=run_id, message=f"{type(exc).__name__}: {exc}")
            raise
    header = group(
        score_chunk.si(run_id=run_id, as_of=as_of, first_id=first, last_id=last)
        for first, last in bounds
    )
    body = finish_scoring.si(run_id=run_id, as_of=as_of).on_error(fail_scoring.si(run_id=run_id))
    return self.replace(chord(header, body))


@shared_task(
    name="segmentation.score_chunk",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def score_chunk(*, run_id: int, as_of: str, first_id: int, last_id: int) -> int:
    return services.scoring_chunk(
        run_id=run_id, as_of=dt.date.fromisoformat(as_of), first_id=first_id, last_id=last_id
    )


@shared_task(name="segmentation.finish_scoring")
def finish_scoring(*, run_id: int, as_of: str) -> int:
    return services.scoring_finish(run_id=run_id, as_of=dt.date.fromisoformat(as_of))


@shared_task(name="segmentation.fail_scoring")
def fail_scoring(*, run_id: int) -> None:
    services.scoring_fail(run_id=run_id, message="A scoring chunk failed; see the worker log.")

"""Celery interface of the nightly lifecycle step: ISO dates and ids in, one call each.

`lifecycle.run_nightly` records the run and splits the accounts, then replaces itself with a
chord: one `lifecycle.run_chunk` per range of account ids (spread over the workers) and
`lifecycle.finish_nightly` once all are done. Inside the nightly chain the next step starts only
after the chord's body. Chunks are keyed writes, so a chunk redelivered after a worker died
(acks_late, reject_on_worker_lost, prefetch 1: see settings) is simply done again."""

from __future__ import annotations

import datetime as dt

from celery import chord, group, shared_task
from django.db import OperationalError

from . import nightly


@shared_task(name="lifecycle.run_nightly", bind=True)
def run_nightly(self, *, as_of: str, triggered_by: str = "") -> int:  # type: ignore[no-untyped-def]
    day = dt.date.fromisoformat(as_of)
    run_id, bounds = nightly.prepare(as_of=day, triggered_by=triggered_by)
    if self.request.is_eager or not bounds:
        # The embedded default (no broker): the same chunks, in this process.
        try:
            for first, last in bounds:
                nightly.chunk(run_id=run_id, as_of=day, first_id=first, last_id=last)
            return nightly.finish(run_id=run_id, as_of=day)
        except Exception as exc:
            nightly.fail(run_id=run_id, message=f"{type(exc).__name__}: {exc}")
            raise
    header = group(
        run_chunk.si(run_id=run_id, as_of=as_of, first_id=first, last_id=last)
        for first, last in bounds
    )
    body = finish_nightly.si(run_id=run_id, as_of=as_of).on_error(fail_nightly.si(run_id=run_id))
    return self.replace(chord(header, body))


@shared_task(
    name="lifecycle.run_chunk",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def run_chunk(*, run_id: int, as_of: str, first_id: int, last_id: int) -> int:
    return nightly.chunk(
        run_id=run_id, as_of=dt.date.fromisoformat(as_of), first_id=first_id, last_id=last_id
    )


@shared_task(name="lifecycle.finish_nightly")
def finish_nightly(*, run_id: int, as_of: str) -> int:
    return nightly.finish(run_id=run_id, as_of=dt.date.fromisoformat(as_of))


@shared_task(name="lifecycle.fail_nightly")
def fail_nightly(*, run_id: int) -> None:
    nightly.fail(run_id=run_id, message="A lifecycle chunk failed; see the worker log.")


# The campaign tasks (generation, preview) live with the campaigns; importing them here registers
# them with a worker (Celery autodiscovers `<app>.tasks` only).
from .campaigns.tasks import campaign_generate_task, campaign_preview_task  # noqa: E402, F401

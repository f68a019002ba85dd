"""The nightly run (DOMAIN.md §9): an ordered registry of steps by name.

A later step plugs in with one line in STEPS. Each step names
* `task`: a Celery task taking keyword arguments `as_of` (ISO date) and `triggered_by`; the nightly
  chain runs the steps one after the other (a step that fans out replaces itself with a chord, so
  the next step waits for all its chunks);
* `run`: the dotted path of a function `run(*, as_of, triggered_by, progress)` that does the same
  work in this process (the management command, the embedded default); `progress(advance, total)`
  reports chunks done.
Every step records its own run in the job ledger (core.JobRun) and is idempotent per `as_of`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NightlyStep:
    name: str
    task: str
    run: str
    label: Any


STEPS: tuple[NightlyStep, ...] = (
    NightlyStep(
        "segmentation",
        task="segmentation.run_scoring",
        run="segmentation.services.scoring_run",
        label=_("five-point scores, value scores and classes"),
    ),
    NightlyStep(
        "lifecycle",
        task="lifecycle.run_nightly",
        run="lifecycle.nightly.lifecycle_run",
        label=_("lifecycle stages, churn flags and retention tasks"),
    ),
    # kpi after the steps it snapshots (segmentation, lifecycle); only its rankings follow it.
    NightlyStep(
        "kpi",
        task="kpi.snapshot",
        run="kpi.runs.snapshot_run",
        label=_("KPI snapshots per region and account manager"),
    ),
    # After the snapshots: every region's league table of account managers for the quarter and
    # the year, ranked and cached before the morning (the dashboards' one costly query).
    NightlyStep(
        "kpi_rankings",
        task="kpi.rankings",
        run="kpi.warm.rankings_warm_run",
        label=_("KPI league tables ranked ahead of the morning"),
    ),
)


def steps(only: Sequence[str] | None = None) -> list[NightlyStep]:
    if not only:
        return list(STEPS)
    known = {step.name for step in STEPS}
    unknown = sorted(set(only) - known)
    if unknown:
        raise ValueError(f"unknown nightly step(s): {', '.join(unknown)}")
    return [step for step in STEPS if step.name in only]


ProgressFactory = Callable[[NightlyStep], Callable[[int, int], None]]


def run_sync(
    *,
    as_of: dt.date,
    only: Sequence[str] | None = None,
    triggered_by: str = "",
    progress_for: ProgressFactory | None = None,
) -> list[Any]:
    """Run the steps in this process, in order; returns what each step's `run` returned."""
    results = []
    for step in steps(only):
        run = import_string(step.run)
        progress = progress_for(step) if progress_for else None
        results.append(run(as_of=as_of, triggered_by=triggered_by, progress=progress))
    return results


def enqueue(*, as_of: dt.date, only: Sequence[str] | None = None, triggered_by: str = "") -> Any:
    """The steps as one Celery chain (each waits for the previous one to finish)."""
    from celery import chain, signature

    kwargs = {"as_of": as_of.isoformat(), "triggered_by": triggered_by}
    sigs = [signature(step.task, kwargs=kwargs, immutable=True) for step in steps(only)]
    return chain(*sigs).apply_async()

"""Writes for segmentation: indicator snapshots, class overrides and the scoring runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import account_get
from core.models import JobRun
from org.models import User
from org.visibility import can_edit_account

from . import domain, scoring
from .models import ClassOverride, IndicatorSnapshot, ScoringChunk

JOB = "segmentation"
SNAPSHOT_FIELDS = (*domain.QUANTITATIVE, *domain.RATED)


# --- indicators --------------------------------------------------------------------------------


def indicator_snapshot_record(
    *, actor: User, code: str, data: Mapping[str, Any]
) -> IndicatorSnapshot:
    """Record the indicators of one account on a date from a source. A second record for the same
    (account, date, source) replaces the first: corrections never pile up duplicates."""
    with transaction.atomic():
        account = account_get(user=actor, code=code)
        if not can_edit_account(actor, account):
            raise PermissionDenied
        values = {name: data.get(name) for name in SNAPSHOT_FIELDS}
        snapshot, _created = IndicatorSnapshot.objects.update_or_create(
            account=account,
            measured_on=data["measured_on"],
            source=data["source"],
            defaults={**values, "note": data.get("note", ""), "created_by": actor},
        )
    return snapshot


# --- class overrides ---------------------------------------------------------------------------


def can_override_class(user: Any, account: Any) -> bool:
    """Regional managers over the account's region, and headquarters (DOMAIN.md §4.3)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.role == User.Role.HQ:
        return True
    return user.role == User.Role.REGIONAL_MANAGER and can_edit_account(user, account)


def class_override_set(*, actor: User, code: str, value_class: str, reason: str) -> ClassOverride:
    reason = (reason or "").strip()
    if not reason:
        from django.core.exceptions import ValidationError

        raise ValidationError({"reason": _("Say why the class is overridden.")})
    with transaction.atomic():
        account = account_get(user=actor, code=code, for_update=True)
        if not can_override_class(actor, account):
            raise PermissionDenied
        override = ClassOverride.objects.filter(account=account).first() or ClassOverride(
            account=account
        )
        override.value_class = value_class
        override.reason = reason
        override.created_by = actor
        override._history_user = actor  # type: ignore[attr-defined]
        override.save()
    return override


def class_override_remove(*, actor: User, code: str) -> bool:
    with transaction.atomic():
        account = account_get(user=actor, code=code, for_update=True)
        if not can_override_class(actor, account):
            raise PermissionDenied
        override = ClassOverride.objects.filter(account=account).first()
        if override is None:
            return False
        override._history_user = actor  # type: ignore[attr-defined]
        override.delete()
    return True


# --- scoring runs -------------------------------------------------------------------------------

Progress = Callable[[int, int], None]


def scoring_prepare(*, as_of: dt.date, triggered_by: str = "") -> tuple[int, list[tuple[int, int]]]:
    """Phase 1: record the run, compute and store the cut points, split the population into
    chunks. Returns the run id and the chunk bounds."""
    config = scoring.scoring_config()
    run = JobRun.objects.create(job=JOB, as_of=as_of, triggered_by=triggered_by[:150])
    try:
        with transaction.atomic():
            scoring.compute_cuts(as_of=as_of, config=config)
            bounds, total = scoring.chunk_bounds(config=config)
            ScoringChunk.objects.bulk_create(
                [ScoringChunk(run=run, first_account_id=f, last_account_id=la) for f, la in bounds]
            )
        JobRun.objects.filter(pk=run.pk).update(total=total)
    except Exception as exc:
        scoring_fail(run_id=run.pk, message=f"{type(exc).__name__}: {exc}")
        raise
    return run.pk, bounds


def scoring_chunk(*, run_id: int, as_of: dt.date, first_id: int, last_id: int) -> int:
    """Phase 2 for one chunk: idempotent (upserts), and counted once however often it runs."""
    config = scoring.scoring_config()
    with transaction.atomic():
        cuts = scoring.stored_cuts(as_of)
        rows = scoring.score_chunk(
            as_of=as_of, first_id=first_id, last_id=last_id, cuts=cuts, config=config
        )
        ScoringChunk.objects.update_or_create(
            run_id=run_id,
            first_account_id=first_id,
            defaults={"last_account_id": last_id, "rows": rows, "finished_at": timezone.now()},
        )
        # Set, not increment, so a redelivered chunk does not count twice.
        done = ScoringChunk.objects.filter(run_id=run_id).aggregate(n=Sum("rows"))["n"] or 0
        JobRun.objects.filter(pk=run_id).update(rows=done)
    return rows


def scoring_finish(*, run_id: int, as_of: dt.date) -> int:
    """After every chunk: summarise history beyond the horizon, close the run."""
    config = scoring.scoring_config()
    pending = ScoringChunk.objects.filter(run_id=run_id, finished_at__isnull=True).count()
    if pending:
        message = _("%(n)s chunks did not finish.") % {"n": pending}
        scoring_fail(run_id=run_id, message=message)
        raise RuntimeError(message)
    scoring.history_summarise(as_of=as_of, horizon_days=config.horizon_days)
    rows = ScoringChunk.objects.filter(run_id=run_id).aggregate(n=Sum("rows"))["n"] or 0
    JobRun.objects.filter(pk=run_id).update(
        status=JobRun.Status.SUCCEEDED, finished_at=timezone.now(), rows=rows
    )
    return rows


def scoring_fail(*, run_id: int, message: str) -> None:
    run = JobRun.objects.filter(pk=run_id).first()
    if run is None:
        return
    JobRun.objects.filter(pk=run_id).update(
        status=JobRun.Status.FAILED,
        finished_at=timezone.now(),
        errors=[*run.errors, message[:2000]],
    )


def scoring_run(
    *, as_of: dt.date, triggered_by: str = "", progress: Progress | None = None
) -> JobRun:
    """The whole run in this process (the management command, tests, the embedded default)."""
    run_id, bounds = scoring_prepare(as_of=as_of, triggered_by=triggered_by)
    if progress:
        progress(0, len(bounds))
    try:
        for first_id, last_id in bounds:
            scoring_chunk(run_id=run_id, as_of=as_of, first_id=first_id, last_id=last_id)
            if progress:
                progress(1, len(bounds))
        scoring_finish(run_id=run_id, as_of=as_of)
    except Exception as exc:
        scoring_fail(run_id=run_id, message=f"{type(exc).__name__}: {exc}")
        raise
    return JobRun.objects.get(pk=run_id)


def can_start_run(user: Any) -> bool:
    """Scoring runs over every account: headquarters only."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (user.is_superuser or user.role == User.Role.HQ)
    )


def scoring_run_request(*, actor: User, as_of: dt.date) -> None:
    """hq starts a run from the UI: enqueued after commit, watched through the job ledger."""
    if not can_start_run(actor):
        raise PermissionDenied
    from .tasks import run_scoring

    transaction.on_commit(
        lambda: run_scoring.delay(as_of=as_of.isoformat(), triggered_by=actor.username)
    )

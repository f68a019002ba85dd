"""lifecycle.selectors.state_counts: accounts per (stage, churn risk) as the newest night left
them, counted once per run (the account lists choose their plan from it)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.tests.factories import AccountFactory
from core.models import JobRun
from lifecycle.models import AccountLifecycle, ChurnRisk
from lifecycle.selectors import state_counts
from lifecycle.tests.factories import AccountLifecycleFactory

pytestmark = pytest.mark.django_db


def _night() -> JobRun:
    return JobRun.objects.create(job="lifecycle", status=JobRun.Status.SUCCEEDED)


def test_counts_per_stage_and_risk_cached_until_the_next_night(world) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    _night()
    for stage, risk in [("D", ChurnRisk.HIGH), ("D", ChurnRisk.HIGH), ("A", ChurnRisk.LOW)]:
        AccountLifecycleFactory(
            account=AccountFactory(owner=world.am_a, region=world.district_a1),
            stage=stage,
            churn_risk=risk,
        )
    assert state_counts() == {("D", "high"): 2, ("A", "low"): 1}
    AccountLifecycle.objects.filter(stage="A").update(stage="B")
    # The same night: the cached counts stand (only a night rewrites these rows).
    assert state_counts() == {("D", "high"): 2, ("A", "low"): 1}
    _night()
    assert state_counts() == {("D", "high"): 2, ("B", "low"): 1}

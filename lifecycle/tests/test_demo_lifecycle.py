"""The demo's lifecycle step: its bill history yields every stage and every flag, mostly C, and
running the demo again (the same nights) changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from core.models import JobRun, Notification
from lifecycle.models import AccountLifecycle, ChurnFlag, FlagCode, RetentionTask, StageMigration


def _demo() -> str:
    out = StringIO()
    with translation.override("en"):
        call_command(
            "demo", "--no-serve", "--accounts", "1200", "--seed", "2024", "--as-of", "2026-11-20",
            stdout=out,
        )  # fmt: skip
    return out.getvalue()


@pytest.mark.django_db
def test_demo_history_produces_every_stage_and_flag():
    output = _demo()
    assert "stages:" in output and "flags:" in output
    stages = list(AccountLifecycle.objects.values_list("stage", flat=True))
    counts = {s: stages.count(s) for s in ("A", "B", "C", "D", "E")}
    assert all(counts.values()), counts
    assert max(counts, key=lambda s: counts[s]) == "C"
    assert counts["A"] < counts["B"] and counts["E"] < counts["D"]
    open_codes = set(
        ChurnFlag.objects.filter(cleared_on__isnull=True).values_list("code", flat=True)
    )
    assert open_codes == set(FlagCode.values)
    assert RetentionTask.objects.filter(status="open").exists()
    # The owners worked the earlier nights' tasks: every outcome, most on time, some late, each
    # with an action and its history row; the KPI's on-time rate is neither 0 nor 100 %.
    closed = RetentionTask.objects.filter(status="closed")
    assert set(closed.values_list("outcome", flat=True)) == set(RetentionTask.Outcome.values)
    on_time = [t.closed_at.date() <= t.due_on for t in closed]
    assert sum(on_time) > len(on_time) - sum(on_time) > 0
    assert all(t.actions.exists() and t.closed_by_id == t.owner_id for t in closed)
    assert all(
        t.history.filter(history_change_reason__startswith="closed").exists() for t in closed
    )
    from kpi.models import MetricSnapshot

    rate = MetricSnapshot.objects.filter(
        metric="retention_on_time", period="year", region__parent__isnull=True
    ).latest("as_of")
    assert rate.value is not None and 0 < rate.value < 1, rate.value
    assert StageMigration.objects.exclude(from_stage=None).exists()  # history from earlier nights
    assert Notification.objects.filter(kind="task_overdue").exists()
    assert JobRun.objects.filter(job="lifecycle", status="succeeded").count() == 3
    before = (
        list(AccountLifecycle.objects.order_by("account_id").values()),
        ChurnFlag.objects.count(),
        RetentionTask.objects.count(),
        Notification.objects.count(),
    )
    _demo()
    after = (
        list(AccountLifecycle.objects.order_by("account_id").values()),
        ChurnFlag.objects.count(),
        RetentionTask.objects.count(),
        Notification.objects.count(),
    )
    assert after == before

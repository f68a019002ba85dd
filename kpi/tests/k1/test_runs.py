"""The KPI step as the nightly run and the demo use it: recorded in the job ledger, idempotent,
the backfill's dates, the distributions and the nightly registry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from core import nightly
from core.models import JobRun
from kpi import runs, snapshots
from kpi.models import DistributionSnapshot, MetricSnapshot
from lifecycle.models import AccountLifecycle
from org.models import Region

from .generated import AS_OF, build_world


def test_backfill_dates_are_month_ends_and_the_last_30_days() -> None:
    days = snapshots.backfill_dates(dt.date(2026, 8, 14))
    assert days[0] == dt.date(2025, 8, 31)
    assert dt.date(2026, 2, 28) in days and dt.date(2026, 7, 31) in days
    assert days[-30:] == [dt.date(2026, 7, 16) + dt.timedelta(days=k) for k in range(30)]
    assert len(days) == 12 + 30 - 1  # 31 July is both a month-end and a recent day
    assert days == sorted(set(days))


def test_the_kpi_step_runs_after_every_step_it_snapshots() -> None:
    names = [step.name for step in nightly.STEPS]
    assert names.index("kpi") > max(names.index("segmentation"), names.index("lifecycle"))
    assert names[names.index("kpi") + 1 :] == ["kpi_rankings"]  # only its league tables follow
    assert nightly.steps(["kpi"])[0].run == "kpi.runs.snapshot_run"


@pytest.mark.django_db
def test_snapshot_run_is_recorded_and_idempotent() -> None:
    build_world(11, accounts=25)
    first = runs.snapshot_run(as_of=AS_OF, triggered_by="test")
    assert first.status == JobRun.Status.SUCCEEDED
    assert first.job == "kpi.snapshot" and first.as_of == AS_OF
    regions = Region.objects.count()
    owners = (
        MetricSnapshot.objects.filter(as_of=AS_OF, user__isnull=False).values("user").distinct()
    )
    metric_rows = (regions + owners.count()) * 10 * 3
    assert MetricSnapshot.objects.filter(as_of=AS_OF).count() == metric_rows
    before = sorted(MetricSnapshot.objects.values_list("pk", "numerator", "denominator", "value"))
    dist_before = sorted(DistributionSnapshot.objects.values_list("pk", "accounts"))
    second = runs.snapshot_run(as_of=AS_OF, triggered_by="test")
    assert second.rows == first.rows == metric_rows + len(dist_before)
    assert (
        sorted(MetricSnapshot.objects.values_list("pk", "numerator", "denominator", "value"))
        == before
    )
    assert sorted(DistributionSnapshot.objects.values_list("pk", "accounts")) == dist_before


@pytest.mark.django_db
def test_a_failed_run_is_recorded_and_leaves_the_previous_night(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    build_world(12, accounts=10)
    runs.snapshot_run(as_of=AS_OF)
    before = MetricSnapshot.objects.count()

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(snapshots, "_distributions", boom)
    with pytest.raises(RuntimeError):
        runs.snapshot_run(as_of=AS_OF + dt.timedelta(days=1))
    failed = JobRun.objects.filter(job="kpi.snapshot").order_by("-pk").first()
    assert failed is not None and failed.status == JobRun.Status.FAILED
    assert "disk full" in failed.errors[0]
    # the night's metric rows were rolled back with it
    assert MetricSnapshot.objects.count() == before


@pytest.mark.django_db
def test_distributions_roll_up_over_the_subtree() -> None:
    accounts = build_world(13, accounts=30)
    snapshots.snapshot(AS_OF)
    province = Region.objects.get(code="P13")
    rows = DistributionSnapshot.objects.filter(as_of=AS_OF, region=province)
    for dimension in ("value_class", "stage", "churn_risk"):
        assert sum(r.accounts for r in rows if r.dimension == dimension) == len(accounts)
    # churn risk is known only where the lifecycle ran on or before as_of
    known = AccountLifecycle.objects.filter(as_of__lte=AS_OF).count()
    assert sum(r.accounts for r in rows if r.dimension == "churn_risk" and r.bucket) == known
    city = Region.objects.get(code="P13C0")
    in_city = sum(1 for a in accounts if a.region.path.startswith(city.path))
    city_rows = DistributionSnapshot.objects.filter(as_of=AS_OF, region=city, dimension="stage")
    assert sum(r.accounts for r in city_rows) == in_city


@pytest.mark.django_db
def test_backfill_command_computes_every_night() -> None:
    build_world(14, accounts=10)
    call_command(
        "kpi_backfill", "--as-of", "2026-08-14", "--date", "2026-07-31", "--date", "2026-08-14"
    )
    assert sorted(set(MetricSnapshot.objects.values_list("as_of", flat=True))) == [
        dt.date(2026, 7, 31),
        dt.date(2026, 8, 14),
    ]
    run = JobRun.objects.get(job="kpi.backfill")
    assert run.total == 2 and run.status == JobRun.Status.SUCCEEDED


@pytest.mark.django_db
def test_the_celery_task_runs_the_step() -> None:
    from kpi import tasks

    build_world(15, accounts=8)
    rows = tasks.snapshot.delay(as_of=AS_OF.isoformat(), triggered_by="beat").get()
    assert rows == JobRun.objects.get(job="kpi.snapshot").rows > 0
    assert MetricSnapshot.objects.filter(as_of=AS_OF).exists()

"""The nightly lifecycle step's writes: history, flags raised and cleared, one task per high-risk
episode, notifications and e-mail once, the run ledger, the nightly registry and the task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.tests.factories import AccountFactory, RegionFactory, UserFactory
from core.models import JobRun, Notification
from lifecycle import nightly
from lifecycle.models import (
    AccountLifecycle,
    ChurnFlag,
    RetentionTask,
    StageChange,
    StageMigration,
)
from lifecycle.tasks import run_nightly
from lifecycle.tests import nightly_helpers as h

AS_OF = dt.date(2026, 7, 15)


@pytest.fixture
def scene(db):
    province = RegionFactory(code="GD", name="广东省", level="province")
    city = RegionFactory(code="GZ", name="广州市", parent=province)
    district = RegionFactory(code="GZ-TH", name="天河区", parent=city, level="district")
    other = RegionFactory(code="SZ", name="深圳市", parent=province)
    owner = UserFactory(username="am", region=district, email="am@example.com")
    rm_city = UserFactory(
        username="rm_gz", role="regional_manager", region=city, email="rm@example.com"
    )
    rm_province = UserFactory(username="rm_gd", role="regional_manager", region=province)
    rm_other = UserFactory(
        username="rm_sz", role="regional_manager", region=other, email="sz@example.com"
    )
    batch = h.batch()
    falling = AccountFactory(owner=owner, region=district)  # R3 = 50 % of P3: revenue drop
    steady = AccountFactory(owner=owner, region=district)
    halved = {**dict.fromkeys(range(4, 13), 1000), 1: 500, 2: 500, 3: 500}
    h.add_lines(falling, h.series_lines(AS_OF, halved), batch_row=batch)
    # Billed through August (later tests run September's night too).
    h.add_lines(steady, h.series_lines(AS_OF, dict.fromkeys(range(-1, 13), 1000)), batch_row=batch)
    return {
        "owner": owner,
        "rm_city": rm_city,
        "rm_province": rm_province,
        "rm_other": rm_other,
        "falling": falling,
        "steady": steady,
        "batch": batch,
    }


def counts():
    return (
        AccountLifecycle.objects.count(),
        StageChange.objects.count(),
        ChurnFlag.objects.count(),
        RetentionTask.objects.count(),
        Notification.objects.count(),
        StageMigration.objects.count(),
    )


def test_first_night_writes_state_history_flags_task_and_notification(scene):
    run = nightly.lifecycle_run(as_of=AS_OF, triggered_by="test")
    assert (run.job, run.status, run.rows, run.total) == ("lifecycle", "succeeded", 2, 2)
    falling = AccountLifecycle.objects.get(account=scene["falling"])
    assert (falling.stage, falling.churn_risk, falling.high_risk_since) == ("D", "high", AS_OF)
    assert AccountLifecycle.objects.get(account=scene["steady"]).stage == "C"
    assert set(StageChange.objects.values_list("from_stage", "to_stage")) == {
        (None, "D"),
        (None, "C"),
    }
    flag = ChurnFlag.objects.get(account=scene["falling"])
    assert (flag.code, flag.raised_on, flag.cleared_on) == ("revenue_drop", AS_OF, None)
    assert flag.evidence == {"r3": 15.0, "p3": 30.0}
    task = RetentionTask.objects.get()
    assert (task.account, task.owner, task.episode_on, task.status) == (
        scene["falling"], scene["owner"], AS_OF, "open"
    )  # fmt: skip
    assert (task.stage, task.flags, task.due_on) == ("D", ["revenue_drop"], dt.date(2026, 7, 29))
    assert task.question == "How to extend the lifecycle?"
    assert list(task.history.values_list("history_type", "status")) == [("+", "open")]
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.key) == (scene["owner"], "high_risk", f"task:{task.pk}")
    assert note.params == {
        "task_id": task.pk,
        "account_code": scene["falling"].code,
        "account_name": scene["falling"].name,
        "stage": "D",
        "flags": ["revenue_drop"],
        "due_on": "2026-07-29",
        "episode_on": "2026-07-15",
    }
    assert note.url == f"/accounts/{scene['falling'].code}/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["am@example.com"]
    # In the site's language (zh-hans), with the account and its warnings.
    assert (
        mail.outbox[0].subject == f"高流失风险：{scene['falling'].name}（{scene['falling'].code}）"
    )
    assert "收入" in mail.outbox[0].body and "2026-07-29" in mail.outbox[0].body
    assert note.emailed_at is not None


def test_the_same_night_again_changes_nothing(scene):
    nightly.lifecycle_run(as_of=AS_OF)
    before = counts()
    ids = sorted(ChurnFlag.objects.values_list("id", flat=True))
    states = list(AccountLifecycle.objects.order_by("account_id").values())
    nightly.lifecycle_run(as_of=AS_OF)
    nightly.run_chunk(as_of=AS_OF, first_id=scene["falling"].pk, last_id=scene["steady"].pk)
    assert counts() == before
    assert sorted(ChurnFlag.objects.values_list("id", flat=True)) == ids
    assert list(AccountLifecycle.objects.order_by("account_id").values()) == states
    assert len(mail.outbox) == 1  # e-mailed once
    assert JobRun.objects.filter(job="lifecycle", status="succeeded").count() == 2


def test_a_recovered_account_clears_its_flag_and_a_new_drop_opens_a_second_task(scene):
    nightly.lifecycle_run(as_of=AS_OF)
    falling = scene["falling"]
    # Recovery: the next month is billed well again (m1 of the next as_of).
    next_month = dt.date(2026, 8, 3)
    h.add_lines(
        falling, [h.domain.Line(dt.date(2026, 7, 1), "DL-DIA", 5000)], batch_row=scene["batch"]
    )
    nightly.lifecycle_run(as_of=next_month)
    flag = ChurnFlag.objects.get(account=falling)
    assert flag.cleared_on == next_month
    state = AccountLifecycle.objects.get(account=falling)
    assert (state.churn_risk, state.high_risk_since) == ("low", None)
    assert state.stage == "B" and state.stage_since == next_month
    assert StageChange.objects.filter(account=falling, changed_on=next_month, from_stage="D",
                                      to_stage="B").exists()  # fmt: skip
    assert RetentionTask.objects.count() == 1
    # It falls again: a new episode, a new flag row and a second task.
    third = dt.date(2026, 9, 2)
    h.add_lines(
        falling, [h.domain.Line(dt.date(2026, 8, 1), "DL-DIA", -5000)], batch_row=scene["batch"]
    )
    nightly.lifecycle_run(as_of=third)
    assert AccountLifecycle.objects.get(account=falling).high_risk_since == third
    assert list(RetentionTask.objects.filter(account=falling).order_by("episode_on")
                .values_list("episode_on", flat=True)) == [AS_OF, third]  # fmt: skip
    assert ChurnFlag.objects.filter(account=falling, cleared_on__isnull=True).count() >= 1
    assert Notification.objects.filter(kind="high_risk").count() == 2


def test_an_ongoing_episode_keeps_its_task(scene):
    nightly.lifecycle_run(as_of=AS_OF)
    nightly.lifecycle_run(as_of=AS_OF + dt.timedelta(days=1))
    state = AccountLifecycle.objects.get(account=scene["falling"])
    assert state.high_risk_since == AS_OF
    assert RetentionTask.objects.count() == 1
    assert ChurnFlag.objects.count() == 1  # still the same open flag


def test_overdue_task_notifies_owner_and_managers_up_the_region_tree_once(scene):
    nightly.lifecycle_run(as_of=AS_OF)
    late = AS_OF + dt.timedelta(days=15)  # due on AS_OF + 14
    nightly.lifecycle_run(as_of=late)
    overdue = Notification.objects.filter(kind="task_overdue")
    assert set(overdue.values_list("recipient__username", flat=True)) == {"am", "rm_gz", "rm_gd"}
    assert RetentionTask.objects.get().overdue_notified_on == late
    # e-mail to those with an address: the owner (high risk + overdue) and rm_gz; rm_gd has none.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "am@example.com", "am@example.com", "rm@example.com"
    ]  # fmt: skip
    nightly.lifecycle_run(as_of=late + dt.timedelta(days=1))
    assert overdue.count() == 3 and len(mail.outbox) == 3


def test_stage_migration_counts_from_last_month_end_to_now(scene):
    nightly.lifecycle_run(as_of=dt.date(2026, 4, 30))  # earlier: both C (m1 = March)
    assert set(AccountLifecycle.objects.values_list("stage", flat=True)) == {"C"}
    nightly.lifecycle_run(as_of=AS_OF)
    rows = set(
        StageMigration.objects.filter(month_on=dt.date(2026, 7, 1)).values_list(
            "region__code", "from_stage", "to_stage", "accounts"
        )
    )
    assert rows == {("GZ-TH", "C", "D", 1), ("GZ-TH", "C", "C", 1)}


def test_run_nightly_command_and_the_celery_task_run_the_step(scene):
    call_command("run_nightly", "--only", "lifecycle", "--as-of", AS_OF.isoformat())
    assert JobRun.objects.filter(job="lifecycle", as_of=AS_OF, status="succeeded").count() == 1
    run_nightly.delay(as_of=AS_OF.isoformat(), triggered_by="test")  # eager in tests
    assert JobRun.objects.filter(job="lifecycle", as_of=AS_OF, status="succeeded").count() == 2
    assert RetentionTask.objects.count() == 1


def test_a_failing_chunk_marks_the_run_failed(scene, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(nightly, "run_chunk", boom)
    with pytest.raises(RuntimeError):
        nightly.lifecycle_run(as_of=AS_OF)
    run = JobRun.objects.get(job="lifecycle")
    assert run.status == "failed" and "disk full" in run.errors[0]


def test_an_older_night_than_the_newest_is_refused_and_changes_nothing(scene):
    nightly.lifecycle_run(as_of=AS_OF)
    before = counts()
    with pytest.raises(nightly.LaterNightAlreadyRun):
        nightly.lifecycle_run(as_of=AS_OF - dt.timedelta(days=1))
    assert counts() == before
    assert nightly.latest_night() == AS_OF

"""A small lifecycle scenario over the shared `world`: accounts of two portfolios in two cities,
flagged at different risks, with open, overdue and closed retention tasks and a month's stage
migration."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from accounts.models import Account
from accounts.tests.factories import AccountFactory
from lifecycle.models import ChurnRisk, FlagCode, RetentionTask
from lifecycle.tests.factories import (
    AccountLifecycleFactory,
    ChurnFlagFactory,
    RetentionTaskFactory,
    StageChangeFactory,
    StageMigrationFactory,
)

TODAY = dt.date(2026, 11, 20)
MONTH = dt.date(2026, 10, 1)


@dataclass
class Scene:
    world: object
    high: Account  # am_a, high risk, overdue open task
    medium: Account  # am_a, medium risk, no task
    calm: Account  # am_a, low risk, no flags
    foreign: Account  # am_b in another city, high risk with a task
    task: RetentionTask
    foreign_task: RetentionTask


@pytest.fixture
def scene(world, monkeypatch) -> Scene:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    high = AccountFactory(owner=world.am_a, region=world.district_a1, name="高危集团有限公司")
    medium = AccountFactory(owner=world.am_a, region=world.district_a1, name="中危集团有限公司")
    calm = AccountFactory(owner=world.am_a, region=world.district_a1, name="平稳集团有限公司")
    foreign = AccountFactory(owner=world.am_b, region=world.city_b, name="深圳外部集团")
    AccountLifecycleFactory(account=high)
    AccountLifecycleFactory(
        account=medium,
        stage="C",
        churn_risk=ChurnRisk.MEDIUM,
        revenue_r3=Decimal("30000"),
        revenue_p3=Decimal("30000"),
    )
    AccountLifecycleFactory(account=calm, stage="B", churn_risk=ChurnRisk.LOW, flag_count=0)
    AccountLifecycleFactory(account=foreign)
    ChurnFlagFactory(account=high)
    ChurnFlagFactory(account=high, code=FlagCode.MEMBER_DROP, evidence={"m1": 45, "m4": 60})
    ChurnFlagFactory(
        account=medium,
        code=FlagCode.CONTRACT_EXPIRING,
        evidence={"contract_end": "2027-01-15", "days": 56},
    )
    ChurnFlagFactory(
        account=calm, code=FlagCode.NO_CONTACT, raised_on=dt.date(2026, 6, 1),
        cleared_on=dt.date(2026, 9, 1), evidence={"last_contact_on": "2026-04-01"},
    )  # fmt: skip
    ChurnFlagFactory(account=foreign)
    task = RetentionTaskFactory(account=high, due_on=dt.date(2026, 11, 15))
    foreign_task = RetentionTaskFactory(account=foreign)
    StageChangeFactory(account=high, changed_on=dt.date(2026, 1, 1), from_stage=None, to_stage="C")
    StageChangeFactory(account=high, changed_on=dt.date(2026, 10, 1), from_stage="C", to_stage="D")
    StageChangeFactory(
        account=medium, changed_on=dt.date(2026, 1, 1), from_stage=None, to_stage="C"
    )
    StageChangeFactory(account=calm, changed_on=dt.date(2026, 1, 1), from_stage=None, to_stage="B")
    StageChangeFactory(
        account=foreign, changed_on=dt.date(2026, 1, 1), from_stage=None, to_stage="C"
    )
    StageChangeFactory(
        account=foreign, changed_on=dt.date(2026, 10, 1), from_stage="C", to_stage="D"
    )
    StageMigrationFactory(region=world.district_a1, month_on=MONTH, from_stage="C", to_stage="D")
    StageMigrationFactory(
        region=world.district_a1, month_on=MONTH, from_stage="C", to_stage="C", accounts=1
    )
    StageMigrationFactory(
        region=world.district_a1, month_on=MONTH, from_stage="B", to_stage="B", accounts=1
    )
    StageMigrationFactory(region=world.city_b, month_on=MONTH, from_stage="C", to_stage="D")
    return Scene(world, high, medium, calm, foreign, task, foreign_task)

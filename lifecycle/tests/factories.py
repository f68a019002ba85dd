"""factory_boy factories for the lifecycle tables and core.Notification.

Defaults describe a coherent high-risk account: stage D, a revenue-drop flag with its evidence,
and an open retention task for the account's owner carrying the stage's question and strategy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from accounts.tests.factories import AccountFactory, UserFactory
from core.models import Notification
from lifecycle import domain
from lifecycle.models import (
    AccountLifecycle,
    ChurnFlag,
    ChurnRisk,
    FlagCode,
    RetentionAction,
    RetentionTask,
    Stage,
    StageChange,
    StageMigration,
)
from lifecycle.playbook import play_for

AS_OF = dt.date(2026, 11, 1)


class AccountLifecycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountLifecycle
        django_get_or_create = ("account",)

    account = factory.SubFactory(AccountFactory)
    as_of = AS_OF
    stage = Stage.DECLINE
    stage_since = dt.date(2026, 9, 1)
    churn_risk = ChurnRisk.HIGH
    flag_count = 1
    high_risk_since = factory.LazyAttribute(
        lambda o: o.as_of if o.churn_risk == ChurnRisk.HIGH else None
    )
    revenue_r3 = Decimal("8200.00")
    revenue_p3 = Decimal("12000.00")
    products_m1 = 2
    products_m4 = 3
    first_revenue_on = dt.date(2023, 1, 1)
    # As the night keys it (no value class known here: the class rank is "none" for all).
    desk_key = factory.LazyAttribute(
        lambda o: domain.desk_key(
            churn_risk=o.churn_risk,
            value_class=None,
            revenue_p3=o.revenue_p3,
            revenue_r3=o.revenue_r3,
        )
    )


class StageChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageChange

    account = factory.SubFactory(AccountFactory)
    changed_on = dt.date(2026, 9, 1)
    from_stage = Stage.MATURE
    to_stage = Stage.DECLINE


class StageMigrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageMigration

    region = factory.LazyAttribute(lambda o: AccountFactory().region)
    month_on = dt.date(2026, 10, 1)
    from_stage = Stage.MATURE
    to_stage = Stage.DECLINE
    accounts = 1


def revenue_drop_evidence(r3: str = "8200.00", p3: str = "12000.00") -> dict[str, str]:
    return {"r3": r3, "p3": p3}


class ChurnFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChurnFlag
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    code = FlagCode.REVENUE_DROP
    raised_on = AS_OF
    cleared_on = None
    evidence = factory.LazyFunction(revenue_drop_evidence)

    @factory.post_generation
    def open_bit(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        """As the night writes them together: an open flag's bit on the account's state."""
        if create and obj.cleared_on is None:
            state = AccountLifecycle.objects.filter(account_id=obj.account_id).first()
            if state is not None:
                state.open_flags |= domain.FLAG_BITS[obj.code]
                state.save(update_fields=["open_flags"])


class RetentionTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RetentionTask

    account = factory.SubFactory(AccountFactory)
    episode_on = AS_OF
    owner = factory.LazyAttribute(lambda o: o.account.owner)
    stage = Stage.DECLINE
    flags = factory.LazyFunction(
        lambda: [
            {
                "code": FlagCode.REVENUE_DROP.value,
                "raised_on": AS_OF.isoformat(),
                "evidence": revenue_drop_evidence(),
            }
        ]
    )
    question = factory.LazyAttribute(lambda o: play_for(o.stage).question)
    strategy = factory.LazyAttribute(lambda o: play_for(o.stage).strategy)
    due_on = factory.LazyAttribute(lambda o: o.episode_on + dt.timedelta(days=14))
    status = RetentionTask.Status.OPEN
    outcome = ""


class ClosedRetentionTaskFactory(RetentionTaskFactory):
    status = RetentionTask.Status.CLOSED
    outcome = RetentionTask.Outcome.RETAINED
    outcome_note = "续签两年专线合同"
    closed_at = factory.LazyFunction(lambda: dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC))
    closed_by = factory.LazyAttribute(lambda o: o.owner)


class RetentionActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RetentionAction

    task = factory.SubFactory(RetentionTaskFactory)
    done_on = dt.date(2026, 11, 5)
    note = "拜访客户信息部负责人，了解降费原因"
    created_by = factory.LazyAttribute(lambda o: o.task.owner)


class NotificationFactory(factory.django.DjangoModelFactory):
    """Params in lifecycle/notify.py's documented format (task id, account code and name, stage,
    flag codes, due date, episode start); the url is the account's page."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = Notification.Kind.HIGH_RISK
    key = factory.Sequence(lambda n: f"task:{n}")
    account = factory.SubFactory(AccountFactory, owner=factory.SelfAttribute("..recipient"))
    params = factory.LazyAttribute(
        lambda o: {
            "task_id": None,
            "account_code": o.account.code,
            "account_name": o.account.name,
            "stage": Stage.DECLINE.value,
            "flags": [FlagCode.REVENUE_DROP.value],
            "due_on": "2026-11-15",
            "episode_on": AS_OF.isoformat(),
        }
    )
    url = factory.LazyAttribute(lambda o: f"/accounts/{o.account.code}/")
    read_at = None

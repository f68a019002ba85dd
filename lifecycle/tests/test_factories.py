from lifecycle.tests.factories import (
    AccountLifecycleFactory,
    ChurnFlagFactory,
    ClosedRetentionTaskFactory,
    NotificationFactory,
    RetentionActionFactory,
    RetentionTaskFactory,
    StageChangeFactory,
    StageMigrationFactory,
)


def test_factories_build_consistent_rows(db):  # type: ignore[no-untyped-def]
    state = AccountLifecycleFactory()
    flag = ChurnFlagFactory(account=state.account)
    task = RetentionTaskFactory(account=state.account)
    action = RetentionActionFactory(task=task)
    closed = ClosedRetentionTaskFactory(
        account=state.account, episode_on=task.episode_on.replace(year=2025)
    )
    StageChangeFactory(account=state.account)
    StageMigrationFactory(region=state.account.region)
    note = NotificationFactory()
    assert flag.evidence["r3"] == "8200.00"
    assert task.owner == state.account.owner and task.question.startswith("How to extend")
    assert action.created_by == task.owner
    assert closed.status == "closed" and closed.outcome == "retained"
    assert note.account.owner == note.recipient

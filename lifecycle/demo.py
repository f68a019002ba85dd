"""The demo's lifecycle step: run the nightly lifecycle job over the demo's bill history.

Two earlier nights (the ends of the two months before the demo's as_of) run first, so the demo
has stage history, a month-to-month migration matrix and retention tasks that are already
overdue, as a system that has been running for a while would. E-mail goes to the dummy backend
(the demo's users would otherwise get thousands of messages on the console); the notifications
are in-app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count

from . import domain, nightly
from .models import AccountLifecycle, ChurnFlag, RetentionTask

DUMMY_MAIL = "django.core.mail.backends.dummy.EmailBackend"


def demo_nights(as_of: dt.date) -> list[dt.date]:
    """The end of the month two before as_of's, the end of the previous month, and as_of."""
    month = domain.month_start(as_of)
    return [
        domain.add_months(month, -1) - dt.timedelta(days=1),
        month - dt.timedelta(days=1),
        as_of,
    ]


# What the owners made of a night's new tasks by the next night (of every 100, by a hash of the
# task): closed on time with these outcomes, closed late, or still open (then overdue).
OUTCOME_SHARES = (
    (RetentionTask.Outcome.RETAINED, 34),
    (RetentionTask.Outcome.DOWNGRADED, 12),
    (RetentionTask.Outcome.LOST, 8),
    (RetentionTask.Outcome.FALSE_ALARM, 8),
)
CLOSED_LATE = 10  # of every 100, after the due date
ACTION_NOTE = "电话联系关键人，了解近期业务变化。"
NOTES = {
    RetentionTask.Outcome.RETAINED: "上门拜访关键人，确认续约并调整资费方案。",
    RetentionTask.Outcome.DOWNGRADED: "客户压缩预算，保留核心业务，部分业务降档。",
    RetentionTask.Outcome.LOST: "客户已转网，记录流失原因：竞争对手报价更低。",
    RetentionTask.Outcome.FALSE_ALARM: "核实为季节性波动，业务正常。",
}


def work_tasks(*, night: dt.date, until: dt.date) -> int:
    """The owners' work on the tasks `night` opened, as recorded by `until`: most closed on time
    (an action, then the outcome on a day inside the task's window), some late, the rest left
    open. Through the services (with the owner as actor, so the audit trail is theirs);
    deterministic. Demo size: a few hundred tasks. Returns the tasks closed."""
    from . import services

    closed = 0
    for task in (
        RetentionTask.objects.filter(status=RetentionTask.Status.OPEN, episode_on=night)
        .select_related("owner")
        .order_by("id")
    ):
        if task.owner is None:
            continue
        h = (task.pk * 2654435761) % 100
        window = max(1, (task.due_on - task.episode_on).days)
        outcome, edge = None, 0
        for candidate, share in OUTCOME_SHARES:
            edge += share
            if h < edge:
                outcome = candidate
                break
        if outcome is not None:
            closed_on = task.episode_on + dt.timedelta(days=1 + h % window)
        elif h < edge + CLOSED_LATE:
            outcome = OUTCOME_SHARES[h % len(OUTCOME_SHARES)][0]
            closed_on = task.due_on + dt.timedelta(days=1 + h % 7)
        else:
            continue
        if closed_on > until:
            continue
        services.retention_action_record(
            actor=task.owner,
            task_id=task.pk,
            done_on=closed_on,
            note="电话联系关键人，了解近期业务变化。",
        )
        services.retention_task_close(
            actor=task.owner,
            task_id=task.pk,
            outcome=outcome,
            note=NOTES[outcome],
            closed_on=closed_on,
        )
        closed += 1
    return closed


def demo_run(*, as_of: dt.date) -> dict[str, dict[str, int]]:
    latest = nightly.latest_night()
    nights = demo_nights(as_of)
    for i, night in enumerate(nights):
        if latest is not None and night < latest:
            continue  # already run (the demo again): state only moves forward
        nightly.lifecycle_run(as_of=night, triggered_by="manage.py demo", email_backend=DUMMY_MAIL)
        if i + 1 < len(nights):
            # Before the next night: what the owners did with this night's tasks meanwhile.
            work_tasks(night=night, until=nights[i + 1])
    stages = {
        row["stage"] or "-": row["n"]
        for row in AccountLifecycle.objects.values("stage").annotate(n=Count("pk"))
    }
    flags = {
        row["code"]: row["n"]
        for row in ChurnFlag.objects.filter(cleared_on__isnull=True)
        .values("code")
        .annotate(n=Count("pk"))
    }
    risks = {
        row["churn_risk"]: row["n"]
        for row in AccountLifecycle.objects.values("churn_risk").annotate(n=Count("pk"))
    }
    return {
        "stages": dict(sorted(stages.items())),
        "flags": dict(sorted(flags.items())),
        "risk": risks,
        "tasks": {
            "open": RetentionTask.objects.filter(status="open").count(),
            "closed": RetentionTask.objects.filter(status="closed").count(),
        },
    }


def demo_step(run: Any) -> None:
    """The demo command's step."""
    summary = demo_run(as_of=run.spec.as_of)
    for name, numbers in summary.items():
        run.say(f"      {name}: " + ", ".join(f"{k} {v:,}" for k, v in numbers.items()))

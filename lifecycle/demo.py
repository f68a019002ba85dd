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


def demo_run(*, as_of: dt.date) -> dict[str, dict[str, int]]:
    latest = nightly.latest_night()
    for night in demo_nights(as_of):
        if latest is not None and night < latest:
            continue  # already run (the demo again): state only moves forward
        nightly.lifecycle_run(as_of=night, triggered_by="manage.py demo", email_backend=DUMMY_MAIL)
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
        "tasks": {"open": RetentionTask.objects.filter(status="open").count()},
    }


def demo_step(run: Any) -> None:
    """The demo command's step."""
    summary = demo_run(as_of=run.spec.as_of)
    for name, numbers in summary.items():
        run.say(f"      {name}: " + ", ".join(f"{k} {v:,}" for k, v in numbers.items()))

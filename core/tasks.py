from celery import shared_task

from .jobs import recorded_run


@shared_task(name="core.heartbeat")
def heartbeat(*, triggered_by: str = "") -> int:
    """Records a run in the job ledger; proves a worker can reach the database and the broker."""
    with recorded_run("heartbeat", triggered_by=triggered_by) as run:
        return run.pk


@shared_task(name="core.nightly")
def nightly(*, as_of: str = "", only: list[str] | None = None, triggered_by: str = "beat") -> str:
    """The beat entry: today's date (the local day that is ending is the run date) unless given,
    then the nightly steps as one chain."""
    import datetime as dt

    from django.utils import timezone

    from .nightly import enqueue

    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    enqueue(as_of=day, only=only, triggered_by=triggered_by)
    return day.isoformat()

from celery import shared_task

from .jobs import recorded_run


@shared_task(name="core.heartbeat")
def heartbeat(*, triggered_by: str = "") -> int:
    """Records a run in the job ledger; proves a worker can reach the database and the broker."""
    with recorded_run("heartbeat", triggered_by=triggered_by) as run:
        return run.pk

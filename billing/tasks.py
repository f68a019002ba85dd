from celery import shared_task

from core.jobs import recorded_run

from . import services


@shared_task(name="billing.idempotency_keys_expire")
def idempotency_keys_expire(*, triggered_by: str = "beat") -> int:
    """Release idempotency keys past their retention (the batches and payloads stay)."""
    with recorded_run("billing.idempotency_keys_expire", triggered_by=triggered_by) as run:
        released = services.idempotency_keys_expire()
        run.rows = released
        run.save(update_fields=["rows"])
        return released


@shared_task(name="billing.batch_reprocess", acks_late=True)
def batch_reprocess(*, batch_id: int) -> int:
    return services.batch_reprocess(batch_id=batch_id).applied

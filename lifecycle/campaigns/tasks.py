"""Celery interface of call-list generation: ids and an ISO date in, one service call.

Registered by `lifecycle.tasks` importing this module (Celery autodiscovers `<app>.tasks`)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from . import services


@shared_task(name="lifecycle.campaign_generate", acks_late=True)
def campaign_generate_task(*, campaign_id: int, as_of: str, triggered_by: str = "") -> int:
    return services.campaign_generate(
        campaign_id=campaign_id, as_of=dt.date.fromisoformat(as_of), triggered_by=triggered_by
    )

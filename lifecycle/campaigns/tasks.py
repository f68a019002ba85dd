"""Celery interface of call-list generation and its preview: ids and an ISO date in, one service
call each.

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


@shared_task(name="lifecycle.campaign_preview", acks_late=True)
def campaign_preview_task(*, campaign_id: int, as_of: str) -> None:
    """Counts a campaign's preview for the generate page and stores it (once per key)."""
    services.campaign_preview_count(campaign_id=campaign_id, as_of=dt.date.fromisoformat(as_of))

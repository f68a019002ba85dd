"""Celery interface for accounts: ids and names in, one call to the import module."""

from __future__ import annotations

from celery import shared_task
from django.core.files.storage import default_storage

from . import imports


@shared_task(name="accounts.import_file", acks_late=True)
def import_file(*, run_id: int, actor_id: int, filename: str, stored_as: str) -> None:
    with default_storage.open(stored_as, "rb") as handle:
        data = handle.read()
    try:
        imports.apply_import(run_id=run_id, actor_id=actor_id, filename=filename, data=data)
    finally:
        default_storage.delete(stored_as)

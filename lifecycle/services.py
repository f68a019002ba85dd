"""Writes of the retention desk: record an action on a retention task, close a task with its
outcome; mark notifications read. Each owns its transaction; the task's audit trail is its
simple-history record (who, when, why)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Notification
from org.models import User
from org.visibility import can_edit_account

from . import selectors
from .models import RetentionAction, RetentionTask


def can_act_on_task(user: Any, task: RetentionTask) -> bool:
    """The task's owner, anyone who may edit the account, or the regional manager over its
    region (`can_edit_account` covers the regional manager and hq)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.role == User.Role.BILLING_CLIENT and not user.is_superuser:
        return False
    return bool(task.owner_id == user.pk or can_edit_account(user, task.account))


def _locked_task(actor: User, task_id: int) -> RetentionTask:
    # 404 for a task the actor cannot see, then 403 for one they may only read.
    task = selectors.task_get(user=actor, pk=task_id, for_update=True)
    if not can_act_on_task(actor, task):
        raise PermissionDenied
    return task


def _audit(task: RetentionTask, actor: User, reason: str) -> None:
    task._history_user = actor  # type: ignore[attr-defined]
    task._change_reason = reason  # type: ignore[attr-defined]


@transaction.atomic
def retention_action_record(
    *, actor: User, task_id: int, done_on: dt.date, note: str
) -> RetentionAction:
    task = _locked_task(actor, task_id)
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if task.status != RetentionTask.Status.OPEN:
        raise ValidationError(_("This task is closed; no more actions can be recorded."))
    if done_on > today:
        errors["done_on"] = [_("The date cannot be in the future.")]
    elif done_on < task.episode_on - dt.timedelta(days=31):
        errors["done_on"] = [_("The date is before this task's episode started.")]
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("Say what was done.")]
    if errors:
        raise ValidationError(errors)
    action = RetentionAction.objects.create(task=task, done_on=done_on, note=note, created_by=actor)
    _audit(task, actor, f"action {action.pk} recorded")
    task.save(update_fields=["status"])  # a history row for the audit trail
    return action


@transaction.atomic
def retention_task_close(
    *, actor: User, task_id: int, outcome: str, note: str, closed_on: dt.date | None = None
) -> RetentionTask:
    """Close an open task with its outcome. `closed_on`: the day the outcome was reached when
    it is recorded afterwards (not in the future, not before the episode); default now."""
    task = _locked_task(actor, task_id)
    errors: dict[str, list[str]] = {}
    if task.status != RetentionTask.Status.OPEN:
        raise ValidationError(_("This task is already closed."))
    if outcome not in RetentionTask.Outcome.values:
        errors["outcome"] = [_("Choose an outcome.")]
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("Explain the outcome in a few words.")]
    if closed_on is not None and closed_on > timezone.localdate():
        errors["closed_on"] = [_("The date cannot be in the future.")]
    elif closed_on is not None and closed_on < task.episode_on:
        errors["closed_on"] = [_("The date is before this task's episode started.")]
    if errors:
        raise ValidationError(errors)
    task.status = RetentionTask.Status.CLOSED
    task.outcome = outcome
    task.outcome_note = note
    task.closed_at = (
        timezone.now()
        if closed_on is None
        else dt.datetime.combine(closed_on, dt.time(17), tzinfo=timezone.get_current_timezone())
    )
    task.closed_by = actor
    _audit(task, actor, f"closed: {outcome}")
    task.save(update_fields=["status", "outcome", "outcome_note", "closed_at", "closed_by"])
    return task


def notification_mark_read(*, actor: User, notification_id: int) -> bool:
    """Mark one of the actor's notifications read; someone else's is not found (False)."""
    updated = Notification.objects.filter(
        pk=notification_id, recipient_id=actor.pk, read_at__isnull=True
    ).update(read_at=timezone.now())
    return bool(
        updated or Notification.objects.filter(pk=notification_id, recipient_id=actor.pk).exists()
    )


def notifications_mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )

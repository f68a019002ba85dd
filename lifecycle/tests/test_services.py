from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from lifecycle import services
from lifecycle.models import RetentionAction, RetentionTask

pytestmark = pytest.mark.django_db


def test_record_action_writes_the_action_and_an_audit_row(scene):  # type: ignore[no-untyped-def]
    before = scene.task.history.count()
    action = services.retention_action_record(
        actor=scene.world.am_a, task_id=scene.task.pk, done_on=dt.date(2026, 11, 18), note=" 电话 "
    )
    assert action.note == "电话" and action.created_by == scene.world.am_a
    history = scene.task.history.order_by("-history_id")
    assert history.count() == before + 1
    assert history[0].history_user == scene.world.am_a
    assert history[0].history_change_reason.startswith("action")


@pytest.mark.parametrize(
    ("done_on", "note", "field"),
    [(dt.date(2026, 11, 21), "x", "done_on"), (dt.date(2025, 1, 1), "x", "done_on"),
     (dt.date(2026, 11, 18), "  ", "note")],
)  # fmt: skip
def test_record_action_validates(scene, done_on, note, field):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.retention_action_record(
            actor=scene.world.am_a, task_id=scene.task.pk, done_on=done_on, note=note
        )
    assert field in exc.value.message_dict
    assert not RetentionAction.objects.exists()


def test_close_sets_outcome_and_refuses_a_second_close(scene):  # type: ignore[no-untyped-def]
    task = services.retention_task_close(
        actor=scene.world.am_a, task_id=scene.task.pk, outcome="downgraded", note="降档保留"
    )
    assert (task.status, task.outcome, task.outcome_note) == ("closed", "downgraded", "降档保留")
    assert task.closed_at is not None and task.closed_by == scene.world.am_a
    last = task.history.order_by("-history_id").first()
    assert last.history_change_reason == "closed: downgraded"
    with pytest.raises(ValidationError):
        services.retention_task_close(
            actor=scene.world.am_a, task_id=scene.task.pk, outcome="lost", note="x"
        )
    with pytest.raises(ValidationError):
        services.retention_action_record(
            actor=scene.world.am_a, task_id=scene.task.pk, done_on=dt.date(2026, 11, 18), note="x"
        )
    assert RetentionTask.objects.get(pk=scene.task.pk).outcome == "downgraded"


def test_close_validates_outcome_and_note(scene):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.retention_task_close(
            actor=scene.world.am_a, task_id=scene.task.pk, outcome="won", note=""
        )
    assert set(exc.value.message_dict) == {"outcome", "note"}


def test_who_may_act(scene):  # type: ignore[no-untyped-def]
    w = scene.world
    assert services.can_act_on_task(w.am_a, scene.task)  # owner
    assert services.can_act_on_task(w.rm_a, scene.task)  # regional manager over the region
    assert services.can_act_on_task(w.hq, scene.task)
    assert not services.can_act_on_task(w.am_a2, scene.task)
    assert not services.can_act_on_task(w.rm_b, scene.task)
    assert not services.can_act_on_task(w.billing, scene.task)
    # the owner of the task who no longer owns the account still may act on it
    scene.task.owner = w.am_a2
    scene.task.save()
    from accounts.tests.factories import TeamMemberFactory

    TeamMemberFactory(account=scene.high, user=w.am_a2)
    assert services.can_act_on_task(w.am_a2, scene.task)


def test_foreign_task_is_not_found_not_forbidden(scene):  # type: ignore[no-untyped-def]
    with pytest.raises(Http404):
        services.retention_task_close(
            actor=scene.world.am_a, task_id=scene.foreign_task.pk, outcome="lost", note="x"
        )


def test_visible_reader_is_forbidden(scene):  # type: ignore[no-untyped-def]
    from accounts.tests.factories import TeamMemberFactory

    TeamMemberFactory(account=scene.high, user=scene.world.am_a2)
    with pytest.raises(PermissionDenied):
        services.retention_task_close(
            actor=scene.world.am_a2, task_id=scene.task.pk, outcome="lost", note="x"
        )


def test_close_on_an_earlier_day_when_recorded_afterwards(scene):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    today = timezone.localdate()  # the scene's fixed day
    episode = scene.task.episode_on
    for closed_on in (today + dt.timedelta(days=1), episode - dt.timedelta(days=1)):
        with pytest.raises(ValidationError) as exc:
            services.retention_task_close(
                actor=scene.world.am_a, task_id=scene.task.pk, outcome="retained", note="x",
                closed_on=closed_on,
            )  # fmt: skip
        assert "closed_on" in exc.value.message_dict
    task = services.retention_task_close(
        actor=scene.world.am_a, task_id=scene.task.pk, outcome="retained", note="续约",
        closed_on=episode,
    )  # fmt: skip
    assert timezone.localtime(task.closed_at).date() == episode

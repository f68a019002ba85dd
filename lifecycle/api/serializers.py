from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import StrictInputSerializer

from .. import labels, selectors
from ..models import ChurnRisk, FlagCode, RetentionTask, Stage


class FlagOutput(serializers.Serializer):
    code = serializers.CharField(help_text="One of: " + ", ".join(FlagCode.values))
    label = serializers.SerializerMethodField()
    raised_on = serializers.DateField()
    cleared_on = serializers.DateField(allow_null=True)
    evidence = serializers.DictField(child=serializers.JSONField())
    evidence_text = serializers.SerializerMethodField(
        help_text="The evidence in words, in the request's language."
    )

    def get_label(self, flag: Any) -> str:
        return str(labels.FLAG_LABELS.get(flag.code, flag.code))

    def get_evidence_text(self, flag: Any) -> str:
        return labels.evidence_text(flag.code, flag.evidence)


class LifecycleEvidenceOutput(serializers.Serializer):
    revenue_r3 = serializers.DecimalField(16, 2, help_text="Revenue of m1–m3 (CNY).")
    revenue_p3 = serializers.DecimalField(16, 2, help_text="Revenue of m4–m6 (CNY).")
    products_m1 = serializers.IntegerField()
    products_m4 = serializers.IntegerField()
    first_revenue_on = serializers.DateField(allow_null=True)


class AccountLifecycleOutput(serializers.Serializer):
    code = serializers.CharField()
    as_of = serializers.DateField(allow_null=True)
    stage = serializers.ChoiceField(choices=Stage.choices, allow_null=True)
    stage_since = serializers.DateField(allow_null=True)
    churn_risk = serializers.ChoiceField(choices=ChurnRisk.choices)
    high_risk_since = serializers.DateField(allow_null=True)
    evidence = LifecycleEvidenceOutput(allow_null=True)
    open_flags = FlagOutput(many=True)


class StageChangeOutput(serializers.Serializer):
    changed_on = serializers.DateField()
    from_stage = serializers.ChoiceField(choices=Stage.choices, allow_null=True)
    to_stage = serializers.ChoiceField(choices=Stage.choices, allow_null=True)


class TaskFlagOutput(serializers.Serializer):
    code = serializers.CharField()
    raised_on = serializers.DateField(allow_null=True)
    evidence = serializers.DictField(child=serializers.JSONField())
    evidence_text = serializers.CharField()


class RetentionActionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    done_on = serializers.DateField()
    note = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()


class RetentionTaskOutput(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.CharField(source="account.code")
    account_name = serializers.CharField(source="account.name")
    episode_on = serializers.DateField()
    owner = serializers.CharField(source="owner.username", allow_null=True, default=None)
    stage = serializers.ChoiceField(choices=Stage.choices, allow_null=True)
    question = serializers.SerializerMethodField(help_text="In the request's language.")
    strategy = serializers.SerializerMethodField(help_text="In the request's language.")
    flags = serializers.SerializerMethodField()
    due_on = serializers.DateField()
    overdue = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=RetentionTask.Status.choices)
    outcome = serializers.CharField(help_text="Empty while open.")
    outcome_note = serializers.CharField()
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    closed_by = serializers.CharField(source="closed_by.username", allow_null=True, default=None)

    def get_question(self, task: RetentionTask) -> str:
        return labels.playbook_text(task.question)

    def get_strategy(self, task: RetentionTask) -> str:
        return labels.playbook_text(task.strategy)

    @extend_schema_field(TaskFlagOutput(many=True))
    def get_flags(self, task: RetentionTask) -> list[dict[str, Any]]:
        # The page's flags in one query (the view puts them in the context), else this task's.
        by_task = self.context.get("flags") or selectors.tasks_flags([task])
        keys = ("code", "raised_on", "evidence", "evidence_text")
        out = [{k: flag.get(k) for k in keys} for flag in by_task.get(task.pk, [])]
        return TaskFlagOutput(out, many=True).data  # type: ignore[return-value]

    def get_overdue(self, task: RetentionTask) -> bool:
        today = self.context.get("today")
        return bool(today and task.status == RetentionTask.Status.OPEN and task.due_on < today)


class RetentionTaskFilterInput(serializers.Serializer):
    """Query parameters of the task list (cursor and page_size belong to the paginator)."""

    status = serializers.ChoiceField(choices=RetentionTask.Status.choices, required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    owner = serializers.CharField(required=False, max_length=150)
    risk = serializers.ChoiceField(choices=ChurnRisk.choices, required=False)


class FlagFilterInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[("open", "open"), ("cleared", "cleared")], required=False
    )


class RetentionActionInput(StrictInputSerializer):
    done_on = serializers.DateField()
    note = serializers.CharField(max_length=1000)


class RetentionCloseInput(StrictInputSerializer):
    outcome = serializers.ChoiceField(choices=RetentionTask.Outcome.choices)
    note = serializers.CharField(max_length=1000)

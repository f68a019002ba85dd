from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.serializers import StrictInputSerializer

from .. import domain
from ..models import IndicatorSource, ValueClass


class IndicatorSnapshotInput(StrictInputSerializer):
    measured_on = serializers.DateField()
    source = serializers.ChoiceField(choices=IndicatorSource.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)

    def get_fields(self):  # type: ignore[no-untyped-def]
        fields = super().get_fields()
        for name in domain.QUANTITATIVE:
            fields[name] = serializers.FloatField(
                required=False, allow_null=True, min_value=-1e15, max_value=1e15
            )
        for name in domain.RATED:
            fields[name] = serializers.IntegerField(
                required=False, allow_null=True, min_value=1, max_value=5
            )
        return fields


class IndicatorSnapshotOutput(serializers.Serializer):
    id = serializers.IntegerField()
    measured_on = serializers.DateField()
    source = serializers.CharField()
    note = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username", default=None)
    created_at = serializers.DateTimeField()

    def get_fields(self):  # type: ignore[no-untyped-def]
        fields = super().get_fields()
        for name in domain.QUANTITATIVE:
            fields[name] = serializers.FloatField(allow_null=True)
        for name in domain.RATED:
            fields[name] = serializers.IntegerField(allow_null=True)
        return fields


class ScoreHistoryOutput(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[("run", _("one run")), ("month", _("monthly summary of older runs"))]
    )
    on = serializers.DateField(help_text=_("the run date, or the month's first day"))
    runs = serializers.IntegerField()
    value_class = serializers.CharField()
    step1_score = serializers.DecimalField(3, 2, allow_null=True)
    step2_score = serializers.DecimalField(3, 2, allow_null=True)
    step3_score = serializers.DecimalField(3, 2, allow_null=True)
    segment_score = serializers.DecimalField(3, 2, allow_null=True)
    economic_value_score = serializers.DecimalField(3, 2, allow_null=True)
    social_value_score = serializers.DecimalField(3, 2, allow_null=True)


class ClassOverrideInput(StrictInputSerializer):
    value_class = serializers.ChoiceField(choices=ValueClass.choices)
    reason = serializers.CharField(max_length=500)


class ClassOverrideOutput(serializers.Serializer):
    value_class = serializers.CharField()
    reason = serializers.CharField()
    overridden_by = serializers.CharField(source="created_by.username")
    overridden_at = serializers.DateTimeField()


class AccountScoresOutput(serializers.Serializer):
    """The scores block of the account resource."""

    value_class = serializers.CharField()
    computed_class = serializers.CharField(allow_null=True)
    class_override = ClassOverrideOutput(source="override", allow_null=True)
    scored_on = serializers.DateField(allow_null=True)
    step1_score = serializers.DecimalField(3, 2, allow_null=True)
    step2_score = serializers.DecimalField(3, 2, allow_null=True)
    step3_score = serializers.DecimalField(3, 2, allow_null=True)
    segment_score = serializers.DecimalField(3, 2, allow_null=True)
    economic_value_score = serializers.DecimalField(3, 2, allow_null=True)
    social_value_score = serializers.DecimalField(3, 2, allow_null=True)


class RunInput(StrictInputSerializer):
    as_of = serializers.DateField(required=False)


class RunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    as_of = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    rows = serializers.IntegerField()
    total = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.CharField())
    triggered_by = serializers.CharField()

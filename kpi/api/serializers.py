from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.api.serializers import StrictInputSerializer

from .. import domain
from ..models import Metric, MetricSnapshot, Period


class PeriodField(serializers.CharField):
    """ "2026Q3" (a quarter) or "2026" (the year)."""

    def to_internal_value(self, data: Any) -> domain.ScorePeriod:  # type: ignore[override]
        text = super().to_internal_value(data)
        period = domain.parse_period(text)
        if period is None:
            raise serializers.ValidationError(_("A year (2026) or a quarter (2026Q3)."))
        return period


class ScorecardInput(StrictInputSerializer):
    region = serializers.CharField(required=False, max_length=32)
    user = serializers.CharField(required=False, max_length=150)
    period = PeriodField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("region") and attrs.get("user"):
            raise serializers.ValidationError({"user": [_("Give a region or a user, not both.")]})
        return attrs


class ScorecardLineOutput(serializers.Serializer):
    metric = serializers.CharField()
    label = serializers.CharField()
    definition = serializers.CharField()
    weight = serializers.IntegerField()
    direction = serializers.CharField()
    rule = serializers.CharField()
    actual = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    realistic = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    stretch = serializers.DecimalField(max_digits=16, decimal_places=4, allow_null=True)
    attainment_realistic = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True
    )
    attainment_stretch = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    points = serializers.DecimalField(max_digits=8, decimal_places=2)


class ScorecardOutput(serializers.Serializer):
    period = serializers.CharField()
    year = serializers.IntegerField()
    quarter = serializers.CharField()
    scheme = serializers.CharField(allow_null=True)
    as_of = serializers.DateField(allow_null=True)
    region = serializers.CharField(allow_null=True)
    user = serializers.CharField(allow_null=True)
    total = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    lines = ScorecardLineOutput(many=True)


class SnapshotListInput(StrictInputSerializer):
    region = serializers.CharField(required=False, max_length=32)
    metric = serializers.ChoiceField(required=False, choices=Metric.choices)
    period = serializers.ChoiceField(required=False, choices=Period.choices)
    # `from` and `to` are Python keywords: declared in __init__.
    cursor = serializers.CharField(required=False, max_length=1000)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = serializers.DateField(required=False)
        self.fields["to"] = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": [_("The end is before the start.")]})
        return attrs


class SnapshotOutput(serializers.ModelSerializer):
    region: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = MetricSnapshot
        fields = [
            "id", "as_of", "period", "metric", "region", "user", "numerator", "denominator",
            "value",
        ]  # fmt: skip

"""Administration of KPI schemes (the weights still have to sum to 100 here), targets, and the
snapshots (read-only: the nightly job writes them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from simple_history.admin import SimpleHistoryAdmin

from . import domain, services
from .models import DistributionSnapshot, KpiScheme, KpiTarget, Metric, MetricSnapshot, SchemeMetric


class SchemeMetricFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        rules = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            rules.append(
                domain.MetricRule(
                    metric=data.get("metric", ""),
                    weight=data.get("weight") if data.get("weight") is not None else -1,
                    direction=data.get("direction", ""),
                    rule=data.get("rule", ""),
                    cap_percent=data.get("cap_percent") or 0,
                )
            )
        problems = domain.validate_scheme(rules, Metric.values)
        if problems:
            raise ValidationError(services.scheme_problem_messages(problems))


class SchemeMetricInline(admin.TabularInline):
    model = SchemeMetric
    formset = SchemeMetricFormSet
    extra = 0


@admin.register(KpiScheme)
class KpiSchemeAdmin(SimpleHistoryAdmin):
    list_display = ("year", "name", "created_by", "updated_at")
    inlines = [SchemeMetricInline]
    raw_id_fields = ("created_by",)

    def save_model(self, request: Any, obj: KpiScheme, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(KpiTarget)
class KpiTargetAdmin(SimpleHistoryAdmin):
    list_display = ("scheme", "metric", "quarter", "region", "user", "realistic", "stretch")
    list_filter = ("scheme", "metric", "quarter")
    raw_id_fields = ("region", "user")
    search_fields = ("region__code", "user__username")
    show_full_result_count = False


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("as_of", "period", "metric", "region", "user", "value")
    list_filter = ("period", "metric")
    raw_id_fields = ("region", "user")
    date_hierarchy = "as_of"


@admin.register(DistributionSnapshot)
class DistributionSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("as_of", "region", "dimension", "bucket", "accounts")
    list_filter = ("dimension",)
    raw_id_fields = ("region",)

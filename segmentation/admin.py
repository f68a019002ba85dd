from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AccountScore,
    ClassOverride,
    IndicatorCut,
    IndicatorSnapshot,
    ScoreMonthlySummary,
    ScoreResult,
)


@admin.register(IndicatorSnapshot)
class IndicatorSnapshotAdmin(admin.ModelAdmin):
    list_display = ("account", "measured_on", "source", "created_by")
    list_filter = ("source",)
    raw_id_fields = ("account", "created_by")
    search_fields = ("account__code",)
    show_full_result_count = False


@admin.register(ScoreResult)
class ScoreResultAdmin(admin.ModelAdmin):
    list_display = ("account", "as_of", "segment_score", "economic_value_score", "value_class")
    list_filter = ("value_class", "as_of")
    raw_id_fields = ("account", "snapshot")
    search_fields = ("account__code",)
    show_full_result_count = False


@admin.register(AccountScore)
class AccountScoreAdmin(admin.ModelAdmin):
    list_display = ("account", "as_of", "segment_score", "value_class")
    raw_id_fields = ("account",)
    search_fields = ("account__code",)
    show_full_result_count = False


@admin.register(ScoreMonthlySummary)
class ScoreMonthlySummaryAdmin(admin.ModelAdmin):
    list_display = ("account", "month_on", "runs", "segment_score", "value_class")
    raw_id_fields = ("account",)
    show_full_result_count = False


@admin.register(IndicatorCut)
class IndicatorCutAdmin(admin.ModelAdmin):
    list_display = ("as_of", "indicator", "known_count", "cut_2", "cut_3", "cut_4", "cut_5")
    list_filter = ("as_of",)


@admin.register(ClassOverride)
class ClassOverrideAdmin(SimpleHistoryAdmin):
    list_display = ("account", "value_class", "reason", "created_by", "overridden_at")
    raw_id_fields = ("account", "created_by")

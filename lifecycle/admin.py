from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AccountLifecycle, ChurnFlag, RetentionAction, RetentionTask, StageChange


@admin.register(AccountLifecycle)
class AccountLifecycleAdmin(admin.ModelAdmin):
    list_display = ("account", "stage", "churn_risk", "flag_count", "as_of")
    list_filter = ("stage", "churn_risk")
    raw_id_fields = ("account",)
    search_fields = ("account__code",)
    show_full_result_count = False


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ("account", "changed_on", "from_stage", "to_stage")
    raw_id_fields = ("account",)
    search_fields = ("account__code",)
    show_full_result_count = False


@admin.register(ChurnFlag)
class ChurnFlagAdmin(admin.ModelAdmin):
    list_display = ("account", "code", "raised_on", "cleared_on")
    list_filter = ("code",)
    raw_id_fields = ("account",)
    search_fields = ("account__code",)
    show_full_result_count = False


class RetentionActionInline(admin.TabularInline):
    model = RetentionAction
    extra = 0
    raw_id_fields = ("created_by",)


@admin.register(RetentionTask)
class RetentionTaskAdmin(SimpleHistoryAdmin):
    list_display = ("account", "episode_on", "owner", "status", "outcome", "due_on")
    list_filter = ("status", "outcome")
    raw_id_fields = ("account", "owner", "closed_by")
    search_fields = ("account__code",)
    inlines = [RetentionActionInline]
    show_full_result_count = False

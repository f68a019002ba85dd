from django.contrib import admin

from .models import BillLine, BillLineVersion, IngestBatch, QuarantinedRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    """Bill data arrives only through ingestion, where idempotency and history are kept."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(IngestBatch)
class IngestBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "id", "source", "client", "idempotency_key", "status", "record_count", "inserted_count",
        "updated_count", "unchanged_count", "quarantined_count", "created_at",
    )  # fmt: skip
    list_filter = ("source", "status")
    search_fields = ("idempotency_key",)
    exclude = ("payload",)
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(BillLine)
class BillLineAdmin(ReadOnlyAdmin):
    list_display = (
        "account",
        "period_on",
        "product",
        "amount",
        "quantity",
        "member_count",
        "version",
    )
    list_select_related = ("account", "product")
    search_fields = ("account__code",)
    raw_id_fields = ("account", "product", "batch")
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(BillLineVersion)
class BillLineVersionAdmin(ReadOnlyAdmin):
    list_display = ("line", "version", "amount", "quantity", "member_count", "superseded_at")
    raw_id_fields = ("line", "batch", "superseded_by_batch")
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(QuarantinedRecord)
class QuarantinedRecordAdmin(ReadOnlyAdmin):
    list_display = ("batch", "index", "status", "created_at", "reprocessed_at")
    list_filter = ("status",)
    raw_id_fields = ("batch",)
    ordering = ("-id",)
    show_full_result_count = False

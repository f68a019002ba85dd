from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Account, Activity, CareDate, KeyPerson, Member, ServiceRequest


@admin.register(Account)
class AccountAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "region", "owner", "status", "size_band")
    list_filter = ("status", "org_kind", "size_band", "industry")
    search_fields = ("code", "name", "credit_code")
    raw_id_fields = ("owner", "parent", "region")
    show_full_result_count = False


class CareDateInline(admin.TabularInline):
    model = CareDate
    extra = 0


@admin.register(KeyPerson)
class KeyPersonAdmin(SimpleHistoryAdmin):
    list_display = ("name", "account", "role", "influence", "relationship", "left_on")
    raw_id_fields = ("account",)
    inlines = [CareDateInline]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("number_masked", "account", "cost_centre", "is_vip")
    raw_id_fields = ("account",)


@admin.register(Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ("subject", "account", "kind", "occurred_on")
    raw_id_fields = ("account", "key_person", "created_by")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(SimpleHistoryAdmin):
    list_display = ("title", "account", "kind", "severity", "status", "sla_due_at")
    raw_id_fields = ("account", "opened_by")

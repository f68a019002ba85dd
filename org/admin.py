from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from rest_framework_api_key.admin import APIKeyModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import AccountTeamMember, MachineClientKey, Region, User
from .services import region_save


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "path")
    search_fields = ("code", "name")
    readonly_fields = ("path", "depth")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        region_save(
            code=obj.code, name=obj.name, level=obj.level, parent=obj.parent, name_en=obj.name_en
        )


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    list_display = ("username", "display_name", "role", "region", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("GroupCRM", {"fields": ("role", "region", "display_name", "phone")}),
    )


@admin.register(AccountTeamMember)
class AccountTeamMemberAdmin(SimpleHistoryAdmin):
    list_display = ("account", "user", "team_role", "access")
    raw_id_fields = ("account", "user")


@admin.register(MachineClientKey)
class MachineClientKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "user"]  # type: ignore[assignment]

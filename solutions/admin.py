from django.contrib import admin

from .models import Product, SolutionModule


@admin.register(SolutionModule)
class SolutionModuleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "layer", "scope", "sort_order")
    ordering = ("sort_order", "code")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # the nine modules are fixed (DOMAIN.md §6)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("product_code", "name", "name_en", "module", "active")
    list_filter = ("module", "active")
    search_fields = ("product_code", "name", "name_en")
    ordering = ("product_code",)

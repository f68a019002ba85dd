"""Writes to the product catalogue."""

from __future__ import annotations

from django.db import transaction

from .models import Product, SolutionModule


@transaction.atomic
def product_save(
    *, product_code: str, name: str, name_en: str, module_code: str, active: bool = True
) -> Product:
    """Create or update a product by its code (the code billing uses never changes)."""
    module = SolutionModule.objects.get(code=module_code)
    product, _ = Product.objects.update_or_create(
        product_code=product_code,
        defaults={"name": name, "name_en": name_en, "module": module, "active": active},
    )
    return product

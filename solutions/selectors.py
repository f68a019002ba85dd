"""Reads of the solution catalogue (reference data: not customer data, so no visibility filter)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import Product, SolutionModule


def module_list() -> QuerySet[SolutionModule]:
    return SolutionModule.objects.order_by("sort_order", "code")


def product_list(*, module: str | None = None, active: bool | None = None) -> QuerySet[Product]:
    qs = Product.objects.select_related("module")
    if module:
        qs = qs.filter(module__code=module)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("module__sort_order", "product_code")


def product_ids_by_code(codes: Iterable[str]) -> dict[str, int]:
    """product_code → id for the given codes, in one query (billing validates a batch with it)."""
    wanted = list(set(codes))
    if not wanted:
        return {}
    return dict(Product.objects.filter(product_code__in=wanted).values_list("product_code", "id"))

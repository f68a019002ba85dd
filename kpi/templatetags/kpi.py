"""Formatting of KPI numbers: rates as percentages, counts as whole numbers, attainment in %."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import translation
from django.utils.formats import number_format

register = template.Library()


@register.filter
def kpi_value(value: Any, is_rate: bool = False) -> str:
    """0.0425 → "4.25 %" for a rate; counts with thousands separators, and in Chinese large
    numbers in 万 / 亿 (9000000 → "900 万"); None → "—"."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    if is_rate:
        return f"{number_format(number * 100, 2)} %"
    if (translation.get_language() or "").startswith("zh") and abs(number) >= 10_000:
        unit, scale = (
            ("亿", Decimal(100_000_000)) if abs(number) >= 100_000_000 else ("万", Decimal(10_000))
        )
        scaled = (number / scale).quantize(Decimal("0.01")).normalize()
        return f"{format(scaled, 'f')} {unit}"
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number:,.2f}"


@register.filter
def attainment(value: Any) -> str:
    if value is None:
        return "—"
    return f"{number_format(Decimal(str(value)) * 100, 1)} %"


@register.filter
def points(value: Any) -> str:
    if value is None:
        return "—"
    return str(number_format(Decimal(str(value)), 1))


@register.filter
def heat_class(value: Any) -> str:
    """The CSS class colouring a total score out of 100 (kpi.domain.heat)."""
    from kpi.domain import heat

    step = heat(None if value is None else Decimal(str(value)))
    return "heat-none" if step < 0 else f"heat-{step}"

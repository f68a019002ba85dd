"""KPI forms: the scheme editor (one row per metric), the target grid and the import upload."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import domain
from .models import Direction, KpiTarget, Metric, ScoringRule
from .services import TargetEntry


class SchemeForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("name"), max_length=200)


class SchemeMetricForm(forms.Form):
    """One metric's row in the scheme editor; unticked rows are not in the scheme."""

    included = forms.BooleanField(label=_("in the scheme"), required=False)
    weight = forms.IntegerField(
        label=_("weight (points)"),
        min_value=0,
        max_value=100,
        required=False,
        widget=forms.NumberInput(attrs={"class": "kpi-weight", "min": 0, "max": 100, "step": 1}),
    )
    direction = forms.ChoiceField(label=_("direction"), choices=Direction.choices)
    rule = forms.ChoiceField(label=_("scoring rule"), choices=ScoringRule.choices)
    cap_percent = forms.IntegerField(
        label=_("attainment cap (%)"), min_value=100, max_value=1000, initial=120
    )

    def __init__(self, *args: Any, metric: str, **kwargs: Any) -> None:
        self.metric = metric
        kwargs["prefix"] = metric
        super().__init__(*args, **kwargs)

    @property
    def label(self) -> str:
        return str(Metric(self.metric).label)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("included") and data.get("weight") is None:
            self.add_error("weight", _("Give a weight."))
        return data

    def rule_or_none(self) -> domain.MetricRule | None:
        data = self.cleaned_data
        if not data.get("included"):
            return None
        return domain.MetricRule(
            metric=self.metric,
            weight=int(data["weight"]),
            direction=data["direction"],
            rule=data["rule"],
            cap_percent=int(data["cap_percent"]),
        )


def metric_forms(
    data: Mapping[str, Any] | None, initial: Mapping[str, domain.MetricRule]
) -> list[SchemeMetricForm]:
    from .services import DEFAULT_SCHEME

    defaults = {str(m): (str(d), str(r)) for m, _w, d, r in DEFAULT_SCHEME}
    result = []
    for metric in Metric.values:
        rule = initial.get(metric)
        direction, scoring = defaults.get(metric, (Direction.HIGHER, ScoringRule.LINEAR))
        result.append(
            SchemeMetricForm(
                data,
                metric=metric,
                initial={
                    "included": rule is not None,
                    "weight": rule.weight if rule else 0,
                    "direction": rule.direction if rule else direction,
                    "rule": rule.rule if rule else scoring,
                    "cap_percent": rule.cap_percent if rule else 120,
                },
            )
        )
    return result


class GridFilterForm(forms.Form):
    SCOPES = (("regions", _("regions")), ("managers", _("account managers")))
    quarter = forms.ChoiceField(
        label=_("period"), choices=KpiTarget.Quarter.choices, initial="Q1", required=False
    )
    scope = forms.ChoiceField(label=_("rows"), choices=SCOPES, initial="regions", required=False)
    region = forms.CharField(label=_("region"), max_length=32, required=False)


def _decimal(text: str) -> Decimal:
    cleaned = text.replace(",", "").strip()
    percent = cleaned.endswith("%")
    value = Decimal(cleaned[:-1] if percent else cleaned)
    if not value.is_finite() or abs(value) > Decimal("1e11"):
        raise InvalidOperation(text)
    return (value / 100 if percent else value).quantize(Decimal("0.0001"))


def parse_grid(
    data: Mapping[str, Any],
    *,
    quarter: str,
    scope: str,
    scope_ids: Sequence[int],
    metrics: Sequence[str],
) -> tuple[list[TargetEntry], list[tuple[int, str]], dict[str, str]]:
    """The grid's cells `r-<id>-<metric>` and `s-<id>-<metric>` → entries to save, cells left
    blank (to clear) and errors by cell name. A pair must be both filled or both blank."""
    entries: list[TargetEntry] = []
    blank: list[tuple[int, str]] = []
    errors: dict[str, str] = {}
    for scope_id in scope_ids:
        for metric in metrics:
            names = (f"r-{scope_id}-{metric}", f"s-{scope_id}-{metric}")
            texts = [str(data.get(n, "")).strip() for n in names]
            if not any(texts):
                blank.append((scope_id, metric))
                continue
            values: list[Decimal] = []
            for name, text in zip(names, texts, strict=True):
                if not text:
                    errors[name] = str(_("Give both the realistic and the stretch target."))
                    continue
                try:
                    values.append(_decimal(text))
                except (InvalidOperation, ValueError):
                    errors[name] = str(_("Not a number."))
            if len(values) == 2:
                entries.append(
                    TargetEntry(
                        metric=metric,
                        quarter=quarter,
                        realistic=values[0],
                        stretch=values[1],
                        region_id=scope_id if scope == "regions" else None,
                        user_id=scope_id if scope == "managers" else None,
                    )
                )
    return entries, blank, errors


class TargetImportForm(forms.Form):
    file = forms.FileField(label=_("file (.csv or .xlsx)"))

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import domain
from .models import INDICATOR_LABELS, IndicatorSource, ValueClass

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# What each level of a rated indicator means, shown next to the 1–5 picker.
LEVELS = {
    1: _("1 — none or very weak"),
    2: _("2 — weak"),
    3: _("3 — average for its industry"),
    4: _("4 — strong"),
    5: _("5 — leading, a reference for others"),
}
RATED_HELP = {
    "it_awareness": _("How well its leaders understand what IT can do for them."),
    "it_importance": _("How central IT is to how it works and competes."),
    "it_need_complexity": _("How complex its IT needs are (sites, systems, integration)."),
    "standards_participation": _("Does it help write national or industry standards?"),
    "local_economy_position": _("Its weight in the local economy (tax, jobs, flagship)."),
    "government_relations": _("How close it is to government decision makers."),
    "industry_info_participation": _("Does it lead its industry's informatisation projects?"),
    "media_influence": _("How much the media follow and quote it."),
    "industry_org_participation": _("Role in industry associations and organisations."),
    "industry_reputation": _("Would others in its industry copy what it does?"),
}


class IndicatorSnapshotForm(forms.Form):
    measured_on = forms.DateField(label=_("measured on"), widget=DATE_WIDGET)
    source = forms.ChoiceField(label=_("source"), choices=IndicatorSource.choices)
    note = forms.CharField(label=_("note"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in domain.QUANTITATIVE:
            self.fields[name] = forms.FloatField(
                label=INDICATOR_LABELS[name],
                required=False,
                min_value=-1e15,
                max_value=1e15,
                help_text=_("year-on-year fraction, e.g. -0.05") if name.endswith("growth") else "",
            )
        for name in domain.RATED:
            self.fields[name] = forms.TypedChoiceField(
                label=INDICATOR_LABELS[name],
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", _("unknown")), *LEVELS.items()],
                widget=forms.RadioSelect,
                help_text=RATED_HELP[name],
            )

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        def bound(names: tuple[str, ...]) -> list[forms.BoundField]:
            return [self[n] for n in names]

        return [
            (_("Step 1: scale"), bound(domain.STEP1)),
            (_("Step 2: IT investment"), bound(domain.STEP2)),
            (_("Step 3: IT complexity"), bound(domain.STEP3)),
            (_("Profitability"), bound(domain.PROFITABILITY)),
            (_("IT attitude"), bound(domain.IT_ATTITUDE)),
            (_("Policy and standards influence"), bound(domain.POLICY_INFLUENCE)),
            (_("Industry resource influence"), bound(domain.RESOURCE_INFLUENCE)),
            (_("Demonstration influence"), bound(domain.DEMONSTRATION_INFLUENCE)),
        ]


class ClassOverrideForm(forms.Form):
    value_class = forms.ChoiceField(label=_("value class"), choices=ValueClass.choices)
    reason = forms.CharField(
        label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel file"))


class RunForm(forms.Form):
    as_of = forms.DateField(label=_("run date"), required=False, widget=DATE_WIDGET)

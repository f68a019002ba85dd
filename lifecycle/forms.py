"""Forms of the lifecycle pages: parsing only; the rules are in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .labels import RISK_LABELS
from .models import FlagCode, RetentionTask, Stage

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RetentionActionForm(forms.Form):
    done_on = forms.DateField(label=_("done on"), widget=DATE_WIDGET)
    note = forms.CharField(
        label=_("what was done"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RetentionCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("outcome"),
        choices=[("", _("choose an outcome")), *RetentionTask.Outcome.choices],
    )
    note = forms.CharField(
        label=_("outcome note"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DeskFilterForm(forms.Form):
    risk = forms.ChoiceField(
        label=_("churn risk"),
        required=False,
        choices=[("", _("any")), *RISK_LABELS.items()],
    )
    stage = forms.ChoiceField(
        label=_("stage"), required=False, choices=[("", _("any")), *Stage.choices]
    )
    flag = forms.ChoiceField(
        label=_("flag"), required=False, choices=[("", _("any")), *FlagCode.choices]
    )
    overdue = forms.BooleanField(label=_("overdue tasks only"), required=False)
    owner = forms.TypedChoiceField(
        label=_("account manager"), required=False, coerce=int, empty_value=None
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, owners: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if owners:
            owner_field: Any = self.fields["owner"]
            owner_field.choices = [("", _("anyone")), *[(u.pk, u.label) for u in owners]]
        else:
            del self.fields["owner"]


class MatrixForm(forms.Form):
    region = forms.CharField(required=False, max_length=64)
    month = forms.DateField(required=False)


class DrillForm(MatrixForm):
    from_stage = forms.ChoiceField(required=False, choices=[("", "-"), *Stage.choices])
    to_stage = forms.ChoiceField(required=False, choices=[("", "-"), *Stage.choices])
    page = forms.IntegerField(required=False, min_value=1)

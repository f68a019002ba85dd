"""Campaign and call-outcome forms: parse and present; the rules are checked by the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Campaign, ChurnRisk, Stage
from org.models import Region, User
from segmentation.models import ValueClass

from . import rules

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO = [("yes", _("yes")), ("no", _("no"))]


class CallerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        region = obj.region.label if obj.region is not None else ""
        return f"{obj.label} · {obj.get_role_display()} · {region}"


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:  # type: ignore[override]
        return f"{'— ' * max(obj.path.count('/') - 2, 0)}{obj.label}"


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=Campaign.Kind.choices)
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.none())
    min_monthly_amount = forms.DecimalField(
        label=_("Billed at least (CNY a month)"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
    )
    min_months = forms.IntegerField(
        label=_("In at least (months)"), required=False, min_value=1, max_value=24
    )
    window_months = forms.IntegerField(
        label=_("Of the last (closed months)"), initial=12, min_value=1, max_value=24
    )
    churn_risks = forms.MultipleChoiceField(
        label=_("Churn risk"),
        choices=ChurnRisk.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    stages = forms.MultipleChoiceField(
        label=_("Lifecycle stage"),
        choices=Stage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    value_classes = forms.MultipleChoiceField(
        label=_("Value class"),
        choices=ValueClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    questions = forms.CharField(
        label=_("Questions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One question a line. For a choice, put the answers after a “|”, separated by “/”: "
            "How satisfied are you with our network? | very satisfied / satisfied / not satisfied"
        ),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE_WIDGET)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE_WIDGET)
    callers = CallerChoiceField(
        label=_("Callers"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, regions: Any, callers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        self.fields["callers"].queryset = callers  # type: ignore[attr-defined]

    @classmethod
    def initial_from(cls, campaign: Campaign) -> dict[str, Any]:
        return {
            "name": campaign.name,
            "kind": campaign.kind,
            "region": campaign.region_id,
            "min_monthly_amount": campaign.min_monthly_amount,
            "min_months": campaign.min_months,
            "window_months": campaign.window_months,
            "churn_risks": campaign.churn_risks,
            "stages": campaign.stages,
            "value_classes": campaign.value_classes,
            "questions": rules.format_questions(campaign.questions or []),
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "callers": list(campaign.callers.values_list("pk", flat=True)),
        }

    def clean_questions(self) -> list[dict[str, object]]:
        try:
            parsed = rules.parse_questions(self.cleaned_data.get("questions") or "")
        except ValueError as exc:
            raise forms.ValidationError(
                _("Line %(line)s: write the question, then “|” and at least two answers "
                  "separated by “/” (at most %(max)s questions)."),
                params={"line": exc.args[0], "max": rules.MAX_QUESTIONS},
            ) from exc  # fmt: skip
        return [q.as_json() for q in parsed]

    def to_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["callers"] = list(data["callers"])
        return data


class CallOutcomeForm(forms.Form):
    reached = forms.ChoiceField(
        label=_("Customer reached?"), choices=YES_NO, widget=forms.RadioSelect
    )
    issue_raised = forms.CharField(
        label=_("Issue raised"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    offer_accepted = forms.ChoiceField(
        label=_("Offer accepted?"),
        choices=[("", _("not offered")), *YES_NO],
        required=False,
        widget=forms.RadioSelect,
    )
    follow_up = forms.CharField(label=_("Follow-up"), required=False, max_length=500)
    follow_up_on = forms.DateField(label=_("Follow-up due"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, questions: list[rules.Question], kind: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.questions = questions
        if kind != Campaign.Kind.RETENTION_CARE:
            del self.fields["offer_accepted"]
        for index, question in enumerate(questions):
            name = f"answer_{index}"
            if question.options:
                self.fields[name] = forms.ChoiceField(
                    label=question.text,
                    required=False,
                    choices=[("", "—"), *[(o, o) for o in question.options]],
                    widget=forms.RadioSelect,
                )
            else:
                self.fields[name] = forms.CharField(
                    label=question.text, required=False, max_length=500
                )

    @classmethod
    def initial_from(cls, call: Any) -> dict[str, Any]:
        def yes_no(value: bool | None) -> str:
            return "" if value is None else ("yes" if value else "no")

        initial = {
            "reached": yes_no(call.reached),
            "issue_raised": call.issue_raised,
            "offer_accepted": yes_no(call.offer_accepted),
            "follow_up": call.follow_up,
            "follow_up_on": call.follow_up_on,
        }
        for key, value in (call.answers or {}).items():
            initial[f"answer_{key}"] = value
        return initial

    def answer_fields(self) -> list[Any]:
        return [self[f"answer_{i}"] for i in range(len(self.questions))]

    def to_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        offer = data.get("offer_accepted") or ""
        return {
            "reached": data["reached"] == "yes",
            "answers": {str(i): data.get(f"answer_{i}") or "" for i in range(len(self.questions))},
            "issue_raised": data.get("issue_raised") or "",
            "offer_accepted": None if not offer else offer == "yes",
            "follow_up": data.get("follow_up") or "",
            "follow_up_on": data.get("follow_up_on"),
        }

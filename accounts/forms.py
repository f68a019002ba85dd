"""HTML forms: they parse and validate input shape; the services own the business rules and the
forms only show what the services say (field errors are mapped back onto the fields)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from lifecycle.models import ChurnRisk, Stage
from org.models import Region, User
from segmentation.models import ValueClass

from .models import (
    AccountStatus,
    ActivityKind,
    CareDate,
    Industry,
    KeyPerson,
    KeyPersonRole,
    OrgKind,
    ServiceRequest,
    SizeBand,
)

SCALE_CHOICES = [(i, str(i)) for i in range(1, 6)]
# Beyond this many account managers a drop-down is no help (and slow to render): type a username.
MAX_OWNER_CHOICES = 300


class FastSelect(forms.Select):
    """A <select> rendered in Python: the same HTML as Django's, without a template per option
    (a list page for headquarters offers hundreds of regions and account managers)."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = {str(v) for v in (value if isinstance(value, list | tuple) else [value])}
        if chosen == {"None"}:
            chosen = {""}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (v, mark_safe(" selected") if str(v) in chosen else "", label)
                for v, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CrmForm(forms.Form):
    """Labels sit above their fields: no trailing colon in either language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("any")), *choices]


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the matching fields (others on the form itself)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


class AccountFilterForm(CrmForm):
    """The list's filter bar. Field names match the API's AccountFilter, which does the
    filtering, so the page and the API agree on what a filter means."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    region = forms.ChoiceField(label=_("Region"), required=False, widget=FastSelect)
    owner = forms.ChoiceField(label=_("Account manager"), required=False, widget=FastSelect)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    org_kind = forms.ChoiceField(label=_("Organisation kind"), required=False)
    size_band = forms.ChoiceField(label=_("Size band"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    value_class = forms.ChoiceField(label=_("Value class"), required=False)
    stage = forms.ChoiceField(label=_("Lifecycle stage"), required=False)
    churn_risk = forms.ChoiceField(label=_("Churn risk"), required=False)

    def __init__(
        self,
        *args: Any,
        regions: list[Region],
        owners: list[User] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("Name or code"), "type": "search", "autocomplete": "off"}
        )
        _choice_field(self, "region").choices = _blank(
            (r.code, "\u2003" * r.depth + str(r)) for r in regions
        )
        if owners is None:
            del self.fields["owner"]
        elif len(owners) > MAX_OWNER_CHOICES:
            self.fields["owner"] = forms.CharField(
                label=_("Account manager"), required=False, max_length=150
            )
            self.fields["owner"].widget.attrs["placeholder"] = _("username")
        else:
            _choice_field(self, "owner").choices = _blank((u.username, u.label) for u in owners)
        _choice_field(self, "industry").choices = _blank(Industry.choices)
        _choice_field(self, "org_kind").choices = _blank(OrgKind.choices)
        _choice_field(self, "size_band").choices = _blank(SizeBand.choices)
        _choice_field(self, "status").choices = _blank(AccountStatus.choices)
        _choice_field(self, "value_class").choices = _blank(ValueClass.choices)
        _choice_field(self, "stage").choices = _blank(Stage.choices)
        _choice_field(self, "churn_risk").choices = _blank(ChurnRisk.choices)


class AccountEditForm(CrmForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    name = forms.CharField(label=_("Name"), max_length=200)
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=40, required=False
    )
    org_kind = forms.ChoiceField(label=_("Organisation kind"), choices=OrgKind.choices)
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices)
    size_band = forms.ChoiceField(label=_("Size band"), choices=SizeBand.choices)
    status = forms.ChoiceField(label=_("Status"), choices=AccountStatus.choices)
    joined_on = forms.DateField(label=_("Joined on"), required=False, widget=DATE_WIDGET)
    contract_end = forms.DateField(label=_("Contract end"), required=False, widget=DATE_WIDGET)
    parent = forms.CharField(
        label=_("Parent account code"),
        max_length=32,
        required=False,
        help_text=_("For a branch: the code of the group's headquarters account."),
    )
    owner = forms.ChoiceField(label=_("Account manager"), required=False, widget=FastSelect)
    region = forms.ChoiceField(label=_("Region"), required=False, widget=FastSelect)

    def __init__(
        self,
        *args: Any,
        owners: list[User] | None = None,
        regions: list[Region] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if owners is None or regions is None:
            # Only managers move accounts between portfolios and regions.
            del self.fields["owner"]
            del self.fields["region"]
        else:
            _choice_field(self, "owner").choices = [(u.username, u.label) for u in owners]
            self.fields["owner"].required = True
            _choice_field(self, "region").choices = [
                (r.code, "\u2003" * r.depth + str(r)) for r in regions
            ]
            self.fields["region"].required = True

    @staticmethod
    def initial_for(account: Any, *, managers: bool) -> dict[str, Any]:
        initial = {
            "version": account.version,
            "name": account.name,
            "credit_code": account.credit_code,
            "org_kind": account.org_kind,
            "industry": account.industry,
            "size_band": account.size_band,
            "status": account.status,
            "joined_on": account.joined_on,
            "contract_end": account.contract_end,
            "parent": account.parent.code if account.parent_id else "",
        }
        if managers:
            initial["owner"] = account.owner.username
            initial["region"] = account.region.code
        return initial


class CareDateForm(CrmForm):
    # A blank first choice, so an untouched extra row is left out rather than half-filled.
    occasion = forms.ChoiceField(
        label=_("Occasion"), choices=[("", "—"), *CareDate.Occasion.choices]
    )
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12)
    day = forms.IntegerField(label=_("Day"), min_value=1, max_value=31)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        month, day = data.get("month"), data.get("day")
        days_in = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}
        if month and day and day > days_in.get(month, 31):
            self.add_error("day", _("This month has no such day."))
        return data


CareDateFormSet = forms.formset_factory(CareDateForm, extra=2, max_num=6, validate_max=True)


class KeyPersonForm(CrmForm):
    name = forms.CharField(label=_("Full name"), max_length=100)
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    department = forms.CharField(label=_("Department"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=KeyPersonRole.choices)
    influence = forms.TypedChoiceField(
        label=_("Influence (1–5)"), choices=SCALE_CHOICES, coerce=int, initial=3
    )
    relationship = forms.TypedChoiceField(
        label=_("Relationship (1–5)"), choices=SCALE_CHOICES, coerce=int, initial=3
    )
    drivers = forms.MultipleChoiceField(
        label=_("Top drivers (up to three)"),
        choices=KeyPerson.Driver.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    birthday_on = forms.DateField(label=_("Birthday"), required=False, widget=DATE_WIDGET)
    care_notes = forms.CharField(
        label=_("Care notes"), max_length=500, required=False, widget=forms.Textarea({"rows": 2})
    )

    def clean_drivers(self) -> list[str]:
        drivers = self.cleaned_data.get("drivers") or []
        if len(drivers) > 3:
            raise ValidationError(_("Record at most the top three drivers."))
        return list(drivers)

    @staticmethod
    def initial_for(person: KeyPerson) -> dict[str, Any]:
        return {
            f: getattr(person, f)
            for f in (
                "name",
                "title",
                "department",
                "role",
                "influence",
                "relationship",
                "drivers",
                "phone",
                "email",
                "birthday_on",
                "care_notes",
            )
        }


class MarkLeftForm(CrmForm):
    left_on = forms.DateField(label=_("Left on"), widget=DATE_WIDGET)

    def clean_left_on(self) -> Any:
        left_on = self.cleaned_data["left_on"]
        if left_on > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        return left_on


class ActivityForm(CrmForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    occurred_on = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    key_person = forms.TypedChoiceField(
        label=_("Key person"), required=False, coerce=int, empty_value=None
    )
    outcome = forms.CharField(
        label=_("Outcome"), max_length=4000, required=False, widget=forms.Textarea({"rows": 3})
    )
    next_step = forms.CharField(label=_("Next step"), max_length=500, required=False)
    next_step_on = forms.DateField(label=_("Next step due"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, key_persons: list[KeyPerson], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_persons = {p.pk: p for p in key_persons}
        _choice_field(self, "key_person").choices = [
            ("", "—"),
            *((p.pk, f"{p.name} · {p.get_role_display()}") for p in key_persons),
        ]

    def clean_occurred_on(self) -> Any:
        occurred_on = self.cleaned_data["occurred_on"]
        if occurred_on > timezone.localdate():
            raise ValidationError(_("An activity cannot be logged for a future date."))
        return occurred_on

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("next_step_on") and not data.get("next_step"):
            self.add_error("next_step", _("Say what the next step is."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["key_person"] = (
            self.key_persons.get(data["key_person"]) if data["key_person"] else None
        )
        return data


class ServiceRequestOpenForm(CrmForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ServiceRequest.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=ServiceRequest.Severity.choices, initial="medium"
    )
    description = forms.CharField(
        label=_("Description"), max_length=4000, required=False, widget=forms.Textarea({"rows": 4})
    )


class ServiceRequestUpdateForm(CrmForm):
    status = forms.ChoiceField(label=_("Status"), choices=ServiceRequest.Status.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=ServiceRequest.Severity.choices)
    resolution = forms.CharField(
        label=_("Resolution"), max_length=4000, required=False, widget=forms.Textarea({"rows": 4})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == ServiceRequest.Status.RESOLVED and not data.get("resolution"):
            self.add_error("resolution", _("Say how it was resolved."))
        return data


class CodesField(forms.Field):
    """The account codes ticked in the list (checkboxes named `codes`)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class ReassignForm(CrmForm):
    codes = CodesField(
        label=_("Accounts"), error_messages={"required": _("Select at least one account.")}
    )
    new_owner = forms.ChoiceField(label=_("New account manager"), widget=FastSelect)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, owners: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners = {u.username: u for u in owners}
        if len(owners) > MAX_OWNER_CHOICES:
            self.fields["new_owner"] = forms.CharField(label=_("New account manager"))
            self.fields["new_owner"].widget.attrs["placeholder"] = _("username")
        else:
            _choice_field(self, "new_owner").choices = [
                ("", "—"),
                *((u.username, u.label) for u in owners),
            ]

    def clean_codes(self) -> list[str]:
        codes = self.cleaned_data["codes"]
        if len(codes) > 500:
            raise ValidationError(_("Reassign at most 500 accounts at a time."))
        return codes


class ImportUploadForm(CrmForm):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, max_mb: int, max_rows: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "CSV (UTF-8 or GBK) or Excel .xlsx, at most %(mb)s MB and %(rows)s rows."
        ) % {"mb": max_mb, "rows": max_rows}
        self.fields["file"].widget.attrs["accept"] = ".csv,.xlsx"

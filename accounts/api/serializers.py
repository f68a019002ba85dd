"""Input serializers are explicit allow-lists (unknown fields are refused); output serializers
name every field. References are natural keys: region code, account code, username."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import StrictInputSerializer
from lifecycle.models import ChurnRisk, FlagCode, Stage
from segmentation.api.serializers import AccountScoresOutput

from .. import domain
from ..models import (
    Account,
    AccountStatus,
    Activity,
    CareDate,
    Industry,
    KeyPerson,
    Member,
    OrgKind,
    ServiceRequest,
    SizeBand,
)
from .fields import RegionCodeField, UsernameField, VisibleAccountCodeField

CODE_RE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"


class AccountOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    credit_code = serializers.CharField()
    org_kind = serializers.CharField()
    industry = serializers.CharField()
    size_band = serializers.CharField()
    status = serializers.CharField()
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    region_name_en = serializers.CharField(source="region.name_en")
    owner = serializers.CharField(source="owner.username")
    owner_name = serializers.CharField(source="owner.label")
    parent = serializers.CharField(source="parent.code", allow_null=True, default=None)  # type: ignore[assignment]  # stubs: Field.parent
    joined_on = serializers.DateField(allow_null=True)
    contract_end = serializers.DateField(allow_null=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    # Segmentation (DOMAIN.md §4): the effective class (an override wins) and the latest scores.
    value_class = serializers.CharField()
    class_overridden = serializers.BooleanField()
    segment_score = serializers.DecimalField(3, 2, allow_null=True)
    economic_value_score = serializers.DecimalField(3, 2, allow_null=True)
    social_value_score = serializers.DecimalField(3, 2, allow_null=True)
    scored_on = serializers.DateField(allow_null=True)
    # Lifecycle (DOMAIN.md §5): the current state, null without a lifecycle row yet.
    stage = serializers.ChoiceField(choices=Stage.choices, allow_null=True)
    stage_since = serializers.DateField(allow_null=True)
    churn_risk = serializers.ChoiceField(choices=ChurnRisk.choices, allow_null=True)
    open_flags = serializers.SerializerMethodField(help_text=_("codes of the open churn flags"))

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(FlagCode.choices)))
    def get_open_flags(self, obj: Account) -> list[str]:
        # Prefetched for a page (selectors.open_flags_prefetch) or attached for one account.
        return [flag.code for flag in getattr(obj, "open_flag_list", ())]


class BranchOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    region = serializers.CharField(source="region.code")
    status = serializers.CharField()


class AccountDetailOutput(AccountOutput):
    branches = BranchOutput(many=True, source="branch_list")
    member_count = serializers.IntegerField()
    vip_count = serializers.IntegerField()
    scores = AccountScoresOutput(help_text=_("step scores, computed class and override"))


class AccountCreateInput(StrictInputSerializer):
    code = serializers.RegexField(CODE_RE, max_length=32)
    name = serializers.CharField(max_length=200)
    credit_code = serializers.CharField(max_length=24, required=False, allow_blank=True)
    org_kind = serializers.ChoiceField(choices=OrgKind.choices)
    industry = serializers.ChoiceField(choices=Industry.choices)
    size_band = serializers.ChoiceField(choices=SizeBand.choices)
    status = serializers.ChoiceField(choices=AccountStatus.choices, required=False)
    region = RegionCodeField(required=False)
    owner = UsernameField(required=False)
    parent = VisibleAccountCodeField(required=False, allow_null=True)  # type: ignore[assignment]  # stubs: Field.parent
    joined_on = serializers.DateField(required=False, allow_null=True)
    contract_end = serializers.DateField(required=False, allow_null=True)


class AccountUpdateInput(StrictInputSerializer):
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=_("The version you based the edit on (or send If-Match)."),
    )
    name = serializers.CharField(max_length=200, required=False)
    credit_code = serializers.CharField(max_length=24, required=False, allow_blank=True)
    org_kind = serializers.ChoiceField(choices=OrgKind.choices, required=False)
    industry = serializers.ChoiceField(choices=Industry.choices, required=False)
    size_band = serializers.ChoiceField(choices=SizeBand.choices, required=False)
    status = serializers.ChoiceField(choices=AccountStatus.choices, required=False)
    region = RegionCodeField(required=False)
    owner = UsernameField(required=False)
    parent = VisibleAccountCodeField(required=False, allow_null=True)  # type: ignore[assignment]  # stubs: Field.parent
    joined_on = serializers.DateField(required=False, allow_null=True)
    contract_end = serializers.DateField(required=False, allow_null=True)


class ReassignInput(StrictInputSerializer):
    codes = serializers.ListField(
        child=serializers.CharField(max_length=32), min_length=1, max_length=1000
    )
    owner = UsernameField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ReassignOutput(serializers.Serializer):
    moved = serializers.IntegerField()


class CareDateSerializer(StrictInputSerializer):
    occasion = serializers.ChoiceField(choices=CareDate.Occasion.choices)
    month = serializers.IntegerField(min_value=1, max_value=12)
    day = serializers.IntegerField(min_value=1, max_value=31)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class KeyPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    department = serializers.CharField()
    role = serializers.CharField()
    influence = serializers.IntegerField()
    relationship = serializers.IntegerField()
    drivers = serializers.ListField(child=serializers.CharField())
    communication_means = serializers.SerializerMethodField()
    phone = serializers.CharField()
    email = serializers.CharField()
    birthday_on = serializers.DateField(allow_null=True)
    care_dates = CareDateSerializer(many=True, source="care_dates.all")
    care_notes = serializers.CharField()
    left_on = serializers.DateField(allow_null=True)

    def get_communication_means(self, obj: KeyPerson) -> list[str]:
        return domain.communication_means(obj.drivers or [])


class KeyPersonInput(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    department = serializers.CharField(max_length=100, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=KeyPerson.Role.choices)
    influence = serializers.IntegerField(min_value=1, max_value=5, required=False)
    relationship = serializers.IntegerField(min_value=1, max_value=5, required=False)
    drivers = serializers.ListField(
        child=serializers.ChoiceField(choices=KeyPerson.Driver.choices),
        max_length=3,
        required=False,
    )
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    birthday_on = serializers.DateField(required=False, allow_null=True)
    care_dates = CareDateSerializer(many=True, required=False)
    care_notes = serializers.CharField(max_length=500, required=False, allow_blank=True)
    left_on = serializers.DateField(required=False, allow_null=True)


class MemberOutput(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = ["id", "number_masked", "cost_centre", "is_vip", "joined_on", "left_on"]


class MemberInput(StrictInputSerializer):
    number = serializers.RegexField(r"^\+?[0-9 -]{7,20}$", help_text=_("stored masked"))
    cost_centre = serializers.CharField(max_length=100, required=False, allow_blank=True)
    is_vip = serializers.BooleanField(required=False)
    joined_on = serializers.DateField(required=False, allow_null=True)


class ActivityOutput(serializers.ModelSerializer):
    key_person: serializers.PrimaryKeyRelatedField[KeyPerson] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    created_by = serializers.CharField(source="created_by.username")

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "subject",
            "occurred_on",
            "key_person",
            "outcome",
            "next_step",
            "next_step_on",
            "created_by",
            "created_at",
        ]


@extend_schema_field(OpenApiTypes.INT)
class AccountKeyPersonField(serializers.PrimaryKeyRelatedField):
    """A key person of the account in the URL: another account's person is as unknown as a
    missing one (no existence oracle across portfolios)."""

    def get_queryset(self):  # type: ignore[no-untyped-def]
        request = self.context.get("request")
        kwargs = getattr(request, "parser_context", None) or {}
        code = (kwargs.get("kwargs") or {}).get("code")
        return KeyPerson.objects.filter(account__code=code) if code else KeyPerson.objects.none()


class ActivityInput(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    subject = serializers.CharField(max_length=200)
    occurred_on = serializers.DateField()
    key_person = AccountKeyPersonField(required=False, allow_null=True)
    outcome = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    next_step = serializers.CharField(max_length=500, required=False, allow_blank=True)
    next_step_on = serializers.DateField(required=False, allow_null=True)


class ServiceRequestOutput(serializers.ModelSerializer):
    opened_by = serializers.CharField(source="opened_by.username")
    sla_breached = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "severity",
            "status",
            "opened_at",
            "sla_due_at",
            "resolved_at",
            "resolution",
            "opened_by",
            "sla_breached",
        ]

    def get_sla_breached(self, obj: ServiceRequest) -> bool:
        from django.utils import timezone

        end = obj.resolved_at or timezone.now()
        return end > obj.sla_due_at


class ServiceRequestInput(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=ServiceRequest.Kind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=ServiceRequest.Severity.choices)
    opened_at = serializers.DateTimeField(required=False)


class ServiceRequestUpdateInput(StrictInputSerializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=ServiceRequest.Severity.choices, required=False)
    status = serializers.ChoiceField(choices=ServiceRequest.Status.choices, required=False)
    resolution = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class HistoryChangeOutput(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class HistoryOutput(serializers.Serializer):
    """One change in an account's audit trail (the account or a record under it)."""

    entity = serializers.ChoiceField(
        choices=["account", "key_person", "activity", "service_request", "team_member"]
    )
    object_id = serializers.IntegerField()
    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField()
    history_type = serializers.CharField(help_text=_("+ created, ~ changed, - deleted"))
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    user = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    changes = HistoryChangeOutput(many=True)


class MasterDataOutput(serializers.Serializer):
    """What the billing system may read: enough to consolidate or split group bills."""

    code = serializers.CharField()
    name = serializers.CharField()
    credit_code = serializers.CharField()
    region = serializers.CharField(source="region.code")
    parent = serializers.CharField(source="parent.code", allow_null=True, default=None)  # type: ignore[assignment]  # stubs: Field.parent
    status = serializers.CharField()
    cost_centres = serializers.ListField(child=serializers.CharField())
    updated_at = serializers.DateTimeField()


__all__ = ["Account"]

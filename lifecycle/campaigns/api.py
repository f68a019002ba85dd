"""Campaign API: one APIView per operation, strict input serializers, the common error shape,
keyset pagination. Thin: parse, one selector or service call, render."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.auth import request_user
from core.api.serializers import StrictInputSerializer
from lifecycle.models import Campaign, CampaignCall, ChurnRisk, Stage
from org.models import Region, User
from segmentation.models import ValueClass

from . import rules, selectors, services

# --- serializers ---------------------------------------------------------------------------------


class QuestionSerializer(StrictInputSerializer):
    text = serializers.CharField(max_length=300)
    options = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=20, default=list
    )

    def validate_options(self, value: list[str]) -> list[str]:
        value = list(dict.fromkeys(o.strip() for o in value if o.strip()))
        if len(value) == 1:
            raise serializers.ValidationError(_("Give at least two answers, or none."))
        return value


class CampaignInput(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Campaign.Kind.choices)
    region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), help_text=_("region code")
    )
    min_monthly_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True
    )
    min_months = serializers.IntegerField(
        min_value=1, max_value=rules.MAX_WINDOW_MONTHS, required=False, allow_null=True
    )
    window_months = serializers.IntegerField(
        min_value=1, max_value=rules.MAX_WINDOW_MONTHS, required=False, default=12
    )
    churn_risks = serializers.ListField(
        child=serializers.ChoiceField(choices=ChurnRisk.choices), required=False, default=list
    )
    stages = serializers.ListField(
        child=serializers.ChoiceField(choices=Stage.choices), required=False, default=list
    )
    value_classes = serializers.ListField(
        child=serializers.ChoiceField(choices=ValueClass.choices), required=False, default=list
    )
    questions = QuestionSerializer(many=True, required=False, default=list)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    callers = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        many=True,
        help_text=_("usernames of the callers"),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("churn_risks", "stages", "value_classes"):
            attrs[name] = sorted(set(attrs.get(name) or []))
        attrs["questions"] = [
            {"text": q["text"].strip(), "options": q.get("options") or []}
            for q in attrs.get("questions") or []
        ]
        return attrs


class CampaignOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    region = serializers.CharField(source="region.code")
    min_monthly_amount = serializers.DecimalField(12, 2, allow_null=True)
    min_months = serializers.IntegerField(allow_null=True)
    window_months = serializers.IntegerField()
    churn_risks = serializers.ListField(child=serializers.CharField())
    stages = serializers.ListField(child=serializers.CharField())
    value_classes = serializers.ListField(child=serializers.CharField())
    questions = serializers.ListField(child=serializers.DictField())
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    status = serializers.CharField()
    generated_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()


class CallerResultOutput(serializers.Serializer):
    caller = serializers.CharField()
    listed = serializers.IntegerField()
    called = serializers.IntegerField()
    reached = serializers.IntegerField()
    accepted = serializers.IntegerField()
    reach_rate = serializers.DecimalField(4, 1, allow_null=True)
    conversion = serializers.DecimalField(4, 1, allow_null=True)


class AnswerCountOutput(serializers.Serializer):
    answer = serializers.CharField()
    count = serializers.IntegerField()


class QuestionResultOutput(serializers.Serializer):
    text = serializers.CharField()
    answered = serializers.IntegerField()
    counts = AnswerCountOutput(many=True)


class ResultsOutput(serializers.Serializer):
    listed = serializers.IntegerField()
    called = serializers.IntegerField()
    reached = serializers.IntegerField()
    accepted = serializers.IntegerField()
    issues = serializers.IntegerField()
    reach_rate = serializers.DecimalField(4, 1, allow_null=True, help_text=_("reached / called, %"))
    conversion = serializers.DecimalField(
        4, 1, allow_null=True, help_text=_("offer accepted / reached, %")
    )
    callers = CallerResultOutput(many=True)
    questions = QuestionResultOutput(many=True)


class CampaignDetailOutput(CampaignOutput):
    callers = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField()

    @extend_schema(responses=serializers.ListField(child=serializers.CharField()))
    def get_callers(self, obj: Campaign) -> list[str]:
        return [u.username for u in selectors.campaign_callers(obj)]

    @extend_schema(responses=ResultsOutput)
    def get_results(self, obj: Campaign) -> dict[str, Any]:
        return ResultsOutput(selectors.campaign_results(campaign=obj, issue_limit=0)).data


class ContactOutput(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    role = serializers.CharField()
    phone = serializers.CharField()


class CallAccountOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.label")
    owner = serializers.CharField(source="owner.username", default=None)
    owner_name = serializers.CharField(source="owner.label", default=None)
    stage = serializers.SerializerMethodField()
    churn_risk = serializers.SerializerMethodField()

    def _lifecycle(self, obj: Any) -> Any:
        return getattr(obj, "lifecycle", None)

    def get_stage(self, obj: Any) -> str | None:
        state = self._lifecycle(obj)
        return state.stage if state else None

    def get_churn_risk(self, obj: Any) -> str | None:
        state = self._lifecycle(obj)
        return state.churn_risk if state else None


class CallOutput(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField(source="campaign_id")
    campaign_name = serializers.CharField(source="campaign.name")
    kind = serializers.CharField(source="campaign.kind")
    account = CallAccountOutput()
    contact = serializers.SerializerMethodField()
    questions = serializers.ListField(child=serializers.DictField(), source="campaign.questions")
    caller = serializers.CharField(source="caller.username")
    status = serializers.CharField()
    called_at = serializers.DateTimeField(allow_null=True)
    reached = serializers.BooleanField(allow_null=True)
    answers = serializers.DictField(child=serializers.CharField())
    issue_raised = serializers.CharField()
    offer_accepted = serializers.BooleanField(allow_null=True)
    follow_up = serializers.CharField()
    follow_up_on = serializers.DateField(allow_null=True)

    @extend_schema(responses=ContactOutput(allow_null=True))
    def get_contact(self, obj: CampaignCall) -> dict[str, Any] | None:
        person = selectors.main_contact(obj)
        if person is None:
            return None
        return {
            "name": person.name,
            "title": person.title,
            "role": person.role,
            "phone": person.phone,
        }


class CallOutcomeInput(StrictInputSerializer):
    reached = serializers.BooleanField()
    answers = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True),
        required=False,
        default=dict,
        help_text=_('answers keyed by the question\'s index: {"0": "satisfied"}'),
    )
    issue_raised = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    offer_accepted = serializers.BooleanField(required=False, allow_null=True, default=None)
    follow_up = serializers.CharField(max_length=500, required=False, allow_blank=True)
    follow_up_on = serializers.DateField(required=False, allow_null=True, default=None)


class GenerateInput(StrictInputSerializer):
    """No fields: the list is generated as of today."""


class GenerateOutput(serializers.Serializer):
    matching = serializers.IntegerField()
    listed_before = serializers.IntegerField()
    added = serializers.IntegerField(allow_null=True, help_text=_("null when queued (202)"))
    callers = serializers.IntegerField()
    per_caller = serializers.IntegerField()


# --- views ---------------------------------------------------------------------------------------


def _validated(serializer_class: type[serializers.Serializer], request: Request, **kw: Any) -> Any:
    serializer = serializer_class(data=request.data, context={"request": request}, **kw)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _paginate(
    view: GenericAPIView, queryset: Any, output: Any, ordering: tuple[str, ...]
) -> Response:
    view.paginator.ordering = ordering  # type: ignore[union-attr]
    page = view.paginate_queryset(queryset)
    return view.get_paginated_response(output(page, many=True).data)


class CampaignListApi(GenericAPIView):
    queryset = Campaign.objects.none()  # for the schema generator; reads go through selectors
    serializer_class = CampaignOutput

    @extend_schema(responses=CampaignOutput(many=True))
    def get(self, request: Request) -> Response:
        return _paginate(self, selectors.campaign_list(user=request.user), CampaignOutput, ("-id",))

    @extend_schema(request=CampaignInput, responses={201: CampaignDetailOutput})
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        if not services.can_create_campaigns(actor):
            raise PermissionDenied
        data = _validated(CampaignInput, request)
        campaign = services.campaign_create(actor=actor, data=data)
        return Response(CampaignDetailOutput(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailApi(APIView):
    @extend_schema(responses=CampaignDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(CampaignDetailOutput(selectors.campaign_get(user=request.user, pk=pk)).data)


class CampaignGenerateApi(APIView):
    @extend_schema(
        request=GenerateInput,
        responses={200: GenerateOutput, 202: GenerateOutput},
        description=(
            "Generates the call list as of today, or adds the accounts that match since: calls "
            "already listed keep their outcomes. Big lists are generated by a worker (202)."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        campaign = selectors.campaign_get(user=request.user, pk=pk)
        _validated(GenerateInput, request)
        preview, added = services.campaign_generate_request(
            actor=request_user(request), campaign_id=campaign.pk, as_of=timezone.localdate()
        )
        body = GenerateOutput(
            {
                "matching": preview.matching,
                "listed_before": preview.listed,
                "added": added,
                "callers": preview.callers,
                "per_caller": preview.per_caller,
            }
        ).data
        return Response(body, status=status.HTTP_200_OK if added is not None else 202)


STATUS_PARAM = OpenApiParameter(
    "status", str, enum=CampaignCall.Status.values, description=str(_("pending or done"))
)


class CampaignCallListApi(GenericAPIView):
    queryset = CampaignCall.objects.none()
    serializer_class = CallOutput

    @extend_schema(
        responses=CallOutput(many=True),
        parameters=[STATUS_PARAM, OpenApiParameter("caller", str, description=str(_("username")))],
    )
    def get(self, request: Request, pk: int) -> Response:
        caller = request.query_params.get("caller") or ""
        qs = selectors.call_list(
            user=request.user, campaign_id=pk, status=request.query_params.get("status") or ""
        )
        if caller:
            qs = qs.filter(caller__username=caller)
        return _paginate(self, qs, CallOutput, ("id",))


class CampaignCallApi(APIView):
    @extend_schema(responses=CallOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(CallOutput(selectors.call_get(user=request.user, pk=pk)).data)

    @extend_schema(request=CallOutcomeInput, responses=CallOutput)
    def patch(self, request: Request, pk: int) -> Response:
        # 404 (not the caller's nor a managed campaign's), then 403 (a manager), then 400.
        call = selectors.call_get(user=request.user, pk=pk)
        if call.caller_id != request.user.pk:
            raise PermissionDenied
        data = _validated(CallOutcomeInput, request)
        services.call_record(actor=request_user(request), call_id=call.pk, data=data)
        return Response(CallOutput(selectors.call_get(user=request.user, pk=pk)).data)


class MyCallListApi(GenericAPIView):
    queryset = CampaignCall.objects.none()
    serializer_class = CallOutput

    @extend_schema(responses=CallOutput(many=True), parameters=[STATUS_PARAM])
    def get(self, request: Request) -> Response:
        qs = selectors.my_calls(user=request.user, status=request.query_params.get("status") or "")
        return _paginate(self, qs, CallOutput, ("id",))

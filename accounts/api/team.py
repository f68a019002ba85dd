"""The account team: supporting staff (solution engineer, service manager, ...) with read or edit
access. Adding someone lets them see the account, so only its owner, a regional manager over its
region, or hq may change the team."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.auth import request_user
from core.api.serializers import StrictInputSerializer
from org.models import AccountTeamMember
from org.visibility import can_manage_team

from .. import selectors, services
from .fields import UsernameField


class TeamMemberOutput(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.label")
    team_role = serializers.CharField()
    access = serializers.CharField()
    updated_at = serializers.DateTimeField()


class TeamMemberInput(StrictInputSerializer):
    user = UsernameField()
    team_role = serializers.ChoiceField(choices=AccountTeamMember.TeamRole.choices)
    access = serializers.ChoiceField(
        choices=AccountTeamMember.Access.choices, default=AccountTeamMember.Access.READ
    )


def _may_manage(request: Request, code: str) -> None:
    account = selectors.account_get(user=request.user, code=code)  # 404 first: no oracle
    if not can_manage_team(request.user, account):
        raise exceptions.PermissionDenied(_("Only the account manager or a manager may do this."))


class TeamListApi(APIView):
    @extend_schema(responses=TeamMemberOutput(many=True))
    def get(self, request: Request, code: str) -> Response:
        members = selectors.team_member_list(user=request.user, code=code)
        return Response(TeamMemberOutput(members, many=True).data)

    @extend_schema(request=TeamMemberInput, responses={201: TeamMemberOutput})
    def post(self, request: Request, code: str) -> Response:
        _may_manage(request, code)
        serializer = TeamMemberInput(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        member, created = services.team_member_add(
            actor=request_user(request),
            code=code,
            user=data["user"],
            team_role=data["team_role"],
            access=data["access"],
        )
        return Response(
            TeamMemberOutput(member).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class TeamMemberApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, code: str, username: str) -> Response:
        _may_manage(request, code)
        services.team_member_remove(actor=request_user(request), code=code, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)

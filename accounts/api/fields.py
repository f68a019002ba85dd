from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from org.models import Region, User
from org.visibility import accounts_visible_to


class RegionCodeField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": _("Unknown region."),
        "invalid": _("Give a region code."),
    }

    def __init__(self, **kwargs: Any):
        super().__init__(slug_field="code", queryset=Region.objects.all(), **kwargs)


class UsernameField(serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": _("Unknown user."),
        "invalid": _("Give a username."),
    }

    def __init__(self, **kwargs: Any):
        super().__init__(slug_field="username", queryset=User.objects.all(), **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class VisibleAccountCodeField(serializers.SlugRelatedField):
    """An account by code, looked up only among the accounts the requester may see, so an
    invisible account and a missing one give the same answer."""

    default_error_messages = {
        "does_not_exist": _("Unknown account."),
        "invalid": _("Give an account code."),
    }

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("queryset", None)
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        request = self.context.get("request")
        return accounts_visible_to(getattr(request, "user", None))

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.filters import OrderingFilter

from org.models import Region

from ..models import Account, AccountStatus, Industry, OrgKind, SizeBand


class AccountFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(
        method="filter_region", max_length=32, help_text=_("region code; includes its subtree")
    )
    owner = django_filters.CharFilter(field_name="owner__username", max_length=150)
    parent = django_filters.CharFilter(field_name="parent__code", max_length=32)
    industry = django_filters.ChoiceFilter(choices=Industry.choices)
    org_kind = django_filters.ChoiceFilter(choices=OrgKind.choices)
    size_band = django_filters.ChoiceFilter(choices=SizeBand.choices)
    status = django_filters.ChoiceFilter(choices=AccountStatus.choices)
    q = django_filters.CharFilter(method="filter_q", max_length=100, help_text=_("name or code"))
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Account
        fields: list[str] = []

    def filter_region(self, queryset: QuerySet[Account], name: str, value: str) -> Any:
        region = Region.objects.filter(code=value).first()
        if region is None:
            return queryset.none()
        return queryset.in_region(region)  # type: ignore[attr-defined]

    def filter_q(self, queryset: QuerySet[Account], name: str, value: str) -> Any:
        return queryset.search(value)  # type: ignore[attr-defined]


class TiebreakOrderingFilter(OrderingFilter):
    """Adds the unique `code` after the chosen ordering, so pages never repeat or skip a row."""

    def get_ordering(self, request, queryset, view):  # type: ignore[no-untyped-def]
        ordering = list(super().get_ordering(request, queryset, view) or ["code"])
        if not any(field.lstrip("-") == "code" for field in ordering):
            ordering.append("-code" if ordering[0].startswith("-") else "code")
        return tuple(ordering)

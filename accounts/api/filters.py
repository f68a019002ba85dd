from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import CharField, F, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from lifecycle.models import AccountLifecycle, ChurnRisk, Stage
from org.models import Region, User
from segmentation.models import ValueClass

from ..models import Account, AccountStatus, Industry, OrgKind, SizeBand
from ..querysets import region_named

# See AccountFilter._lifecycle.
LIFECYCLE_IDS = 5_000


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
    # On the selector's LEFT JOIN of the lifecycle state (selectors.annotate_lifecycle).
    # Both applied together in `filter_queryset` (`_lifecycle`).
    stage = django_filters.ChoiceFilter(choices=Stage.choices, method="filter_later")
    churn_risk = django_filters.ChoiceFilter(choices=ChurnRisk.choices, method="filter_later")
    # On the selector's annotation of the latest scores (segmentation.selectors.annotate_scores).
    # The lists filter and count before they annotate (selectors.account_list_base), so these
    # name the joined columns themselves; the effective class is aliased only when asked for.
    value_class = django_filters.ChoiceFilter(
        choices=ValueClass.choices, method="filter_value_class"
    )
    segment_score_min = django_filters.NumberFilter(
        field_name="current_score__segment_score", lookup_expr="gte"
    )
    segment_score_max = django_filters.NumberFilter(
        field_name="current_score__segment_score", lookup_expr="lte"
    )
    economic_value_score_min = django_filters.NumberFilter(
        field_name="current_score__economic_value_score", lookup_expr="gte"
    )
    economic_value_score_max = django_filters.NumberFilter(
        field_name="current_score__economic_value_score", lookup_expr="lte"
    )
    social_value_score_min = django_filters.NumberFilter(
        field_name="current_score__social_value_score", lookup_expr="gte"
    )
    social_value_score_max = django_filters.NumberFilter(
        field_name="current_score__social_value_score", lookup_expr="lte"
    )

    class Meta:
        model = Account
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Account]) -> Any:
        queryset = self._lifecycle(super().filter_queryset(queryset))
        user = getattr(self.request, "user", None)
        if (
            not self.form.cleaned_data.get("region")
            and getattr(user, "role", None) == User.Role.REGIONAL_MANAGER
            and not user.is_superuser  # type: ignore[union-attr]
            and user.region_id  # type: ignore[union-attr]
        ):
            # The rows are already the manager's subtree (visibility); its code and name range
            # lets a list in code or name order start at its first row. (`?region=` brings its
            # own range, from the same query as its region ids.)
            queryset = queryset.region_bounded(user.region)  # type: ignore[attr-defined, union-attr]
        return queryset.settle_search()  # type: ignore[attr-defined]

    def filter_region(self, queryset: QuerySet[Account], name: str, value: str) -> Any:
        # The region tree is reference data every staff member sees, so naming an unknown code
        # is a mistake worth reporting, not an empty result.
        region = Region.objects.filter(code=value).first()
        if region is None:
            raise ValidationError({name: [_("Unknown region.")]}, code="does_not_exist")
        # Bounded: the lists' region filter (bench/README.md, regional lists).
        return queryset.in_region(region, bounded=True)  # type: ignore[attr-defined]

    def filter_later(self, queryset: QuerySet[Account], name: str, value: str) -> Any:
        return queryset

    def _lifecycle(self, queryset: QuerySet[Account]) -> QuerySet[Account]:
        """Stage and churn risk. A rare combination (stage A and high risk: 1,642 of 1M
        accounts) read as a join made PostgreSQL walk the whole name index looking for a page
        (1.5 s): so the matching account ids are read first from the lifecycle table's own
        indexes, and when there are at most LIFECYCLE_IDS of them the list is those ids (read by
        primary key, then sorted); more matches are dense enough for the ordered walk."""
        wanted = {
            key: self.form.cleaned_data[key]
            for key in ("stage", "churn_risk")
            if self.form.cleaned_data.get(key)
        }
        if not wanted:
            return queryset
        joined = queryset.filter(**{f"lifecycle__{key}": value for key, value in wanted.items()})
        user = getattr(self.request, "user", None)
        if getattr(user, "role", None) == User.Role.ACCOUNT_MANAGER:
            return joined  # a portfolio of hundreds: PostgreSQL starts from the owner index
        from lifecycle.selectors import state_counts

        matching = sum(
            n
            for (stage, risk), n in state_counts(queryset.db).items()
            if wanted.get("stage", stage) == stage and wanted.get("churn_risk", risk) == risk
        )
        if matching > LIFECYCLE_IDS:
            return joined  # common: the ordered walk meets a page of them soon
        states = AccountLifecycle.objects.using(queryset.db).filter(**wanted)
        ids = list(states.values_list("account_id", flat=True)[: LIFECYCLE_IDS + 1])
        if len(ids) <= LIFECYCLE_IDS:
            queryset = queryset.filter(pk__in=ids)
            queryset.query.few_rows = True  # type: ignore[attr-defined]  # listing.ordered
            return queryset
        return joined

    def filter_value_class(self, queryset: QuerySet[Account], name: str, value: str) -> Any:
        from segmentation.selectors import fallback_class_expression

        # The same effective class as segmentation.selectors.annotate_scores.
        effective = Coalesce(
            F("class_override__value_class"),
            F("current_score__value_class"),
            fallback_class_expression(),
            output_field=CharField(),
        )
        return queryset.alias(effective_class=effective).filter(effective_class=value)

    def filter_q(self, queryset: QuerySet[Account], name: str, value: str) -> Any:
        user = getattr(self.request, "user", None)
        named = region_named(queryset.db, value)
        if (
            named is not None
            and getattr(user, "role", None) == User.Role.REGIONAL_MANAGER
            and user.region_id  # type: ignore[union-attr]
            and user.region.path.startswith(named.path)  # type: ignore[union-attr]
        ):
            # A regional manager naming their own region (or one above it): every account they
            # see lies in it, so the search keeps them all (and their list's plan).
            return queryset
        # The page sorts by `sort`, the API by `ordering` (first key decides).
        order = self.request.GET.get("sort") or self.request.GET.get("ordering") or ""
        by_name = order.split(",")[0].strip().lstrip("-") == "name"
        return queryset.search(  # type: ignore[attr-defined]
            value, named=named, within=self._search_regions(user), by_name=by_name
        )

    def _search_regions(self, user: Any) -> list[int] | None:
        """The region ids the list is limited to, for the search (AccountQuerySet.search): the
        region filter's subtree, else a regional manager's own subtree; None for anyone else
        (an account manager's portfolio is small; hq's province is every region)."""
        code = self.form.cleaned_data.get("region")
        if code:
            base = Region.objects.filter(code=code).only("path").first()
        elif getattr(user, "role", None) == User.Role.REGIONAL_MANAGER and user.region_id:
            base = user.region
        else:
            return None
        if base is None:
            return None
        return list(Region.objects.filter(path__startswith=base.path).values_list("pk", flat=True))


class TiebreakOrderingFilter(OrderingFilter):
    """Adds the unique `code` after the chosen ordering, so pages never repeat or skip a row."""

    def get_ordering(self, request, queryset, view):  # type: ignore[no-untyped-def]
        # DRF silently ignores an ordering it does not know; a client would then page through
        # rows in an order it did not ask for. Refuse it instead.
        param = request.query_params.get(self.ordering_param)
        if param is not None:
            allowed = {name for name, _label in self.get_valid_fields(queryset, view, {})}
            asked = [term.strip() for term in param.split(",")]
            if not all(term and term.lstrip("-") in allowed for term in asked):
                raise ValidationError(
                    {
                        self.ordering_param: [
                            _("Order by one of: %(fields)s (prefix - for descending).")
                            % {"fields": ", ".join(sorted(allowed))}
                        ]
                    },
                    code="invalid_ordering",
                )
        ordering = list(super().get_ordering(request, queryset, view) or ["code"])
        if not any(field.lstrip("-") == "code" for field in ordering):
            ordering.append("-code" if ordering[0].startswith("-") else "code")
        return tuple(ordering)

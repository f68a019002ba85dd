"""Reads of group customers and everything hanging off them, all through the visibility policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from org.visibility import accounts_visible_to

from .models import Account, Activity, KeyPerson, Member, ServiceRequest

LIST_COLUMNS = (
    "id",
    "code",
    "name",
    "credit_code",
    "org_kind",
    "industry",
    "size_band",
    "status",
    "joined_on",
    "contract_end",
    "version",
    "updated_at",
    "region__code",
    "region__name",
    "owner__username",
    "owner__display_name",
    "parent__code",
)


def account_list(*, user: Any) -> QuerySet[Account]:
    """The user's visible accounts with just the columns a list shows (filters applied later)."""
    return accounts_visible_to(user).select_related("region", "owner", "parent").only(*LIST_COLUMNS)


def account_get(*, user: Any, code: str, for_update: bool = False) -> Account:
    """One visible account by code; anything else is a 404, never a 403 (no existence oracle)."""
    qs = accounts_visible_to(user).select_related("region", "owner", "parent")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    account = qs.filter(code=code).first()
    if account is None:
        raise Http404("No such account.")
    return account


def account_detail(*, user: Any, code: str) -> Account:
    account = account_get(user=user, code=code)
    account.member_count = account.members.count()  # type: ignore[attr-defined]
    account.vip_count = account.members.filter(is_vip=True).count()  # type: ignore[attr-defined]
    account.branch_list = list(  # type: ignore[attr-defined]
        account.branches.select_related("region")
        .only("code", "name", "region__code", "region__name", "status", "parent_id")
        .order_by("code")
    )
    return account


def _children(user: Any, code: str) -> Account:
    return account_get(user=user, code=code)


def key_person_list(*, user: Any, code: str) -> QuerySet[KeyPerson]:
    account = _children(user, code)
    return account.key_persons.prefetch_related("care_dates").order_by(
        "left_on", "-influence", "id"
    )


def key_person_get(*, user: Any, code: str, pk: int) -> KeyPerson:
    kp = key_person_list(user=user, code=code).filter(pk=pk).first()
    if kp is None:
        raise Http404("No such key person.")
    return kp


def member_list(*, user: Any, code: str) -> QuerySet[Member]:
    return _children(user, code).members.order_by("id")


def member_get(*, user: Any, code: str, pk: int) -> Member:
    member = member_list(user=user, code=code).filter(pk=pk).first()
    if member is None:
        raise Http404("No such member.")
    return member


def activity_list(*, user: Any, code: str) -> QuerySet[Activity]:
    return (
        _children(user, code)
        .activities.select_related("key_person", "created_by")
        .order_by("-occurred_on", "-id")
    )


def activity_get(*, user: Any, code: str, pk: int) -> Activity:
    activity = activity_list(user=user, code=code).filter(pk=pk).first()
    if activity is None:
        raise Http404("No such activity.")
    return activity


def service_request_list(*, user: Any, code: str) -> QuerySet[ServiceRequest]:
    return (
        _children(user, code)
        .service_requests.select_related("opened_by")
        .order_by("-opened_at", "-id")
    )


def service_request_get(*, user: Any, code: str, pk: int) -> ServiceRequest:
    sr = service_request_list(user=user, code=code).filter(pk=pk).first()
    if sr is None:
        raise Http404("No such service request.")
    return sr


def account_history(*, user: Any, code: str) -> QuerySet[Any]:
    account = account_get(user=user, code=code)
    return account.history.select_related("history_user").order_by("-history_date", "-history_id")


def account_summary_counts(*, user: Any) -> dict[str, int]:
    return accounts_visible_to(user).aggregate(
        total=Count("id"), active=Count("id", filter=Q(status="active"))
    )


def key_persons_prefetch() -> Prefetch:
    return Prefetch("key_persons", queryset=KeyPerson.objects.order_by("left_on", "-influence"))


def master_data_list() -> QuerySet[Account]:
    """Every account, for the billing system's consolidation: it bills all of them. Only the
    master-data columns are loaded."""
    return Account.objects.select_related("region", "parent").only(
        "code", "name", "credit_code", "status", "updated_at", "region__code", "parent__code"
    )


def attach_cost_centres(accounts: list[Account]) -> None:
    """One query for the cost centres of a page of accounts."""
    by_account: dict[int, list[str]] = {a.pk: [] for a in accounts}
    rows = (
        Member.objects.filter(account_id__in=by_account)
        .exclude(cost_centre="")
        .values_list("account_id", "cost_centre")
        .distinct()
        .order_by("account_id", "cost_centre")
    )
    for account_id, centre in rows:
        by_account[account_id].append(centre)
    for account in accounts:
        account.cost_centres = by_account[account.pk]  # type: ignore[attr-defined]

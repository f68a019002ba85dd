"""Reads of group customers and everything hanging off them, all through the visibility policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from org.models import User
from org.visibility import accounts_visible_to

from .models import Account, Activity, CareDate, KeyPerson, Member, ServiceRequest

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
    "region__name_en",
    "owner__username",
    "owner__display_name",
    "parent__code",
)


MAX_CODE_LENGTH = 32
# Ids in URLs are matched by \d+; one past a bigint would make the database raise, not miss.
MAX_PK = 2**63 - 1


def _pk_or_404(pk: int, message: str) -> None:
    if not 0 < pk <= MAX_PK:
        raise Http404(message)


def account_list(*, user: Any) -> QuerySet[Account]:
    """The user's visible accounts with just the columns a list shows, scores and lifecycle."""
    return annotate_list(account_list_base(user=user))


def account_list_base(*, user: Any) -> QuerySet[Account]:
    """The user's visible accounts with the list's columns but without the score and lifecycle
    joins: filter and count this, then `annotate_list` the page (a capped COUNT over joins it
    does not need took 55–150 ms at 1M accounts)."""
    return accounts_visible_to(user).select_related("region", "owner", "parent").only(*LIST_COLUMNS)


LIST_ANNOTATIONS = (
    "value_class",
    "class_overridden",
    "segment_score",
    "economic_value_score",
    "social_value_score",
    "scored_on",
    "stage",
    "stage_since",
    "churn_risk",
)


def attach_list_columns(accounts: list[Account]) -> list[Account]:
    """The scores and lifecycle state of a page of accounts, in one query by primary key.

    Read after the page, not joined into it: PostgreSQL performs a LEFT JOIN below the sort, so a
    filtered page sorted by hand (top-N) joined every candidate row (4,000 at 1M accounts for hq
    with region+industry+status, ~100 ms) instead of the 50 it shows."""
    if not accounts:
        return accounts
    found = {
        row.pop("pk"): row
        for row in annotate_list(Account.objects.filter(pk__in=[a.pk for a in accounts])).values(
            "pk", *LIST_ANNOTATIONS
        )
    }
    for account in accounts:
        for key, value in found.get(account.pk, {}).items():
            setattr(account, key, value)
    return accounts


def annotate_list(accounts: QuerySet[Account]) -> QuerySet[Account]:
    from segmentation.selectors import annotate_scores

    return annotate_lifecycle(annotate_scores(accounts))


def annotate_lifecycle(accounts: QuerySet[Account]) -> QuerySet[Account]:
    """The current lifecycle state (lifecycle.AccountLifecycle, one row per account or none):
    one LEFT JOIN on its primary key, so a list page stays one query; NULL without a row."""
    return accounts.annotate(
        stage=F("lifecycle__stage"),
        stage_since=F("lifecycle__stage_since"),
        churn_risk=F("lifecycle__churn_risk"),
    )


def open_flags_prefetch() -> Prefetch:
    """The open churn flags of each account of a page (one query), as `open_flag_list`."""
    from lifecycle.models import ChurnFlag

    return Prefetch(
        "churn_flags",
        queryset=ChurnFlag.objects.filter(cleared_on__isnull=True)
        .only("id", "account_id", "code")
        .order_by("code"),
        to_attr="open_flag_list",
    )


def account_get(*, user: Any, code: str, for_update: bool = False) -> Account:
    """One visible account by code; anything else is a 404, never a 403 (no existence oracle)."""
    # A code no account can have (PostgreSQL refuses NUL in text) is simply not found.
    if not code or len(code) > MAX_CODE_LENGTH or "\x00" in code:
        raise Http404("No such account.")
    qs = accounts_visible_to(user).select_related("region", "owner", "parent")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    account = qs.filter(code=code).first()
    if account is None:
        raise Http404("No such account.")
    return account


def account_detail(*, user: Any, code: str, lifecycle: bool = False) -> Account:
    account = account_get(user=user, code=code)
    account.member_count = account.members.count()  # type: ignore[attr-defined]
    account.vip_count = account.members.filter(is_vip=True).count()  # type: ignore[attr-defined]
    account.branch_list = list(  # type: ignore[attr-defined]
        account.branches.select_related("region")
        .only(
            "code",
            "name",
            "region__code",
            "region__name",
            "region__name_en",
            "status",
            "parent_id",
        )
        .order_by("code")
    )
    from segmentation.selectors import attach_scores

    attach_scores(account)
    if lifecycle:
        attach_lifecycle(account)
    return account


def attach_lifecycle(account: Account) -> None:
    """stage, stage_since, churn_risk (None without a lifecycle row) and open_flag_list: two
    small queries by primary key and by the flag index's leading column."""
    from lifecycle.models import AccountLifecycle, ChurnFlag

    state = (
        AccountLifecycle.objects.filter(account_id=account.pk)
        .values("stage", "stage_since", "churn_risk")
        .first()
    ) or {"stage": None, "stage_since": None, "churn_risk": None}
    for key, value in state.items():
        setattr(account, key, value)
    account.open_flag_list = list(  # type: ignore[attr-defined]
        ChurnFlag.objects.filter(account_id=account.pk, cleared_on__isnull=True)
        .only("id", "account_id", "code")
        .order_by("code")
    )


def _children(user: Any, code: str) -> Account:
    return account_get(user=user, code=code)


def key_person_list(*, user: Any, code: str) -> QuerySet[KeyPerson]:
    account = _children(user, code)
    return account.key_persons.prefetch_related("care_dates").order_by(
        "left_on", "-influence", "id"
    )


def key_person_get(*, user: Any, code: str, pk: int) -> KeyPerson:
    _pk_or_404(pk, "No such key person.")
    kp = key_person_list(user=user, code=code).filter(pk=pk).first()
    if kp is None:
        raise Http404("No such key person.")
    return kp


def member_list(*, user: Any, code: str) -> QuerySet[Member]:
    return _children(user, code).members.order_by("id")


def member_get(*, user: Any, code: str, pk: int) -> Member:
    _pk_or_404(pk, "No such member.")
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
    _pk_or_404(pk, "No such activity.")
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
    _pk_or_404(pk, "No such service request.")
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


# --- the account manager's workspace (HTML pages) --------------------------------------------


def account_workspace(*, user: Any, code: str, timeline_limit: int = 30) -> dict[str, Any]:
    """Everything the 360° page shows, in a bounded number of queries whatever the account size."""
    account = account_detail(user=user, code=code)
    key_persons = list(
        account.key_persons.prefetch_related("care_dates").order_by(
            F("left_on").asc(nulls_first=True), "-influence", "id"
        )
    )
    timeline = list(
        account.activities.select_related("key_person", "created_by").order_by(
            "-occurred_on", "-id"
        )[:timeline_limit]
    )
    open_requests = list(
        account.service_requests.exclude(status=ServiceRequest.Status.RESOLVED)
        .select_related("opened_by")
        .order_by("sla_due_at", "id")
    )
    recently_resolved = list(
        account.service_requests.filter(status=ServiceRequest.Status.RESOLVED)
        .select_related("opened_by")
        .order_by("-resolved_at", "-id")[:5]
    )
    vips = list(account.members.filter(is_vip=True).order_by("cost_centre", "id")[:20])
    return {
        "account": account,
        "key_persons": key_persons,
        "timeline": timeline,
        "open_requests": open_requests,
        "recently_resolved": recently_resolved,
        "vips": vips,
    }


def next_steps_due(*, user: Any, today: dt.date, days_ahead: int = 7, limit: int = 20) -> list:
    """The user's own next steps due up to `days_ahead` days from today (overdue ones for 30 days),
    unless a later activity on the same account has followed up."""
    later = Activity.objects.filter(
        account_id=OuterRef("account_id"), occurred_on__gte=OuterRef("occurred_on")
    ).filter(id__gt=OuterRef("id"))
    return list(
        Activity.objects.filter(
            created_by_id=user.pk,
            next_step_on__gte=today - dt.timedelta(days=30),
            next_step_on__lte=today + dt.timedelta(days=days_ahead),
            account__in=accounts_visible_to(user),
        )
        .exclude(next_step="")
        .exclude(Exists(later))
        .select_related("account")
        .order_by("next_step_on", "id")[:limit]
    )


def service_requests_at_risk(*, user: Any, now: dt.datetime, hours: int = 24, limit: int = 20):
    """Unresolved requests on visible accounts whose SLA ends within `hours` or has passed."""
    return list(
        ServiceRequest.objects.filter(
            status__in=(ServiceRequest.Status.OPEN, ServiceRequest.Status.IN_PROGRESS),
            sla_due_at__lte=now + dt.timedelta(hours=hours),
            account__in=accounts_visible_to(user),
        )
        .select_related("account")
        .order_by("sla_due_at", "id")[:limit]
    )


def care_dates_upcoming(*, user: Any, month_days: list[tuple[int, int]], limit: int = 30):
    """Birthdays and care occasions of current key persons of visible accounts on the given
    (month, day) pairs: returns (birthday persons, care dates)."""
    if not month_days:
        return [], []
    birthday_q = Q()
    care_q = Q()
    for month, day in month_days:
        birthday_q |= Q(birthday_on__month=month, birthday_on__day=day)
        care_q |= Q(month=month, day=day)
    visible = accounts_visible_to(user)
    birthdays = list(
        KeyPerson.objects.filter(birthday_q, left_on__isnull=True, account__in=visible)
        .select_related("account")
        .only("id", "name", "title", "birthday_on", "account__code", "account__name")
        .order_by("id")[:limit]
    )
    occasions = list(
        CareDate.objects.filter(
            care_q, key_person__left_on__isnull=True, key_person__account__in=visible
        )
        .select_related("key_person__account")
        .order_by("month", "day", "id")[:limit]
    )
    return birthdays, occasions


def accounts_recently_changed(*, user: Any, limit: int = 10) -> list[Account]:
    return list(account_list(user=user).order_by("-updated_at", "-id")[:limit])


def account_managers_assignable(*, user: Any) -> QuerySet[User]:
    """The active account managers a manager may hand accounts to: those of their region."""
    from org.visibility import regions_visible_to

    return (
        User.objects.filter(
            role=User.Role.ACCOUNT_MANAGER,
            is_active=True,
            region__in=regions_visible_to(user),
        )
        .select_related("region")
        .order_by("username")
    )


def team_member_list(*, user: Any, code: str) -> QuerySet[Any]:
    """The supporting staff on a visible account's team (404 for an invisible account)."""
    account = account_get(user=user, code=code)
    return account.team_members.select_related("user").order_by("user__username", "id")

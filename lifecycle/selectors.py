"""Reads for the lifecycle pages and API, every one through `org.visibility.accounts_visible_to`.

The retention desk starts from the visible accounts joined to their one-row lifecycle state with
open flags (or an open task), ordered by risk, value class and revenue drop; pages are limited
(offset over at most `DESK_MAX_PAGES` pages, no COUNT), and the page's flags and tasks are read
in one query each for the page's accounts only."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Account
from accounts.selectors import account_get
from billing.models import BillLine
from core.models import Notification
from core.planner import ssd_costs
from org.models import Region, User
from org.visibility import accounts_visible_to, regions_visible_to
from segmentation.models import ValueClass
from segmentation.selectors import annotate_scores

from . import domain, labels
from .domain import DESK_CLASS_ORDER
from .models import (
    AccountLifecycle,
    CampaignCall,
    ChurnFlag,
    ChurnRisk,
    FlagCode,
    RetentionAction,
    RetentionTask,
    Stage,
    StageChange,
    StageMigration,
)
from .playbook import play_for

DESK_PAGE_SIZE = 50
# Limited pagination: nobody pages past 2,000 flagged accounts on a screen; filters narrow it.
DESK_MAX_PAGES = 40
DRILL_PAGE_SIZE = 50
DRILL_MAX_PAGES = 40
CLEARED_RECENT_DAYS = 180

_VALUE_CLASS_ORDER = DESK_CLASS_ORDER  # the nightly desk key ranks classes the same way


def _is_hq(user: Any) -> bool:
    return bool(user.is_superuser or user.role == User.Role.HQ)


def _is_manager(user: Any) -> bool:
    return bool(_is_hq(user) or user.role == User.Role.REGIONAL_MANAGER)


# --- retention desk ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskFilters:
    risk: str = ""
    stage: str = ""
    flag: str = ""
    overdue: bool = False
    owner_id: int | None = None


@dataclass
class DeskRow:
    account: Account
    churn_risk: str
    stage: str | None
    value_class: str
    revenue_r3: Decimal
    revenue_p3: Decimal
    flags: list[dict[str, Any]] = field(default_factory=list)
    task: RetentionTask | None = None
    overdue: bool = False

    @property
    def risk_label(self) -> Any:
        return labels.RISK_LABELS.get(self.churn_risk, self.churn_risk)

    @property
    def stage_label(self) -> Any:
        return labels.STAGE_LABELS.get(self.stage, self.stage)

    @property
    def value_class_label(self) -> Any:
        return dict(ValueClass.choices).get(self.value_class, self.value_class)


@dataclass(frozen=True)
class DeskPage:
    rows: list[DeskRow]
    page: int
    has_next: bool
    has_previous: bool


def state_counts(alias: str = "default") -> dict[tuple[str | None, str], int]:
    """Accounts per (stage, churn risk) as the newest nightly run left them (AccountLifecycle is
    written only by the night), cached under that run's id: the account lists use it to choose
    between reading a rare combination's ids first and joining a common one, without counting
    per request (a probe of 5,001 ids of a common stage took 70 ms at 1M accounts, the physical
    order of the table being correlated with the stage)."""
    from django.core.cache import cache

    from core.models import JobRun

    run = (
        JobRun.objects.using(alias)
        .filter(job="lifecycle", status=JobRun.Status.SUCCEEDED)
        .order_by("-started_at", "-id")
        .values_list("id", flat=True)
        .first()
    )
    key = f"lifecycle:state-counts:{alias}:{run}"
    counts = cache.get(key)
    if counts is None:
        rows = (
            AccountLifecycle.objects.using(alias)
            .values_list("stage", "churn_risk")
            .annotate(n=Count("account_id"))
            .order_by()
        )
        counts = {(stage, risk): n for stage, risk, n in rows}
        cache.set(key, counts, timeout=26 * 3600)
    return counts


def _open_tasks() -> QuerySet[RetentionTask]:
    return RetentionTask.objects.filter(status=RetentionTask.Status.OPEN)


def desk_queryset(*, user: Any, filters: DeskFilters, today: dt.date) -> QuerySet[Account]:
    """The visible flagged accounts (open flags, or an open task) in desk order."""
    # On the desk: keyed by the night (which raised every flag and opened every task), and still
    # holding an open flag or an open task (a task closed today leaves at once).
    accounts = accounts_visible_to(user).filter(lifecycle__desk_key__isnull=False)
    accounts = accounts.filter(
        Q(lifecycle__flag_count__gt=0) | Exists(_open_tasks().filter(account_id=OuterRef("pk")))
    )
    if filters.risk:
        accounts = accounts.filter(lifecycle__churn_risk=filters.risk)
    if filters.stage:
        accounts = accounts.filter(lifecycle__stage=filters.stage)
    if filters.flag in domain.FLAG_BITS:
        # The night's bit for the flag (AccountLifecycle.open_flags, written with the ChurnFlag
        # rows): checked row by row in the desk-key walk, no join of every open flag.
        accounts = accounts.alias(
            flag_bit=F("lifecycle__open_flags").bitand(domain.FLAG_BITS[filters.flag])
        ).filter(flag_bit__gt=0)
    elif filters.flag:
        accounts = accounts.none()
    if filters.overdue:
        accounts = accounts.filter(
            id__in=_open_tasks().filter(due_on__lt=today).values("account_id")
        )
    if filters.owner_id:
        accounts = accounts.filter(owner_id=filters.owner_id)
    accounts = annotate_scores(accounts).annotate(
        churn_risk=F("lifecycle__churn_risk"),
        stage=F("lifecycle__stage"),
        revenue_r3=F("lifecycle__revenue_r3"),
        revenue_p3=F("lifecycle__revenue_p3"),
        risk_rank=Case(
            When(lifecycle__churn_risk=ChurnRisk.HIGH, then=Value(0)),
            When(lifecycle__churn_risk=ChurnRisk.MEDIUM, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        revenue_drop=F("lifecycle__revenue_p3") - F("lifecycle__revenue_r3"),
    )
    accounts = accounts.annotate(
        class_rank=Case(
            *[When(value_class=v, then=Value(i)) for i, v in enumerate(_VALUE_CLASS_ORDER)],
            default=Value(len(_VALUE_CLASS_ORDER)),
            output_field=IntegerField(),
        )
    )
    # The nightly key first (an index walk serves a region's or the province's page), then the
    # same order computed live: it breaks the key's rare ties and orders accounts the night has
    # not keyed yet (after it: NULLS LAST).
    return accounts.select_related("owner", "region").order_by(
        F("lifecycle__desk_key").asc(nulls_last=True),
        "risk_rank",
        "class_rank",
        F("revenue_drop").desc(),
        "code",
    )


def _attach(rows: list[DeskRow], *, today: dt.date) -> None:
    """The open flags and the open task of a page's accounts: one query each."""
    ids = [r.account.pk for r in rows]
    flags: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in ChurnFlag.objects.filter(account_id__in=ids, cleared_on__isnull=True).order_by(
        "account_id", "raised_on", "code"
    ):
        flags[f.account_id].append(labels.flag_view(f.code, f.evidence, raised_on=f.raised_on))
    tasks: dict[int, RetentionTask] = {}
    for t in _open_tasks().filter(account_id__in=ids).order_by("account_id", "-due_on", "-id"):
        tasks[t.account_id] = t  # the earliest due open task wins (last written)
    for row in rows:
        row.flags = flags.get(row.account.pk, [])
        row.task = tasks.get(row.account.pk)
        row.overdue = bool(row.task and row.task.due_on < today)


def _row(a: Any) -> DeskRow:
    return DeskRow(
        account=a,
        churn_risk=a.churn_risk,
        stage=a.stage,
        value_class=a.value_class,
        revenue_r3=a.revenue_r3,
        revenue_p3=a.revenue_p3,
    )


def desk_page(*, user: Any, filters: DeskFilters, today: dt.date, page: int = 1) -> DeskPage:
    page = max(1, min(page, DESK_MAX_PAGES))
    start = (page - 1) * DESK_PAGE_SIZE
    # The desk-key walk stops after the page; the default costs prefer hashing a region's every
    # account once the page is deep (core.planner).
    with ssd_costs():
        found = list(
            desk_queryset(user=user, filters=filters, today=today)[
                start : start + DESK_PAGE_SIZE + 1
            ]
        )
    rows = [_row(a) for a in found[:DESK_PAGE_SIZE]]
    _attach(rows, today=today)
    return DeskPage(
        rows=rows,
        page=page,
        has_next=len(found) > DESK_PAGE_SIZE and page < DESK_MAX_PAGES,
        has_previous=page > 1,
    )


def desk_export_rows(
    *, user: Any, filters: DeskFilters, today: dt.date, chunk: int = 2000
) -> Iterator[DeskRow]:
    """Every desk row, streamed in chunks (flags and tasks read per chunk)."""
    queryset = desk_queryset(user=user, filters=filters, today=today)
    batch: list[DeskRow] = []
    for account in queryset.iterator(chunk_size=chunk):
        batch.append(_row(account))
        if len(batch) >= chunk:
            _attach(batch, today=today)
            yield from batch
            batch = []
    if batch:
        _attach(batch, today=today)
        yield from batch


def desk_owner_choices(*, user: Any) -> list[User]:
    """Owners a manager may filter the desk by: the account managers of their region subtree."""
    if not _is_manager(user):
        return []
    users = User.objects.filter(role=User.Role.ACCOUNT_MANAGER, is_active=True)
    if not _is_hq(user):
        users = users.filter(region__in=regions_visible_to(user))
    return list(users.order_by("username")[:500])


# --- retention tasks -----------------------------------------------------------------------------


def task_queryset(*, user: Any) -> QuerySet[RetentionTask]:
    return RetentionTask.objects.filter(account__in=accounts_visible_to(user))


def task_get(*, user: Any, pk: int, for_update: bool = False) -> RetentionTask:
    """One task of a visible account; another portfolio's task is a 404."""
    qs = task_queryset(user=user).select_related(
        "account__region", "account__owner", "owner", "closed_by"
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    task = qs.filter(pk=pk).first()
    if task is None:
        raise Http404("No such retention task.")
    return task


def task_list(
    *,
    user: Any,
    status: str = "",
    overdue: bool | None = None,
    owner: str = "",
    risk: str = "",
    today: dt.date,
) -> QuerySet[RetentionTask]:
    tasks = task_queryset(user=user).select_related("account", "owner", "closed_by")
    if status:
        tasks = tasks.filter(status=status)
    if overdue is True:
        tasks = tasks.filter(status=RetentionTask.Status.OPEN, due_on__lt=today)
    elif overdue is False:
        tasks = tasks.exclude(status=RetentionTask.Status.OPEN, due_on__lt=today)
    if owner:
        tasks = tasks.filter(owner__username=owner)
    if risk:
        tasks = tasks.filter(account__lifecycle__churn_risk=risk)
    return tasks


def task_actions(*, task: RetentionTask) -> list[RetentionAction]:
    return list(task.actions.select_related("created_by").order_by("-done_on", "-id"))


def task_history(*, task: RetentionTask) -> list[Any]:
    return list(
        task.history.select_related("history_user").order_by("-history_date", "-history_id")[:50]  # type: ignore[attr-defined]
    )


def task_flags(task: RetentionTask) -> list[dict[str, Any]]:
    """The flags the task was opened with, in words (see `tasks_flags`)."""
    return tasks_flags([task])[task.pk]


def tasks_flags(tasks: Sequence[RetentionTask]) -> dict[int, list[dict[str, Any]]]:
    """Per task, the flags it was opened with, in words. The nightly step stores their codes;
    the evidence is that of the account's flag of each code raised on or before the episode's
    first night, so the page and the API show the numbers that opened the task. One query for
    all the tasks of a page."""
    items = {
        t.pk: [i if isinstance(i, dict) else {"code": str(i)} for i in (t.flags or [])]
        for t in tasks
    }
    bare = {
        t.pk: {str(i.get("code", "")) for i in items[t.pk] if "evidence" not in i} for t in tasks
    }
    found: dict[tuple[int, str], ChurnFlag] = {}
    wanted = [t for t in tasks if bare[t.pk]]
    if wanted:
        codes = set().union(*(bare[t.pk] for t in wanted))
        episodes = {t.account_id: t.episode_on for t in wanted}
        for raised_flag in ChurnFlag.objects.filter(
            account_id__in=list(episodes), code__in=sorted(codes)
        ).order_by("account_id", "code", "raised_on"):
            if raised_flag.raised_on <= episodes[raised_flag.account_id]:
                # the latest raised on or before the episode wins
                found[(raised_flag.account_id, raised_flag.code)] = raised_flag
    out: dict[int, list[dict[str, Any]]] = {}
    for task in tasks:
        views = []
        for item in items[task.pk]:
            code = str(item.get("code", ""))
            flag: ChurnFlag | None = found.get((task.account_id, code))
            evidence: Any = (
                item.get("evidence") if "evidence" in item else (flag.evidence if flag else {})
            )
            raised = labels.parse_date(item.get("raised_on")) or (flag.raised_on if flag else None)
            views.append(
                labels.flag_view(
                    code, evidence if isinstance(evidence, dict) else {}, raised_on=raised
                )
            )
        out[task.pk] = views
    return out


def overdue_tasks(
    *,
    user: Any,
    today: dt.date,
    region: Region | None = None,
    owned_only: bool = False,
    limit: int = 50,
) -> list[RetentionTask]:
    tasks = task_queryset(user=user).filter(status=RetentionTask.Status.OPEN, due_on__lt=today)
    if owned_only:
        tasks = RetentionTask.objects.filter(
            owner_id=user.pk, status=RetentionTask.Status.OPEN, due_on__lt=today
        ).filter(account__in=accounts_visible_to(user))
    if region is not None:
        tasks = tasks.filter(account__region_id__in=_subtree_ids(region))
    return list(tasks.select_related("account", "owner").order_by("due_on", "id")[:limit])


# --- the account page section ---------------------------------------------------------------


@dataclass
class AccountLifecyclePanel:
    state: AccountLifecycle | None
    stage_label: Any
    question: str
    strategy: str
    timeline: list[dict[str, Any]]
    chart: dict[str, Any]
    open_flags: list[dict[str, Any]]
    cleared_flags: list[dict[str, Any]]
    tasks: list[RetentionTask]
    calls: list[CampaignCall]
    changes: list[StageChange]


def _month_starts(as_of: dt.date, months: int = 12) -> list[dt.date]:
    out = []
    y, m = as_of.year, as_of.month
    for _i in range(months):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append(dt.date(y, m, 1))
    return list(reversed(out))


def month_end(month_on: dt.date) -> dt.date:
    return month_on.replace(day=calendar.monthrange(month_on.year, month_on.month)[1])


def stage_at(changes: Sequence[StageChange], day: dt.date) -> str | None:
    """The stage on a day: the last change on or before it (changes sorted by date)."""
    stage: str | None = None
    for change in changes:
        if change.changed_on > day:
            break
        stage = change.to_stage
    return stage


def account_panel(*, account: Account, today: dt.date) -> AccountLifecyclePanel:
    """The lifecycle section of one (already visibility-checked) account: six queries."""
    state = AccountLifecycle.objects.filter(account_id=account.pk).first()
    changes = list(StageChange.objects.filter(account_id=account.pk).order_by("changed_on"))
    months = _month_starts(today)
    revenue = {
        row["period_on"]: row["revenue"]
        for row in BillLine.objects.filter(
            account_id=account.pk, period_on__gte=months[0], period_on__lte=months[-1]
        )
        .values("period_on")
        .annotate(revenue=Sum("amount"))
        .order_by("period_on")
    }
    timeline: list[dict[str, Any]] = []
    for month in months:
        stage = stage_at(changes, month_end(month))
        timeline.append(
            {
                "month": month,
                "stage": stage,
                "stage_label": labels.STAGE_LABELS.get(stage, stage),
                "revenue": revenue.get(month) or Decimal("0"),
            }
        )
    chart = {
        "labels": [f"{t['month']:%Y-%m}" for t in timeline],
        "revenue": [float(t["revenue"]) for t in timeline],
        "stages": [t["stage"] or "" for t in timeline],
        "stage_names": {k or "": str(v) for k, v in labels.STAGE_LABELS.items() if k},
        "revenue_label": str(labels.REVENUE_LABEL),
    }
    recent = today - dt.timedelta(days=CLEARED_RECENT_DAYS)
    open_flags: list[dict[str, Any]] = []
    cleared_flags: list[dict[str, Any]] = []
    for f in (
        ChurnFlag.objects.filter(account_id=account.pk)
        .filter(Q(cleared_on__isnull=True) | Q(cleared_on__gte=recent))
        .order_by("-raised_on", "code")[:60]
    ):
        view = labels.flag_view(f.code, f.evidence, raised_on=f.raised_on, cleared_on=f.cleared_on)
        (open_flags if f.cleared_on is None else cleared_flags).append(view)
    tasks = list(
        RetentionTask.objects.filter(account_id=account.pk)
        .select_related("owner")
        .order_by("status", "-episode_on", "-id")[:20]
    )
    calls = list(
        CampaignCall.objects.filter(account_id=account.pk)
        .select_related("campaign", "caller")
        .order_by("-campaign__starts_on", "-id")[:20]
    )
    stage = state.stage if state else None
    play = play_for(stage)
    return AccountLifecyclePanel(
        state=state,
        stage_label=labels.STAGE_LABELS.get(stage, stage),
        question=labels.playbook_text(play.question),
        strategy=labels.playbook_text(play.strategy),
        timeline=timeline,
        chart=chart,
        open_flags=open_flags,
        cleared_flags=cleared_flags,
        tasks=tasks,
        calls=calls,
        changes=list(reversed(changes))[:24],
    )


def account_lifecycle_get(*, user: Any, code: str) -> tuple[Account, AccountLifecycle | None]:
    account = account_get(user=user, code=code)
    return account, AccountLifecycle.objects.filter(account_id=account.pk).first()


def account_open_flags(*, account: Account) -> list[ChurnFlag]:
    return list(
        ChurnFlag.objects.filter(account_id=account.pk, cleared_on__isnull=True).order_by(
            "raised_on", "code"
        )
    )


def stage_history(*, user: Any, code: str) -> QuerySet[StageChange]:
    account = account_get(user=user, code=code)
    return StageChange.objects.filter(account_id=account.pk).order_by("-changed_on")


def flag_list(*, user: Any, code: str, status: str = "") -> QuerySet[ChurnFlag]:
    account = account_get(user=user, code=code)
    flags = ChurnFlag.objects.filter(account_id=account.pk)
    if status == "open":
        flags = flags.filter(cleared_on__isnull=True)
    elif status == "cleared":
        flags = flags.filter(cleared_on__isnull=False)
    return flags.order_by("-raised_on", "code", "-id")


# --- the regional manager's overview ------------------------------------------------------------


def overview_region(*, user: Any, region_code: str | None) -> Region | None:
    """The region the overview shows: the chosen one inside the user's subtree, else the user's
    own region; hq without a choice sees everything (None). Outside the subtree: 404."""
    if region_code:
        region = regions_visible_to(user).filter(code=region_code).first()
        if region is None:
            raise Http404("No such region.")
        return region
    if _is_hq(user):
        return None
    return user.region  # type: ignore[no-any-return]


def _subtree_ids(region: Region) -> list[int]:
    """Literal ids (read once per region object), so PostgreSQL estimates the subtree's share."""
    cached: list[int] | None = getattr(region, "_lifecycle_subtree_ids", None)
    if cached is None:
        cached = list(
            Region.objects.filter(path__startswith=region.path).values_list("id", flat=True)
        )
        region._lifecycle_subtree_ids = cached  # type: ignore[attr-defined]
    return cached


def stage_distribution(
    *, user: Any, region: Region | None, matrix: MigrationMatrix | None = None
) -> list[dict[str, Any]]:
    """Accounts per stage in the region's subtree. With a month's migration matrix: its column
    totals, i.e. the stages at the end of that month (for the current month, as of the latest
    night), read from the nightly summary instead of counting every account again; without
    one (no night has run yet): counted from the current states."""
    if matrix is not None and matrix.month_on is not None and matrix.total:
        counts: dict[str | None, int] = {}
        for row in matrix.rows:
            for cell in row["cells"]:
                counts[cell["to"]] = counts.get(cell["to"], 0) + cell["accounts"]
        counts = {stage: n for stage, n in counts.items() if n}
    else:
        states = AccountLifecycle.objects.all()
        if region is not None:
            states = states.filter(account__region_id__in=_subtree_ids(region))
        if not _is_hq(user) and region is None:
            states = states.filter(account__in=accounts_visible_to(user))
        counts = {
            row["stage"]: row["n"]
            for row in states.values("stage").annotate(n=Count("pk")).order_by()
        }
    total = sum(counts.values()) or 1
    return [
        {
            "stage": stage,
            "label": labels.STAGE_LABELS.get(stage, stage),
            "accounts": counts.get(stage, 0),
            "share": round(100 * counts.get(stage, 0) / total, 1),
        }
        for stage in [*Stage.values, None]
        if stage is not None or counts.get(None)
    ]


def migration_months(*, limit: int = 24) -> list[dt.date]:
    return list(
        StageMigration.objects.values_list("month_on", flat=True)
        .distinct()
        .order_by("-month_on")[:limit]
    )


@dataclass(frozen=True)
class MigrationMatrix:
    month_on: dt.date | None
    stages: list[str | None]
    rows: list[dict[str, Any]]
    total: int


def migration_matrix(*, region: Region | None, month_on: dt.date | None) -> MigrationMatrix:
    """From-stage rows × to-stage columns for one month, summed over the region's subtree."""
    stages: list[str | None] = [*Stage.values]
    if month_on is None:
        return MigrationMatrix(None, stages, [], 0)
    cells = StageMigration.objects.filter(month_on=month_on)
    if region is not None:
        cells = cells.filter(region_id__in=_subtree_ids(region))
    counts = {
        (row["from_stage"], row["to_stage"]): row["n"]
        for row in cells.values("from_stage", "to_stage").annotate(n=Sum("accounts")).order_by()
    }
    if any(f is None for f, _t in counts) or any(t is None for _f, t in counts):
        stages = [None, *stages]
    rows = []
    for from_stage in stages:
        row_cells = [
            {
                "to": to_stage,
                "accounts": counts.get((from_stage, to_stage), 0),
                "trend": _trend(from_stage, to_stage),
            }
            for to_stage in stages
        ]
        rows.append(
            {
                "from": from_stage,
                "label": labels.STAGE_LABELS.get(from_stage, from_stage),
                "cells": row_cells,
                "total": sum(c["accounts"] for c in row_cells),
            }
        )
    return MigrationMatrix(month_on, stages, rows, sum(counts.values()))


_DECLINING = {Stage.DECLINE.value, Stage.CHURNED.value}


def _trend(from_stage: str | None, to_stage: str | None) -> str:
    """ "worse" for a move into decline or churn, "better" for a move out of them."""
    if from_stage == to_stage:
        return ""
    if to_stage in _DECLINING and (from_stage not in _DECLINING or to_stage == Stage.CHURNED):
        return "worse"
    if from_stage in _DECLINING and to_stage not in _DECLINING and to_stage is not None:
        return "better"
    return ""


def _stage_at_end_of(day: dt.date) -> Subquery:
    return Subquery(
        StageChange.objects.filter(account_id=OuterRef("pk"), changed_on__lte=day)
        .order_by("-changed_on")
        .values("to_stage")[:1],
        output_field=CharField(),
    )


def _stage_filter(name: str, stage: str | None) -> Q:
    return Q(**{f"{name}__isnull": True}) if not stage else Q(**{name: stage})


def migration_drill(
    *,
    user: Any,
    region: Region | None,
    month_on: dt.date,
    from_stage: str | None,
    to_stage: str | None,
    page: int = 1,
) -> tuple[list[Any], bool]:
    """The visible accounts of the region that were in `from_stage` at the end of the previous
    month and in `to_stage` at the end of `month_on`, from the stage history. A cell off the
    diagonal needs a change inside the month, so its candidates come from the changes of that
    month (the `changed_on` index) instead of from every account of the region."""
    prev_end = month_on - dt.timedelta(days=1)
    end = month_end(month_on)
    accounts = accounts_visible_to(user)
    if region is not None:
        accounts = accounts.filter(region_id__in=_subtree_ids(region))
    if from_stage != to_stage:
        accounts = accounts.filter(
            id__in=StageChange.objects.filter(changed_on__gt=prev_end, changed_on__lte=end).values(
                "account_id"
            )
        )
    accounts = accounts.annotate(
        stage_before=_stage_at_end_of(prev_end), stage_after=_stage_at_end_of(end)
    ).filter(_stage_filter("stage_before", from_stage) & _stage_filter("stage_after", to_stage))
    page = max(1, min(page, DRILL_MAX_PAGES))
    start = (page - 1) * DRILL_PAGE_SIZE
    found = list(
        accounts.select_related("owner", "region")
        .annotate(churn_risk=Coalesce(F("lifecycle__churn_risk"), Value("")))
        .order_by("code")[start : start + DRILL_PAGE_SIZE + 1]
    )
    return found[:DRILL_PAGE_SIZE], len(found) > DRILL_PAGE_SIZE and page < DRILL_MAX_PAGES


# --- home and notifications ----------------------------------------------------------------------


def unread_notification_count(*, user: Any) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notification_list(
    *, user: Any, unread_only: bool = False, limit: int = 100
) -> list[dict[str, Any]]:
    """The user's notifications, newest first, each with its sentence in the reader's language."""
    notes = Notification.objects.filter(recipient_id=user.pk)
    if unread_only:
        notes = notes.filter(read_at__isnull=True)
    return [
        {
            "notification": n,
            "text": labels.notification_text(n.kind, n.params),
            "url": labels.safe_url(n.url),
        }
        for n in notes.order_by("-created_at", "-id")[:limit]
    ]


def flag_codes() -> list[tuple[str, Any]]:
    return list(FlagCode.choices)


def month_choices(months: Sequence[dt.date]) -> list[tuple[str, str]]:
    return [(m.isoformat(), f"{m:%Y-%m}") for m in months]


def coalesce_month(value: str | None, months: Sequence[dt.date]) -> dt.date | None:
    chosen = labels.parse_date(value) if value else None
    if chosen is not None:
        return chosen.replace(day=1)
    return months[0] if months else None

"""Reads for segmentation, every one through `org.visibility.accounts_visible_to`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Account
from accounts.selectors import account_get
from core.models import JobRun
from org.models import Region
from org.visibility import accounts_visible_to, regions_visible_to

from . import domain
from .models import (
    ClassOverride,
    IndicatorCut,
    IndicatorSnapshot,
    ScoreMonthlySummary,
    ScoreResult,
    ValueClass,
)
from .scoring import scoring_config

JOB = "segmentation"


# --- the account resource ----------------------------------------------------------------------


def fallback_class_expression() -> Case:
    """domain.value_class for an account with no scores (never scored yet)."""
    conf = settings.SEGMENTATION
    return Case(
        When(org_kind__in=conf["SOCIAL_ORG_KINDS"], then=Value(domain.SOCIAL)),
        When(size_band__in=conf["FALLBACK_ECONOMIC_SIZE_BANDS"], then=Value(domain.ECONOMIC)),
        default=Value(domain.CLUSTERED_SME),
        output_field=CharField(),
    )


def annotate_scores(accounts: QuerySet[Account]) -> QuerySet[Account]:
    """The latest scores and the effective class (override, else computed, else the fallback):
    two LEFT JOINs on one-row-per-account tables, so a list page stays one query."""
    return accounts.annotate(
        value_class=Coalesce(
            F("class_override__value_class"),
            F("current_score__value_class"),
            fallback_class_expression(),
            output_field=CharField(),
        ),
        class_overridden=ExpressionWrapper(
            Q(class_override__isnull=False), output_field=BooleanField()
        ),
        segment_score=F("current_score__segment_score"),
        economic_value_score=F("current_score__economic_value_score"),
        social_value_score=F("current_score__social_value_score"),
        scored_on=F("current_score__as_of"),
    )


@dataclass(frozen=True)
class AccountScores:
    value_class: str
    computed_class: str | None
    override: ClassOverride | None
    scored_on: dt.date | None
    step1_score: Decimal | None = None
    step2_score: Decimal | None = None
    step3_score: Decimal | None = None
    segment_score: Decimal | None = None
    economic_value_score: Decimal | None = None
    social_value_score: Decimal | None = None


def account_scores(*, account: Account) -> AccountScores:
    """The scores block of one (already visibility-checked) account."""
    row = (
        Account.objects.filter(pk=account.pk)
        .select_related("current_score", "class_override__created_by")
        .only("id", "current_score", "class_override")
        .first()
    )
    current = getattr(row, "current_score", None) if row and _has_current(row) else None
    override = getattr(row, "class_override", None) if row and _has_override(row) else None
    computed = current.value_class if current else None
    if computed is None:
        computed_or_fallback = domain.value_class(
            org_kind=account.org_kind,
            size_band=account.size_band,
            economic_cents=None,
            social_cents=None,
            rule=scoring_config().rule,
        )
    else:
        computed_or_fallback = computed
    return AccountScores(
        value_class=override.value_class if override else computed_or_fallback,
        computed_class=computed_or_fallback,
        override=override,
        scored_on=current.as_of if current else None,
        **(
            {
                name: getattr(current, name)
                for name in (
                    "step1_score",
                    "step2_score",
                    "step3_score",
                    "segment_score",
                    "economic_value_score",
                    "social_value_score",
                )
            }
            if current
            else {}
        ),
    )


def _has_override(account: Account) -> bool:
    try:
        account.class_override  # type: ignore[attr-defined]  # noqa: B018
    except Account.class_override.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return False
    return True


def _has_current(account: Account) -> bool:
    try:
        account.current_score  # type: ignore[attr-defined]  # noqa: B018
    except Account.current_score.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return False
    return True


# --- indicators and history ---------------------------------------------------------------------


def indicator_snapshot_list(*, user: Any, code: str) -> QuerySet[IndicatorSnapshot]:
    account = account_get(user=user, code=code)
    return (
        IndicatorSnapshot.objects.filter(account=account)
        .select_related("created_by")
        .order_by("-measured_on", "-id")
    )


@dataclass(frozen=True)
class HistoryEntry:
    kind: str  # "run" | "month"
    on: dt.date
    value_class: str
    step1_score: Decimal | None
    step2_score: Decimal | None
    step3_score: Decimal | None
    segment_score: Decimal | None
    economic_value_score: Decimal | None
    social_value_score: Decimal | None
    runs: int = 1


def score_history(*, user: Any, code: str, limit: int = 400) -> list[HistoryEntry]:
    """Daily results (newest first), then the monthly summaries of older runs."""
    return account_score_history(account=account_get(user=user, code=code), limit=limit)


def account_score_history(*, account: Account, limit: int = 400) -> list[HistoryEntry]:
    """`score_history` for an account the caller already read through the visibility policy."""
    fields = (
        "value_class",
        "step1_score",
        "step2_score",
        "step3_score",
        "segment_score",
        "economic_value_score",
        "social_value_score",
    )
    daily = [
        HistoryEntry(kind="run", on=r["as_of"], **{f: r[f] for f in fields})
        for r in ScoreResult.objects.filter(account=account)
        .order_by("-as_of")
        .values("as_of", *fields)[:limit]
    ]
    monthly = [
        HistoryEntry(kind="month", on=r["month_on"], runs=r["runs"], **{f: r[f] for f in fields})
        for r in ScoreMonthlySummary.objects.filter(account=account)
        .order_by("-month_on")
        .values("month_on", "runs", *fields)[: max(limit - len(daily), 0)]
    ]
    return daily + monthly


@dataclass
class IndicatorLine:
    name: str
    value: float | int | None
    points: int | None
    lower: float | None = None  # the value must be above this…
    upper: float | None = None  # …and at most this for these points
    known_count: int | None = None


@dataclass
class ScoreExplanation:
    """Why each score is what it is: the indicator points (and their cut points) behind it."""

    as_of: dt.date | None
    snapshot: IndicatorSnapshot | None
    steps: dict[str, list[IndicatorLine]] = field(default_factory=dict)
    groups: dict[str, Decimal | None] = field(default_factory=dict)


STEP_GROUPS = {
    "step1": domain.STEP1,
    "step2": domain.STEP2,
    "step3": domain.STEP3,
    "profitability": domain.PROFITABILITY,
}
RATED_GROUPS = {
    "it_attitude": domain.IT_ATTITUDE,
    "policy_influence": domain.POLICY_INFLUENCE,
    "resource_influence": domain.RESOURCE_INFLUENCE,
    "demonstration_influence": domain.DEMONSTRATION_INFLUENCE,
}


def score_explanation(*, account: Account) -> ScoreExplanation:
    result = (
        ScoreResult.objects.filter(account=account).select_related("snapshot").order_by("-as_of")
    ).first()
    if result is None:
        return ScoreExplanation(as_of=None, snapshot=None)
    snapshot = result.snapshot
    cuts = {c.indicator: c.as_cuts() for c in IndicatorCut.objects.filter(as_of=result.as_of)}
    explanation = ScoreExplanation(as_of=result.as_of, snapshot=snapshot)
    points: dict[str, int | None] = {}
    for step, names in STEP_GROUPS.items():
        lines = []
        for name in names:
            p = getattr(result, f"{name}_points")
            points[name] = p
            line = IndicatorLine(
                name=name, value=getattr(snapshot, name) if snapshot else None, points=p
            )
            if p is not None and name in cuts:
                line.lower, line.upper = domain.points_range(p, cuts[name])
                line.known_count = cuts[name].n
            lines.append(line)
        explanation.steps[step] = lines
    rated: dict[str, int | None] = {}
    for group, names in RATED_GROUPS.items():
        lines = []
        for name in names:
            value = getattr(snapshot, name) if snapshot else None
            rated[name] = value
            lines.append(IndicatorLine(name=name, value=value, points=value))
        explanation.steps[group] = lines
    scores = domain.score_account(
        points,
        rated,
        org_kind=account.org_kind,
        size_band=account.size_band,
        rule=scoring_config().rule,
    )
    explanation.groups = dict(scores.groups)
    return explanation


# --- the overview for managers -------------------------------------------------------------------


def last_runs(*, limit: int = 10) -> list[JobRun]:
    return list(JobRun.objects.filter(job=JOB).order_by("-started_at", "-id")[:limit])


def run_get(*, run_id: int) -> JobRun:
    run = JobRun.objects.filter(job=JOB, pk=run_id).first()
    if run is None:
        raise Http404("No such run.")
    return run


def _last_two_run_dates() -> list[dt.date]:
    dates: list[dt.date] = []
    for as_of in (
        JobRun.objects.filter(job=JOB, status=JobRun.Status.SUCCEEDED, as_of__isnull=False)
        .order_by("-as_of", "-id")
        .values_list("as_of", flat=True)[:20]
    ):
        if as_of is not None and as_of not in dates:
            dates.append(as_of)
        if len(dates) == 2:
            break
    return dates


@dataclass
class RegionRow:
    region: Region
    counts: dict[str, int]
    total: int


@dataclass
class Overview:
    scope: Region | None
    regions: list[RegionRow]
    histogram: list[tuple[str, int]]
    class_totals: dict[str, int]
    latest_on: dt.date | None
    previous_on: dt.date | None
    changed: list[dict[str, Any]]
    changed_count: int


def overview_scope(*, user: Any, region_code: str | None) -> Region | None:
    regions = regions_visible_to(user)
    if region_code:
        region = regions.filter(code=region_code).first()
        if region is None:
            raise Http404("No such region.")
        return region
    if getattr(user, "region_id", None) and regions.filter(pk=user.region_id).exists():
        return user.region
    return regions.filter(parent__isnull=True).order_by("code").first()


def segmentation_overview(*, user: Any, region_code: str | None = None) -> Overview:
    """Class and score distributions per child region of the scope (the user's region, or one
    they chose in their subtree), and the accounts whose computed class changed between the last
    two runs."""
    scope = overview_scope(user=user, region_code=region_code)
    visible: Any = annotate_scores(accounts_visible_to(user))
    if scope is not None:
        visible = visible.in_region(scope)  # type: ignore[attr-defined]
    children = list(Region.objects.filter(parent=scope).order_by("code")) if scope else []
    # One grouped query by region, rolled up to the scope's children by path in Python.
    per_region = (
        visible.values("region__path", "value_class")
        .annotate(n=Count("id"))
        .order_by("region__path", "value_class")
    )
    rows = [RegionRow(child, dict.fromkeys(ValueClass.values, 0), 0) for child in children]
    class_totals = dict.fromkeys(ValueClass.values, 0)
    for item in per_region:
        class_totals[item["value_class"]] += item["n"]
        for row in rows:
            if item["region__path"].startswith(row.region.path):
                row.counts[item["value_class"]] += item["n"]
                row.total += item["n"]
                break
    buckets = [("1.00–1.99", 1, 2), ("2.00–2.99", 2, 3), ("3.00–3.99", 3, 4), ("4.00–5.00", 4, 6)]
    hist_agg = visible.aggregate(
        unscored=Count("id", filter=Q(segment_score__isnull=True)),
        **{
            f"b{i}": Count("id", filter=Q(segment_score__gte=lo, segment_score__lt=hi))
            for i, (_label, lo, hi) in enumerate(buckets)
        },
    )
    histogram = [(label, hist_agg[f"b{i}"]) for i, (label, _lo, _hi) in enumerate(buckets)]
    histogram.append(("—", hist_agg["unscored"]))
    dates = _last_two_run_dates()
    changed: list[dict[str, Any]] = []
    changed_count = 0
    if len(dates) == 2:
        changes = changed_accounts(user=user, scope=scope, latest=dates[0], previous=dates[1])
        changed_count = changes.count()
        changed = list(changes[:100])
    return Overview(
        scope=scope,
        regions=rows,
        histogram=histogram,
        class_totals=class_totals,
        latest_on=dates[0] if dates else None,
        previous_on=dates[1] if len(dates) == 2 else None,
        changed=changed,
        changed_count=changed_count,
    )


def changed_accounts(*, user: Any, scope: Region | None, latest: dt.date, previous: dt.date) -> Any:
    visible = accounts_visible_to(user)
    if scope is not None:
        visible = visible.in_region(scope)  # type: ignore[attr-defined]
    before = ScoreResult.objects.filter(as_of=previous, account_id=OuterRef("account_id"))
    return (
        ScoreResult.objects.filter(as_of=latest, account__in=visible)
        .annotate(previous_class=Subquery(before.values("value_class")[:1]))
        .exclude(previous_class__isnull=True)
        .exclude(previous_class=F("value_class"))
        .order_by("account__code")
        .values(
            "account__code",
            "account__name",
            "account__region__name",
            "previous_class",
            "value_class",
            "segment_score",
        )
    )


def overview_export_rows(*, user: Any, region_code: str | None = None) -> Iterator[tuple]:
    """Every visible account in the scope with its class and scores, for the CSV export."""
    scope = overview_scope(user=user, region_code=region_code)
    accounts: Any = annotate_scores(accounts_visible_to(user))
    if scope is not None:
        accounts = accounts.in_region(scope)  # type: ignore[attr-defined]
    yield from (
        accounts.order_by("code")
        .values_list(
            "code",
            "name",
            "region__name",
            "owner__username",
            "value_class",
            "class_overridden",
            "segment_score",
            "economic_value_score",
            "social_value_score",
            "scored_on",
        )
        .iterator(chunk_size=2000)
    )


def attach_scores(account: Account) -> None:
    """The account resource's scores: the same attributes as `annotate_scores` plus `scores`."""
    scores = account_scores(account=account)
    account.scores = scores  # type: ignore[attr-defined]
    account.value_class = scores.value_class  # type: ignore[attr-defined]
    account.class_overridden = scores.override is not None  # type: ignore[attr-defined]
    account.segment_score = scores.segment_score  # type: ignore[attr-defined]
    account.economic_value_score = scores.economic_value_score  # type: ignore[attr-defined]
    account.social_value_score = scores.social_value_score  # type: ignore[attr-defined]
    account.scored_on = scores.scored_on  # type: ignore[attr-defined]

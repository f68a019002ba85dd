"""KPI reads. Dashboards read the nightly snapshots (kpi.snapshots), never the raw tables, so a
province of a million accounts costs what a few thousand snapshot rows cost. Scopes are checked
against the viewer's visibility: a region outside the viewer's subtree, or an account manager
outside it, is a 404 (Http404), never a 403."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from org.models import Region, User
from org.visibility import accounts_visible_to, regions_visible_to

from . import domain, services
from . import models as kpi_models
from .models import (
    DistributionSnapshot,
    KpiScheme,
    KpiTarget,
    ManagerRanking,
    ManagerTotal,
    Metric,
    MetricSnapshot,
    SchemeMetric,
)

Role = User.Role
LEAGUE_SHOWN = 50


def metric_definitions() -> dict[str, str]:
    """Each metric's exact definition, as written once next to kpi.metrics (kpi.labels)."""
    try:
        from .labels import METRIC_DEFINITIONS  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - kpi.labels ships with the metrics
        return {}
    return {str(k): str(v) for k, v in METRIC_DEFINITIONS.items()}


def metric_label(metric: str) -> str:
    try:
        return str(Metric(metric).label)
    except ValueError:
        return metric


def is_hq(user: Any) -> bool:
    return bool(user.is_superuser or user.role == Role.HQ)


# --- scope -------------------------------------------------------------------------------------


def province_root() -> Region | None:
    return Region.objects.filter(parent__isnull=True).order_by("path", "id").first()


def dashboard_region(*, user: Any, region_code: str | None) -> Region:
    """The region a manager's dashboard shows: `region_code` if it is inside the viewer's subtree
    (else 404), otherwise hq's province root or the regional manager's own region."""
    visible = regions_visible_to(user)
    if region_code:
        region = visible.filter(code=region_code).first()
        if region is None:
            raise Http404
        return region
    if is_hq(user):
        root = province_root()
        if root is None:
            raise Http404
        return root
    if user.role == Role.REGIONAL_MANAGER and user.region_id:
        return user.region  # type: ignore[no-any-return]
    raise Http404


def account_manager_in_scope(*, viewer: Any, username: str) -> User:
    """An account manager the viewer may see the numbers of: themselves, or one whose region is
    inside the viewer's subtree (managers). Anyone else is a 404."""
    if viewer.role == Role.ACCOUNT_MANAGER and not viewer.is_superuser:
        if viewer.username != username:
            raise Http404
        return viewer  # type: ignore[no-any-return]
    person = (
        User.objects.filter(
            username=username,
            role=Role.ACCOUNT_MANAGER,
            region_id__in=regions_visible_to(viewer).values("id"),
        )
        .select_related("region")
        .first()
    )
    if person is None:
        raise Http404
    return person


# --- periods and schemes -----------------------------------------------------------------------


def default_period(*, today: dt.date) -> domain.ScorePeriod:
    """The quarter of the newest snapshot (what the dashboards can show), else today's."""
    latest = MetricSnapshot.objects.aggregate(latest=Max("as_of"))["latest"]
    return domain.period_containing(latest or today)


def period_choices(*, around: int) -> list[domain.ScorePeriod]:
    years = sorted(set(KpiScheme.objects.values_list("year", flat=True)) | {around}, reverse=True)
    choices = []
    for year in years[:4]:
        choices.append(domain.ScorePeriod(year, domain.YEAR))
        choices += [domain.ScorePeriod(year, q) for q in reversed(domain.QUARTERS)]
    return choices


def scheme_for_year(year: int) -> KpiScheme | None:
    return KpiScheme.objects.filter(year=year).prefetch_related("metrics").first()


def _rules(scheme: KpiScheme | None) -> list[domain.MetricRule]:
    if scheme is None:
        return []
    return [
        domain.MetricRule(m.metric, m.weight, m.direction, m.rule, m.cap_percent)
        for m in sorted(scheme.metrics.all(), key=lambda m: (-m.weight, m.metric))
    ]


def snapshot_as_of(
    *, period: domain.ScorePeriod, region: Region | None = None, user: Any = None
) -> dt.date | None:
    """The newest snapshot date inside the period for this scope (one index probe)."""
    rows = MetricSnapshot.objects.filter(
        as_of__gte=period.start, as_of__lte=period.end, period=kpi_models.Period.YEAR
    )
    rows = rows.filter(region=region) if region is not None else rows.filter(user=user)
    return rows.aggregate(latest=Max("as_of"))["latest"]


# --- scoring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    metric: str
    label: str
    definition: str
    weight: int
    direction: str
    rule: str
    actual: Decimal | None
    realistic: Decimal | None
    stretch: Decimal | None
    attainment_realistic: Decimal | None
    attainment_stretch: Decimal | None
    points: Decimal
    is_rate: bool


@dataclass
class Scorecard:
    period: domain.ScorePeriod
    scheme: KpiScheme | None
    as_of: dt.date | None
    rows: list[ScoreRow]
    total: Decimal | None
    region: Region | None = None
    user: Any = None

    @property
    def heat(self) -> int:
        return domain.heat(self.total)


def _snapshot_filter(rules: Sequence[domain.MetricRule], period: domain.ScorePeriod) -> Q:
    """The snapshot rows that answer `period`: year to date for accumulating metrics (and for the
    year), quarter to date for rates in a quarter."""
    by_period: dict[str, list[str]] = defaultdict(list)
    for rule in rules:
        by_period[period.snapshot_period(rule.metric)].append(rule.metric)
    q = Q(pk__in=[])
    for snap_period, metrics in by_period.items():
        q |= Q(period=snap_period, metric__in=metrics)
    return q


def _is_rate(metric: str) -> bool:
    return metric not in (
        Metric.ACCOUNTS_IN_GROWTH,
        Metric.BILLED_REVENUE,
        Metric.NEW_ACCOUNTS,
        Metric.VISITS_PER_AM,
    )


def _score_many(
    *,
    scheme: KpiScheme | None,
    period: domain.ScorePeriod,
    as_of: dt.date | None,
    scope_field: str,
    snapshots: QuerySet[MetricSnapshot],
    targets: QuerySet[KpiTarget],
    with_snapshots_only: bool = False,
) -> dict[int, domain.Score]:
    """Scores for many scopes of one kind (regions or users) from two set-based reads."""
    rules = _rules(scheme)
    if scheme is None or not rules:
        return {}
    actuals: dict[int, dict[str, Decimal | None]] = defaultdict(dict)
    if as_of is not None:
        for scope_id, metric, value in snapshots.filter(
            _snapshot_filter(rules, period), as_of=as_of
        ).values_list(scope_field, "metric", "value"):
            actuals[scope_id][metric] = value
    target_map: dict[int, dict[str, domain.Target]] = defaultdict(dict)
    for scope_id, metric, realistic, stretch in targets.filter(
        scheme=scheme, quarter=period.quarter
    ).values_list(scope_field, "metric", "realistic", "stretch"):
        target_map[scope_id][metric] = domain.Target(realistic, stretch)
    return {
        scope_id: domain.score(rules, actuals.get(scope_id, {}), target_map.get(scope_id, {}))
        for scope_id in (set(actuals) if with_snapshots_only else set(actuals) | set(target_map))
    }


def _scorecard_from(
    score: domain.Score | None,
    *,
    scheme: KpiScheme | None,
    period: domain.ScorePeriod,
    as_of: dt.date | None,
    region: Region | None = None,
    user: Any = None,
) -> Scorecard:
    definitions = metric_definitions()
    rules = _rules(scheme)
    if score is None:
        score = domain.score(rules, {}, {})
    rows = [
        ScoreRow(
            metric=line.metric,
            label=metric_label(line.metric),
            definition=definitions.get(line.metric, ""),
            weight=line.weight,
            direction=line.direction,
            rule=line.rule,
            actual=line.actual,
            realistic=line.realistic,
            stretch=line.stretch,
            attainment_realistic=line.attainment_realistic,
            attainment_stretch=line.attainment_stretch,
            points=line.points,
            is_rate=_is_rate(line.metric),
        )
        for line in score.lines
    ]
    return Scorecard(
        period=period,
        scheme=scheme,
        as_of=as_of,
        rows=rows,
        total=score.total if rules and (as_of is not None or score.has_targets) else None,
        region=region,
        user=user,
    )


def scorecard(
    *, period: domain.ScorePeriod, region: Region | None = None, user: Any = None
) -> Scorecard:
    """One scope's scorecard: per metric the definition, weight, actual, realistic and stretch
    targets, attainment against both, points, and the total out of 100. The caller has checked
    that the viewer may see the scope (dashboard_region / account_manager_in_scope)."""
    scheme = scheme_for_year(period.year)
    as_of = snapshot_as_of(period=period, region=region, user=user)
    if region is not None:
        scores = _score_many(
            scheme=scheme,
            period=period,
            as_of=as_of,
            scope_field="region_id",
            snapshots=MetricSnapshot.objects.filter(region=region),
            targets=KpiTarget.objects.filter(region=region),
        )
        key = region.pk
    else:
        scores = _score_many(
            scheme=scheme,
            period=period,
            as_of=as_of,
            scope_field="user_id",
            snapshots=MetricSnapshot.objects.filter(user=user),
            targets=KpiTarget.objects.filter(user=user),
        )
        key = user.pk
    return _scorecard_from(
        scores.get(key), scheme=scheme, period=period, as_of=as_of, region=region, user=user
    )


# --- the dashboard's other tables --------------------------------------------------------------

# Rankings change only when the snapshots, the scheme or the targets do: stored (ManagerRanking)
# under a version that names all three (the newest snapshot run, the scheme's last edit, the newest
# target and scheme metric history rows), so an edit shows at once and a night's snapshots replace
# the day's.


def data_version(scheme: KpiScheme) -> str:
    """The scheme's last edit, the newest target and scheme metric history rows and the newest
    snapshot run (id, finished), read in one statement."""
    from core.models import JobRun

    runs = JobRun.objects.filter(job__in=("kpi.snapshot", "kpi.backfill")).order_by(
        "-started_at", "-id"
    )
    row = (
        KpiScheme.objects.filter(pk=scheme.pk)
        .annotate(
            target=Subquery(
                KpiTarget.history.order_by("-history_id").values("history_id")[:1]  # type: ignore[attr-defined]
            ),
            metric=Subquery(
                SchemeMetric.history.order_by("-history_id").values("history_id")[:1]  # type: ignore[attr-defined]
            ),
            run_id=Subquery(runs.values("id")[:1]),
            run_finished=Subquery(runs.values("finished_at")[:1]),
        )
        .values_list("updated_at", "target", "metric", "run_id", "run_finished")
        .first()
    )
    if row is None:  # the scheme is gone
        return f"{scheme.pk}.gone"
    updated_at, target, metric, run_id, run_finished = row
    run = (run_id, run_finished) if run_id is not None else None
    return f"{scheme.pk}.{updated_at.timestamp()}.{target}.{metric}.{run}"


def ranking_version(scheme: KpiScheme) -> str:
    """The digest a stored ranking is filed under (ManagerRanking.version)."""
    return hashlib.sha1(data_version(scheme).encode(), usedforsecurity=False).hexdigest()


def manager_ranking(
    *, scheme: KpiScheme, period: domain.ScorePeriod, as_of: dt.date
) -> tuple[ManagerRanking, bool]:
    """The stored province-wide ranking of the current data version, and whether it is stale.

    Missing (an edit a moment ago, before its re-rank task has run): the newest stored ranking
    of the same scheme, period and day is returned as stale, and the ranking of the current
    version is enqueued (once while one is pending); the page says the league is being updated.
    Nothing stored for that day at all (a period or day no night covered): ranked and stored
    now, in the request."""
    version = ranking_version(scheme)
    key = {"scheme": scheme, "period": period.code, "as_of": as_of}
    stored = ManagerRanking.objects.filter(**key, version=version).first()
    if stored is not None:
        return stored, False
    previous = ManagerRanking.objects.filter(**key).order_by("-id").first()
    if previous is None:
        return services.manager_ranking_store(
            scheme=scheme, period=period, as_of=as_of, version=version
        )[0], False
    if services.ranking_requested(scheme=scheme, period=period, as_of=as_of, version=version):
        # An eager Celery (development, tests) has ranked it already.
        stored = ManagerRanking.objects.filter(**key, version=version).first()
        if stored is not None:
            return stored, False
    return previous, True


@dataclass(frozen=True)
class RegionNode:
    region: Region
    total: Decimal | None
    heat: int
    children: list[RegionNode] = field(default_factory=list)


def region_tree(
    *,
    scheme: KpiScheme | None,
    period: domain.ScorePeriod,
    as_of: dt.date | None,
    region: Region,
    depth: int = 2,
) -> list[RegionNode]:
    """The region's children (and theirs, `depth` levels) with their total scores."""
    regions = list(
        Region.objects.filter(
            path__startswith=region.path, depth__gt=region.depth, depth__lte=region.depth + depth
        ).order_by("path", "id")
    )
    ids = [r.pk for r in regions]
    scores = _score_many(
        scheme=scheme,
        period=period,
        as_of=as_of,
        scope_field="region_id",
        snapshots=MetricSnapshot.objects.filter(region_id__in=ids),
        targets=KpiTarget.objects.filter(region_id__in=ids),
    )
    nodes: dict[int, RegionNode] = {}
    roots: list[RegionNode] = []
    for r in regions:
        s = scores.get(r.pk)
        total = s.total if s is not None and s.lines else None
        node = RegionNode(region=r, total=total, heat=domain.heat(total))
        nodes[r.pk] = node
        parent = nodes.get(r.parent_id) if r.parent_id else None
        (parent.children if parent is not None else roots).append(node)
    return roots


@dataclass(frozen=True)
class LeagueRow:
    rank: int
    user_id: int
    username: str
    label: str
    region_name: str
    total: Decimal
    heat: int
    points: list[Decimal]


@dataclass
class League:
    metrics: list[str]
    rows: list[LeagueRow]
    count: int
    # The ranking shown is of the data before an edit made a moment ago; the current one is
    # being ranked in the background (manager_ranking).
    stale: bool = False


def league_table(
    *,
    scheme: KpiScheme | None,
    period: domain.ScorePeriod,
    as_of: dt.date | None,
    region: Region,
    limit: int | None = LEAGUE_SHOWN,
) -> League:
    """Account managers of the region's subtree with snapshots on `as_of`, ranked by total score
    (ties by id). With a limit (the page) the totals come from the stored province-wide ranking
    of the current data version (ManagerRanking: kpi.ranking's one SQL statement, the same
    rules), ranked and stored first if the nightly step has not; without (the export) every
    manager's lines are scored here."""
    rules = _rules(scheme)
    metrics = [r.metric for r in rules]
    if scheme is None or not rules or as_of is None:
        return League(metrics=metrics, rows=[], count=0)
    if limit is not None:
        stored, stale = manager_ranking(scheme=scheme, period=period, as_of=as_of)
        league = _stored_league(stored, region=region, metrics=metrics, limit=limit)
        league.stale = stale
        return league
    in_subtree = Q(user__region__path__startswith=region.path)
    managers = Q(in_subtree, user__role=Role.ACCOUNT_MANAGER)
    scores = _score_many(
        scheme=scheme,
        period=period,
        as_of=as_of,
        scope_field="user_id",
        snapshots=MetricSnapshot.objects.filter(managers),
        targets=KpiTarget.objects.filter(managers),
        with_snapshots_only=True,
    )
    ranked = sorted(
        ((u, s.total, [line.points for line in s.lines]) for u, s in scores.items()),
        key=lambda item: (-item[1], item[0]),
    )
    people = {
        u["id"]: u
        for u in User.objects.filter(id__in=[uid for uid, _t, _p in ranked]).values(
            "id", "username", "display_name", "first_name", "last_name", "region__name"
        )
    }
    rows = []
    for rank, (uid, total, line_points) in enumerate(ranked, start=1):
        person = people.get(uid)
        if person is None:
            continue
        rows.append(_league_row(rank, uid, total, line_points, person))
    return League(metrics=metrics, rows=rows, count=len(ranked))


def _league_row(
    rank: int, uid: int, total: Decimal, line_points: list[Decimal], person: Mapping[str, Any]
) -> LeagueRow:
    full = f"{person['last_name']}{person['first_name']}".strip()
    return LeagueRow(
        rank=rank,
        user_id=uid,
        username=person["username"],
        label=person["display_name"] or full or person["username"],
        region_name=person["region__name"] or "",
        total=total,
        heat=domain.heat(total),
        points=line_points,
    )


def _stored_league(
    stored: ManagerRanking, *, region: Region, metrics: list[str], limit: int
) -> League:
    """A subtree's league from a stored province-wide ranking: its account managers (their
    current region and role, joined) in the province's order, renumbered 1..n; two indexed
    reads of at most a few thousand rows."""
    lines = ManagerTotal.objects.filter(
        ranking=stored,
        user__role=Role.ACCOUNT_MANAGER,
        user__region__path__startswith=region.path,
    )
    shown = lines.order_by("position").values(
        "user_id",
        "total",
        "user__username",
        "user__display_name",
        "user__first_name",
        "user__last_name",
        "user__region__name",
    )[:limit]
    rows = [
        _league_row(
            rank,
            line["user_id"],
            line["total"],
            [],
            {k.removeprefix("user__"): v for k, v in line.items()},
        )
        for rank, line in enumerate(shown, start=1)
    ]
    count = len(rows) if len(rows) < limit else lines.count()
    return League(metrics=metrics, rows=rows, count=count)


def rankings_warm(*, as_of: dt.date) -> int:
    """Rank and store every account manager of the province (ManagerRanking) for each quarter of
    `as_of`'s year up to its own, and the year, on the newest snapshot day of each (for the
    nightly chain, after the snapshots, and after a scheme or target edit), so no dashboard waits
    for a ranking: one ranking statement per period, whatever the number of regions. Returns the
    rows written (0 when the current versions were already stored)."""
    written = 0
    # Every quarter of the year so far and the year itself: a night's snapshot run changes the
    # data version of all of them, and a manager looking back at Q2 should not pay for the ranking.
    current = int(domain.period_containing(as_of).quarter[1])
    periods = [domain.ScorePeriod(as_of.year, f"Q{q}") for q in range(1, current + 1)]
    for period in [*periods, domain.ScorePeriod(as_of.year, domain.YEAR)]:
        scheme = scheme_for_year(period.year)
        if scheme is None or not _rules(scheme):
            continue
        version = ranking_version(scheme)
        days = {snapshot_as_of(period=period, region=root) for root in _province_roots()}
        for day in sorted(d for d in days if d is not None):
            stored, created = services.manager_ranking_store(
                scheme=scheme, period=period, as_of=day, version=version
            )
            written += stored.managers if created else 0
    return written


def _province_roots() -> QuerySet[Region]:
    return Region.objects.filter(parent__isnull=True).order_by("path", "id")


@dataclass(frozen=True)
class Trend:
    metric: str
    label: str
    labels: list[str]
    values: list[float | None]


def trends(
    *,
    scheme: KpiScheme | None,
    period: domain.ScorePeriod,
    region: Region | None = None,
    user: Any = None,
) -> list[Trend]:
    """Each scheme metric month by month (the month-to-date value on the last snapshot of each
    month) from January to the end of the period."""
    rules = _rules(scheme)
    if not rules:
        return []
    scope = Q(region=region) if region is not None else Q(user=user)
    base = MetricSnapshot.objects.filter(
        scope, period=kpi_models.Period.MONTH, as_of__gte=dt.date(period.year, 1, 1)
    ).filter(as_of__lte=period.end)
    dates = domain.month_ends(
        base.filter(metric=rules[0].metric).values_list("as_of", flat=True).distinct()
    )
    values: dict[tuple[str, dt.date], Decimal | None] = {
        (m, d): v
        for m, d, v in base.filter(as_of__in=dates).values_list("metric", "as_of", "value")
    }
    labels = [d.strftime("%Y-%m") for d in dates]
    return [
        Trend(
            metric=r.metric,
            label=metric_label(r.metric),
            labels=labels,
            values=[
                None if values.get((r.metric, d)) is None else float(values[(r.metric, d)])  # type: ignore[arg-type]
                for d in dates
            ],
        )
        for r in rules
    ]


@dataclass(frozen=True)
class Distribution:
    dimension: str
    title: str
    buckets: list[tuple[str, str, int]]  # (bucket, label, accounts)

    @property
    def total(self) -> int:
        return sum(n for _b, _l, n in self.buckets)


def _bucket_labels() -> dict[str, tuple[str, list[tuple[str, str]]]]:
    from lifecycle.models import ChurnRisk, Stage
    from segmentation.models import ValueClass

    return {
        "value_class": (
            _("Value class"),
            [(str(v), str(label)) for v, label in ValueClass.choices],
        ),
        "stage": (_("Lifecycle stage"), [(str(v), str(label)) for v, label in Stage.choices]),
        "churn_risk": (
            _("Churn risk"),
            [(str(v), str(label)) for v, label in ChurnRisk.choices],
        ),
    }


def distributions(*, region: Region, period: domain.ScorePeriod) -> list[Distribution]:
    """Accounts of the region's subtree by value class, lifecycle stage and churn risk, from the
    newest distribution snapshot inside the period."""
    labels = _bucket_labels()
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    rows = DistributionSnapshot.objects.filter(
        region=region, as_of__gte=period.start, as_of__lte=period.end
    )
    latest = rows.aggregate(latest=Max("as_of"))["latest"]
    if latest is not None:
        for dimension, bucket, accounts in rows.filter(as_of=latest).values_list(
            "dimension", "bucket", "accounts"
        ):
            counts[dimension][bucket] = int(accounts)
    result = []
    for dimension, (title, choices) in labels.items():
        known = {b for b, _l in choices}
        buckets = [(b, label, counts[dimension].get(b, 0)) for b, label in choices]
        buckets += [
            (b, b or _("none"), n) for b, n in sorted(counts[dimension].items()) if b not in known
        ]
        result.append(Distribution(dimension=dimension, title=title, buckets=buckets))
    return result


# --- the accounts behind a number --------------------------------------------------------------


def accounts_behind(
    *,
    viewer: Any,
    metric: str,
    period: domain.ScorePeriod,
    region: Region | None = None,
    user: Any = None,
    denominator: bool = False,
) -> tuple[dt.date | None, QuerySet[Any]]:
    """The accounts counted in one scorecard number, restricted to what the viewer may see."""
    from .drill import accounts_behind as drill

    as_of = snapshot_as_of(period=period, region=region, user=user)
    visible = accounts_visible_to(viewer)
    if as_of is None:
        return None, visible.none()
    try:
        accounts = drill(
            metric=metric,
            as_of=as_of,
            period=period.snapshot_period(metric),
            region=region,
            user=user,
            accounts=visible,
            denominator=denominator,
        )
    except ValueError as exc:  # no such number (e.g. the base of a count)
        raise Http404 from exc
    return as_of, accounts


def has_denominator(metric: str) -> bool:
    from .drill import NO_DENOMINATOR

    return metric not in NO_DENOMINATOR


def targets_of(*, scheme: KpiScheme | None, region: Region | None = None, user: Any = None) -> (
    list[dict[str, Any]]
):  # fmt: skip
    """A scope's targets for the year, a row per scheme metric, a (realistic, stretch) pair per
    quarter and for the year."""
    rules = _rules(scheme)
    if scheme is None:
        return []
    scope = Q(region=region) if region is not None else Q(user=user)
    stored = {
        (metric, quarter): (realistic, stretch)
        for metric, quarter, realistic, stretch in KpiTarget.objects.filter(
            scope, scheme=scheme
        ).values_list("metric", "quarter", "realistic", "stretch")
    }
    return [
        {
            "metric": r.metric,
            "label": metric_label(r.metric),
            "weight": r.weight,
            "is_rate": _is_rate(r.metric),
            "cells": [stored.get((r.metric, q)) for q in (*domain.QUARTERS, domain.YEAR)],
        }
        for r in rules
    ]


def snapshot_list(
    *,
    viewer: Any,
    region: Region | None,
    metric: str | None,
    period: str | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> QuerySet[MetricSnapshot]:
    """Region snapshots for BI tools: the given region (inside the viewer's subtree) or every
    region the viewer may see; account-manager rows only for one's own portfolio."""
    rows = MetricSnapshot.objects.select_related("region", "user")
    if viewer.role == Role.ACCOUNT_MANAGER and not viewer.is_superuser:
        rows = rows.filter(user=viewer)
    elif region is not None:
        rows = rows.filter(region=region)
    elif is_hq(viewer):
        rows = rows.filter(region__isnull=False)
    else:
        rows = rows.filter(region_id__in=regions_visible_to(viewer).values("id"))
    if metric:
        rows = rows.filter(metric=metric)
    if period:
        rows = rows.filter(period=period)
    if date_from:
        rows = rows.filter(as_of__gte=date_from)
    if date_to:
        rows = rows.filter(as_of__lte=date_to)
    return rows


def region_ids_in(regions: Iterable[Region]) -> list[int]:
    return [r.pk for r in regions]

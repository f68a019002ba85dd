"""KPI writes: schemes and targets. Each service validates with the pure rules (kpi.domain), owns
its transaction and leaves an audit record (simple_history, with the acting user)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from org.models import User

from . import domain, ranking
from .models import (
    Direction,
    KpiScheme,
    KpiTarget,
    ManagerRanking,
    ManagerTotal,
    Metric,
    SchemeMetric,
    ScoringRule,
)

# Stored rankings kept per (scheme, period): the current version and a few before it (a reader
# that looked up a version a moment before an edit still finds its rows).
RANKING_VERSIONS_KEPT = 3
# A lost or failed re-rank is enqueued again by a view after this long.
RANKING_PENDING_SECONDS = 300


def manager_ranking_store(
    *, scheme: KpiScheme, period: domain.ScorePeriod, as_of: dt.date, version: str
) -> tuple[ManagerRanking, bool]:
    """Rank every account manager of the province (kpi.ranking.manager_totals over all regions)
    for the scheme, period and snapshot day, and store the totals under `version` (the digest of
    kpi.selectors.data_version, read by the caller BEFORE this call, so stored rows are never
    older than the version they are filed under). Returns the ranking and whether it was
    written now.

    Idempotent: a version already stored is returned as it is, without ranking again; two
    workers storing the same version at once meet on the unique key and the second returns the
    first's. The header and its rows are written in one transaction (a reader sees all of them
    or none), and older versions of the same (scheme, period) beyond the newest
    RANKING_VERSIONS_KEPT are deleted in it."""
    key = {"scheme": scheme, "period": period.code, "as_of": as_of, "version": version}
    stored = ManagerRanking.objects.filter(**key).first()
    if stored is not None:
        return stored, False
    # The ranking statement runs before the transaction: no lock is held while it works.
    totals = ranking.manager_totals(scheme=scheme, period=period, as_of=as_of, region_path="")
    try:
        with transaction.atomic():
            header = ManagerRanking.objects.create(**key, managers=len(totals))
            ManagerTotal.objects.bulk_create(
                (
                    ManagerTotal(ranking=header, user_id=user_id, position=position, total=total)
                    for position, (user_id, total) in enumerate(totals, start=1)
                ),
                batch_size=1000,
            )
            versions = list(
                ManagerRanking.objects.filter(scheme=scheme, period=period.code)
                .order_by("-id")
                .values_list("id", flat=True)
            )
            old = versions[RANKING_VERSIONS_KEPT:]
            if old:
                ManagerTotal.objects.filter(ranking_id__in=old).delete()
                ManagerRanking.objects.filter(id__in=old).delete()
    except IntegrityError:
        # Another worker stored this version meanwhile (the unique key): theirs stands.
        stored = ManagerRanking.objects.filter(**key).first()
        if stored is None:
            raise
        return stored, False
    return header, True


def ranking_requested(
    *, scheme: KpiScheme, period: domain.ScorePeriod, as_of: dt.date, version: str
) -> bool:
    """Enqueue the ranking of one scheme, period, day and data version (`kpi.rank_period`),
    at most once while one is pending; True when this call enqueued it."""
    from django.core.cache import cache

    from .tasks import rank_period as rank_period_task

    pending = f"kpi:ranking-pending:{scheme.pk}:{period.code}:{as_of}:{version}"
    if not cache.add(pending, True, RANKING_PENDING_SECONDS):
        return False
    rank_period_task.delay(scheme_id=scheme.pk, period=period.code, as_of=as_of.isoformat())
    return True


def rank_period(*, scheme_id: int, period_code: str, as_of: dt.date) -> int:
    """Rank and store one scheme, period and snapshot day at the current data version (the
    `kpi.rank_period` task, enqueued by a dashboard showing the ranking from before an edit).
    Returns the rows written (0: already stored, or the scheme or period is gone)."""
    from .selectors import ranking_version

    scheme = KpiScheme.objects.filter(pk=scheme_id).first()
    period = domain.parse_period(period_code)
    if scheme is None or period is None:
        return 0
    stored, created = manager_ranking_store(
        scheme=scheme, period=period, as_of=as_of, version=ranking_version(scheme)
    )
    return stored.managers if created else 0


def _rerank_after_commit(actor: User) -> None:
    """A scheme or target edit changes the data version of the stored rankings: rank again in
    the background once the edit is committed (kpi.rankings, the same task the nightly chain
    runs), so the next manager to open a dashboard does not pay for the ranking."""
    from .tasks import rankings

    as_of = timezone.localdate().isoformat()
    transaction.on_commit(
        lambda: rankings.delay(as_of=as_of, triggered_by=f"edit by {actor.username}"[:150])
    )


def can_manage_schemes(user: Any) -> bool:
    """Schemes and targets are set by headquarters (DOMAIN.md §1: administrator and hq)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.role == User.Role.HQ)
    )


def _require_hq(actor: Any) -> None:
    if not can_manage_schemes(actor):
        raise PermissionDenied


# The seeds weigh retention (churn) and penetration of key IT services most; revenue is not the
# focus at this stage (DOMAIN.md §8), so it is shown with weight 0.
DEFAULT_SCHEME: tuple[tuple[str, int, str, str], ...] = (
    (Metric.CHURN_RATE, 25, Direction.LOWER, ScoringRule.BANDED),
    (Metric.HIGH_VALUE_CHURN_RATE, 15, Direction.LOWER, ScoringRule.BANDED),
    (Metric.IT_PENETRATION, 25, Direction.HIGHER, ScoringRule.LINEAR),
    (Metric.ACCOUNTS_IN_GROWTH, 10, Direction.HIGHER, ScoringRule.LINEAR),
    (Metric.RETENTION_ON_TIME, 10, Direction.HIGHER, ScoringRule.LINEAR),
    (Metric.COMPLAINT_SLA, 5, Direction.HIGHER, ScoringRule.THRESHOLD),
    (Metric.KEY_PERSON_COVERAGE, 5, Direction.HIGHER, ScoringRule.LINEAR),
    (Metric.VISITS_PER_AM, 5, Direction.HIGHER, ScoringRule.LINEAR),
    (Metric.NEW_ACCOUNTS, 0, Direction.HIGHER, ScoringRule.LINEAR),
    (Metric.BILLED_REVENUE, 0, Direction.HIGHER, ScoringRule.LINEAR),
)


def default_metrics() -> list[domain.MetricRule]:
    return [domain.MetricRule(str(m), w, str(d), str(r)) for m, w, d, r in DEFAULT_SCHEME]


def _metric_label(metric: str) -> str:
    try:
        return str(Metric(metric).label)
    except ValueError:
        return metric


def scheme_problem_messages(problems: Iterable[domain.Problem]) -> list[str]:
    messages = []
    for p in problems:
        label = _metric_label(p.metric)
        if p.code == domain.WEIGHTS_NOT_100:
            messages.append(
                _("The weights add up to %(total)s points; they must add up to exactly 100.")
                % {"total": p.detail}
            )
        elif p.code == domain.DUPLICATE_METRIC:
            messages.append(_("%(metric)s appears more than once.") % {"metric": label})
        elif p.code == domain.UNKNOWN_METRIC:
            messages.append(_("%(metric)s is not a known metric.") % {"metric": label})
        elif p.code == domain.BAD_WEIGHT:
            messages.append(
                _("The weight of %(metric)s must be a whole number from 0 to 100.")
                % {"metric": label}
            )
        elif p.code == domain.BAD_DIRECTION:
            messages.append(_("Choose a direction for %(metric)s.") % {"metric": label})
        elif p.code == domain.BAD_RULE:
            messages.append(_("Choose a scoring rule for %(metric)s.") % {"metric": label})
        elif p.code == domain.BAD_CAP:
            messages.append(
                _("The attainment cap of %(metric)s must be from 100 %% to 1000 %%.")
                % {"metric": label}
            )
        elif p.code == domain.NO_METRICS:
            messages.append(_("A scheme needs at least one metric."))
    return messages


@transaction.atomic
def scheme_save(
    *, actor: User, year: int, name: str, metrics: Sequence[domain.MetricRule]
) -> KpiScheme:
    """Create or replace the scheme of `year`. Refuses (ValidationError) unless the weights sum
    to exactly 100 and every metric appears once."""
    _require_hq(actor)
    problems = domain.validate_scheme(metrics, Metric.values)
    if problems:
        raise ValidationError(scheme_problem_messages(problems))
    if not name.strip():
        raise ValidationError(_("Give the scheme a name."))
    scheme = KpiScheme.objects.select_for_update().filter(year=year).first()
    if scheme is None:
        scheme = KpiScheme(year=year, name=name.strip(), created_by=actor)
    else:
        scheme.name = name.strip()
    scheme._history_user = actor  # type: ignore[attr-defined]
    scheme.save()
    existing = {m.metric: m for m in scheme.metrics.all()}
    wanted = {rule.metric for rule in metrics}
    for metric, row in existing.items():
        if metric not in wanted:
            row._history_user = actor  # type: ignore[attr-defined]
            row.delete()
    for rule in metrics:
        row = existing.get(rule.metric) or SchemeMetric(scheme=scheme, metric=rule.metric)
        row.weight, row.direction, row.rule = rule.weight, rule.direction, rule.rule
        row.cap_percent = rule.cap_percent
        row._history_user = actor  # type: ignore[attr-defined]
        row.save()
    _rerank_after_commit(actor)
    return scheme


def scheme_create_default(*, actor: User, year: int) -> KpiScheme:
    return scheme_save(
        actor=actor,
        year=year,
        name=_("Retention and penetration %(year)s") % {"year": year},
        metrics=default_metrics(),
    )


def scheme_rules(scheme: KpiScheme) -> list[domain.MetricRule]:
    return [
        domain.MetricRule(m.metric, m.weight, m.direction, m.rule, m.cap_percent)
        for m in sorted(scheme.metrics.all(), key=lambda m: (-m.weight, m.metric))
    ]


# --- targets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetEntry:
    """One target cell pair from the grid or an import row. Exactly one of region_id, user_id."""

    metric: str
    quarter: str
    realistic: Decimal
    stretch: Decimal
    region_id: int | None = None
    user_id: int | None = None
    # where it came from, for messages: (row, column)
    source: tuple[int, str] | None = None

    @property
    def scope(self) -> tuple[int | None, int | None]:
        return (self.region_id, self.user_id)


@dataclass(frozen=True)
class TargetProblem:
    entry: TargetEntry | None
    message: str


def target_problem_message(problem: domain.TargetProblem, metric: str) -> str:
    label = _metric_label(metric)
    if problem.code == domain.NEGATIVE_TARGET:
        return _("%(metric)s %(quarter)s: targets cannot be negative.") % {
            "metric": label,
            "quarter": problem.quarter,
        }
    if problem.code == domain.STRETCH_SHORT:
        return _("%(metric)s %(quarter)s: the stretch target must be more ambitious than the "
                 "realistic one.") % {"metric": label, "quarter": problem.quarter}  # fmt: skip
    if problem.code == domain.NOT_RISING:
        return _(
            "%(metric)s %(quarter)s: quarterly targets are year to date and cannot fall "
            "below %(previous)s."
        ) % {
            "metric": label,
            "quarter": problem.quarter,
            "previous": problem.previous,
        }
    return _("%(metric)s: the Q4 target must equal the annual target.") % {"metric": label}


def targets_check(*, scheme: KpiScheme, entries: Sequence[TargetEntry]) -> list[TargetProblem]:
    """Check entries merged over the scheme's stored targets: every metric in the scheme, and per
    scope and metric the quarters rise to the year (kpi.domain.validate_targets)."""
    directions = {m.metric: m.direction for m in scheme.metrics.all()}
    problems: list[TargetProblem] = []
    for entry in entries:
        if entry.metric not in directions:
            problems.append(
                TargetProblem(
                    entry,
                    _("%(metric)s is not in the %(year)s scheme.")
                    % {"metric": _metric_label(entry.metric), "year": scheme.year},
                )
            )
    keys = {(e.scope, e.metric) for e in entries if e.metric in directions}
    if not keys:
        return problems
    region_ids = {s[0] for s, _m in keys if s[0]}
    user_ids = {s[1] for s, _m in keys if s[1]}
    merged: dict[tuple[tuple[int | None, int | None], str], dict[str, domain.Target]] = {}
    stored = KpiTarget.objects.filter(scheme=scheme, metric__in={m for _s, m in keys})
    for chunk_field, ids in (("region_id__in", region_ids), ("user_id__in", user_ids)):
        id_list = sorted(ids)
        for start in range(0, len(id_list), 900):
            for t in stored.filter(**{chunk_field: id_list[start : start + 900]}).values_list(
                "region_id", "user_id", "metric", "quarter", "realistic", "stretch"
            ):
                key: tuple[tuple[int | None, int | None], str] = ((t[0], t[1]), t[2])
                if key in keys:
                    merged.setdefault(key, {})[t[3]] = domain.Target(t[4], t[5])
    by_key: dict[tuple[tuple[int | None, int | None], str], TargetEntry] = {}
    for entry in entries:
        if entry.metric in directions:
            key = (entry.scope, entry.metric)
            merged.setdefault(key, {})[entry.quarter] = domain.Target(
                entry.realistic, entry.stretch
            )
            by_key.setdefault(key, entry)
    for key, targets in merged.items():
        metric = key[1]
        for problem in domain.validate_targets(metric, directions[metric], targets):
            culprit = next(
                (
                    e
                    for e in entries
                    if e.scope == key[0] and e.metric == metric and e.quarter == problem.quarter
                ),
                by_key.get(key),
            )
            problems.append(TargetProblem(culprit, target_problem_message(problem, metric)))
    return problems


@transaction.atomic
def targets_set(*, actor: User, scheme: KpiScheme, entries: Sequence[TargetEntry]) -> int:
    """Upsert targets by (scheme, metric, quarter, region | user), audited. All or nothing:
    refuses (ValidationError) if any entry breaks the rules."""
    _require_hq(actor)
    problems = targets_check(scheme=scheme, entries=entries)
    if problems:
        raise ValidationError([p.message for p in problems])
    if not entries:
        return 0
    existing: dict[tuple[str, str, int | None, int | None], KpiTarget] = {}
    region_ids = sorted({e.region_id for e in entries if e.region_id})
    user_ids = sorted({e.user_id for e in entries if e.user_id})
    stored = KpiTarget.objects.select_for_update().filter(
        scheme=scheme, metric__in=sorted({e.metric for e in entries})
    )
    for t in stored.filter(Q(region_id__in=region_ids) | Q(user_id__in=user_ids)):
        existing[(t.metric, t.quarter, t.region_id, t.user_id)] = t
    creates, updates = [], []
    for e in entries:
        row = existing.get((e.metric, e.quarter, e.region_id, e.user_id))
        if row is None:
            creates.append(
                KpiTarget(
                    scheme=scheme,
                    metric=e.metric,
                    quarter=e.quarter,
                    region_id=e.region_id,
                    user_id=e.user_id,
                    realistic=e.realistic,
                    stretch=e.stretch,
                )
            )
        elif row.realistic != e.realistic or row.stretch != e.stretch:
            row.realistic, row.stretch = e.realistic, e.stretch
            updates.append(row)
    if creates:
        bulk_create_with_history(creates, KpiTarget, batch_size=1000, default_user=actor)
    if updates:
        bulk_update_with_history(
            updates, KpiTarget, ["realistic", "stretch"], batch_size=1000, default_user=actor
        )
    if creates or updates:
        _rerank_after_commit(actor)
    return len(creates) + len(updates)


@transaction.atomic
def targets_clear(
    *,
    actor: User,
    scheme: KpiScheme,
    quarter: str,
    region_ids: Iterable[int] = (),
    user_ids: Iterable[int] = (),
    metrics: Iterable[str] = (),
    cells: Iterable[tuple[int, str]] | None = None,
) -> int:
    """Remove one quarter's targets of the given scopes and metrics (grid cells left blank);
    `cells` narrows it to exact (scope id, metric) pairs."""
    _require_hq(actor)
    wanted = set(cells) if cells is not None else None
    rows = KpiTarget.objects.filter(scheme=scheme, quarter=quarter, metric__in=list(metrics))
    rows = rows.filter(Q(region_id__in=list(region_ids)) | Q(user_id__in=list(user_ids)))
    deleted = 0
    for row in rows:
        scope_id = row.region_id or row.user_id
        if wanted is not None and (scope_id, row.metric) not in wanted:
            continue
        row._history_user = actor  # type: ignore[attr-defined]
        row.delete()
        deleted += 1
    if deleted:
        _rerank_after_commit(actor)
    return deleted

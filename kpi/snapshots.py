"""The nightly KPI snapshot, set-based: `kpi.metrics` in SQL, on SQLite and PostgreSQL alike.

A handful of statements, each one pass over its table, aggregate every account's contributions
(`metrics.contribution`) for the three periods at once, grouped by the account's *group key*
(own region, the region of its group root when it is a branch, owner). There are a few thousand
group keys even at a million accounts, so the rest is small: per account manager, the sum over
their keys; per region, the credit split (`credit.credit`, pure) and the subtree roll-up
(`credit.roll_up`, pure) over a few hundred regions. The rows are upserted keyed by
(as_of, period, metric, region | user) in one transaction: re-running a night rewrites the same
values, and a run killed half-way leaves the previous state.

The same statements' stage logic (`_stage_text`): the stage on a day is the last change on or
before it; `MAX(date || stage)` over ISO dates picks it in one aggregate without a join."""

# Set-based SQL assembled from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import io
import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncDate

from accounts.models import Activity, ServiceRequest
from lifecycle.models import RetentionTask, StageChange
from org.models import Region, User
from solutions.models import Product

from . import credit
from . import metrics as m
from .models import Dimension, DistributionSnapshot
from .sql import BRANCH_ROOTS_SQL, day_bounds

SNAPSHOT = "kpi_metricsnapshot"
# Per-account facts of one run, for the length of its transaction (kpi.snapshots.compute).
FACTS = "kpi_run_account_facts"
PLACES = Decimal("0.0001")
GroupKey = tuple[int, int | None, int]  # (region, root region of a branch or None, owner)
# Per group key, one flat vector of sums: numerator at 2 × SLOT[(period, metric)], denominator
# next to it (ints from the counts, Decimals from revenue; exact either way). Flat lists added
# element-wise keep the few hundred thousand additions of a night cheap.
Totals = dict[GroupKey, list[Any]]
SLOT = {
    (period, metric): i
    for i, (period, metric) in enumerate((p, metric) for p in m.PERIODS for metric in m.METRICS)
}
SLOTS = 2 * len(SLOT)
# The slots of the credited metrics (numerator and denominator), split between regions.
CREDITED_SLOTS = frozenset(
    j for (_, metric), i in SLOT.items() if metric in m.CREDITED_METRICS for j in (2 * i, 2 * i + 1)
)

DISTRIBUTION_BUCKETS = {
    Dimension.VALUE_CLASS: ("economic", "social", "clustered_sme", ""),
    Dimension.STAGE: ("A", "B", "C", "D", "E", ""),
    Dimension.CHURN_RISK: ("high", "medium", "low", ""),
}


def coordination_share() -> Decimal:
    return Decimal(str(settings.KPI["HQ_COORDINATION_SHARE"]))


@dataclass(frozen=True)
class Windows:
    as_of: dt.date
    starts: dict[str, dt.date]
    history_since: dt.date | None

    def active_from_history(self, period: str) -> bool:
        return self.history_since is not None and self.history_since <= self.starts[period]

    def contexts(self) -> dict[str, m.Context]:
        out = {}
        for period, start in self.starts.items():
            start_at, end_at = day_bounds(start, self.as_of)
            out[period] = m.Context(
                window=m.Window(period, start, self.as_of),
                history_since=self.history_since,
                window_start_at=start_at,
                window_end_at=end_at,
            )
        return out


def windows(as_of: dt.date) -> Windows:
    first = StageChange.objects.order_by("changed_on").values_list("changed_on", flat=True).first()
    return Windows(
        as_of=as_of,
        starts={p: m.period_start(as_of, p) for p in m.PERIODS},
        history_since=first,
    )


def _b(condition: str) -> str:
    """A condition as 0/1 (PostgreSQL has booleans, SQLite has integers)."""
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _in(values: Iterable[str]) -> tuple[str, list[str]]:
    items = sorted(values)
    return "(" + ", ".join(["%s"] * len(items)) + ")", items


def _stage_text(day_param: str) -> str:
    # 'YYYY-MM-DD' || stage ('-' for none) of the latest change on or before the day.
    return (
        f"MAX(CASE WHEN changed_on <= {day_param} "
        "THEN CAST(changed_on AS TEXT) || COALESCE(to_stage, '-') END)"
    )


def _stage_of(column: str) -> str:
    return f"SUBSTR({column}, 11, 1)"


def _add(totals: Totals, key: GroupKey, period: str, metric: str, num: Any, den: Any = 0) -> None:
    vector = totals.get(key)
    if vector is None:
        vector = totals[key] = [0] * SLOTS
    i = 2 * SLOT[(period, metric)]
    vector[i] += num or 0
    vector[i + 1] += den or 0


# --- the statements ------------------------------------------------------------------------------


def _tune_session() -> None:
    """Big hashes in memory rather than on disk (PostgreSQL), for this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # JIT compiling these one-off scans cost more than it saved: 31.7 s → 23.6 s over
            # the statements at 1M accounts (bench/results/kpi.md).
            cursor.execute("SET LOCAL jit = off")


def _build_facts(w: Windows) -> None:
    """One pass over accounts with their stage history, current state, class, penetration and
    decision makers: one row of 0/1 facts per account in a temporary table, which the metric
    sums, the distributions and the revenue join then read (narrow, no joins left)."""
    params: list[Any] = []
    stage_cols = []
    for period in m.PERIODS:
        stage_cols.append(f"{_stage_text('%s')} AS at_{period}")
        params.append(w.starts[period])
    stage_cols.append(f"{_stage_text('%s')} AS at_as_of")
    params.append(w.as_of)
    for period in m.PERIODS:
        stage_cols.append(
            f"MAX(CASE WHEN to_stage = 'E' AND changed_on >= %s THEN 1 ELSE 0 END) AS e_{period}"
        )
        params.append(w.starts[period])
    params.append(w.as_of)
    stages_sql = (
        f"SELECT account_id, {', '.join(stage_cols)} FROM lifecycle_stagechange "
        "WHERE changed_on <= %s GROUP BY account_id"
    )
    first, last = m.closed_months(w.as_of)
    # The application layer's products: a handful of ids, so the scan needs no join.
    products = sorted(
        Product.objects.filter(module__layer=m.APPLICATION_LAYER).values_list("id", flat=True)
    )
    product_in = "(" + ", ".join(str(int(p)) for p in products) + ")" if products else "(NULL)"
    pen_sql = (
        "SELECT DISTINCT account_id FROM billing_billline WHERE period_on >= %s "
        f"AND period_on <= %s AND amount > 0 AND product_id IN {product_in}"
    )
    params += [first, last]
    kp_sql = (
        "SELECT DISTINCT account_id FROM accounts_keyperson WHERE role = 'decision_maker' "
        "AND (left_on IS NULL OR left_on > %s)"
    )
    params.append(w.as_of)

    hv_in, hv_params = _in(m.HIGH_VALUE_CLASSES)
    active_in, active_params = _in(m.ACTIVE_STAGES)
    # (expression AS column, its parameters), in order
    cols: list[tuple[str, list[Any]]] = [
        ("COALESCE(co.value_class, cs.value_class, '') AS value_class", []),
        (
            "CASE WHEN lc.as_of <= %s THEN COALESCE(lc.stage, '') "
            f"ELSE COALESCE(REPLACE({_stage_of('s.at_as_of')}, '-', ''), '') END AS stage",
            [w.as_of],
        ),
        ("CASE WHEN lc.as_of <= %s THEN lc.churn_risk ELSE '' END AS churn_risk", [w.as_of]),
        (f"{_b(f'COALESCE(co.value_class, cs.value_class) IN {hv_in}')} AS hv", hv_params),
        (_b("a.status = 'active'") + " AS active", []),
        (_b("pen.account_id IS NOT NULL") + " AS pen", []),
        (_b("kp.account_id IS NOT NULL") + " AS kp", []),
    ]
    for period in m.PERIODS:
        if w.active_from_history(period):
            active = f"{_stage_of(f's.at_{period}')} IN {active_in}"
            active_p: list[Any] = list(active_params)
        else:
            active = "a.status = 'active' AND a.joined_on < %s"
            active_p = [w.starts[period]]
        cols.append((f"COALESCE(s.e_{period}, 0) AS e_{period}", []))
        cols.append((f"{_b(active)} AS act_{period}", active_p))
        cols.append(
            (
                f"{_b('a.joined_on >= %s AND a.joined_on <= %s')} AS new_{period}",
                [w.starts[period], w.as_of],
            )
        )
    select_params = [p for _, col_params in cols for p in col_params]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FACTS}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {FACTS} AS SELECT a.id AS account_id, a.region_id, "
            f"b.root_region_id, a.owner_id, {', '.join(c for c, _ in cols)} "
            "FROM accounts_account a "
            f"LEFT JOIN ({BRANCH_ROOTS_SQL}) b ON b.account_id = a.id "
            f"LEFT JOIN ({stages_sql}) s ON s.account_id = a.id "
            "LEFT JOIN lifecycle_accountlifecycle lc ON lc.account_id = a.id "
            "LEFT JOIN segmentation_classoverride co ON co.account_id = a.id "
            "LEFT JOIN segmentation_accountscore cs ON cs.account_id = a.id "
            f"LEFT JOIN ({pen_sql}) pen ON pen.account_id = a.id "
            f"LEFT JOIN ({kp_sql}) kp ON kp.account_id = a.id",
            select_params + params,
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {FACTS}")
        else:
            # SQLite joins bill lines to it by nested loops: give it the key.
            cursor.execute(f"CREATE UNIQUE INDEX {FACTS}_account ON {FACTS} (account_id)")


def _account_metrics(w: Windows, totals: Totals) -> None:
    """Churn (both), penetration, new accounts, growth and key-person coverage per group key."""
    sums = []
    for period in m.PERIODS:
        sums += [
            f"SUM(e_{period})",
            f"SUM(act_{period})",
            f"SUM(hv * e_{period})",
            f"SUM(hv * act_{period})",
            f"SUM(new_{period})",
        ]
    sums += [
        _sum_b(f"stage = '{m.GROWTH_STAGE}'"),
        "SUM(active * pen)",
        "SUM(active)",
        "SUM(hv * kp)",
        "SUM(hv)",
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT region_id, root_region_id, owner_id, {', '.join(sums)} FROM {FACTS} "
            "GROUP BY region_id, root_region_id, owner_id"
        )
        rows = cursor.fetchall()
    # (column, slot) pairs: where each sum of the row goes in its group key's vector
    targets: list[tuple[int, int]] = []
    column = 3
    for period in m.PERIODS:
        for metric, cols in (
            (m.CHURN_RATE, (0, 1)),
            (m.HIGH_VALUE_CHURN_RATE, (2, 3)),
            (m.NEW_ACCOUNTS, (4,)),
        ):
            for k, col in enumerate(cols):
                targets.append((column + col, 2 * SLOT[(period, metric)] + k))
        column += 5
    for period in m.PERIODS:
        for metric, cols in (
            (m.ACCOUNTS_IN_GROWTH, (0,)),
            (m.IT_PENETRATION, (1, 2)),
            (m.KEY_PERSON_COVERAGE, (3, 4)),
        ):
            for k, col in enumerate(cols):
                targets.append((column + col, 2 * SLOT[(period, metric)] + k))
    for row in rows:
        key: GroupKey = (row[0], row[1], row[2])
        vector = totals.get(key)
        if vector is None:
            vector = totals[key] = [0] * SLOTS
        for col, slot in targets:
            vector[slot] += row[col] or 0


def _sum_b(condition: str) -> str:
    return f"SUM({_b(condition)})"


def _revenue(w: Windows, totals: Totals) -> None:
    """Billed revenue of the months in each period: one pass over the year's account months
    (billing's per-account monthly sums in fen), summed per group key and month, split into
    periods here. The group key comes from the accounts and their branch roots, not from the
    facts table, so this part can run on its own connection beside the facts (`compute`)."""
    sql = (
        "SELECT a.region_id, b.root_region_id, a.owner_id, bm.period_on, SUM(bm.revenue_cents) "
        "FROM billing_accountmonth bm "
        "JOIN accounts_account a ON a.id = bm.account_id "
        f"LEFT JOIN ({BRANCH_ROOTS_SQL}) b ON b.account_id = a.id "
        "WHERE bm.period_on >= %s AND bm.period_on <= %s "
        "GROUP BY a.region_id, b.root_region_id, a.owner_id, bm.period_on"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [min(w.starts.values()), w.as_of])
        rows = cursor.fetchall()
    slots = [2 * SLOT[(period, m.BILLED_REVENUE)] for period in m.PERIODS]
    for region, root, owner, period_on, cents in rows:
        month = period_on if isinstance(period_on, dt.date) else dt.date.fromisoformat(period_on)
        value = Decimal(int(cents)) / 100
        key = (region, root, owner)
        vector = totals.get(key)
        if vector is None:
            vector = totals[key] = [0] * SLOTS
        for period, slot in zip(m.PERIODS, slots, strict=True):
            if month >= w.starts[period]:
                vector[slot] += value


def _dicts(rows: Iterable[Any]) -> Iterable[dict[str, Any]]:
    return rows


def _uncredited(w: Windows, totals: Totals) -> None:
    """Retention tasks, complaints and visits (never split): grouped by region and owner."""
    year_start = min(w.starts.values())
    on_time = Case(
        When(status=RetentionTask.Status.CLOSED, closed_on__lte=F("due_on"), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    aggregates: dict[str, Any] = {}
    for period in m.PERIODS:
        due = Q(due_on__gte=w.starts[period])
        aggregates[f"den_{period}"] = Count("id", filter=due)
        aggregates[f"num_{period}"] = Sum("on_time", filter=due)
    tasks = (
        RetentionTask.objects.filter(due_on__gte=year_start, due_on__lte=w.as_of)
        .annotate(closed_on=TruncDate("closed_at"), on_time=on_time)
        .values("account__region_id", "account__owner_id")
        .annotate(**aggregates)
        .order_by()
    )
    for row in _dicts(tasks):
        key = (row["account__region_id"], None, row["account__owner_id"])
        for period in m.PERIODS:
            _add(
                totals, key, period, m.RETENTION_ON_TIME, row[f"num_{period}"], row[f"den_{period}"]
            )

    _, end_at = day_bounds(w.as_of, w.as_of)
    aggregates = {}
    for period in m.PERIODS:
        start_at, _ = day_bounds(w.starts[period], w.as_of)
        due_c = Q(sla_due_at__gte=start_at)
        aggregates[f"den_{period}"] = Count("id", filter=due_c)
        aggregates[f"num_{period}"] = Count(
            "id",
            filter=due_c & Q(resolved_at__isnull=False, resolved_at__lte=F("sla_due_at")),
        )
    year_start_at, _ = day_bounds(year_start, w.as_of)
    complaints = (
        ServiceRequest.objects.filter(
            kind=ServiceRequest.Kind.COMPLAINT,
            sla_due_at__gte=year_start_at,
            sla_due_at__lt=end_at,
        )
        .values("account__region_id", "account__owner_id")
        .annotate(**aggregates)
        .order_by()
    )
    for row in _dicts(complaints):
        key = (row["account__region_id"], None, row["account__owner_id"])
        for period in m.PERIODS:
            _add(totals, key, period, m.COMPLAINT_SLA, row[f"num_{period}"], row[f"den_{period}"])

    aggregates = {
        f"n_{period}": Count("id", filter=Q(occurred_on__gte=w.starts[period]))
        for period in m.PERIODS
    }
    visits = (
        Activity.objects.filter(
            kind=Activity.Kind.VISIT, occurred_on__gte=year_start, occurred_on__lte=w.as_of
        )
        .values("account__region_id", "account__owner_id")
        .annotate(**aggregates)
        .order_by()
    )
    for row in _dicts(visits):
        key = (row["account__region_id"], None, row["account__owner_id"])
        for period in m.PERIODS:
            _add(totals, key, period, m.VISITS_PER_AM, row[f"n_{period}"])


def account_managers_by_region() -> dict[int, int]:
    rows = (
        User.objects.filter(role=User.Role.ACCOUNT_MANAGER, is_active=True, region__isnull=False)
        .values("region_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["region_id"]: r["n"] for r in rows}


@dataclass(frozen=True)
class Computed:
    windows: Windows
    totals: Totals
    # (region, value_class, stage, churn_risk) → accounts
    distribution: list[tuple[int, str, str, str, int]]


def _side_parts(w: Windows) -> Totals:
    """Revenue, retention tasks, complaints and visits: they read committed tables only (not the
    facts table), so `compute` may run them on a second connection while the facts are built."""
    totals: Totals = {}
    _revenue(w, totals)
    _uncredited(w, totals)
    return totals


def _side_parts_on_own_connection(w: Windows) -> Totals:
    """`_side_parts` in a worker thread: Django gives the thread its own connection, closed here."""
    try:
        with transaction.atomic():
            _tune_session()
            return _side_parts(w)
    finally:
        connection.close()


def _merge(totals: Totals, other: Totals) -> None:
    for key, vector in other.items():
        total = totals.get(key)
        totals[key] = vector if total is None else _plus(total, vector)


def compute(as_of: dt.date, *, parallel: bool = False) -> Computed:
    """Every group key's contributions and the distribution counts of `as_of`. Run it inside a
    transaction (the facts table lives for the transaction's connection).

    With `parallel` (PostgreSQL, outside any caller's transaction: `snapshot` decides) the side
    parts run on a second connection in a thread while this one builds and sums the facts: two
    backends on two cores, about 10 s off the critical path at 1M accounts (bench/results/kpi.md).
    Each statement reads committed data, as every statement of the sequential path does (READ
    COMMITTED), so the results are the same; a test proves it on PostgreSQL."""
    w = windows(as_of)
    totals: Totals = {}
    pool = ThreadPoolExecutor(max_workers=1) if parallel else None
    side = pool.submit(_side_parts_on_own_connection, w) if pool is not None else None
    try:
        _tune_session()
        _build_facts(w)
        try:
            _account_metrics(w, totals)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT region_id, value_class, stage, churn_risk, COUNT(*) "
                    f"FROM {FACTS} GROUP BY region_id, value_class, stage, churn_risk"
                )
                distribution = [tuple(row) for row in cursor.fetchall()]
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {FACTS}")
        _merge(totals, side.result() if side is not None else _side_parts(w))
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    return Computed(w, totals, distribution)  # type: ignore[arg-type]


# --- from group keys to scopes -------------------------------------------------------------------


def _plus(total: list[Any], vector: Sequence[Any]) -> list[Any]:
    return list(map(operator.add, total, vector))


def _ancestors(paths: dict[int, str]) -> dict[int, list[int]]:
    """Per region, the regions whose subtree holds it: itself and each region whose path its own
    path starts with (where its credited sums roll up to, as in `credit.roll_up`)."""
    return {
        region: [other for other, prefix in paths.items() if path.startswith(prefix)]
        for region, path in paths.items()
    }


def _credited(totals: Totals, share: Decimal) -> dict[int, list[Any]]:
    """Per region, the sum of what is credited to it (`credit.credit`, metric by metric): a
    branch's credited slots go (1 − s) to its own region and s to its root's region, every other
    slot stays whole with its own region. Sums first, then one split per (region, root): the
    arithmetic is exact (Decimal), so the order does not change a digit."""
    pairs: dict[tuple[int, int | None], list[Any]] = {}
    for (region, root, _), vector in totals.items():
        pair = (region, None if root == region else root)
        total = pairs.get(pair)
        pairs[pair] = vector[:] if total is None else _plus(total, vector)
    out: dict[int, list[Any]] = {}
    keep = credit.ONE - share
    for (region, root), vector in pairs.items():
        if root is None:
            own = vector
        else:
            own = [v * keep if j in CREDITED_SLOTS else v for j, v in enumerate(vector)]
            theirs = [v * share if j in CREDITED_SLOTS else 0 for j, v in enumerate(vector)]
            out[root] = theirs if root not in out else _plus(out[root], theirs)
        out[region] = own if region not in out else _plus(out[region], own)
    return out


def _results(vector: Sequence[Any], account_managers: int) -> Iterable[tuple[str, str, m.Result]]:
    for (period, metric), i in SLOT.items():
        total = m.Contribution(Decimal(vector[2 * i]), Decimal(vector[2 * i + 1]))
        yield period, metric, m.evaluate(metric, total, account_managers=account_managers)


def scope_rows(
    totals: Totals,
    paths: dict[int, str],
    managers: dict[int, int],
    share: Decimal,
) -> dict[credit.ScopeKey, m.Result]:
    """Region roll-ups (credited) and account-manager sums from the group-key totals: the same
    as `credit.credit` then `credit.roll_up` per metric, and the sum over each manager's keys."""
    rows: dict[credit.ScopeKey, m.Result] = {}
    am_totals = credit.roll_up_counts(managers, paths)
    zero = [0] * SLOTS
    rolled: dict[int, list[Any]] = dict.fromkeys(paths, zero)
    ancestors = _ancestors(paths)
    for region, vector in _credited(totals, share).items():
        for above in ancestors.get(region, ()):  # a region outside the tree counts nowhere
            rolled[above] = _plus(rolled[above], vector)
    for region, vector in rolled.items():
        for period, metric, result in _results(vector, am_totals.get(region, 0)):
            rows[(period, metric, "region", region)] = result
    by_owner: dict[int, list[Any]] = {}
    for (_, _, owner), vector in totals.items():
        total = by_owner.get(owner)
        by_owner[owner] = vector[:] if total is None else _plus(total, vector)
    for owner, vector in by_owner.items():
        for period, metric, result in _results(vector, 1):
            rows[(period, metric, "user", owner)] = result
    return rows


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(PLACES)


_UPSERT_SET = (
    "DO UPDATE SET numerator = excluded.numerator, denominator = excluded.denominator, "
    "value = excluded.value"
)


def _upsert(as_of: dt.date, rows: dict[credit.ScopeKey, m.Result], scope: str) -> int:
    column = "region_id" if scope == "region" else "user_id"
    other = "user_id" if scope == "region" else "region_id"
    items = [(k, r) for k, r in rows.items() if k[2] == scope]
    if connection.vendor == "postgresql":
        _upsert_copy(as_of, items, column, other)
        return len(items)
    batch = 1000
    with connection.cursor() as cursor:
        for i in range(0, len(items), batch):
            chunk = items[i : i + batch]
            values = ", ".join(["(%s, %s, %s, %s, NULL, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for (period, metric, _, scope_id), result in chunk:
                params += [
                    as_of,
                    period,
                    metric,
                    scope_id,
                    _q(result.numerator),
                    _q(result.denominator),
                    _q(result.value),
                ]
            cursor.execute(
                f"INSERT INTO {SNAPSHOT} (as_of, period, metric, {column}, {other}, numerator, "
                f"denominator, value) VALUES {values} "
                f"ON CONFLICT (as_of, period, metric, {column}) WHERE {column} IS NOT NULL "
                + _UPSERT_SET,
                params,
            )
    return len(items)


def _text(value: Decimal | None) -> str:
    return "\\N" if value is None else str(value.quantize(PLACES))


def _upsert_copy(
    as_of: dt.date, items: list[tuple[credit.ScopeKey, m.Result]], column: str, other: str
) -> None:
    """PostgreSQL: COPY the rows into a scratch table, then one INSERT … SELECT … ON CONFLICT
    that leaves a row alone when its values did not change (a re-run of the night writes
    nothing)."""
    # In (period, metric, scope) order: the new rows of one metric sit together on disk, which is
    # how the league table reads them (every account manager's value of each scheme metric).
    items = sorted(items, key=lambda item: (item[0][0], item[0][1], item[0][3]))
    buffer = io.StringIO()
    buffer.writelines(
        f"{period}\t{metric}\t{scope_id}\t{_text(r.numerator)}\t{_text(r.denominator)}\t"
        f"{_text(r.value)}\n"
        for (period, metric, _, scope_id), r in items
    )
    buffer.seek(0)
    scratch = "kpi_tmp_snapshot_rows"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} (period text, metric text, "
            "scope_id bigint, numerator numeric, denominator numeric, value numeric) "
            "ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"TRUNCATE {scratch}")
        cursor.copy_expert(
            f"COPY {scratch} (period, metric, scope_id, numerator, denominator, value) FROM STDIN",
            buffer,
        )
        cursor.execute(
            f"INSERT INTO {SNAPSHOT} AS s (as_of, period, metric, {column}, {other}, numerator, "
            f"denominator, value) SELECT %s, period, metric, scope_id, NULL, numerator, "
            f"denominator, value FROM {scratch} "
            f"ON CONFLICT (as_of, period, metric, {column}) WHERE {column} IS NOT NULL "
            + _UPSERT_SET
            + " WHERE (s.numerator, s.denominator, s.value) IS DISTINCT FROM "
            "(excluded.numerator, excluded.denominator, excluded.value)",
            [as_of],
        )


def _distributions(
    as_of: dt.date, paths: dict[int, str], counts: list[tuple[int, str, str, str, int]]
) -> int:
    """Account counts per region subtree and bucket of class, stage and churn risk."""
    per_region: dict[str, dict[str, dict[int, int]]] = {
        d: {b: defaultdict(int) for b in buckets} for d, buckets in DISTRIBUTION_BUCKETS.items()
    }
    for region, value_class, stage, risk, n in counts:
        for dimension, bucket in (
            (Dimension.VALUE_CLASS, value_class),
            (Dimension.STAGE, stage),
            (Dimension.CHURN_RISK, risk),
        ):
            per_region[dimension].setdefault(bucket or "", defaultdict(int))[region] += n
    objs = [
        DistributionSnapshot(
            as_of=as_of, region_id=region, dimension=dimension, bucket=bucket, accounts=count
        )
        for dimension, buckets in per_region.items()
        for bucket, by_region in buckets.items()
        for region, count in credit.roll_up_counts(by_region, paths).items()
    ]
    DistributionSnapshot.objects.bulk_create(
        objs,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["as_of", "region", "dimension", "bucket"],
        update_fields=["accounts"],
    )
    return len(objs)


def snapshot(as_of: dt.date) -> int:
    """Compute and upsert every metric row and distribution row of `as_of`; returns the rows."""
    paths = dict(Region.objects.values_list("id", "path"))
    managers = account_managers_by_region()
    # A second connection sees only committed rows: inside a caller's transaction (a test, a
    # backfill in one atomic block) everything runs on this connection.
    parallel = (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and bool(settings.KPI["PARALLEL_PARTS"])
    )
    with transaction.atomic():
        computed = compute(as_of, parallel=parallel)
        rows = scope_rows(computed.totals, paths, managers, coordination_share())
        written = _upsert(as_of, rows, "region") + _upsert(as_of, rows, "user")
        with connection.cursor() as cursor:
            # A portfolio emptied since an earlier run of this night has no row any more (the
            # owners with a row are exactly the owners of accounts: every account has a key).
            owners = sorted({owner for _, _, owner in computed.totals})
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"DELETE FROM {SNAPSHOT} WHERE as_of = %s AND user_id IS NOT NULL "
                    "AND NOT (user_id = ANY(%s))",
                    [as_of, owners],
                )
            else:
                cursor.execute(
                    f"DELETE FROM {SNAPSHOT} WHERE as_of = %s AND user_id IS NOT NULL AND user_id "
                    "NOT IN (SELECT DISTINCT owner_id FROM accounts_account)",
                    [as_of],
                )
        written += _distributions(as_of, paths, computed.distribution)
    return written


def backfill(dates: Sequence[dt.date]) -> int:
    return sum(snapshot(day) for day in sorted(set(dates)))


def backfill_dates(as_of: dt.date, *, months: int = 12, days: int = 30) -> list[dt.date]:
    """The month-ends of the last `months` closed months and every day of the last `days`."""
    this_month = as_of.replace(day=1)
    ends = [m.add_months(this_month, 1 - k) - dt.timedelta(days=1) for k in range(months, 0, -1)]
    recent = [as_of - dt.timedelta(days=k) for k in range(days - 1, -1, -1)]
    return sorted(set(ends) | set(recent))

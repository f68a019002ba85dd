"""The nightly scoring, set-based: the rule of `domain.py` in SQL, on SQLite and PostgreSQL alike.

Phase 1 (`compute_cuts`, one statement): the population is every account whose status is scored
(settings.SEGMENTATION["SCORED_STATUSES"]) with its latest snapshot on or before `as_of`; per
quantitative indicator it yields n (known values) and the four cut values (the c-th smallest,
c = ceil((p − 1)(n − 1) / 5) for p = 2..5). Stored in IndicatorCut so a score explains itself.

Phase 2 (`score_chunk`, two statements per chunk of account ids): points are `CASE v > cut_5 …`,
means are integer-cent arithmetic (half-up, exactly as `domain.mean_points_cents`), the class is
the CASE of `domain.value_class`; results are upserted into ScoreResult keyed (account, as_of) and
into AccountScore (the latest per account). Chunks are independent, so they run in parallel.

Column names below come from the fixed tuples in `domain`, never from input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from . import domain
from .models import IndicatorCut

SNAPSHOT = "segmentation_indicatorsnapshot"
RESULT = "segmentation_scoreresult"
CURRENT = "segmentation_accountscore"
MONTHLY = "segmentation_scoremonthlysummary"
ACCOUNT = "accounts_account"

SCORE_COLUMNS = (
    "step1_score",
    "step2_score",
    "step3_score",
    "segment_score",
    "economic_value_score",
    "social_value_score",
)
POINT_COLUMNS = tuple(f"{name}_points" for name in domain.QUANTITATIVE)


@dataclass(frozen=True)
class ScoringConfig:
    rule: domain.ClassRule
    scored_statuses: tuple[str, ...]
    chunk_size: int
    horizon_days: int


def scoring_config() -> ScoringConfig:
    conf = settings.SEGMENTATION
    return ScoringConfig(
        rule=domain.ClassRule(
            economic_threshold_cents=domain.to_cents(conf["ECONOMIC_THRESHOLD"]),
            social_threshold_cents=domain.to_cents(conf["SOCIAL_THRESHOLD"]),
            social_org_kinds=frozenset(conf["SOCIAL_ORG_KINDS"]),
            economic_size_bands=frozenset(conf["FALLBACK_ECONOMIC_SIZE_BANDS"]),
        ),
        scored_statuses=tuple(conf["SCORED_STATUSES"]),
        chunk_size=int(conf["CHUNK_SIZE"]),
        horizon_days=int(conf["HISTORY_HORIZON_DAYS"]),
    )


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join(["%s"] * len(values)) + ")"


def _tune_session() -> None:
    """Big sorts in memory rather than on disk (PostgreSQL), for this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")


# --- phase 1 ---------------------------------------------------------------------------------


def _latest_sql(columns: Sequence[str], where: str) -> str:
    cols = ", ".join(f"s.{c}" for c in ("id", "account_id", *columns))
    return (
        f"SELECT * FROM (SELECT {cols}, ROW_NUMBER() OVER (PARTITION BY s.account_id "
        f"ORDER BY s.measured_on DESC, s.id DESC) AS rn FROM {SNAPSHOT} s {where}) x "
        f"WHERE x.rn = 1"
    )


def compute_cuts(*, as_of: dt.date, config: ScoringConfig) -> dict[str, domain.Cuts]:
    """Phase 1: n and the cut values of every quantitative indicator, stored for `as_of`."""
    statuses = config.scored_statuses
    latest = _latest_sql(
        domain.QUANTITATIVE,
        f"JOIN {ACCOUNT} a ON a.id = s.account_id "
        f"WHERE s.measured_on <= %s AND a.status IN {_in(statuses)}",
    )
    parts = []
    for name in domain.QUANTITATIVE:
        matches = " OR ".join(f"t.pos = (({p - 1} * (t.n - 1) + 4) / 5)" for p in (2, 3, 4, 5))
        parts.append(
            f"SELECT '{name}' AS indicator, t.v, t.pos, t.n FROM ("
            f"SELECT {name} AS v, ROW_NUMBER() OVER (ORDER BY {name}) AS pos, "
            f"COUNT(*) OVER () AS n FROM latest WHERE {name} IS NOT NULL) t "
            f"WHERE t.pos = 1 OR (t.n > 1 AND ({matches}))"
        )
    sql = f"WITH latest AS MATERIALIZED ({latest}) " + " UNION ALL ".join(parts)
    rows: dict[str, dict[int, float]] = {name: {} for name in domain.QUANTITATIVE}
    counts = dict.fromkeys(domain.QUANTITATIVE, 0)
    _tune_session()
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of, *statuses])
        for name, value, pos, n in cursor.fetchall():
            rows[name][int(pos)] = float(value)
            counts[name] = int(n)
    cuts: dict[str, domain.Cuts] = {}
    for name in domain.QUANTITATIVE:
        positions = domain.cut_positions(counts[name])
        if positions is None:
            cuts[name] = domain.Cuts(n=counts[name])
        else:
            c2, c3, c4, c5 = (rows[name][c] for c in positions)
            cuts[name] = domain.Cuts(counts[name], c2, c3, c4, c5)
    IndicatorCut.objects.bulk_create(
        [
            IndicatorCut(
                as_of=as_of,
                indicator=name,
                known_count=c.n,
                cut_2=c.cut_2,
                cut_3=c.cut_3,
                cut_4=c.cut_4,
                cut_5=c.cut_5,
            )
            for name, c in cuts.items()
        ],
        update_conflicts=True,
        unique_fields=["as_of", "indicator"],
        update_fields=["known_count", "cut_2", "cut_3", "cut_4", "cut_5"],
    )
    return cuts


def stored_cuts(as_of: dt.date) -> dict[str, domain.Cuts]:
    return {c.indicator: c.as_cuts() for c in IndicatorCut.objects.filter(as_of=as_of)}


def chunk_bounds(*, config: ScoringConfig) -> tuple[list[tuple[int, int]], int]:
    """Id ranges of `chunk_size` scored accounts each, and the population size."""
    statuses = config.scored_statuses
    sql = (
        f"SELECT t.id, t.rn, t.n FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn, "
        f"COUNT(*) OVER () AS n FROM {ACCOUNT} WHERE status IN {_in(statuses)}) t "
        f"WHERE (t.rn - 1) %% %s = 0 OR t.rn = t.n ORDER BY t.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*statuses, config.chunk_size])
        rows = cursor.fetchall()
    if not rows:
        return [], 0
    total = int(rows[0][2])
    firsts = [int(r[0]) for r in rows if (int(r[1]) - 1) % config.chunk_size == 0]
    last_id = int(rows[-1][0])
    bounds = [
        (first, (firsts[i + 1] - 1) if i + 1 < len(firsts) else last_id)
        for i, first in enumerate(firsts)
    ]
    return bounds, total


# --- phase 2 ---------------------------------------------------------------------------------


def _points_case(name: str, cuts: domain.Cuts, params: list[Any]) -> str:
    col = f"l.{name}"
    if cuts.n <= 1:
        return f"CASE WHEN {col} IS NULL THEN NULL ELSE 1 END"
    params.extend([cuts.cut_5, cuts.cut_4, cuts.cut_3, cuts.cut_2])
    return (
        f"CASE WHEN {col} IS NULL THEN NULL "
        f"WHEN {col} > CAST(%s AS DOUBLE PRECISION) THEN 5 "
        f"WHEN {col} > CAST(%s AS DOUBLE PRECISION) THEN 4 "
        f"WHEN {col} > CAST(%s AS DOUBLE PRECISION) THEN 3 "
        f"WHEN {col} > CAST(%s AS DOUBLE PRECISION) THEN 2 ELSE 1 END"
    )


def _known(cols: Sequence[str]) -> str:
    return " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in cols)


def _mean_points_cents(cols: Sequence[str]) -> str:
    """domain.mean_points_cents: (200 Σ + k) div 2k over the known integer values."""
    total = " + ".join(f"COALESCE({c}, 0)" for c in cols)
    k = _known(cols)
    return f"CASE WHEN ({k}) = 0 THEN NULL ELSE (200 * ({total}) + ({k})) / (2 * ({k})) END"


def _mean_cents(cols: Sequence[str]) -> str:
    """domain.mean_cents: (2 Σ + k) div 2k over the known cent values."""
    total = " + ".join(f"COALESCE({c}, 0)" for c in cols)
    k = _known(cols)
    return f"CASE WHEN ({k}) = 0 THEN NULL ELSE (2 * ({total}) + ({k})) / (2 * ({k})) END"


def _class_case(rule: domain.ClassRule, params: list[Any]) -> str:
    """domain.value_class in SQL (an unknown score never reaches a threshold)."""
    social_kinds = sorted(rule.social_org_kinds) or ["-"]
    economic_bands = sorted(rule.economic_size_bands) or ["-"]
    params.extend(
        [
            *social_kinds,
            rule.social_threshold_cents,
            rule.economic_threshold_cents,
            domain.SOCIAL,
            rule.economic_threshold_cents,
            domain.ECONOMIC,
            *economic_bands,
            domain.ECONOMIC,
            domain.CLUSTERED_SME,
            domain.CLUSTERED_SME,
        ]
    )
    return (
        f"CASE WHEN t.org_kind IN {_in(social_kinds)} OR (t.social_c >= %s "
        f"AND (t.economic_c IS NULL OR t.economic_c < %s)) THEN %s "
        f"WHEN t.economic_c >= %s THEN %s "
        f"WHEN t.economic_c IS NULL AND t.social_c IS NULL THEN "
        f"CASE WHEN t.size_band IN {_in(economic_bands)} THEN %s ELSE %s END "
        f"ELSE %s END"
    )


def _cents_to_score(col: str) -> str:
    return f"{col} / 100.0"


def score_chunk(
    *,
    as_of: dt.date,
    first_id: int,
    last_id: int,
    cuts: dict[str, domain.Cuts],
    config: ScoringConfig,
) -> int:
    """Phase 2 for the scored accounts with ids in [first_id, last_id]: upsert their ScoreResult
    for `as_of` and their AccountScore. Returns the rows scored. Run it inside a transaction."""
    statuses = config.scored_statuses
    params: list[Any] = []
    latest = _latest_sql(
        (*domain.QUANTITATIVE, *domain.RATED),
        "WHERE s.account_id BETWEEN %s AND %s AND s.measured_on <= %s",
    )
    params += [first_id, last_id, as_of]
    point_cases = ", ".join(
        f"{_points_case(name, cuts[name], params)} AS {name}_points" for name in domain.QUANTITATIVE
    )
    rated = ", ".join(f"l.{name}" for name in domain.RATED)
    params += [first_id, last_id, *statuses]

    def pts(names: Sequence[str]) -> list[str]:
        return [f"p.{n}_points" for n in names]

    def rat(names: Sequence[str]) -> list[str]:
        return [f"p.{n}" for n in names]

    groups = {
        "step1_c": _mean_points_cents(pts(domain.STEP1)),
        "step2_c": _mean_points_cents(pts(domain.STEP2)),
        "step3_c": _mean_points_cents(pts(domain.STEP3)),
        "profit_c": _mean_points_cents(pts(domain.PROFITABILITY)),
        "attitude_c": _mean_points_cents(rat(domain.IT_ATTITUDE)),
        "policy_c": _mean_points_cents(rat(domain.POLICY_INFLUENCE)),
        "resource_c": _mean_points_cents(rat(domain.RESOURCE_INFLUENCE)),
        "demo_c": _mean_points_cents(rat(domain.DEMONSTRATION_INFLUENCE)),
    }
    group_sql = ", ".join(f"{expr} AS {name}" for name, expr in groups.items())
    totals = {
        "segment_c": _mean_cents(["g.step1_c", "g.step2_c", "g.step3_c"]),
        "economic_c": _mean_cents(["g.step1_c", "g.profit_c", "g.attitude_c", "g.step2_c"]),
        "social_c": _mean_cents(["g.policy_c", "g.resource_c", "g.demo_c"]),
    }
    total_sql = ", ".join(f"{expr} AS {name}" for name, expr in totals.items())
    class_params: list[Any] = []
    class_sql = _class_case(config.rule, class_params)

    cents_by_score = zip(
        SCORE_COLUMNS,
        ("step1_c", "step2_c", "step3_c", "segment_c", "economic_c", "social_c"),
        strict=True,
    )
    insert_columns = ["account_id", "as_of", "snapshot_id", *POINT_COLUMNS, *SCORE_COLUMNS]
    select_columns = [
        "t.account_id",
        "%s",
        "t.snapshot_id",
        *(f"t.{c}" for c in POINT_COLUMNS),
        *(_cents_to_score(f"t.{cents}") for _, cents in cents_by_score),
    ]
    updated = [c for c in insert_columns if c not in ("account_id", "as_of")] + ["value_class"]
    # The WITH goes after the INSERT's column list: SQLite's driver reports the row count only
    # for statements that start with INSERT. Each stage is MATERIALIZED: inlined, every mean would
    # re-expand the expressions below it (the class CASE alone names each score several times),
    # which is ~30x slower on PostgreSQL.
    sql = (
        f"INSERT INTO {RESULT} ({', '.join(insert_columns)}, value_class) "
        f"WITH latest AS MATERIALIZED ({latest}), "
        f"p AS MATERIALIZED (SELECT a.id AS account_id, a.org_kind, a.size_band, "
        f"l.id AS snapshot_id, "
        f"{point_cases}, {rated} FROM {ACCOUNT} a LEFT JOIN latest l ON l.account_id = a.id "
        f"WHERE a.id BETWEEN %s AND %s AND a.status IN {_in(statuses)}), "
        f"g AS MATERIALIZED (SELECT p.*, {group_sql} FROM p), "
        f"t AS MATERIALIZED (SELECT g.*, {total_sql} FROM g) "
        f"SELECT {', '.join(select_columns)}, {class_sql} FROM t WHERE 1 = 1 "
        f"ON CONFLICT (account_id, as_of) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in updated)
    )
    # Parameters in the order their placeholders appear in the text.
    ordered = [*params, as_of, *class_params]
    current_cols = ["account_id", "as_of", *SCORE_COLUMNS, "value_class"]
    current_sql = (
        f"INSERT INTO {CURRENT} ({', '.join(current_cols)}) "
        f"SELECT {', '.join(current_cols)} FROM {RESULT} "
        f"WHERE as_of = %s AND account_id BETWEEN %s AND %s "
        f"ON CONFLICT (account_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in current_cols[1:])
        + f" WHERE excluded.as_of >= {CURRENT}.as_of"
    )
    _tune_session()
    with connection.cursor() as cursor:
        cursor.execute(sql, ordered)
        written = cursor.rowcount
        cursor.execute(current_sql, [as_of, first_id, last_id])
    return max(written, 0)


# --- history -----------------------------------------------------------------------------------


def history_summarise(*, as_of: dt.date, horizon_days: int) -> int:
    """Daily results of whole months older than the horizon become one row per account and
    month (averages, the last run's class, the run count); the daily rows are then removed."""
    horizon = as_of - dt.timedelta(days=horizon_days)
    cutoff = horizon.replace(day=1)
    if connection.vendor == "postgresql":
        month = "CAST(date_trunc('month', r.as_of) AS date)"
    else:
        month = "date(r.as_of, 'start of month')"
    averages = ", ".join(f"ROUND(AVG(r.{c}), 2) AS avg_{c}" for c in SCORE_COLUMNS)
    cols = ", ".join(SCORE_COLUMNS)
    sql = (
        f"WITH m AS (SELECT r.account_id, {month} AS month_on, COUNT(*) AS runs, "
        f"MAX(r.as_of) AS last_as_of, {averages} "
        f"FROM {RESULT} r WHERE r.as_of < %s GROUP BY r.account_id, {month}) "
        f"INSERT INTO {MONTHLY} (account_id, month_on, runs, last_as_of, {cols}, "
        f"value_class) SELECT m.account_id, m.month_on, m.runs, m.last_as_of, "
        + ", ".join(f"m.avg_{c}" for c in SCORE_COLUMNS)
        + f", r.value_class FROM m JOIN {RESULT} r ON r.account_id = m.account_id "
        f"AND r.as_of = m.last_as_of WHERE 1 = 1 "
        f"ON CONFLICT (account_id, month_on) DO UPDATE SET "
        f"runs = {MONTHLY}.runs + excluded.runs, last_as_of = excluded.last_as_of, "
        + ", ".join(f"{c} = excluded.{c}" for c in (*SCORE_COLUMNS, "value_class"))
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {RESULT} WHERE as_of < %s LIMIT 1", [cutoff])
        if cursor.fetchone() is None:
            return 0
        cursor.execute(sql, [cutoff])
        summarised = cursor.rowcount
        cursor.execute(f"DELETE FROM {RESULT} WHERE as_of < %s", [cutoff])
    return max(summarised, 0)

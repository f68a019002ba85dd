"""The nightly scoring, set-based: the rule of `domain.py` in SQL, on SQLite and PostgreSQL alike.

Phase 1 (`compute_cuts`, one statement): the population is every account whose status is scored
(settings.SEGMENTATION["SCORED_STATUSES"]) with its latest snapshot on or before `as_of`; per
quantitative indicator it yields n (known values) and the four cut values (the c-th smallest,
c = ceil((p − 1)(n − 1) / 5) for p = 2..5). Stored in IndicatorCut so a score explains itself.

Phase 2 (`score_chunk`, per chunk of account ids): one statement computes the chunk into a
temporary table: points are `CASE v > cut_5 …`, means are integer-cent arithmetic (half-up,
exactly as `domain.mean_points_cents`), the class is the CASE of `domain.value_class`. Two upserts
copy it into ScoreResult keyed (account, as_of) and into AccountScore (the latest per account),
each writing only the rows that differ. Chunks are independent, so they run in parallel.

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
STAGE = "segmentation_chunk_stage"  # a temporary table, one chunk's results
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


def _tune_session(cursor: Any, *, chunk: bool = False) -> None:
    """PostgreSQL, for this transaction only: big sorts in memory rather than on disk; and for a
    chunk, no wait for the WAL flush at commit (`synchronous_commit = off`). That is safe for this
    job: a crash can lose only the last chunks' commits, never corrupt anything, and a run whose
    chunks did not all commit is not marked succeeded and is simply run again (idempotent)."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL work_mem = '256MB'")
        if chunk:
            cursor.execute("SET LOCAL synchronous_commit = off")


# --- phase 1 ---------------------------------------------------------------------------------


def _latest_sql(columns: Sequence[str], where: str) -> str:
    """Each account's latest snapshot (by measured_on, then id) among those `where` selects."""
    cols = ", ".join(f"s.{c}" for c in ("id", "account_id", *columns))
    if connection.vendor == "postgresql":
        # Read in the order of seg_snapshot_latest_idx, keeping each account's first row.
        return (
            f"SELECT DISTINCT ON (s.account_id) {cols} FROM {SNAPSHOT} s {where} "
            f"ORDER BY s.account_id, s.measured_on DESC, s.id DESC"
        )
    return (
        f"SELECT * FROM (SELECT {cols}, ROW_NUMBER() OVER (PARTITION BY s.account_id "
        f"ORDER BY s.measured_on DESC, s.id DESC) AS rn FROM {SNAPSHOT} s {where}) x "
        f"WHERE x.rn = 1"
    )


def _cut_position_sql(p: int, n: str) -> str:
    """c = ceil((p − 1)(n − 1) / 5) in integer arithmetic (domain.cut_positions)."""
    return f"(({p - 1} * ({n} - 1) + 4) / 5)"


def compute_cuts(*, as_of: dt.date, config: ScoringConfig) -> dict[str, domain.Cuts]:
    """Phase 1: n and the cut values of every quantitative indicator, stored for `as_of`."""
    statuses = config.scored_statuses
    join = (
        f"JOIN {ACCOUNT} a ON a.id = s.account_id "
        f"WHERE s.measured_on <= %s AND a.status IN {_in(statuses)}"
    )
    counts = dict.fromkeys(domain.QUANTITATIVE, 0)
    values: dict[str, dict[int, float]] = {name: {} for name in domain.QUANTITATIVE}
    with connection.cursor() as cursor:
        _tune_session(cursor)
        if connection.vendor == "postgresql":
            # One pass over the population: per indicator the known values as a sorted array
            # (a sort of plain doubles, much cheaper than a window over rows), and from it n
            # and the values at the four cut positions.
            cols = ", ".join(f"s.{c}" for c in domain.QUANTITATIVE)
            latest = (
                f"SELECT DISTINCT ON (s.account_id) {cols} FROM {SNAPSHOT} s {join} "
                f"ORDER BY s.account_id, s.measured_on DESC, s.id DESC"
            )
            arrays = ", ".join(
                f"array_agg(l.{c} ORDER BY l.{c}) FILTER (WHERE l.{c} IS NOT NULL) AS {c}"
                for c in domain.QUANTITATIVE
            )
            picks = []
            for c in domain.QUANTITATIVE:
                n = f"COALESCE(cardinality(x.{c}), 0)"
                picks.append(n)
                picks += [f"x.{c}[{_cut_position_sql(p, n)}]" for p in (2, 3, 4, 5)]
            cursor.execute(
                f"SELECT {', '.join(picks)} FROM (SELECT {arrays} FROM ({latest}) l) x",
                [as_of, *statuses],
            )
            row = cursor.fetchone()
            for i, name in enumerate(domain.QUANTITATIVE):
                n, *cut_values = row[5 * i : 5 * i + 5]
                counts[name] = int(n)
                positions = domain.cut_positions(int(n))
                if positions is not None:
                    values[name] = {
                        pos: float(v) for pos, v in zip(positions, cut_values, strict=True)
                    }
        else:
            latest = _latest_sql(domain.QUANTITATIVE, join)
            parts = []
            for name in domain.QUANTITATIVE:
                matches = " OR ".join(
                    f"t.pos = {_cut_position_sql(p, 't.n')}" for p in (2, 3, 4, 5)
                )
                parts.append(
                    f"SELECT '{name}' AS indicator, t.v, t.pos, t.n FROM ("
                    f"SELECT {name} AS v, ROW_NUMBER() OVER (ORDER BY {name}) AS pos, "
                    f"COUNT(*) OVER () AS n FROM latest WHERE {name} IS NOT NULL) t "
                    f"WHERE t.pos = 1 OR (t.n > 1 AND ({matches}))"
                )
            sql = f"WITH latest AS MATERIALIZED ({latest}) " + " UNION ALL ".join(parts)
            cursor.execute(sql, [as_of, *statuses])
            for name, value, pos, n in cursor.fetchall():
                values[name][int(pos)] = float(value)
                counts[name] = int(n)
    cuts: dict[str, domain.Cuts] = {}
    for name in domain.QUANTITATIVE:
        positions = domain.cut_positions(counts[name])
        if positions is None:
            cuts[name] = domain.Cuts(n=counts[name])
        else:
            c2, c3, c4, c5 = (values[name][c] for c in positions)
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
    select_columns = [
        "t.account_id",
        "%s AS as_of",
        "t.snapshot_id",
        *(f"t.{c}" for c in POINT_COLUMNS),
        *(f"{_cents_to_score(f't.{cents}')} AS {score}" for score, cents in cents_by_score),
    ]
    # Stage 1: the chunk's results into a temporary table (no WAL, private to the session).
    # Points, then group means, then totals, then the class: each level computed once per row
    # from the level below. Inlined into one expression, every mean would re-expand the ones below
    # it (the class CASE alone names each score several times), ~30x slower. PostgreSQL streams
    # the levels as subqueries kept apart by OFFSET 0 (a third faster than materialising each
    # level); SQLite materialises them as CTEs.
    points_sql = (
        f"SELECT a.id AS account_id, a.org_kind, a.size_band, l.id AS snapshot_id, "
        f"{point_cases}, {rated} FROM {ACCOUNT} a LEFT JOIN latest l ON l.account_id = a.id "
        f"WHERE a.id BETWEEN %s AND %s AND a.status IN {_in(statuses)}"
    )
    final = f"SELECT {', '.join(select_columns)}, {class_sql} AS value_class"
    if connection.vendor == "postgresql":
        levels = (
            f"{final} FROM (SELECT g.*, {total_sql} FROM (SELECT p.*, {group_sql} FROM "
            f"({points_sql} OFFSET 0) p OFFSET 0) g OFFSET 0) t"
        )
    else:
        levels = (
            f"p AS MATERIALIZED ({points_sql}), "
            f"g AS MATERIALIZED (SELECT p.*, {group_sql} FROM p), "
            f"t AS MATERIALIZED (SELECT g.*, {total_sql} FROM g) {final} FROM t"
        )
    joiner = " " if connection.vendor == "postgresql" else ", "
    stage_sql = (
        f"CREATE TEMPORARY TABLE {STAGE} AS WITH latest AS MATERIALIZED ({latest}){joiner}{levels}"
    )
    # Parameters in the order their placeholders appear in the text.
    final_params = [as_of, *class_params]
    if connection.vendor == "postgresql":  # the final level comes first in the text there
        latest_params, inner_params = params[:3], params[3:]
        stage_params = [*latest_params, *final_params, *inner_params]
    else:
        stage_params = [*params, *final_params]
    # Stage 2: the history row of (account, as_of), written only where it differs, so the same
    # night twice writes nothing. Stage 3: the account's current scores (the newest run wins),
    # written where the run date or a value moved; the run date moves every night, and with the
    # table's fillfactor (migration 0002) that is a HOT update touching no index.
    result_columns = ["account_id", "as_of", "snapshot_id", *POINT_COLUMNS, *SCORE_COLUMNS]
    result_columns.append("value_class")
    result_sql = _upsert_sql(RESULT, result_columns, conflict="account_id, as_of")
    current_columns = ["account_id", "as_of", *SCORE_COLUMNS, "value_class"]
    current_sql = _upsert_sql(CURRENT, current_columns, conflict="account_id", newer_only=True)
    with connection.cursor() as cursor:
        _tune_session(cursor, chunk=True)
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(stage_sql, stage_params)
        cursor.execute(f"SELECT COUNT(*) FROM {STAGE}")
        scored = int(cursor.fetchone()[0])
        cursor.execute(result_sql)
        cursor.execute(current_sql)
        cursor.execute(f"DROP TABLE {STAGE}")
    return scored


def _distinct(left: str, right: str) -> str:
    """Null-safe "differs": IS DISTINCT FROM (PostgreSQL), IS NOT (SQLite)."""
    op = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    return f"{left} {op} {right}"


def _upsert_sql(
    table: str, columns: Sequence[str], *, conflict: str, newer_only: bool = False
) -> str:
    """INSERT the staged rows into `table`; on conflict update only the rows that differ."""
    keys = {c.strip() for c in conflict.split(",")}
    updated = [c for c in columns if c not in keys]
    changed = " OR ".join(_distinct(f"{table}.{c}", f"excluded.{c}") for c in updated)
    where = f"({changed})"
    if newer_only:
        where = f"excluded.as_of >= {table}.as_of AND {where}"
    # `WHERE 1 = 1`: SQLite needs it to parse ON CONFLICT after INSERT … SELECT.
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {STAGE} "
        f"WHERE 1 = 1 ON CONFLICT ({conflict}) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in updated)
        + f" WHERE {where}"
    )


# --- history -----------------------------------------------------------------------------------


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


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
        # The oldest run date, from the (as_of, …) index in one probe.
        cursor.execute(f"SELECT MIN(as_of) FROM {RESULT}")
        oldest = cursor.fetchone()[0]
        if oldest is None or _as_date(oldest) >= cutoff:
            return 0
        cursor.execute(sql, [cutoff])
        summarised = cursor.rowcount
        cursor.execute(f"DELETE FROM {RESULT} WHERE as_of < %s", [cutoff])
    return max(summarised, 0)

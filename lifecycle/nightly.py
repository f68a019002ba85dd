"""The nightly lifecycle step, set-based: the rules of `domain.py` in SQL, on SQLite and PostgreSQL.

Phase 1 (`prepare`): record the run (core.JobRun, job "lifecycle") and split the accounts into
ranges of ids (`chunk_bounds`).

Phase 2 (`run_chunk`, one transaction per range; ranges are independent and run in parallel):
1. one statement reads the range's account months m1..m6 and first revenue month (billing's
   per-account monthly sums, kept exact by database triggers on the bill lines: ~6 narrow rows
   per account instead of every line of the year), joins complaints, key persons and the value
   class, and computes stage, the eight flags and the risk into a temporary table;
2. StageChange rows for accounts whose stage differs from their current one (keyed
   (account, changed_on): a redone chunk adds nothing);
3. AccountLifecycle upserted only where something changed (so a quiet night writes little);
4. ChurnFlag: clear those whose condition no longer holds, raise new ones with their evidence;
5. a RetentionTask per (account, high-risk episode), ON CONFLICT DO NOTHING.

Finish (`finish`): StageMigration of the run's month, notifications (new high-risk tasks to the
owner; overdue tasks to the owner and the regional managers over the account's region), e-mail
of the notifications not yet e-mailed, and the run is closed.

Every statement is keyed, so running the same `as_of` again, or a chunk twice, changes nothing.
Money is compared in integer cents (domain.py), as billing's account months store it. Column and
table names come from this module, values always travel as parameters.
"""

# Set-based SQL assembled from fixed names in this module; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from core.jobs import add_progress
from core.models import JobRun, Notification

from . import domain, notify
from .playbook import PLAYBOOK, play_for

JOB = "lifecycle"
Progress = Callable[[int, int], None]
EMAIL_BATCH = 500


@dataclass(frozen=True)
class LifecycleConfig:
    thresholds: domain.Thresholds
    chunk_size: int
    task_due_days: int
    social_org_kinds: tuple[str, ...]
    economic_size_bands: tuple[str, ...]


def lifecycle_config() -> LifecycleConfig:
    conf = settings.LIFECYCLE
    seg = settings.SEGMENTATION
    return LifecycleConfig(
        thresholds=domain.Thresholds.from_mapping(conf),
        chunk_size=int(conf["CHUNK_SIZE"]),
        task_due_days=int(conf["TASK_DUE_DAYS"]),
        social_org_kinds=tuple(seg["SOCIAL_ORG_KINDS"]),
        economic_size_bands=tuple(seg["FALLBACK_ECONOMIC_SIZE_BANDS"]),
    )


# --- dialect -----------------------------------------------------------------------------------


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _distinct(a: str, b: str) -> str:
    return f"({a} IS DISTINCT FROM {b})" if _pg() else f"({a} IS NOT {b})"


def _json_object(*pairs: tuple[str, str]) -> str:
    args = ", ".join(f"'{key}', {expr}" for key, expr in pairs)
    return f"json_build_object({args})" if _pg() else f"json_object({args})"


def _json_value(expr: str) -> str:
    """A column holding JSON text, embedded as JSON (not as a string) in an object."""
    return f"CAST({expr} AS json)" if _pg() else f"json({expr})"


def _to_jsonb(expr: str) -> str:
    return f"CAST({expr} AS jsonb)" if _pg() else expr


def _bigint() -> str:
    return "bigint" if _pg() else "INTEGER"


def _json_elements(column: str, alias: str) -> str:
    """A set-returning FROM item over the elements of a JSON array (text), as `alias.value`
    (text on PostgreSQL, the JSON value on SQLite: compare like with like)."""
    if _pg():
        return f"jsonb_array_elements_text(CAST({column} AS jsonb)) AS {alias}(value)"
    return f"json_each({column}) AS {alias}"


def _days_between(later: str, earlier: str) -> str:
    if _pg():
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _ordered_json_array(value: str, source: str, key: str) -> str:
    """`SELECT key, <json array of value, ordered> FROM source GROUP BY key` (SQLite aggregates
    in the order of its ordered subquery)."""
    if _pg():
        return f"SELECT {key}, CAST(json_agg({value} ORDER BY {value}) AS text) AS arr FROM {source} GROUP BY {key}"  # noqa: E501
    return (
        f"SELECT {key}, json_group_array({value}) AS arr FROM "
        f"(SELECT * FROM {source} ORDER BY {key}, {value}) GROUP BY {key}"
    )


def _in(name: str, values: tuple[str, ...], params: dict[str, Any]) -> str:
    keys = []
    for i, value in enumerate(values or ("-",)):
        params[f"{name}{i}"] = value
        keys.append(f"%({name}{i})s")
    return "(" + ", ".join(keys) + ")"


def _tune_session() -> None:
    if _pg():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # JIT compiled each chunk's statements afresh: ~2.3 s of a 3 s chunk at 50,000
            # accounts, for statements that run in well under a second without it.
            cursor.execute("SET LOCAL jit = off")


def _drop_temp(cursor: Any) -> None:
    cursor.execute("DROP TABLE IF EXISTS lc_calc")
    cursor.execute("DROP TABLE IF EXISTS lc_flag")


# --- phase 1 -----------------------------------------------------------------------------------


def chunk_bounds(*, chunk_size: int) -> tuple[list[tuple[int, int]], int]:
    """Ranges of `chunk_size` account ids (ids are dense; a gap only makes a chunk lighter)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id), COUNT(*) FROM accounts_account")
        low, high, total = cursor.fetchone()
    if not total:
        return [], 0
    bounds = [
        (first, min(first + chunk_size - 1, int(high)))
        for first in range(int(low), int(high) + 1, chunk_size)
    ]
    return bounds, int(total)


class LaterNightAlreadyRun(Exception):
    """Lifecycle state only moves forward: a night older than the newest completed one would
    clear and raise flags (and open tasks) against a state that is newer than it."""


def latest_night() -> dt.date | None:
    run = (
        JobRun.objects.filter(job=JOB, status=JobRun.Status.SUCCEEDED, as_of__isnull=False)
        .order_by("-as_of")
        .first()
    )
    return run.as_of if run else None


def prepare(*, as_of: dt.date, triggered_by: str = "") -> tuple[int, list[tuple[int, int]]]:
    """Record the run and split the accounts. The same night again is fine (idempotent); an older
    night than the newest completed one is refused."""
    latest = latest_night()
    if latest is not None and as_of < latest:
        raise LaterNightAlreadyRun(
            f"the lifecycle step already ran for {latest.isoformat()}; {as_of.isoformat()} is older"
        )
    config = lifecycle_config()
    bounds, total = chunk_bounds(chunk_size=config.chunk_size)
    run = JobRun.objects.create(job=JOB, as_of=as_of, total=total, triggered_by=triggered_by[:150])
    return run.pk, bounds


# --- phase 2 -----------------------------------------------------------------------------------


def _frac(name: str, share: Fraction, params: dict[str, Any]) -> tuple[str, str]:
    params[f"{name}_n"] = share.numerator
    params[f"{name}_d"] = share.denominator
    return f"%({name}_n)s", f"%({name}_d)s"


def calc_sql(
    *, as_of: dt.date, first_id: int, last_id: int, config: LifecycleConfig
) -> tuple[str, dict[str, Any]]:
    """The SELECT computing, per account of the range: the §5.1 figures, the stage, the eight
    flags (0/1), their count and the risk, plus what the evidence needs."""
    t = config.thresholds
    m = domain.closed_months(as_of)
    day_end = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min))
    params: dict[str, Any] = {
        "first": first_id,
        "last": last_id,
        "as_of": as_of,
        "m0": domain.month_start(as_of),
        **{f"m{i + 1}": month for i, month in enumerate(m)},
        "m_new": domain.add_months(domain.month_start(as_of), -t.new_account_months),
        "day_end": connection.ops.adapt_datetimefield_value(day_end),
        "contract_until": as_of + dt.timedelta(days=t.contract_window_days),
        "kp_since": as_of - dt.timedelta(days=t.key_person_window_days),
        "contact_since": as_of - dt.timedelta(days=t.no_contact_days),
        "open_complaints": t.open_complaints,
        "past_sla": t.complaints_past_sla,
        "high_count": t.high_risk_flag_count,
    }
    gn, gd = _frac("growth", t.growth_ratio, params)
    dn, dd = _frac("decline", t.decline_ratio, params)
    rn, rd = _frac("drop", t.revenue_drop_ratio, params)
    mn, md = _frac("members", t.member_drop_ratio, params)
    social = _in("social", config.social_org_kinds, params)
    bands = _in("band", config.economic_size_bands, params)
    contact = _in("contact", tuple(sorted(t.contact_value_classes)), params)
    roles = _in("role", domain.KEY_PERSON_ROLES, params)
    cancelled = _ordered_json_array("product_code", "lc_cancelled", "account_id")

    def month_value(expr: str, month: str) -> str:
        # One row per (account, month): MAX picks the month's value (NULL when not billed),
        # and stays an integer (a SUM of bigint would be numeric, ~2x slower downstream).
        return f"MAX(CASE WHEN ml.period_on = %({month})s THEN {expr} END)"

    revenues = ", ".join(
        f"{month_value('ml.revenue_cents', f'm{k}')} AS rev{k}" for k in range(1, 7)
    )
    # The product id lists as text (comparable, and MAX-able on both databases).
    ids = "CAST(ml.product_ids AS text)"

    def months_total(*months: int) -> str:
        return " + ".join(f"COALESCE(mm.rev{month}, 0)" for month in months)

    ne = "COALESCE(st.stage, '-') <> 'E'"
    # Each flag's 0/1 column times its bit (domain.FLAG_BITS, FLAG_CODES order).
    flag_columns = ("f_rd", "f_zr", "f_md", "f_pc", "f_ce", "f_cm", "f_kp", "f_nc")
    open_flags = " + ".join(
        f"fl.{column} * {domain.FLAG_BITS[code]}"
        for column, code in zip(flag_columns, domain.FLAG_CODES, strict=True)
    )
    sql = f"""
    WITH mm AS (
        SELECT ml.account_id, {revenues},
               {month_value("ml.products", "m1")} AS prod1,
               {month_value("ml.products", "m4")} AS prod4,
               {month_value("ml.members", "m1")} AS mem1,
               {month_value("ml.members", "m4")} AS mem4,
               {month_value(ids, "m1")} AS pids1, {month_value(ids, "m4")} AS pids4
        FROM billing_accountmonth ml
        WHERE ml.account_id BETWEEN %(first)s AND %(last)s
          AND ml.period_on BETWEEN %(m6)s AND %(m1)s
        GROUP BY ml.account_id
    ),
    s AS (
        SELECT mm.account_id, COALESCE(mm.rev1, 0) AS rev1, COALESCE(mm.rev2, 0) AS rev2,
               COALESCE(mm.rev3, 0) AS rev3, {months_total(1, 2, 3)} AS r3,
               {months_total(4, 5, 6)} AS p3, COALESCE(mm.prod1, 0) AS prod1,
               COALESCE(mm.prod4, 0) AS prod4, COALESCE(mm.mem1, 0) AS mem1,
               COALESCE(mm.mem4, 0) AS mem4, mm.pids1, mm.pids4
        FROM mm
    ),
    lc_cancelled AS (
        SELECT s.account_id, p.product_code
        FROM s CROSS JOIN {_json_elements("s.pids4", "e")}
        JOIN solutions_product p ON p.id = CAST(e.value AS {_bigint()})
        WHERE s.prod4 > 0 AND {_distinct("s.pids1", "s.pids4")}
          AND NOT EXISTS (SELECT 1 FROM {_json_elements("s.pids1", "x")}
                          WHERE x.value = e.value)
    ),
    pc AS ({cancelled}),
    sr AS (
        SELECT r.account_id, COUNT(*) AS open_n,
               SUM(CASE WHEN r.sla_due_at < %(day_end)s THEN 1 ELSE 0 END) AS past_sla
        FROM accounts_servicerequest r
        WHERE r.account_id BETWEEN %(first)s AND %(last)s AND r.kind = 'complaint'
          AND r.opened_at < %(day_end)s
          AND (r.resolved_at IS NULL OR r.resolved_at >= %(day_end)s)
        GROUP BY r.account_id
    ),
    kp AS (
        SELECT k.account_id, COUNT(*) AS n, MAX(k.left_on) AS last_left_on
        FROM accounts_keyperson k
        WHERE k.account_id BETWEEN %(first)s AND %(last)s AND k.role IN {roles}
          AND k.left_on BETWEEN %(kp_since)s AND %(as_of)s
        GROUP BY k.account_id
    ),
    act AS (
        SELECT v.account_id FROM accounts_activity v
        WHERE v.account_id BETWEEN %(first)s AND %(last)s
          AND v.occurred_on BETWEEN %(contact_since)s AND %(as_of)s
        GROUP BY v.account_id
    ),
    base AS (
        SELECT a.id AS account_id, a.status, a.owner_id, a.contract_end,
               fr.period_on AS first_rev, COALESCE(s.rev1, 0) AS rev1, COALESCE(s.rev2, 0) AS rev2,
               COALESCE(s.rev3, 0) AS rev3, COALESCE(s.r3, 0) AS r3, COALESCE(s.p3, 0) AS p3,
               COALESCE(s.prod1, 0) AS prod1, COALESCE(s.prod4, 0) AS prod4,
               COALESCE(s.mem1, 0) AS mem1, COALESCE(s.mem4, 0) AS mem4,
               pc.arr AS cancelled,
               COALESCE(sr.open_n, 0) AS open_n, COALESCE(sr.past_sla, 0) AS past_sla,
               COALESCE(kp.n, 0) AS kp_left, kp.last_left_on,
               CASE WHEN act.account_id IS NULL THEN 0 ELSE 1 END AS contacted,
               COALESCE(co.value_class, cs.value_class,
                        CASE WHEN a.org_kind IN {social} THEN 'social'
                             WHEN a.size_band IN {bands} THEN 'economic'
                             ELSE 'clustered_sme' END) AS value_class
        FROM accounts_account a
        LEFT JOIN s ON s.account_id = a.id
        LEFT JOIN billing_firstrevenue fr ON fr.account_id = a.id AND fr.period_on < %(m0)s
             AND fr.account_id BETWEEN %(first)s AND %(last)s
        LEFT JOIN pc ON pc.account_id = a.id
        LEFT JOIN sr ON sr.account_id = a.id
        LEFT JOIN kp ON kp.account_id = a.id
        LEFT JOIN act ON act.account_id = a.id
        LEFT JOIN segmentation_classoverride co ON co.account_id = a.id
             AND co.account_id BETWEEN %(first)s AND %(last)s
        LEFT JOIN segmentation_accountscore cs ON cs.account_id = a.id
             AND cs.account_id BETWEEN %(first)s AND %(last)s
        WHERE a.id BETWEEN %(first)s AND %(last)s
    ),
    st AS (
        SELECT base.*,
          CASE WHEN base.status = 'churned'
                    OR (base.first_rev IS NOT NULL AND base.rev1 <= 0 AND base.rev2 <= 0
                        AND base.rev3 <= 0) THEN 'E'
               WHEN base.first_rev IS NULL THEN NULL
               WHEN base.first_rev >= %(m_new)s THEN 'A'
               WHEN base.p3 > 0 AND base.r3 * {gd} >= {gn} * base.p3 THEN 'B'
               WHEN base.r3 * {dd} <= {dn} * base.p3 THEN 'D'
               WHEN base.prod1 > base.prod4 THEN 'B'
               WHEN base.prod1 < base.prod4 THEN 'D'
               ELSE 'C' END AS stage
        FROM base
    ),
    fl AS MATERIALIZED (
        SELECT st.*,
          CASE WHEN {ne} AND st.p3 > 0 AND st.r3 * {rd} < {rn} * st.p3 THEN 1 ELSE 0 END AS f_rd,
          CASE WHEN {ne} AND st.rev1 <= 0 AND st.first_rev IS NOT NULL THEN 1 ELSE 0 END AS f_zr,
          CASE WHEN {ne} AND st.mem4 > 0 AND st.mem1 * {md} <= {mn} * st.mem4 THEN 1 ELSE 0 END
              AS f_md,
          CASE WHEN {ne} AND st.cancelled IS NOT NULL THEN 1 ELSE 0 END AS f_pc,
          CASE WHEN {ne} AND st.contract_end BETWEEN %(as_of)s AND %(contract_until)s
               THEN 1 ELSE 0 END AS f_ce,
          CASE WHEN {ne} AND (st.open_n >= %(open_complaints)s OR st.past_sla >= %(past_sla)s)
               THEN 1 ELSE 0 END AS f_cm,
          CASE WHEN {ne} AND st.kp_left > 0 THEN 1 ELSE 0 END AS f_kp,
          CASE WHEN {ne} AND st.value_class IN {contact} AND st.contacted = 0
               THEN 1 ELSE 0 END AS f_nc
        FROM st
    )
    SELECT fl.*,
      fl.f_rd + fl.f_zr + fl.f_md + fl.f_pc + fl.f_ce + fl.f_cm + fl.f_kp + fl.f_nc AS flag_count,
      {open_flags} AS open_flags,
      CASE WHEN fl.f_rd = 1 OR fl.f_zr = 1
                OR fl.f_rd + fl.f_zr + fl.f_md + fl.f_pc + fl.f_ce + fl.f_cm + fl.f_kp + fl.f_nc
                   >= %(high_count)s THEN 'high'
           WHEN fl.f_rd + fl.f_zr + fl.f_md + fl.f_pc + fl.f_ce + fl.f_cm + fl.f_kp + fl.f_nc
                > 0 THEN 'medium'
           ELSE 'low' END AS churn_risk
    FROM fl
    """
    return sql, params


def _flags_sql(as_of: dt.date, params: dict[str, Any]) -> str:
    """One row per raised flag of lc_calc: (account_id, code, evidence as JSON text)."""
    money = "/ 100.0"
    evidence = {
        "revenue_drop": (
            "f_rd",
            _json_object(("r3", f"c.r3 {money}"), ("p3", f"c.p3 {money}")),
        ),
        "zero_revenue": (
            "f_zr",
            _json_object(("m1", f"c.rev1 {money}"), ("first_revenue_on", "c.first_rev")),
        ),
        "member_drop": ("f_md", _json_object(("m1", "c.mem1"), ("m4", "c.mem4"))),
        "product_cancelled": ("f_pc", _json_object(("products", _json_value("c.cancelled")))),
        "contract_expiring": (
            "f_ce",
            _json_object(
                ("contract_end", "c.contract_end"),
                ("days", _days_between("c.contract_end", "%(as_of)s")),
            ),
        ),
        "complaints": ("f_cm", _json_object(("open", "c.open_n"), ("past_sla", "c.past_sla"))),
        "key_person_left": (
            "f_kp",
            _json_object(("left", "c.kp_left"), ("last_left_on", "c.last_left_on")),
        ),
        "no_contact": (
            "f_nc",
            _json_object(
                (
                    "last_contact_on",
                    "(SELECT MAX(v.occurred_on) FROM accounts_activity v "
                    "WHERE v.account_id = c.account_id AND v.occurred_on <= %(as_of)s)",
                )
            ),
        ),
    }
    assert tuple(evidence) == domain.FLAG_CODES
    parts = [
        f"SELECT c.account_id, '{code}' AS code, CAST({expr} AS text) AS evidence "
        f"FROM lc_calc c WHERE c.{column} = 1"
        for code, (column, expr) in evidence.items()
    ]
    return " UNION ALL ".join(parts)


def _play_case(attr: str, params: dict[str, Any]) -> str:
    whens = []
    for stage, play in PLAYBOOK.items():
        params[f"{attr}_{stage}"] = getattr(play, attr)
        whens.append(f"WHEN '{stage}' THEN %({attr}_{stage})s")
    params[f"{attr}_none"] = getattr(play_for(None), attr)
    return f"CASE c.stage {' '.join(whens)} ELSE %({attr}_none)s END"


TASK_HISTORY_COLUMNS = (
    "id, episode_on, stage, flags, question, strategy, due_on, status, outcome, outcome_note, "
    "opened_at, closed_at, overdue_notified_on, account_id, owner_id, closed_by_id"
)


def run_chunk(
    *, as_of: dt.date, first_id: int, last_id: int, config: LifecycleConfig | None = None
) -> int:
    """Phase 2 for the accounts with ids in [first_id, last_id]; returns the accounts assessed.
    Idempotent: a second run of the same chunk and night writes nothing."""
    config = config or lifecycle_config()
    calc, params = calc_sql(as_of=as_of, first_id=first_id, last_id=last_id, config=config)
    params["due_on"] = as_of + dt.timedelta(days=config.task_due_days)
    params["now"] = connection.ops.adapt_datetimefield_value(timezone.now())
    flags_sql = _flags_sql(as_of, params)
    changed = _distinct("l.stage", "c.stage")
    new_since = "CASE WHEN c.churn_risk = 'high' THEN COALESCE(l.high_risk_since, %(as_of)s) END"
    r3, p3 = "c.r3 / 100.0", "c.p3 / 100.0"
    state_differs = " OR ".join(
        [
            "l.account_id IS NULL",
            changed,
            "l.churn_risk <> c.churn_risk",
            "l.flag_count <> c.flag_count",
            "l.open_flags <> c.open_flags",
            _distinct("l.high_risk_since", new_since),
            f"l.revenue_r3 <> {r3}",
            f"l.revenue_p3 <> {p3}",
            "l.products_m1 <> c.prod1",
            "l.products_m4 <> c.prod4",
            _distinct("l.first_revenue_on", "c.first_rev"),
        ]
    )
    not_older = "(l.as_of IS NULL OR l.as_of <= %(as_of)s)"

    def in_range(alias: str) -> str:
        # Spelled out for every table joined to the chunk's temp tables: PostgreSQL does not
        # carry a range through a join, and without it each chunk scanned all 1M rows.
        return f"{alias}.account_id BETWEEN %(first)s AND %(last)s"

    codes = _ordered_json_array("code", "lc_flag", "account_id")
    question = _play_case("question", params)
    strategy = _play_case("strategy", params)
    statements = [
        f"CREATE TEMP TABLE lc_calc AS {calc}",
        f"CREATE TEMP TABLE lc_flag AS {flags_sql}",
        # History first, while AccountLifecycle still holds the previous stage.
        f"""INSERT INTO lifecycle_stagechange (account_id, changed_on, from_stage, to_stage)
        SELECT c.account_id, %(as_of)s, l.stage, c.stage
        FROM lc_calc c LEFT JOIN lifecycle_accountlifecycle l ON l.account_id = c.account_id
             AND {in_range("l")}
        WHERE {changed} AND {not_older}
        ON CONFLICT (account_id, changed_on) DO UPDATE SET to_stage = excluded.to_stage""",
        f"""INSERT INTO lifecycle_accountlifecycle (account_id, as_of, stage, stage_since,
            churn_risk, flag_count, open_flags, high_risk_since, revenue_r3, revenue_p3,
            products_m1, products_m4, first_revenue_on)
        SELECT c.account_id, %(as_of)s, c.stage,
            CASE WHEN c.stage IS NULL THEN NULL
                 WHEN l.account_id IS NULL OR {changed} THEN %(as_of)s
                 ELSE l.stage_since END,
            c.churn_risk, c.flag_count, c.open_flags, {new_since}, {r3}, {p3}, c.prod1, c.prod4,
            c.first_rev
        FROM lc_calc c LEFT JOIN lifecycle_accountlifecycle l ON l.account_id = c.account_id
             AND {in_range("l")}
        WHERE {not_older} AND ({state_differs})
        ON CONFLICT (account_id) DO UPDATE SET as_of = excluded.as_of, stage = excluded.stage,
            stage_since = excluded.stage_since, churn_risk = excluded.churn_risk,
            flag_count = excluded.flag_count, open_flags = excluded.open_flags,
            high_risk_since = excluded.high_risk_since,
            revenue_r3 = excluded.revenue_r3, revenue_p3 = excluded.revenue_p3,
            products_m1 = excluded.products_m1, products_m4 = excluded.products_m4,
            first_revenue_on = excluded.first_revenue_on""",
        # A flag cleared and raised again by re-runs of the same night is simply open again.
        """UPDATE lifecycle_churnflag SET cleared_on = NULL
        WHERE account_id BETWEEN %(first)s AND %(last)s AND raised_on = %(as_of)s
          AND cleared_on = %(as_of)s AND EXISTS (SELECT 1 FROM lc_flag f
              WHERE f.account_id = lifecycle_churnflag.account_id
                AND f.code = lifecycle_churnflag.code)""",
        """UPDATE lifecycle_churnflag SET cleared_on = %(as_of)s
        WHERE account_id BETWEEN %(first)s AND %(last)s AND cleared_on IS NULL
          AND raised_on <= %(as_of)s AND NOT EXISTS (SELECT 1 FROM lc_flag f
              WHERE f.account_id = lifecycle_churnflag.account_id
                AND f.code = lifecycle_churnflag.code)""",
        f"""INSERT INTO lifecycle_churnflag (account_id, code, raised_on, cleared_on, evidence)
        SELECT f.account_id, f.code, %(as_of)s, NULL, {_to_jsonb("f.evidence")}
        FROM lc_flag f
        WHERE NOT EXISTS (SELECT 1 FROM lifecycle_churnflag o WHERE o.account_id = f.account_id
            AND {in_range("o")}
            AND o.code = f.code AND (o.cleared_on IS NULL OR o.raised_on = %(as_of)s))
        ON CONFLICT DO NOTHING""",
        f"""INSERT INTO lifecycle_retentiontask (account_id, episode_on, owner_id, stage, flags,
            question, strategy, due_on, status, outcome, outcome_note, opened_at)
        WITH codes AS ({codes})
        SELECT c.account_id, l.high_risk_since, c.owner_id, c.stage,
            {_to_jsonb("COALESCE(codes.arr, '[]')")}, {question}, {strategy}, %(due_on)s,
            'open', '', '', %(now)s
        FROM lc_calc c
        JOIN lifecycle_accountlifecycle l ON l.account_id = c.account_id AND {in_range("l")}
        LEFT JOIN codes ON codes.account_id = c.account_id
        WHERE c.churn_risk = 'high' AND l.high_risk_since IS NOT NULL
        ON CONFLICT (account_id, episode_on) DO NOTHING""",
        # The audit history's creation record of each task this chunk opened.
        f"""INSERT INTO lifecycle_historicalretentiontask ({TASK_HISTORY_COLUMNS},
            history_date, history_change_reason, history_type, history_user_id)
        SELECT {", ".join(f"t.{c}" for c in TASK_HISTORY_COLUMNS.split(", "))},
            %(now)s, 'nightly lifecycle step', '+', NULL
        FROM lifecycle_retentiontask t
        WHERE t.account_id BETWEEN %(first)s AND %(last)s AND t.opened_at = %(now)s
          AND NOT EXISTS (SELECT 1 FROM lifecycle_historicalretentiontask x WHERE x.id = t.id)""",
    ]
    if _pg():
        # Fresh temp tables have no statistics: without them the anti-joins below (flags still
        # holding?) are planned as nested loops, quadratic in the chunk's open flags.
        statements[2:2] = [
            "CREATE INDEX lc_flag_key ON lc_flag (account_id, code)",
            "ANALYZE lc_calc (account_id, stage, churn_risk)",
            "ANALYZE lc_flag",
        ]
    with transaction.atomic():
        _tune_session()
        with connection.cursor() as cursor:
            _drop_temp(cursor)
            for sql in statements:
                cursor.execute(sql, params)
            cursor.execute("SELECT COUNT(*) FROM lc_calc")
            assessed = int(cursor.fetchone()[0])
            _drop_temp(cursor)
        # The desk order of the chunk's accounts, now that their flags and tasks are written.
        refresh_desk_keys(first_id=first_id, last_id=last_id)
    return assessed


# --- finish ------------------------------------------------------------------------------------


def refresh_stage_migration(*, as_of: dt.date) -> int:
    """Accounts per region moving from their stage at the end of the previous month to their
    stage now, for as_of's month (the previous stage is the `from_stage` of the account's first
    change this month, else its current stage)."""
    month = domain.month_start(as_of)
    params = {"month": month}
    sql = """
    INSERT INTO lifecycle_stagemigration (region_id, month_on, from_stage, to_stage, accounts)
    WITH changes AS (
        SELECT account_id, from_stage,
               ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY changed_on) AS nth
        FROM lifecycle_stagechange WHERE changed_on >= %(month)s
    ),
    moved AS (SELECT account_id, from_stage FROM changes WHERE nth = 1),
    pairs AS (
        SELECT a.region_id,
               CASE WHEN m.account_id IS NULL THEN l.stage ELSE m.from_stage END AS from_stage,
               l.stage AS to_stage
        FROM lifecycle_accountlifecycle l
        JOIN accounts_account a ON a.id = l.account_id
        LEFT JOIN moved m ON m.account_id = l.account_id
    )
    SELECT region_id, %(month)s, from_stage, to_stage, COUNT(*) FROM pairs
    WHERE from_stage IS NOT NULL OR to_stage IS NOT NULL
    GROUP BY region_id, from_stage, to_stage
    """
    with transaction.atomic():
        _tune_session()
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM lifecycle_stagemigration WHERE month_on = %(month)s", params
            )
            cursor.execute(sql, params)
            return max(cursor.rowcount, 0)


def _account_url_prefix() -> str:
    return reverse("accounts:detail", kwargs={"code": "CODE"}).rsplit("CODE", 1)[0]


def create_notifications(*, as_of: dt.date) -> int:
    """High-risk notifications for open tasks not yet due (to the owner) and overdue
    notifications for tasks that became overdue (to the owner and the regional managers over the
    account's region). Keyed: a re-run adds none; bounded: older tasks are not scanned again."""
    params: dict[str, Any] = {
        "as_of": as_of,
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
        "prefix": _account_url_prefix(),
        "high": notify.HIGH_RISK,
        "overdue": notify.TASK_OVERDUE,
    }
    payload = _json_object(
        ("task_id", "t.id"),
        ("account_code", "a.code"),
        ("account_name", "a.name"),
        ("stage", "t.stage"),
        ("flags", "t.flags" if _pg() else "json(t.flags)"),
        ("due_on", "t.due_on"),
        ("episode_on", "t.episode_on"),
    )
    payload = _to_jsonb(payload)
    columns = "recipient_id, kind, key, account_id, params, url, created_at"
    values = f"'task:' || t.id, t.account_id, {payload}, %(prefix)s || a.code || '/', %(now)s"
    high_risk = f"""
    INSERT INTO core_notification ({columns})
    SELECT t.owner_id, %(high)s, {values}
    FROM lifecycle_retentiontask t JOIN accounts_account a ON a.id = t.account_id
    WHERE t.status = 'open' AND t.owner_id IS NOT NULL AND t.due_on >= %(as_of)s
      AND NOT EXISTS (SELECT 1 FROM core_notification n WHERE n.recipient_id = t.owner_id
          AND n.kind = %(high)s AND n.key = 'task:' || t.id)
    ON CONFLICT (recipient_id, kind, key) DO NOTHING"""
    overdue = f"""
    INSERT INTO core_notification ({columns})
    WITH late AS (
        SELECT t.id FROM lifecycle_retentiontask t
        WHERE t.status = 'open' AND t.due_on < %(as_of)s
          AND (t.overdue_notified_on IS NULL OR t.overdue_notified_on = %(as_of)s)
    ),
    managers AS (
        SELECT u.id AS user_id, r.path FROM org_user u JOIN org_region r ON r.id = u.region_id
        WHERE u.role = 'regional_manager' AND u.is_active = %(true)s
    ),
    recipients AS (
        SELECT t.id AS task_id, t.owner_id AS user_id FROM lifecycle_retentiontask t
        JOIN late ON late.id = t.id WHERE t.owner_id IS NOT NULL
        UNION
        SELECT t.id, m.user_id FROM lifecycle_retentiontask t
        JOIN late ON late.id = t.id
        JOIN accounts_account a ON a.id = t.account_id
        JOIN org_region ar ON ar.id = a.region_id
        JOIN managers m ON substr(ar.path, 1, length(m.path)) = m.path
    )
    SELECT rc.user_id, %(overdue)s, {values}
    FROM recipients rc
    JOIN lifecycle_retentiontask t ON t.id = rc.task_id
    JOIN accounts_account a ON a.id = t.account_id
    WHERE 1 = 1
    ON CONFLICT (recipient_id, kind, key) DO NOTHING"""
    params["true"] = True
    mark = """UPDATE lifecycle_retentiontask SET overdue_notified_on = %(as_of)s
    WHERE status = 'open' AND due_on < %(as_of)s AND overdue_notified_on IS NULL"""
    created = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in (high_risk, overdue):
            cursor.execute(sql, params)
            created += max(cursor.rowcount, 0)
        cursor.execute(mark, params)
    return created


def send_emails(*, backend: str | None = None) -> int:
    """E-mail the lifecycle notifications not yet e-mailed to active users with an address, in
    batches; each batch is marked e-mailed once the backend accepted it."""
    pending = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            kind__in=[notify.HIGH_RISK, notify.TASK_OVERDUE],
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .order_by("id")
        .values_list("id", "kind", "params", "recipient__email")
    )
    sent = 0
    mail = get_connection(backend=backend)
    last_id = 0
    with translation.override(settings.LANGUAGE_CODE):
        while True:
            batch = list(pending.filter(id__gt=last_id)[:EMAIL_BATCH])
            if not batch:
                break
            messages = []
            for _id, kind, params, address in batch:
                subject, body = notify.render_email(kind, params)
                messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]))
            mail.send_messages(messages)
            Notification.objects.filter(pk__in=[row[0] for row in batch]).update(
                emailed_at=timezone.now()
            )
            last_id = batch[-1][0]
            sent += len(messages)
    return sent


def _rank_case(column: str, order: tuple[str, ...], params: list[Any]) -> str:
    params.extend(order)
    whens = " ".join(f"WHEN %s THEN {i}" for i in range(len(order)))
    return f"(CASE {column} {whens} ELSE {len(order)} END)"


def refresh_desk_keys(*, first_id: int | None = None, last_id: int | None = None) -> int:
    """Store the retention-desk order (`domain.desk_key`, the same integer) of every account, or
    of the accounts with ids in [first_id, last_id] (each chunk of the night does its own), in
    one UPDATE … FROM, writing only the keys that changed; NULL for an account that is not on the
    desk (no open flag and no open task). The value class is the effective one (override, else
    computed, else the fallback), read by segmentation's own annotation. Returns rows updated."""
    from accounts.models import Account
    from segmentation.selectors import annotate_scores

    from .models import RetentionTask

    accounts = Account.objects.all()
    between = ""
    if first_id is not None and last_id is not None:
        accounts = accounts.filter(pk__range=(first_id, last_id))
        between = f"BETWEEN {int(first_id)} AND {int(last_id)}"

    def in_range(column: str) -> str:
        # Every table of the statement is bounded to the chunk (see run_chunk's in_range).
        return f"AND {column} {between}" if between else ""

    classes = annotate_scores(accounts).values_list(
        "id",
        "value_class",  # type: ignore[misc]  # an annotation the stubs cannot see
    )
    class_sql, class_params = classes.query.sql_with_params()
    drop = (
        f"(CAST(ROUND(l.revenue_p3 * 100) AS {_bigint()})"
        f" - CAST(ROUND(l.revenue_r3 * 100) AS {_bigint()}))"
    )
    limit = domain.DESK_DROP_LIMIT
    # Placeholders in text order: the open status, the risk ranks, the class ranks, the class
    # query's own parameters. The weights and the clamp are integers of ours, written inline.
    params: list[Any] = [RetentionTask.Status.OPEN]
    risk = _rank_case("l.churn_risk", domain.DESK_RISK_ORDER, params)
    klass = _rank_case("c.value_class", domain.DESK_CLASS_ORDER, params)
    params.extend(class_params)
    sql = f"""
        UPDATE lifecycle_accountlifecycle SET desk_key = k.new_key
        FROM (
            SELECT l.account_id AS account_id,
                   CASE WHEN l.flag_count > 0 OR EXISTS (
                            SELECT 1 FROM lifecycle_retentiontask t
                            WHERE t.account_id = l.account_id AND t.status = %s
                              {in_range("t.account_id")})
                        THEN {risk} * {domain.DESK_RISK_WEIGHT}
                             + {klass} * {domain.DESK_CLASS_WEIGHT}
                             + ({limit - 1} - (CASE WHEN {drop} < {-limit} THEN {-limit}
                                                   WHEN {drop} > {limit - 1} THEN {limit - 1}
                                                   ELSE {drop} END))
                   END AS new_key
            FROM lifecycle_accountlifecycle l
            JOIN ({class_sql}) c ON c.id = l.account_id
            WHERE 1 = 1 {in_range("l.account_id")}
        ) k
        WHERE lifecycle_accountlifecycle.account_id = k.account_id
          {in_range("lifecycle_accountlifecycle.account_id")}
          AND {_distinct("lifecycle_accountlifecycle.desk_key", "k.new_key")}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _analyze() -> None:
    """Fresh planner statistics for the tables the night rewrote, so the day's pages (the desk,
    the overdue filter) are planned on today's numbers, not on whatever autovacuum last saw.
    Before the e-mail: planned on stale numbers (a handful of unsent notifications), each batch
    of `send_emails` sorted every unsent row (O(n²) over a night that queues 140k) instead of
    walking the unsent index in id order."""
    if not _pg():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE lifecycle_accountlifecycle, lifecycle_churnflag, lifecycle_retentiontask, "
            "core_notification"
        )


def finish(*, run_id: int, as_of: dt.date, email_backend: str | None = None) -> int:
    """After every chunk: the month's migration summary, notifications, e-mail; close the run."""
    refresh_stage_migration(as_of=as_of)
    notified = create_notifications(as_of=as_of)
    _analyze()
    send_emails(backend=email_backend)
    run = JobRun.objects.get(pk=run_id)
    JobRun.objects.filter(pk=run_id).update(
        status=JobRun.Status.SUCCEEDED, finished_at=timezone.now(), rows=run.total
    )
    return notified


def fail(*, run_id: int, message: str) -> None:
    run = JobRun.objects.filter(pk=run_id).first()
    if run is None:
        return
    JobRun.objects.filter(pk=run_id).update(
        status=JobRun.Status.FAILED,
        finished_at=timezone.now(),
        errors=[*run.errors, message[:2000]],
    )


def chunk(*, run_id: int, as_of: dt.date, first_id: int, last_id: int) -> int:
    rows = run_chunk(as_of=as_of, first_id=first_id, last_id=last_id)
    add_progress(run_id, rows)
    return rows


def lifecycle_run(
    *,
    as_of: dt.date,
    triggered_by: str = "",
    progress: Progress | None = None,
    email_backend: str | None = None,
) -> JobRun:
    """The whole step in this process (run_nightly, tests, the embedded default, the demo)."""
    run_id, bounds = prepare(as_of=as_of, triggered_by=triggered_by)
    if progress:
        progress(0, len(bounds))
    try:
        for first_id, last_id in bounds:
            chunk(run_id=run_id, as_of=as_of, first_id=first_id, last_id=last_id)
            if progress:
                progress(1, len(bounds))
        finish(run_id=run_id, as_of=as_of, email_backend=email_backend)
    except Exception as exc:
        fail(run_id=run_id, message=f"{type(exc).__name__}: {exc}")
        raise
    return JobRun.objects.get(pk=run_id)

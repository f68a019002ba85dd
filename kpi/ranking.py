"""The league table's totals in one SQL statement: the scoring rules of kpi.domain (attainment,
linear / threshold / banded points) as CASE expressions over the snapshots and targets of every
account manager of a subtree, summed per manager. At 1M accounts a province has ~5,000 account
managers (50,000 scored lines): the database scores them in tens of milliseconds where fetching
the lines into Python costs hundreds. kpi/tests/k2/test_k2_ranking.py proves the SQL and
kpi.domain.score agree on random data (ties, zeros, missing values, both directions, all rules).

Portable: plain CASE arithmetic (no GREATEST/LEAST), so it runs on SQLite as on PostgreSQL; the
`* 1.0` keeps SQLite from integer division."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection

from . import domain
from .models import KpiScheme

_ATTAIN = """
CASE WHEN {a} IS NULL OR {t} IS NULL THEN NULL
     WHEN {lower} THEN
        CASE WHEN {a} <= 0 THEN (CASE WHEN {t} > 0 THEN {max} ELSE 1 END)
             WHEN {t} <= 0 THEN 0
             WHEN ({t} * 1.0) / {a} > {max} THEN {max}
             ELSE ({t} * 1.0) / {a} END
     ELSE
        CASE WHEN {t} <= 0 THEN (CASE WHEN {a} >= {t} THEN 1 ELSE 0 END)
             WHEN {a} <= 0 THEN 0
             ELSE ({a} * 1.0) / {t} END
END"""

_POINTS = """
CASE WHEN att_r IS NULL THEN 0
     WHEN rule = 'linear' THEN
        weight * (CASE WHEN att_r > cap_percent / 100.0 THEN cap_percent / 100.0 ELSE att_r END)
     WHEN rule = 'threshold' THEN (CASE WHEN att_r >= 1 THEN weight ELSE 0 END)
     WHEN att_r < {floor} THEN 0
     WHEN att_r < 1 THEN weight * {at_realistic} * (att_r - {floor}) / (1 - {floor})
     WHEN att_s >= 1 THEN weight
     WHEN stretch = realistic THEN weight
     ELSE weight * ({at_realistic} + (1 - {at_realistic}) * (
        CASE WHEN ((actual - realistic) * 1.0) / (stretch - realistic) < 0 THEN 0
             WHEN ((actual - realistic) * 1.0) / (stretch - realistic) > 1 THEN 1
             ELSE ((actual - realistic) * 1.0) / (stretch - realistic) END))
END"""


def _sql(cumulative: list[str], whole_year: bool) -> str:
    lower = "direction = 'lower'"
    attain_r = _ATTAIN.format(a="actual", t="realistic", lower=lower, max=domain.MAX_ATTAINMENT)
    attain_s = _ATTAIN.format(a="actual", t="stretch", lower=lower, max=domain.MAX_ATTAINMENT)
    points = _POINTS.format(floor=domain.BAND_FLOOR, at_realistic=domain.BAND_AT_REALISTIC)
    cumulative_in = ", ".join(["%s"] * len(cumulative))
    period = (
        "'year'"
        if whole_year
        else f"CASE WHEN sm.metric IN ({cumulative_in}) THEN 'year' ELSE 'quarter' END"
    )
    # MATERIALIZED (PostgreSQL 12+, SQLite 3.35+): each step once, joined by hash; inlined, the
    # planner misjudges the snapshot rows (the CASE on period) and loops over indexes 50,000 times.
    return f"""
    WITH managers AS MATERIALIZED (
        SELECT u.id FROM org_user u JOIN org_region r ON r.id = u.region_id
        WHERE u.role = 'account_manager' AND r.path LIKE %s
    ),
    actuals AS MATERIALIZED (
        SELECT s.user_id AS scope_id, sm.metric AS metric, sm.weight AS weight,
               sm.direction AS direction, sm.rule AS rule, sm.cap_percent AS cap_percent,
               s.value AS actual
        FROM kpi_schememetric sm
        JOIN kpi_metricsnapshot s
          ON s.metric = sm.metric AND s.as_of = %s AND s.period = {period}
         AND s.user_id IS NOT NULL
        JOIN managers m ON m.id = s.user_id
        WHERE sm.scheme_id = %s
    ),
    goals AS MATERIALIZED (
        SELECT t.user_id AS scope_id, t.metric AS metric, t.realistic AS realistic,
               t.stretch AS stretch
        FROM kpi_kpitarget t JOIN managers m ON m.id = t.user_id
        WHERE t.scheme_id = %s AND t.quarter = %s
    ),
    lines AS MATERIALIZED (
        SELECT a.scope_id, a.weight, a.direction, a.rule, a.cap_percent, a.actual,
               g.realistic, g.stretch
        FROM actuals a
        LEFT JOIN goals g ON g.scope_id = a.scope_id AND g.metric = a.metric
    ),
    attained AS MATERIALIZED (
        SELECT scope_id, weight, rule, cap_percent, actual, realistic, stretch,
               {attain_r} AS att_r, {attain_s} AS att_s
        FROM lines
    )
    SELECT scope_id, SUM({points}) AS total
    FROM attained
    GROUP BY scope_id
    ORDER BY total DESC, scope_id
    """  # noqa: S608 - fixed fragments; every value is a bound parameter


def manager_totals(
    *, scheme: KpiScheme, period: domain.ScorePeriod, as_of: dt.date, region_path: str
) -> list[tuple[int, Decimal]]:
    """(account manager id, total points) for the managers of the subtree with snapshots on
    `as_of`, best first (ties by id)."""
    cumulative = sorted(domain.CUMULATIVE_METRICS)
    whole_year = period.quarter == domain.YEAR
    params: list[Any] = [f"{region_path}%", as_of]
    if not whole_year:
        params += cumulative
    params += [scheme.pk, scheme.pk, period.quarter]
    with connection.cursor() as cursor:
        cursor.execute(_sql(cumulative, whole_year), params)
        return [
            (int(scope_id), Decimal(str(total)) if total is not None else Decimal(0))
            for scope_id, total in cursor.fetchall()
        ]

"""Benchmark of the nightly KPI snapshot step (DOMAIN.md §8, issue 7): target < 30 s at 1M.

    flock /work/notes/bench.lock uv run python bench/bench_kpi_snapshot.py \
        --database-url postgres://postgres@127.0.0.1:5432/groupcrm_bench_1m

Data: accounts, key persons, activities, complaints and scores come from bench/generate.py. Bill
lines and lifecycle tables (stage history, current state, retention tasks) are used when the
database holds them (the lifecycle benchmark loads them). When it does not, this script writes
its own into a separate schema `k1bench` (tables shaped like the real ones, set-based INSERT …
SELECT, deterministic, idempotent) and puts that schema first on the search path for this
connection only — so it never writes the shared tables another benchmark is about to load.

Measured: the step as the nightly chain runs it (`runs.snapshot_run`: every metric for three
periods per region and account manager, distributions, upserts, the job ledger), a first night
and the same night again (idempotent), plus each statement alone. Appends rows to
bench/results/kpi.md with the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "kpi.md"
AS_OF = dt.date(2026, 7, 1)  # the lifecycle benchmark's night: its history ends there
SHADOW = "k1bench"
LABEL_SUFFIX = [""]


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def _exists(cur, table: str) -> bool:  # type: ignore[no-untyped-def]
    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table} LIMIT 1)")
    return bool(cur.fetchone()[0])


def ensure_data(as_of: dt.date) -> str:
    """'public' when the shared tables hold bill lines and stage history; else fill k1bench."""
    from django.db import connection

    with connection.cursor() as cur:
        if _exists(cur, "public.billing_billline") and _exists(cur, "public.lifecycle_stagechange"):
            return "public"
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {SHADOW}")
        for table in (
            "billing_billline",
            "lifecycle_stagechange",
            "lifecycle_accountlifecycle",
            "lifecycle_retentiontask",
        ):
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {SHADOW}.{table} (LIKE public.{table} INCLUDING ALL)"
            )
        cur.execute("SET search_path TO " + SHADOW + ", public")
        from kpi.metrics import add_months

        months = [add_months(as_of.replace(day=1), -k) for k in range(12, 0, -1)]
        if not _exists(cur, f"{SHADOW}.billing_billline"):
            cur.execute("SELECT array_agg(id ORDER BY id) FROM solutions_product")
            products = cur.fetchone()[0]
            n = len(products)
            for k, month in enumerate(months):
                t = time.monotonic()
                # one line per billed account and month, a second product for a quarter of them;
                # churned accounts stop 3 months before as_of, 3 % of accounts start late
                cur.execute(
                    f"""
                    INSERT INTO {SHADOW}.billing_billline (account_id, period_on, product_id,
                        amount, quantity, member_count, version, batch_id, created_at, updated_at)
                    SELECT a.id, %s, (%s::bigint[])[1 + (a.id * 7 + j) %% {n}],
                        ROUND((100 + (a.id * 31 + {k} * 17) %% 5000)::numeric / (1 + j), 2),
                        1, NULL, 1, 0, now(), now()
                    FROM accounts_account a CROSS JOIN generate_series(0, 1) AS j
                    WHERE a.status <> 'prospect' AND (j = 0 OR a.id %% 4 = 0)
                      AND NOT (a.status = 'churned' AND {k} >= 9)
                      AND NOT (a.id %% 33 = 0 AND {k} < 8)
                    """,
                    [month, products],
                )
                took = time.monotonic() - t
                print(f"  bill lines {month:%Y-%m}: {cur.rowcount:,} ({took:.1f} s)")
        if not _exists(cur, f"{SHADOW}.lifecycle_stagechange"):
            first = months[0]
            # a first stage a year ago; 12 % change once in the last 6 months; 2 % reach E
            cur.execute(
                f"""
                INSERT INTO {SHADOW}.lifecycle_stagechange (account_id, changed_on, from_stage,
                    to_stage)
                SELECT id, %s, NULL, (ARRAY['A','B','C','C','D'])[1 + id %% 5]
                FROM accounts_account WHERE status <> 'prospect'
                UNION ALL
                SELECT id, %s::date - (id %% 180)::int,
                    (ARRAY['A','B','C','C','D'])[1 + id %% 5],
                    CASE WHEN id %% 50 = 0 OR status = 'churned' THEN 'E'
                         ELSE (ARRAY['B','C','D'])[1 + id %% 3] END
                FROM accounts_account
                WHERE status <> 'prospect' AND (id %% 8 = 0 OR id %% 50 = 0 OR status = 'churned')
                """,
                [first, as_of],
            )
            print(f"  stage changes: {cur.rowcount:,}")
            cur.execute(
                f"""
                INSERT INTO {SHADOW}.lifecycle_accountlifecycle (account_id, as_of, stage,
                    stage_since, churn_risk, flag_count, high_risk_since, revenue_r3, revenue_p3,
                    products_m1, products_m4, first_revenue_on)
                SELECT s.account_id, %s, s.to_stage, s.changed_on,
                    (ARRAY['low','low','low','medium','high'])[1 + s.account_id %% 5],
                    0, CASE WHEN s.account_id %% 5 = 4 THEN %s END, 0, 0, 0, 0, NULL
                FROM (SELECT DISTINCT ON (account_id) account_id, changed_on, to_stage
                      FROM {SHADOW}.lifecycle_stagechange ORDER BY account_id, changed_on DESC) s
                """,
                [as_of, as_of],
            )
            print(f"  lifecycle states: {cur.rowcount:,}")
        if not _exists(cur, f"{SHADOW}.lifecycle_retentiontask"):
            cur.execute(
                f"""
                INSERT INTO {SHADOW}.lifecycle_retentiontask (account_id, episode_on, owner_id,
                    stage, flags, question, strategy, due_on, status, outcome, outcome_note,
                    opened_at, closed_at, closed_by_id, overdue_notified_on)
                SELECT a.id, %s::date - (a.id %% 200)::int, a.owner_id, 'D', '[]', 'q', 's',
                    %s::date - (a.id %% 200)::int + 14,
                    CASE WHEN a.id %% 10 < 7 THEN 'closed' ELSE 'open' END,
                    CASE WHEN a.id %% 10 < 7 THEN 'retained' ELSE '' END, '',
                    now(),
                    CASE WHEN a.id %% 10 < 7 THEN (%s::date - (a.id %% 200)::int
                        + (10 + a.id %% 7)::int)::timestamp AT TIME ZONE 'Asia/Shanghai' END,
                    NULL, NULL
                FROM accounts_account a WHERE a.id %% 20 = 0
                """,
                [as_of, as_of, as_of],
            )
            print(f"  retention tasks: {cur.rowcount:,}")
        for table in ("billing_billline", "lifecycle_stagechange", "lifecycle_accountlifecycle",
                      "lifecycle_retentiontask"):  # fmt: skip
            cur.execute(f"ANALYZE {SHADOW}.{table}")
    return SHADOW


def timed(label: str, fn, results: list) -> object:  # type: ignore[no-untyped-def]
    t = time.monotonic()
    value = fn()
    seconds = time.monotonic() - t
    results.append((label + LABEL_SUFFIX[0], seconds))
    print(f"{label:<48} {seconds:7.2f} s", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF)
    parser.add_argument("--label", default="", help="appended to each measurement's name")
    args = parser.parse_args()
    setup_django(args.database_url)
    LABEL_SUFFIX[0] = f" ({args.label})" if args.label else ""

    from django.db import connection, transaction

    from accounts.models import Account
    from kpi import runs, snapshots
    from kpi.models import MetricSnapshot

    source = ensure_data(args.as_of)
    if source == SHADOW:
        with connection.cursor() as cur:
            cur.execute("SET search_path TO " + SHADOW + ", public")
    with connection.cursor() as cur:
        counts = {}
        for table in ("billing_billline", "lifecycle_stagechange", "lifecycle_retentiontask"):
            cur.execute(f"SELECT reltuples::bigint FROM pg_class WHERE oid = '{table}'::regclass")
            counts[table] = cur.fetchone()[0]
    accounts = Account.objects.count()
    print(f"{accounts:,} accounts; data from {source}: {counts}")

    results: list[tuple[str, float]] = []
    w = snapshots.windows(args.as_of)
    for jit in ("on", "off"):
        with transaction.atomic():
            snapshots._tune_session()
            with connection.cursor() as cur:
                cur.execute(f"SET LOCAL jit = {jit}")
            for label, part in (
                ("per-account facts (table)", lambda: snapshots._build_facts(w)),
                ("metric sums per group key", lambda: snapshots._account_metrics(w, {})),
                ("billed revenue", lambda: snapshots._revenue(w, {})),
                ("tasks, complaints, visits", lambda: snapshots._uncredited(w, {})),
            ):
                timed(f"part, jit {jit}: {label}", part, results)
            with connection.cursor() as cur:
                cur.execute(f"DROP TABLE {snapshots.FACTS}")
    MetricSnapshot.objects.filter(as_of=args.as_of).delete()
    run = timed(
        "step, first night (snapshot_run)",
        lambda: runs.snapshot_run(as_of=args.as_of, triggered_by="bench"),
        results,
    )
    timed(
        "step, same night again (idempotent)",
        lambda: runs.snapshot_run(as_of=args.as_of, triggered_by="bench"),
        results,
    )
    rows = run.rows  # type: ignore[attr-defined]
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    new = not RESULTS.exists()
    with RESULTS.open("a") as out:
        if new:
            out.write(
                "# KPI snapshot step (kpi.snapshots) — target: under 30 s at 1M accounts\n\n"
                "Appended by `bench/bench_kpi_snapshot.py`. Rows = metric rows (regions and "
                "account managers × 10 metrics × 3 periods) + distribution rows.\n\n"
                "| date (UTC) | accounts | data | measurement | seconds | rows | load avg "
                "1/5/15 min |\n| --- | --- | --- | --- | --- | --- | --- |\n"
            )
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
        data = (
            f"{source}: {counts['billing_billline']:,} bill lines, "
            f"{counts['lifecycle_stagechange']:,} stage changes"
        )
        for label, seconds in results:
            out.write(
                f"| {stamp} | {accounts:,} | {data} | {label} | {seconds:.2f} | "
                f"{rows if label.startswith('step') else ''} | {load} |\n"
            )
    print(f"rows {rows:,}; load {load}; appended to {RESULTS}")


if __name__ == "__main__":
    main()

"""Benchmark of the nightly lifecycle step (DOMAIN.md §5, issue 6): stages + flags + tasks.

    # PostgreSQL (accounts from bench/generate.py); 12 months of bill lines are added in-database
    flock /work/notes/bench.lock uv run python bench/bench_lifecycle.py \
        --database-url postgres://postgres@127.0.0.1:5432/groupcrm_bench_100k
    flock /work/notes/bench.lock uv run python bench/bench_lifecycle.py \
        --database-url postgres://postgres@127.0.0.1:5432/groupcrm_bench_1m

Data: unless the database already holds bill lines, 12 closed months before AS_OF are written
straight into billing_billline (one INSERT … SELECT per month, period-major like the monthly
feed; one IngestBatch row marks them; the bill-line triggers fill billing's account months in
the same statements), ~12 lines per billed account: 1–3 products each, and
trajectories (stable, growing, declining, falling sharply, leaving, new, churned) that produce
every stage and flag. Deterministic (hashes of the account id), so a reload gives the same lines.

Measured in the same run, on the same data:
* floor: one hand-written SQL statement computing the same stage, flags and risk of every
  account into a scratch table (no history, no upserts, no tasks) from the account months, as
  the job reads them; and, for reference, the same from every bill line (the previous design);
* the job in this process (`nightly.lifecycle_run`: chunks + finish), first night (everything is
  written) and the same night again (nothing changes);
* the job through Celery with 1 and 2 worker processes (a real worker on Redis db 7), from
  enqueue to the run's `finished_at`, each on a night of its own after the in-process ones.
The floor's results are checked against the job's (stage, risk and flag codes of every account).
Appends rows to bench/results/lifecycle.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "lifecycle.md"
REDIS = "redis://127.0.0.1:6379/7"
AS_OF = dt.date(2026, 7, 1)
BATCH_KEY = "bench:lifecycle:12-months"


def setup_django(database_url: str, *, redis: bool) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["LOG_LEVEL"] = "WARNING"
    if redis:
        os.environ["REDIS_URL"] = REDIS
        os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    import django

    django.setup()


# --- data --------------------------------------------------------------------------------------

# Per account, from its id: r1 picks the trajectory, r2 the size and products, r3 the start/stop.
_RANDOMS = """
    SELECT a.id, a.status, a.size_band,
           ('x' || substr(h, 1, 8))::bit(32)::bigint %% 1000 AS r1,
           ('x' || substr(h, 9, 8))::bit(32)::bigint %% 1000 AS r2,
           ('x' || substr(h, 17, 8))::bit(32)::bigint %% 1000 AS r3
    FROM (SELECT id, status, size_band, md5('lc' || id::text) AS h FROM accounts_account) a
"""
# The factor of month k (0 = oldest of 12), by trajectory; 0 means no bill that month.
_PROFILE = """
    CASE WHEN p.status = 'churned' THEN 'churned'
         WHEN p.r1 < 590 THEN 'stable' WHEN p.r1 < 730 THEN 'growth'
         WHEN p.r1 < 840 THEN 'decline' WHEN p.r1 < 880 THEN 'falling'
         WHEN p.r1 < 905 THEN 'leaving' WHEN p.r1 < 925 THEN 'gone' ELSE 'new' END
"""
_FACTOR = """
    CASE q.profile
      WHEN 'stable' THEN 1.0
      WHEN 'growth' THEN 1.0 + 0.05 * k.k
      WHEN 'decline' THEN 1.0 - 0.04 * k.k
      WHEN 'falling' THEN CASE WHEN k.k >= 9 THEN 0.5 ELSE 1.0 END
      WHEN 'leaving' THEN CASE WHEN k.k >= 11 - q.r3 %% 2 THEN 0 ELSE 1.0 END
      WHEN 'gone' THEN CASE WHEN k.k >= 9 THEN 0 ELSE 1.0 END
      WHEN 'new' THEN CASE WHEN k.k < 12 - (1 + q.r3 %% 8) THEN 0 ELSE 0.7 + 0.05 * k.k END
      ELSE CASE WHEN k.k >= 12 - (3 + q.r3 %% 7) THEN 0 ELSE 1.0 END
    END
"""


def load_bill_lines_pg(as_of: dt.date) -> int:
    """12 months of lines for every non-prospect account, unless any bill line exists."""
    from django.db import connection, transaction
    from django.utils import timezone

    from billing.models import IngestBatch
    from lifecycle import domain
    from org.models import User

    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM billing_billline LIMIT 1")
        if cur.fetchone():
            return 0
    client, _ = User.objects.get_or_create(
        username="client:bench-lifecycle", defaults={"role": User.Role.BILLING_CLIENT}
    )
    now = timezone.now()
    months = list(reversed(domain.closed_months(as_of, 12)))  # oldest first: k = 0..11
    total = 0
    with transaction.atomic():
        batch = IngestBatch.objects.create(
            idempotency_key=BATCH_KEY,
            client=client,
            source=IngestBatch.Source.DEMO,
            status=IngestBatch.Status.COMPLETED,
            body_sha256="0" * 64,
            payload=b"",
            completed_at=now,
        )
        with connection.cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE bench_prod AS "
                "SELECT ROW_NUMBER() OVER (ORDER BY id) - 1 AS n, id FROM solutions_product"
            )
            cur.execute("SELECT COUNT(*) FROM bench_prod")
            nprod = cur.fetchone()[0]
            cur.execute(
                f"CREATE TEMP TABLE bench_acc AS SELECT q.*, "
                f"CASE q.size_band WHEN 'large' THEN 40000 WHEN 'medium' THEN 8000 "
                f"WHEN 'small' THEN 1500 ELSE 400 END * (0.5 + q.r2 / 1000.0) AS base, "
                f"CASE WHEN q.r2 %% 20 < 16 THEN 1 WHEN q.r2 %% 20 < 19 THEN 2 ELSE 3 END "
                f"+ CASE WHEN q.profile IN ('decline', 'growth') THEN 1 ELSE 0 END AS nprod "
                f"FROM (SELECT p.*, {_PROFILE} AS profile FROM ({_RANDOMS}) p) q "
                f"WHERE q.status <> 'prospect'".replace("%%", "%")
            )
            for k, month in enumerate(months):
                # Product j of the account (j = 0..nprod-1); growth adds its last product from
                # month 8, decline drops its last from month 9 (m1 vs m4: §5.1 rule 5 and the
                # product_cancelled flag); member lines ride on product 0 and shrink in decline.
                cur.execute(
                    f"""
                    INSERT INTO billing_billline (account_id, period_on, product_id, amount,
                        quantity, member_count, version, batch_id, created_at, updated_at)
                    SELECT q.id, %s, bp.id,
                        ROUND(CAST(q.base * f.factor * (1 + ((q.id * 31 + k.k * 17) %% 7 - 3)
                              / 100.0) / (1 + j.j) AS numeric), 2),
                        1 + (q.id + j.j) %% 20,
                        CASE WHEN j.j = 0 THEN CAST(GREATEST(1, (5 + q.r2 %% 200)
                            * CASE WHEN q.profile = 'decline' AND k.k >= 9 THEN 0.8 ELSE 1 END)
                            AS integer) END,
                        1, %s, %s, %s
                    FROM bench_acc q
                    CROSS JOIN (SELECT {k} AS k) k
                    CROSS JOIN LATERAL (SELECT {_FACTOR} AS factor) f
                    CROSS JOIN LATERAL generate_series(0, q.nprod - 1) AS j(j)
                    JOIN bench_prod bp ON bp.n = (q.r2 + j.j * 7) %% {nprod}
                    WHERE f.factor > 0
                      AND NOT (q.profile = 'growth' AND j.j = q.nprod - 1 AND k.k < 8)
                      AND NOT (q.profile = 'decline' AND j.j = q.nprod - 1 AND k.k >= 9)
                    ORDER BY q.id
                    """,
                    [month, batch.pk, now, now],
                )
                total += cur.rowcount
                print(f"  {month:%Y-%m}: {cur.rowcount:,} lines", flush=True)
            cur.execute("DROP TABLE bench_acc")
            cur.execute("DROP TABLE bench_prod")
        IngestBatch.objects.filter(pk=batch.pk).update(
            record_count=total, inserted_count=total, response_status=201
        )
    with connection.cursor() as cur:
        # The triggers filled billing's account months in the same statements; autovacuum is
        # off on the bench machine, so statistics and visibility maps are set here.
        cur.execute("VACUUM ANALYZE billing_billline, billing_accountmonth, billing_firstrevenue")
    return total


def load_recent_records_pg(as_of: dt.date) -> int:
    """bench/generate.py dates its records around its own as-of (a year before AS_OF): add, once,
    a decision maker who left within the window for 1 % of accounts, and a recent visit for 70 %
    of the others, so key_person_left and no_contact have realistic shares."""
    from django.db import connection, transaction

    marker = "bench-lifecycle"
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM accounts_keyperson WHERE name = %s LIMIT 1", [marker])
        if cur.fetchone():
            return 0
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """INSERT INTO accounts_keyperson (account_id, name, title, department, role,
                influence, relationship, drivers, phone, email, care_notes, left_on,
                created_at, updated_at)
            SELECT a.id, %(marker)s, '', '', 'decision_maker', 4, 3, '[]', '', '', '',
                %(as_of)s - (a.id %% 80)::int, now(), now()
            FROM accounts_account a WHERE a.id %% 100 = 7""",
            {"marker": marker, "as_of": as_of},
        )
        added = cur.rowcount
        cur.execute(
            """INSERT INTO accounts_activity (account_id, kind, subject, occurred_on, outcome,
                next_step, created_by_id, created_at, updated_at)
            SELECT a.id, 'visit', %(marker)s, %(as_of)s - (a.id %% 50)::int, '', '',
                a.owner_id, now(), now()
            FROM accounts_account a WHERE a.id %% 10 < 7""",
            {"marker": marker, "as_of": as_of},
        )
        added += cur.rowcount
    return added


# --- floor ---------------------------------------------------------------------------------------


FLOOR_LINES = """
    mo AS (
        SELECT account_id, period_on, SUM(amount) AS rev,
               COUNT(*) FILTER (WHERE amount > 0) AS prods, SUM(COALESCE(member_count, 0)) AS mem
        FROM billing_billline WHERE period_on < %(m0)s GROUP BY account_id, period_on
    ), s AS (
        SELECT account_id, MIN(period_on) FILTER (WHERE rev > 0) AS first_rev,
          COALESCE(SUM(rev) FILTER (WHERE period_on >= %(m3)s AND rev > 0), 0) AS pos3,
          COALESCE(SUM(rev) FILTER (WHERE period_on = %(m1)s), 0) AS rev1,
          COALESCE(SUM(rev) FILTER (WHERE period_on >= %(m3)s), 0) AS r3,
          COALESCE(SUM(rev) FILTER (WHERE period_on BETWEEN %(m6)s AND %(m4)s), 0) AS p3,
          COALESCE(SUM(prods) FILTER (WHERE period_on = %(m1)s), 0) AS prod1,
          COALESCE(SUM(prods) FILTER (WHERE period_on = %(m4)s), 0) AS prod4,
          COALESCE(SUM(mem) FILTER (WHERE period_on = %(m1)s), 0) AS mem1,
          COALESCE(SUM(mem) FILTER (WHERE period_on = %(m4)s), 0) AS mem4
        FROM mo GROUP BY account_id
    ), canc AS (
        SELECT DISTINCT b4.account_id FROM billing_billline b4
        LEFT JOIN billing_billline b1 ON b1.account_id = b4.account_id
             AND b1.period_on = %(m1)s AND b1.product_id = b4.product_id AND b1.amount > 0
        WHERE b4.period_on = %(m4)s AND b4.amount > 0 AND b1.id IS NULL
    )"""
# The same figures from billing's account months (m6..m1 only) and first revenue months.
FLOOR_MONTHS = """
    sm AS (
        SELECT account_id,
          COALESCE(SUM(revenue_cents) FILTER (WHERE period_on >= %(m3)s AND revenue_cents > 0),
                   0) AS pos3,
          COALESCE(SUM(revenue_cents) FILTER (WHERE period_on = %(m1)s), 0) AS rev1,
          COALESCE(SUM(revenue_cents) FILTER (WHERE period_on >= %(m3)s), 0) AS r3,
          COALESCE(SUM(revenue_cents) FILTER (WHERE period_on <= %(m4)s), 0) AS p3,
          COALESCE(SUM(products) FILTER (WHERE period_on = %(m1)s), 0) AS prod1,
          COALESCE(SUM(products) FILTER (WHERE period_on = %(m4)s), 0) AS prod4,
          COALESCE(SUM(members) FILTER (WHERE period_on = %(m1)s), 0) AS mem1,
          COALESCE(SUM(members) FILTER (WHERE period_on = %(m4)s), 0) AS mem4
        FROM billing_accountmonth WHERE period_on BETWEEN %(m6)s AND %(m1)s GROUP BY account_id
    ), s AS (
        SELECT COALESCE(sm.account_id, fr.account_id) AS account_id, fr.period_on AS first_rev,
          sm.pos3, sm.rev1, sm.r3, sm.p3, sm.prod1, sm.prod4, sm.mem1, sm.mem4
        FROM sm FULL JOIN (SELECT * FROM billing_firstrevenue WHERE period_on < %(m0)s) fr
             ON fr.account_id = sm.account_id
    ), canc AS (
        SELECT m4.account_id FROM billing_accountmonth m4
        LEFT JOIN billing_accountmonth m1 ON m1.account_id = m4.account_id
             AND m1.period_on = %(m1)s
        WHERE m4.period_on = %(m4)s AND m4.products > 0
          AND NOT COALESCE(m1.product_ids, '[]'::jsonb) @> m4.product_ids
    )"""
FLOORS = {"lines": FLOOR_LINES, "months": FLOOR_MONTHS}


def floor_sql(as_of: dt.date, source: str = "months") -> tuple[str, dict]:
    """Stage, flags and risk of every account in one hand-written PostgreSQL statement. Its
    revenue figures come from billing's account months (`source="months"`, what the job reads)
    or, as the old reference, from one aggregate over all bill lines (`"lines"`); then an
    anti-join for cancelled products, plain GROUP BYs for complaints and key persons, EXISTS for
    contact. No evidence, no history."""
    from django.conf import settings
    from django.utils import timezone

    from lifecycle import domain

    t = domain.Thresholds.from_mapping(settings.LIFECYCLE)
    m = domain.closed_months(as_of)
    day_end = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()))
    p = {
        "as_of": as_of, "m0": domain.month_start(as_of), "m1": m[0], "m2": m[1], "m3": m[2],
        "m4": m[3], "m6": m[5], "m_new": domain.add_months(domain.month_start(as_of), -6),
        "day_end": day_end, "until": as_of + dt.timedelta(days=t.contract_window_days),
        "kp_since": as_of - dt.timedelta(days=t.key_person_window_days),
        "contact_since": as_of - dt.timedelta(days=t.no_contact_days),
    }  # fmt: skip
    g, d, r, mm = t.growth_ratio, t.decline_ratio, t.revenue_drop_ratio, t.member_drop_ratio
    sql = f"""
    CREATE UNLOGGED TABLE bench_lc_floor AS
    WITH {FLOORS[source]}, sr AS (
        SELECT account_id, COUNT(*) AS n, COUNT(*) FILTER (WHERE sla_due_at < %(day_end)s) AS late
        FROM accounts_servicerequest WHERE kind = 'complaint' AND opened_at < %(day_end)s
          AND (resolved_at IS NULL OR resolved_at >= %(day_end)s) GROUP BY account_id
    ), kp AS (
        SELECT DISTINCT account_id FROM accounts_keyperson
        WHERE role IN ('decision_maker', 'champion') AND left_on BETWEEN %(kp_since)s AND %(as_of)s
    ), x AS (
        SELECT a.id, s.*, a.contract_end, a.status,
          COALESCE(co.value_class, cs.value_class,
              CASE WHEN a.org_kind IN ('government', 'public_institution', 'non_profit')
                   THEN 'social' WHEN a.size_band = 'large' THEN 'economic'
                   ELSE 'clustered_sme' END) AS vc,
          canc.account_id IS NOT NULL AS canc, sr.n AS sr_n, sr.late AS sr_late,
          kp.account_id IS NOT NULL AS kp
        FROM accounts_account a LEFT JOIN s ON s.account_id = a.id
        LEFT JOIN canc ON canc.account_id = a.id LEFT JOIN sr ON sr.account_id = a.id
        LEFT JOIN kp ON kp.account_id = a.id
        LEFT JOIN segmentation_classoverride co ON co.account_id = a.id
        LEFT JOIN segmentation_accountscore cs ON cs.account_id = a.id
    ), st AS (
        SELECT x.*, CASE
          WHEN status = 'churned' OR (first_rev IS NOT NULL AND pos3 = 0) THEN 'E'
          WHEN first_rev IS NULL THEN NULL WHEN first_rev >= %(m_new)s THEN 'A'
          WHEN p3 > 0 AND r3 * {g.denominator} >= {g.numerator} * p3 THEN 'B'
          WHEN r3 * {d.denominator} <= {d.numerator} * p3 THEN 'D'
          WHEN prod1 > prod4 THEN 'B' WHEN prod1 < prod4 THEN 'D' ELSE 'C' END AS stage
        FROM x
    ), f AS (
        SELECT id, stage, ARRAY_REMOVE(ARRAY[
          CASE WHEN p3 > 0 AND r3 * {r.denominator} < {r.numerator} * p3 THEN 'revenue_drop' END,
          CASE WHEN rev1 <= 0 AND first_rev IS NOT NULL THEN 'zero_revenue' END,
          CASE WHEN mem4 > 0 AND mem1 * {mm.denominator} <= {mm.numerator} * mem4
               THEN 'member_drop' END,
          CASE WHEN canc THEN 'product_cancelled' END,
          CASE WHEN contract_end BETWEEN %(as_of)s AND %(until)s THEN 'contract_expiring' END,
          CASE WHEN sr_n >= {t.open_complaints} OR sr_late >= {t.complaints_past_sla}
               THEN 'complaints' END,
          CASE WHEN kp THEN 'key_person_left' END,
          CASE WHEN vc IN ('economic', 'social') AND NOT EXISTS (SELECT 1 FROM accounts_activity v
               WHERE v.account_id = st.id AND v.occurred_on BETWEEN %(contact_since)s AND %(as_of)s)
               THEN 'no_contact' END], NULL) AS flags
        FROM st
    )
    SELECT id, stage, CASE WHEN stage = 'E' THEN '{{}}'::text[] ELSE flags END AS flags,
      CASE WHEN stage = 'E' THEN 'low'
           WHEN flags && ARRAY['revenue_drop', 'zero_revenue']
                OR cardinality(flags) >= {t.high_risk_flag_count} THEN 'high'
           WHEN cardinality(flags) > 0 THEN 'medium' ELSE 'low' END AS churn_risk
    FROM f
    """
    return sql, p


def run_floor(as_of: dt.date, source: str = "months") -> tuple[float, int]:
    from django.db import connection, transaction

    sql, params = floor_sql(as_of, source)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_lc_floor")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(sql, params)
        rows = cur.rowcount
    return time.perf_counter() - started, rows


def keep_floor(name: str) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {name}")
        cur.execute(f"ALTER TABLE bench_lc_floor RENAME TO {name}")


def floors_differ(other: str) -> int:
    """Accounts where bench_lc_floor and `other` disagree (stage, risk, flags)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"""SELECT COUNT(*) FROM bench_lc_floor a FULL JOIN {other} b ON b.id = a.id
            WHERE a.id IS NULL OR b.id IS NULL OR a.stage IS DISTINCT FROM b.stage
               OR a.churn_risk <> b.churn_risk
               OR (SELECT array_agg(x ORDER BY x) FROM unnest(a.flags) x)
                  IS DISTINCT FROM (SELECT array_agg(x ORDER BY x) FROM unnest(b.flags) x)""")
        return int(cur.fetchone()[0])


def floor_differences() -> int:
    """Accounts where the floor and the job disagree on stage, risk or the open flag codes."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""
            WITH j AS (SELECT l.account_id, l.stage, l.churn_risk,
                   COALESCE((SELECT array_agg(f.code::text ORDER BY f.code)
                     FROM lifecycle_churnflag f
                     WHERE f.account_id = l.account_id AND f.cleared_on IS NULL), '{}'::text[])
                     AS flags
                   FROM lifecycle_accountlifecycle l)
            SELECT COUNT(*) FROM bench_lc_floor b FULL JOIN j ON j.account_id = b.id
            WHERE j.account_id IS NULL OR b.id IS NULL OR b.stage IS DISTINCT FROM j.stage
               OR b.churn_risk <> j.churn_risk
               OR (SELECT array_agg(x ORDER BY x) FROM unnest(b.flags) x)
                  IS DISTINCT FROM NULLIF(j.flags, '{}'::text[])
        """)  # fmt: skip
        return int(cur.fetchone()[0])


# --- the job -----------------------------------------------------------------------------------


def reset_results() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_notification WHERE kind IN ('high_risk', 'task_overdue')")
        for table in (
            "lifecycle_retentionaction",
            "lifecycle_retentiontask",
            "lifecycle_churnflag",
            "lifecycle_stagechange",
            "lifecycle_stagemigration",
            "lifecycle_accountlifecycle",
        ):
            cur.execute(f"TRUNCATE {table} CASCADE")
        cur.execute("DELETE FROM core_jobrun WHERE job = 'lifecycle'")


PHASES: dict[str, float] = {}


def run_inprocess(as_of: dt.date) -> tuple[float, int]:
    """`nightly.lifecycle_run`, with the time of each phase kept in PHASES."""
    from lifecycle import nightly

    names = ("run_chunk", "refresh_stage_migration", "create_notifications", "send_emails")
    original = {name: getattr(nightly, name) for name in names}
    PHASES.clear()

    def timed(name):  # type: ignore[no-untyped-def]
        def call(**kwargs):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return original[name](**kwargs)
            finally:
                PHASES[name] = PHASES.get(name, 0.0) + time.perf_counter() - t0

        return call

    for name in original:
        setattr(nightly, name, timed(name))
    try:
        started = time.perf_counter()
        run = nightly.lifecycle_run(
            as_of=as_of,
            triggered_by="bench",
            email_backend="django.core.mail.backends.dummy.EmailBackend",
        )
        return time.perf_counter() - started, run.rows
    finally:
        for name, fn in original.items():
            setattr(nightly, name, fn)


def phases() -> str:
    return ", ".join(f"{name} {secs:.1f} s" for name, secs in PHASES.items())


def run_celery(as_of: dt.date, workers: int, database_url: str) -> tuple[float, int]:
    from core.models import JobRun
    from lifecycle.tasks import run_nightly

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    log = open(ROOT / "bench" / "results" / f".celery-lc-{workers}.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", str(workers),
         "--pool", "prefork", "-n", f"bench-lc-{workers}@%h", "--without-gossip",
         "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        time.sleep(8)  # worker start-up is not part of the measurement
        started = time.perf_counter()
        since = JobRun.objects.order_by("-id").values_list("id", flat=True).first() or 0
        run_nightly.delay(as_of=as_of.isoformat(), triggered_by=f"bench-{workers}")
        while True:
            time.sleep(0.2)
            run = JobRun.objects.filter(job="lifecycle", id__gt=since).order_by("-id").first()
            if run and run.status != JobRun.Status.RUNNING:
                break
            if time.perf_counter() - started > 900:
                raise RuntimeError("timeout")
        wall = time.perf_counter() - started
        if run.status != JobRun.Status.SUCCEEDED:
            raise RuntimeError(f"run failed: {run.errors}")
        return wall, run.rows
    finally:
        worker.terminate()
        worker.wait(30)
        log.close()


def counts() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(stage, '-'), COUNT(*) FROM lifecycle_accountlifecycle "
                    "GROUP BY 1 ORDER BY 1")  # fmt: skip
        stages = ", ".join(f"{s} {n:,}" for s, n in cur.fetchall())
        cur.execute("SELECT code, COUNT(*) FROM lifecycle_churnflag WHERE cleared_on IS NULL "
                    "GROUP BY 1 ORDER BY 1")  # fmt: skip
        flags = ", ".join(f"{s} {n:,}" for s, n in cur.fetchall())
        cur.execute("SELECT COUNT(*) FROM lifecycle_retentiontask")
        tasks = cur.fetchone()[0]
    return f"stages: {stages}; open flags: {flags}; tasks: {tasks:,}"


def loadavg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def record(db: str, rows: list[tuple[str, float, float | None, str]], note: str) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not RESULTS.exists():
        RESULTS.write_text("# Nightly lifecycle benchmark (issue 6)\n")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a") as fh:
        fh.write(f"\n### {db}, as_of {AS_OF}, {stamp}\n\n{note}\n\n")
        fh.write("| measurement | seconds | vs floor | load average (1/5/15 min) |\n")
        fh.write("| --- | ---: | ---: | --- |\n")
        for what, secs, ratio, load in rows:
            fh.write(
                f"| {what} | {secs:.2f} | {'' if ratio is None else f'{ratio:.2f}'} | {load} |\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeats", choices=["auto", "yes", "no"], default="auto")
    args = parser.parse_args()
    setup_django(args.database_url, redis=True)
    started = time.monotonic()
    loaded = load_bill_lines_pg(AS_OF)
    print(f"bill lines loaded: {loaded:,} in {time.monotonic() - started:.1f} s", flush=True)
    extra = load_recent_records_pg(AS_OF)
    print(f"recent key-person leavers and visits added: {extra:,}", flush=True)
    if args.load_only:
        return
    db = args.database_url.rsplit("/", 1)[-1]
    rows: list[tuple[str, float, float | None, str]] = []
    lines_floor, n = run_floor(AS_OF, "lines")
    print(f"floor over bill lines: {lines_floor:.2f} s ({n:,} accounts)", flush=True)
    keep_floor("bench_lc_floor_lines")
    floor, n = run_floor(AS_OF)
    print(f"floor: {floor:.2f} s ({n:,} accounts)", flush=True)
    rows.append((f"floor: one SQL statement over the account months, {n:,} accounts", floor, 1.0,
                 loadavg()))  # fmt: skip
    rows.append(("floor over every bill line instead (the reference before account months; "
                 f"accounts where the two floors differ: {floors_differ('bench_lc_floor_lines')})",
                 lines_floor, lines_floor / floor, loadavg()))  # fmt: skip
    reset_results()
    secs, n = run_inprocess(AS_OF)
    print(f"job in-process, first night: {secs:.2f} s", flush=True)
    rows.append((f"job in-process (run_nightly --only lifecycle), first night: every row written "
                 f"({phases()})", secs, secs / floor, loadavg()))  # fmt: skip
    note = counts()
    diff = floor_differences()
    print(note, f"differences: {diff}", flush=True)
    repeats = args.repeats == "yes" or (args.repeats == "auto" and n < 500_000)
    if repeats:  # at 1M the shared lock is held long enough without these two
        secs, n = run_inprocess(AS_OF)
        rows.append((f"job in-process, same night again: nothing changes ({phases()})", secs,
                     secs / floor, loadavg()))  # fmt: skip
    secs, n = run_inprocess(AS_OF + dt.timedelta(days=1))
    rows.append((f"job in-process, the next night: day-to-day changes only ({phases()})", secs,
                 secs / floor, loadavg()))  # fmt: skip
    for i, w in enumerate(int(x) for x in args.workers.split(",") if x):
        # Each Celery run is a night of its own (day-to-day changes), like a real next night.
        night = AS_OF + dt.timedelta(days=2 + i)
        secs, n = run_celery(night, w, args.database_url)
        print(f"celery {w}: {secs:.2f} s", flush=True)
        rows.append((f"job via Celery, {w} worker process(es), the night of {night} "
                     "(day-to-day changes only)", secs, secs / floor, loadavg()))  # fmt: skip
    if repeats:
        floor2, _ = run_floor(AS_OF)
        rows.append(("floor again (end of run)", floor2, floor2 / floor, loadavg()))
    record(db, rows, f"{note}. Accounts where floor and job differ (stage, risk, flag codes): "
                     f"**{diff}**.")  # fmt: skip
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()

"""Benchmark of the nightly segmentation step (DOMAIN.md §4, issue 5).

    # PostgreSQL (accounts loaded by bench/generate.py); indicator snapshots are added by COPY
    uv run python bench/bench_segmentation.py --database-url postgres://postgres@127.0.0.1:5432/groupcrm_bench_100k
    uv run python bench/bench_segmentation.py --database-url postgres://postgres@127.0.0.1:5432/groupcrm_bench_1m
    # the embedded SQLite default, 100k accounts generated here
    uv run python bench/bench_segmentation.py --sqlite 100000

Measured in the same run, on the same data:
* floor: ONE hand-written SQL statement computing the same points, step scores, value scores and
  class (RANK() windows over the latest snapshots) and upserting them into ScoreResult;
* the job in this process (`services.scoring_run`: phase 1 + every chunk + finish);
* the job through Celery with 1 and 2 worker processes (a real worker on Redis db 6), from enqueue
  to the run's `finished_at`.
Appends a row per measurement to bench/results/segmentation.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import io
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "segmentation.md"
REDIS = "redis://127.0.0.1:6379/6"
AS_OF = dt.date(2026, 6, 30)
FLOOR_AS_OF = dt.date(2099, 12, 31)  # its own key, outside the history horizon logic


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


def _value(rng: random.Random, kind: str) -> str:
    if rng.random() < 0.1:
        return "\\N"
    if kind == "growth":
        return f"{rng.gauss(0.05, 0.15):.3f}"  # 3 decimals: many ties
    if kind == "count":
        return str(int(rng.lognormvariate(4, 1.2)))
    return f"{rng.lognormvariate(8, 1.5):.1f}"


def load_snapshots_pg(seed: int = 5) -> int:
    """One snapshot per account (5 % without), by COPY, unless already there."""
    from django.db import connection

    from segmentation import domain

    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM segmentation_indicatorsnapshot")
        if cur.fetchone()[0]:
            return 0
        cur.execute("SELECT id FROM accounts_account ORDER BY id")
        ids = [r[0] for r in cur.fetchall()]
    rng = random.Random(seed)
    kinds = {
        n: (
            "growth"
            if "growth" in n or n == "profit_margin"
            else "count"
            if n.endswith(("_count", "headcount", "it_staff"))
            else "amount"
        )
        for n in domain.QUANTITATIVE
    }
    columns = [
        "account_id",
        "measured_on",
        "source",
        "note",
        "created_at",
        *domain.QUANTITATIVE,
        *domain.RATED,
    ]
    measured = (AS_OF - dt.timedelta(days=10)).isoformat()
    raw = connection.connection  # psycopg2
    with raw.cursor() as cur:
        for start in range(0, len(ids), 100_000):
            buf = io.StringIO()
            for account_id in ids[start : start + 100_000]:
                if rng.random() < 0.05:
                    continue
                q = [_value(rng, kinds[n]) for n in domain.QUANTITATIVE]
                r = ["\\N" if rng.random() < 0.1 else str(rng.randint(1, 5)) for _ in domain.RATED]
                buf.write(
                    "\t".join(
                        [str(account_id), measured, "survey", "", "2026-06-20 00:00:00+08", *q, *r]
                    )
                    + "\n"
                )
            buf.seek(0)
            cur.copy_expert(
                f"COPY segmentation_indicatorsnapshot ({', '.join(columns)}) FROM STDIN", buf
            )
    raw.commit()
    with connection.cursor() as cur:
        cur.execute("ANALYZE segmentation_indicatorsnapshot")
        cur.execute("SELECT COUNT(*) FROM segmentation_indicatorsnapshot")
        return cur.fetchone()[0]


def load_sqlite(accounts: int, seed: int = 5) -> None:
    from django.core.management import call_command
    from django.db import connection

    from accounts.tests.factories import RegionFactory, UserFactory
    from segmentation import domain

    call_command("migrate", verbosity=0)
    region = RegionFactory(code="BENCH", name="bench")
    owner = UserFactory(username="bench_owner", region=region)
    rng = random.Random(seed)
    now = "2026-06-20 00:00:00"
    with connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO accounts_account (code, name, credit_code, org_kind, industry, size_band,"
            " region_id, owner_id, status, version, created_at, updated_at) VALUES"
            " (%s, 'x', '', %s, 'other', %s, %s, %s, %s, 1, %s, %s)",
            [
                (
                    f"B{i:08d}",
                    rng.choice(["enterprise"] * 8 + ["government"]),
                    rng.choice(["large", "medium", "small", "micro"]),
                    region.pk,
                    owner.pk,
                    rng.choice(["active"] * 8 + ["prospect", "churned"]),
                    now,
                    now,
                )
                for i in range(accounts)
            ],
        )
        cur.execute("SELECT id FROM accounts_account ORDER BY id")
        ids = [r[0] for r in cur.fetchall()]
        kinds = ["growth" if "growth" in n else "amount" for n in domain.QUANTITATIVE]
        cols = ", ".join(
            [
                "account_id",
                "measured_on",
                "source",
                "note",
                "created_at",
                *domain.QUANTITATIVE,
                *domain.RATED,
            ]
        )
        marks = ", ".join(["%s"] * (5 + len(domain.QUANTITATIVE) + len(domain.RATED)))

        def val(kind: str) -> float | None:
            v = _value(rng, kind)
            return None if v == "\\N" else float(v)

        cur.executemany(
            f"INSERT INTO segmentation_indicatorsnapshot ({cols}) VALUES ({marks})",
            [
                (
                    i,
                    AS_OF.isoformat(),
                    "survey",
                    "",
                    now,
                    *(val(k) for k in kinds),
                    *(None if rng.random() < 0.1 else rng.randint(1, 5) for _ in domain.RATED),
                )
                for i in ids
                if rng.random() >= 0.05
            ],
        )
        cur.execute("ANALYZE")


# --- the floor: one statement ------------------------------------------------------------------


def floor_sql() -> str:
    from segmentation import domain, scoring

    def pts(name: str) -> str:
        n = f"COUNT({name}) OVER ()"
        return (
            f"CASE WHEN {name} IS NULL THEN NULL WHEN {n} = 1 THEN 1 ELSE LEAST(5, 1 + "
            f"(5 * (RANK() OVER (PARTITION BY {name} IS NULL ORDER BY {name}) - 1)) / ({n} - 1)) "
            f"END AS {name}_points"
        )

    def mp(cols: list[str]) -> str:
        return scoring._mean_points_cents(cols)

    def mc(cols: list[str]) -> str:
        return scoring._mean_cents(cols)

    rule = scoring.scoring_config().rule
    params: list = []
    cls = scoring._class_case(rule, params)
    for i, p in enumerate(params):  # inline the class rule's constants
        lit = f"'{p}'" if isinstance(p, str) else str(p)
        cls = cls.replace("%s", lit, 1)
        del i
    q = domain.QUANTITATIVE
    updated = [*(f"{n}_points" for n in q), *scoring.SCORE_COLUMNS, "value_class"]
    p = lambda names: [f"p.{n}_points" for n in names]  # noqa: E731
    r = lambda names: [f"p.{n}" for n in names]  # noqa: E731
    return f"""
INSERT INTO segmentation_scoreresult (account_id, as_of, snapshot_id,
  {", ".join(f"{n}_points" for n in q)}, {", ".join(scoring.SCORE_COLUMNS)}, value_class)
WITH latest AS MATERIALIZED (
  SELECT DISTINCT ON (s.account_id) s.*, a.org_kind, a.size_band
  FROM segmentation_indicatorsnapshot s JOIN accounts_account a ON a.id = s.account_id
  WHERE a.status IN ('prospect', 'active') AND s.measured_on <= %(snapshots_until)s
  ORDER BY s.account_id, s.measured_on DESC, s.id DESC
), p AS MATERIALIZED (
  SELECT a.id AS account_id, a.org_kind, a.size_band, l.id AS snapshot_id,
    {", ".join(f"l.{n}_points" for n in q)}, {", ".join(f"l.{n}" for n in domain.RATED)}
  FROM accounts_account a LEFT JOIN (SELECT id, account_id, {", ".join(pts(n) for n in q)},
    {", ".join(domain.RATED)} FROM latest) l ON l.account_id = a.id
  WHERE a.status IN ('prospect', 'active')
), g AS MATERIALIZED (
  SELECT p.*, {mp(p(domain.STEP1))} AS step1_c, {mp(p(domain.STEP2))} AS step2_c,
    {mp(p(domain.STEP3))} AS step3_c, {mp(p(domain.PROFITABILITY))} AS profit_c,
    {mp(r(domain.IT_ATTITUDE))} AS attitude_c, {mp(r(domain.POLICY_INFLUENCE))} AS policy_c,
    {mp(r(domain.RESOURCE_INFLUENCE))} AS resource_c,
    {mp(r(domain.DEMONSTRATION_INFLUENCE))} AS demo_c FROM p
), t AS MATERIALIZED (
  SELECT g.*, {mc(["g.step1_c", "g.step2_c", "g.step3_c"])} AS segment_c,
    {mc(["g.step1_c", "g.profit_c", "g.attitude_c", "g.step2_c"])} AS economic_c,
    {mc(["g.policy_c", "g.resource_c", "g.demo_c"])} AS social_c FROM g
)
SELECT t.account_id, %(as_of)s, t.snapshot_id, {", ".join(f"t.{n}_points" for n in q)},
  t.step1_c / 100.0, t.step2_c / 100.0, t.step3_c / 100.0, t.segment_c / 100.0,
  t.economic_c / 100.0, t.social_c / 100.0, {cls}
FROM t
ON CONFLICT (account_id, as_of) DO UPDATE SET
  {", ".join(f"{c} = excluded.{c}" for c in updated)}
"""


def run_floor() -> tuple[float, int]:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")
        started = time.perf_counter()
        cur.execute(floor_sql(), {"as_of": FLOOR_AS_OF, "snapshots_until": AS_OF})
        rows = cur.rowcount
    return time.perf_counter() - started, rows


def check_floor_matches(as_of: dt.date) -> int:
    """The floor computes the same thing: compare it with the job's results, row by row."""
    from django.db import connection

    cols = "value_class, segment_score, economic_value_score, social_value_score, revenue_points"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT COUNT(*) FROM (SELECT account_id, {cols} FROM segmentation_scoreresult "
            f"WHERE as_of = %s EXCEPT SELECT account_id, {cols} FROM segmentation_scoreresult "
            f"WHERE as_of = %s) d",
            [FLOOR_AS_OF, as_of],
        )
        return cur.fetchone()[0]


# --- the job -----------------------------------------------------------------------------------


def run_inprocess(as_of: dt.date) -> tuple[float, int]:
    from segmentation import services

    started = time.perf_counter()
    run = services.scoring_run(as_of=as_of, triggered_by="bench")
    return time.perf_counter() - started, run.rows


def run_celery(as_of: dt.date, workers: int, database_url: str) -> tuple[float, int]:
    from core.models import JobRun
    from segmentation.tasks import run_scoring

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
    }
    log = open(ROOT / "bench" / "results" / f".celery-{workers}.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-c",
            str(workers),
            "--pool",
            "prefork",
            "-n",
            f"bench-seg-{workers}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(8)  # worker start-up is not part of the measurement
        JobRun.objects.filter(job="segmentation", as_of=as_of).delete()
        started = time.perf_counter()
        run_scoring.delay(as_of=as_of.isoformat(), triggered_by=f"bench-{workers}")
        while True:
            time.sleep(0.2)
            run = JobRun.objects.filter(job="segmentation", as_of=as_of).order_by("-id").first()
            if run and run.status != JobRun.Status.RUNNING:
                break
            if time.perf_counter() - started > 900:
                raise RuntimeError("timeout")
        wall = time.perf_counter() - started  # enqueue → finished, polled every 0.2 s
        if run.status != JobRun.Status.SUCCEEDED:
            raise RuntimeError(f"run failed: {run.errors}")
        return wall, run.rows
    finally:
        worker.terminate()
        worker.wait(30)
        log.close()


def run_profile(as_of: dt.date, *, explain: bool) -> None:
    """The job in-process with every statement timed and grouped by kind; with `explain`, the first
    statement of each heavy kind is also run once under EXPLAIN (ANALYZE, BUFFERS) in a savepoint
    that is rolled back (printed, not counted in the timings)."""
    from collections import defaultdict

    from django.db import connection

    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    explained: set[str] = set()

    def kind(sql: str) -> str:
        head = " ".join(sql.split())[:60]
        for table in ("scoreresult", "accountscore", "indicatorcut", "scoringchunk", "jobrun"):
            if head.startswith(f"INSERT INTO segmentation_{table}") or (
                head.startswith("INSERT INTO") and table in head
            ):
                return f"insert {table}"
        return head[:40]

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        k = kind(sql)
        heavy = len(sql) > 400
        if explain and heavy and k not in explained and not many:
            explained.add(k)
            with connection.connection.cursor() as cur:
                cur.execute("SAVEPOINT prof")
                cur.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + sql, params)
                plan = "\n".join(r[0] for r in cur.fetchall())
                cur.execute("ROLLBACK TO SAVEPOINT prof")
            print(f"--- {k}\n{plan}\n")
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            totals[k][0] += time.perf_counter() - started
            totals[k][1] += 1

    from segmentation import services

    started = time.perf_counter()
    with connection.execute_wrapper(wrapper):
        run = services.scoring_run(as_of=as_of, triggered_by="bench-profile")
    wall = time.perf_counter() - started
    print(f"profile: {wall:.2f} s wall, {run.rows:,} rows")
    for k, (secs, n) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
        print(f"{secs:8.2f} s {n:5d}x  {k}")


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def record(db: str, rows: list[tuple[str, str, float, float | None, str]], note: str = "") -> None:
    """A table per benchmark run: accounts, what, seconds, × floor, load average (1/5/15 min)
    when the measurement ended."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a") as fh:
        fh.write(f"\n### {db}, {stamp}{note}\n\n")
        fh.write("| accounts scored | measurement | seconds | vs floor | load average |\n")
        fh.write("| ---: | --- | ---: | ---: | --- |\n")
        for n, what, secs, floor, avg in rows:
            ratio = f"{secs / floor:.2f}" if floor and n else ""
            seconds = f"{secs:.2f}" if n else ""
            fh.write(f"| {n} | {what} | {seconds} | {ratio} | {avg} |\n")


def next_night() -> dt.date:
    """A night after every run this database has seen: a new night writes a new history row per
    account (the nightly case); running it again is the same-night re-run."""
    from django.db.models import Max

    from core.models import JobRun

    latest = JobRun.objects.filter(job="segmentation").aggregate(d=Max("as_of"))["d"]
    return max(AS_OF, (latest or AS_OF)) + dt.timedelta(days=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--sqlite", type=int, help="accounts to generate in a fresh SQLite file")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor statement")
    parser.add_argument("--note", default="", help="appended to the results heading")
    parser.add_argument(
        "--profile",
        choices=["time", "explain"],
        help="only run the job in-process with per-statement timings (and EXPLAIN ANALYZE)",
    )
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF)
    args = parser.parse_args()
    note = f" — {args.note}" if args.note else ""
    if args.sqlite:
        path = ROOT / "bench" / "results" / ".bench_segmentation.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        setup_django(f"sqlite:///{path}", redis=False)
        load_sqlite(args.sqlite)
        if args.profile:
            run_profile(args.as_of, explain=False)
            run_profile(args.as_of, explain=False)  # the same night again
            return
        secs, n = run_inprocess(AS_OF)
        avg1 = load()
        secs2, _n = run_inprocess(AS_OF)
        avg2 = load()
        night = AS_OF + dt.timedelta(days=1)
        secs3, _n = run_inprocess(night)
        avg3 = load()
        print(
            f"sqlite {args.sqlite}: {secs:.2f} s first run, {secs2:.2f} s re-run, "
            f"{secs3:.2f} s next night, {n} rows"
        )
        record(
            f"SQLite {args.sqlite:,} accounts (file, WAL)",
            [
                (f"{n:,}", "job in-process, first night", secs, None, avg1),
                (f"{n:,}", "job in-process, same night again", secs2, None, avg2),
                (f"{n:,}", "job in-process, next night", secs3, None, avg3),
            ],
            note,
        )
        return
    url = args.database_url
    setup_django(url, redis=True)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    loaded = load_snapshots_pg()
    if loaded:
        print(f"loaded {loaded:,} snapshots")
    if args.profile:
        run_profile(args.as_of, explain=args.profile == "explain")
        return
    db = url.rsplit("/", 1)[-1]
    out: list[tuple[str, str, float, float | None, str]] = []
    nights = []

    def job(what: str, fn) -> int:  # type: ignore[no-untyped-def]
        secs, n = fn()
        print(f"{what}: {secs:.2f} s ({n:,} rows), load {load()}", flush=True)
        out.append((f"{n:,}", what, secs, None, load()))
        return n

    night = next_night()
    nights.append(night)
    first_night = night
    job("job in-process, new night", lambda: run_inprocess(night))
    job("job in-process, same night again", lambda: run_inprocess(night))
    for w in [int(x) for x in args.workers.split(",") if x]:
        night = next_night()
        nights.append(night)
        celery = functools.partial(run_celery, night, w, url)
        job(f"job via Celery, {w} worker process(es), new night", celery)
        job(f"job via Celery, {w} worker process(es), same night again", celery)
    if not args.no_floor:  # last, so the job's numbers are in the log even if this is cut short
        floor, floor_rows = run_floor()
        print(f"floor: {floor:.2f} s ({floor_rows:,} rows)", flush=True)
        out = [(n, what, secs, floor, avg) for n, what, secs, _f, avg in out]
        out.insert(
            0,
            (
                f"{floor_rows:,}",
                "floor: one SQL statement (RANK windows + upsert)",
                floor,
                floor,
                load(),
            ),
        )
        mismatches = check_floor_matches(first_night)
        print(f"floor vs job mismatching rows: {mismatches}", flush=True)
        out.append(("", f"rows where floor and job differ: {mismatches}", 0.0, None, ""))
    with connection.cursor() as cur:
        # Leave the database as found: the floor's rows and the nights added here.
        cur.execute(
            "DELETE FROM segmentation_scoreresult WHERE as_of = %s OR as_of = ANY(%s)",
            [FLOOR_AS_OF, nights],
        )
    record(db, out, note)


if __name__ == "__main__":
    main()

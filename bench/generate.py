"""Load a dedicated PostgreSQL database with N generated accounts, by COPY.

    uv run python bench/generate.py --accounts 100000
    uv run python bench/generate.py --accounts 1000000 \
        --database-url postgres://postgres@127.0.0.1:5432/groupcrm_bench_1m

Steps: drop and create the database, `manage.py migrate` it, drop the secondary indexes and the
foreign keys of the tables about to be filled, COPY the rows of `core.demo.generator` in chunks,
recreate exactly the dropped indexes and constraints (from their own `pg_get_*def` text), ANALYZE,
and check that the schema is the migrated one again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TABLE_PREFIXES = ("accounts_", "org_accountteammember", "org_historicalaccountteammember")


def default_url(accounts: int) -> str:
    label = f"{accounts // 1_000_000}m" if accounts % 1_000_000 == 0 else f"{accounts // 1000}k"
    return f"postgres://postgres@127.0.0.1:5432/groupcrm_bench_{label}"


def recreate_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("groupcrm_bench"):
        raise SystemExit(f"refusing to drop {name!r}: bench databases are named groupcrm_bench_*")
    admin = urlunsplit(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )


SCHEMA_SQL = """
SELECT 'index', c.relname, i.relname, pg_get_indexdef(i.oid)
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public'
UNION ALL
SELECT 'constraint', c.relname, k.conname, pg_get_constraintdef(k.oid)
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public'
ORDER BY 1, 2, 3
"""


def schema(cursor) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    cursor.execute(SCHEMA_SQL)
    return [tuple(r) for r in cursor.fetchall()]


def drop_for_load(cursor) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """Drop FKs, unique constraints and secondary indexes of the loaded tables; return the SQL
    that recreates them (indexes first, then constraints, foreign keys last)."""
    recreate_index: list[str] = []
    recreate_constraint: list[str] = []
    cursor.execute(
        """
        SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
          FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
         WHERE k.contype IN ('f', 'u') AND c.relname LIKE ANY (%s)
         ORDER BY k.contype DESC, c.relname, k.conname
        """,
        ([f"{p}%" for p in TABLE_PREFIXES],),
    )
    constraints = cursor.fetchall()
    # Foreign keys pointing *into* loaded tables from other apps' tables are dropped too.
    cursor.execute(
        """
        SELECT c.relname, k.conname, 'f', pg_get_constraintdef(k.oid)
          FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
          JOIN pg_class t ON t.oid = k.confrelid
         WHERE k.contype = 'f' AND t.relname LIKE ANY (%s) AND NOT c.relname LIKE ANY (%s)
        """,
        ([f"{p}%" for p in TABLE_PREFIXES], [f"{p}%" for p in TABLE_PREFIXES]),
    )
    constraints += cursor.fetchall()
    for table, name, _kind, definition in constraints:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        recreate_constraint.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    recreate_constraint.sort(key=lambda sql: "FOREIGN KEY" in sql)  # unique before FK
    cursor.execute(
        """
        SELECT c.relname, i.relname, pg_get_indexdef(i.oid)
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
          JOIN pg_class c ON c.oid = x.indrelid
         WHERE NOT x.indisprimary AND c.relname LIKE ANY (%s)
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid)
        """,
        ([f"{p}%" for p in TABLE_PREFIXES],),
    )
    for _table, name, definition in cursor.fetchall():
        cursor.execute(f'DROP INDEX "{name}"')
        recreate_index.append(definition)
    return recreate_index, recreate_constraint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2025, 6, 30))
    parser.add_argument("--chunk-size", type=int, default=5000)
    args = parser.parse_args()
    url = args.database_url or default_url(args.accounts)

    timings: dict[str, float] = {}
    t0 = time.monotonic()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
    }
    recreate_database(url)
    migrate(env)
    timings["create + migrate"] = time.monotonic() - t0

    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG")})
    import django

    django.setup()
    from django.db import connection, transaction

    from core.demo.generator import DemoSpec, generate
    from core.demo.sinks import PostgresCopySink

    spec = DemoSpec(
        accounts=args.accounts, seed=args.seed, as_of=args.as_of, chunk_size=args.chunk_size
    )
    with connection.cursor() as cursor:
        before = schema(cursor)

    t1 = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        recreate_index, recreate_constraint = drop_for_load(cursor)
        # The benchmark reads accounts; only their creation is kept in history (the demo keeps
        # it for every tracked model).
        sink = PostgresCopySink(history=frozenset({"accounts.Account"}))
        done = 0
        for chunk in generate(spec):
            sink.write(chunk)
            done += len(chunk.rows["accounts.Account"])
            if done and done % 100_000 < args.chunk_size and chunk.rows["accounts.Account"]:
                print(f"  {done:>9,} accounts  {time.monotonic() - t1:6.1f} s", flush=True)
        timings["generate + COPY"] = time.monotonic() - t1
        t2 = time.monotonic()
        for sql in recreate_index + recreate_constraint:
            cursor.execute(sql)
        sink.finish()
        timings["indexes + constraints"] = time.monotonic() - t2
    t3 = time.monotonic()
    with connection.cursor() as cursor:
        # A settled database: statistics for the planner, the visibility map for index-only scans.
        cursor.execute("VACUUM (ANALYZE)")
        after = schema(cursor)
    timings["vacuum analyze"] = time.monotonic() - t3
    if before != after:
        missing = sorted(set(before) - set(after))
        extra = sorted(set(after) - set(before))
        raise SystemExit(f"schema differs after the load: missing {missing}, extra {extra}")
    timings["total"] = time.monotonic() - t0
    print(f"database {url}")
    for label, n in sink.counts.items():
        print(f"  {label:<28} {n:>12,}")
    for label, seconds in timings.items():
        print(f"  {label:<28} {seconds:>10.1f} s")
    print("schema identical to the migrated one: yes")


if __name__ == "__main__":
    main()

"""Ingest 1,000,000 bill lines in batches of 10,000 over HTTP into PostgreSQL and time it.

    uv run python bench/bench_billing_ingest.py                 # 1,000,000 lines, fresh database
    uv run python bench/bench_billing_ingest.py --lines 200000  # a quicker run

It (re)creates a dedicated database (default groupcrm_bench_billing), migrates it, creates the
accounts the lines bill (10 products × 10 months per account, so 10,000 accounts for 1M lines) and
a billing API key, starts gunicorn (2 sync workers, local settings, DEBUG off) and posts every batch
with its own Idempotency-Key from a few client threads on keep-alive connections. The bodies are
serialised before the clock starts, so the numbers are the server's, not the client's JSON
encoder's. It samples the gunicorn workers' RSS while it runs, checks the database holds exactly the
lines sent, replays one batch (must write nothing) and writes bench/results/billing_ingest.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
PRODUCTS = ("DL-DIA", "VN-VPMN", "SMS-GROUP", "BB-ENT", "IOT-CARD", "CLOUD-ECS", "OA-MOBILE",
            "IDC-RACK", "PROD-LBS", "CRM-SFA")  # fmt: skip
MONTHS = 10
BATCH = 10_000


def _database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    import psycopg2

    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def _setup(url: str, accounts: int) -> str:
    """Migrate, create the accounts and a billing key; returns the key."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Account
    from org.models import User
    from org.services import machine_client_provision, region_save

    call_command("migrate", verbosity=0)
    region = region_save(code="BENCH", name="基准省", level="province")
    owner, _ = User.objects.get_or_create(username="bench_am", defaults={"role": "account_manager"})
    Account.objects.bulk_create(
        (
            Account(code=f"B{i:07d}", name=f"基准集团{i}", org_kind="enterprise",
                    industry="manufacturing", size_band="medium", region=region, owner=owner,
                    status="active")
            for i in range(accounts)
        ),
        batch_size=5000,
    )  # fmt: skip
    key = machine_client_provision(name="bench-billing").key
    connection.close()
    return key


def _bodies(accounts: int, lines: int) -> list[bytes]:
    import orjson

    periods = [f"2026-{m:02d}" for m in range(1, MONTHS + 1)]
    records = (
        {
            "account_code": f"B{a:07d}",
            "period": period,
            "product_code": product,
            "amount": f"{(a * 7 + p * 13 + m * 31) % 50000}.{(a + m) % 100:02d}",
            "quantity": (a + p) % 40 + 1,
            "member_count": (a % 300) + 5,
        }
        for a in range(accounts)
        for m, period in enumerate(periods)
        for p, product in enumerate(PRODUCTS)
    )
    bodies, chunk = [], []
    for i, record in enumerate(records):
        if i >= lines:
            break
        chunk.append(record)
        if len(chunk) == BATCH:
            bodies.append(orjson.dumps({"records": chunk}))
            chunk = []
    if chunk:
        bodies.append(orjson.dumps({"records": chunk}))
    return bodies


def _start(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "BILLING_RATE_LIMIT": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "120",
         "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def _worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True, check=False)
    return [int(pid) for pid in out.stdout.split()]


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=3, help="concurrent client connections")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/groupcrm_bench_billing"
    )
    args = parser.parse_args()
    if not args.port:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            args.port = sock.getsockname()[1]
    per_account = len(PRODUCTS) * MONTHS
    accounts = -(-args.lines // per_account)

    print(f"creating database and {accounts:,} accounts…", flush=True)
    _database(args.database_url)
    key = _setup(args.database_url, accounts)
    bodies = _bodies(accounts, args.lines)
    print(f"{len(bodies)} batches, {sum(map(len, bodies)) / 1e6:.0f} MB of JSON", flush=True)

    server = _start(args.database_url, args.port, args.workers)
    workers = _worker_pids(server.pid)
    rss_peak: dict[int, int] = {}
    rss_idle = {pid: _rss_kib(pid) for pid in workers}
    sampling = True

    def sample() -> None:
        while sampling:
            for pid in workers:
                rss_peak[pid] = max(rss_peak.get(pid, 0), _rss_kib(pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    inserted = 0
    lock = threading.Lock()
    queue = list(enumerate(bodies))
    headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}

    def client() -> None:
        nonlocal inserted
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=300)
        while True:
            with lock:
                if not queue:
                    break
                index, payload = queue.pop(0)
            started = time.perf_counter()
            conn.request(
                "POST", "/api/v1/billing/batches/", body=payload,
                headers={**headers, "Idempotency-Key": f"bench-{index}"},
            )  # fmt: skip
            response = conn.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status == 201:
                    inserted += json.loads(data)["counts"]["inserted"]
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=300)

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    sampling = False
    sampler.join()

    # A replay of the first batch must answer from the ledger and write nothing.
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=300)
    replay_started = time.perf_counter()
    conn.request("POST", "/api/v1/billing/batches/", body=bodies[0],
                 headers={**headers, "Idempotency-Key": "bench-0"})  # fmt: skip
    replay = conn.getresponse()
    replay.read()
    replay_ms = (time.perf_counter() - replay_started) * 1000
    rss_after = {pid: _rss_kib(pid) for pid in workers}
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)

    import psycopg2

    db = psycopg2.connect(args.database_url)
    with db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM billing_billline")
        line_count = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*), sum(payload_bytes), sum(octet_length(payload)) "
            "FROM billing_ingestbatch"
        )
        batch_count, raw_bytes, stored_bytes = cursor.fetchone()
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('billing_billline'))")
        table_size = cursor.fetchone()[0]
    db.close()

    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    rate = args.lines / wall
    ok = line_count == args.lines and inserted == args.lines and statuses.get(201) == len(bodies)
    latency = f"{p50 * 1000:.0f} / {p95 * 1000:.0f} / {latencies[-1] * 1000:.0f} ms"
    exact = "exact" if ok else "MISMATCH"
    kept = f"{batch_count} batches, {raw_bytes / 1e6:.0f} MB received"
    kept += f", {stored_bytes / 1e6:.0f} MB stored (zlib)"
    rss = "; ".join(
        f"{rss_idle.get(p, 0) // 1024} → {rss_peak.get(p, 0) // 1024} → "
        f"{rss_after.get(p, 0) // 1024} MiB"
        for p in workers
    )
    replayed = replay.getheader("Idempotent-Replayed")
    rows = [
        ("lines ingested", f"{args.lines:,} in {len(bodies)} batches of ≤{BATCH:,}"),
        ("accounts / products / months", f"{accounts:,} / {len(PRODUCTS)} / {MONTHS}"),
        ("server", f"gunicorn, {args.workers} sync workers; {args.clients} client connections"),
        ("wall time", f"{wall:.1f} s (1-min load average at start: {load_before:.1f})"),
        ("throughput", f"**{rate:,.0f} lines/s**"),
        ("batch latency p50 / p95 / max", latency),
        ("responses", ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))),
        ("rows in billing_billline", f"{line_count:,} ({exact}); table + indexes {table_size}"),
        ("payloads kept", kept),
        ("worker RSS idle → peak → after", rss),
        (
            "replay of batch 0",
            f"{replay.status}, Idempotent-Replayed: {replayed}, {replay_ms:.0f} ms",
        ),
    ]
    machine = f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        "# Billing ingestion benchmark",
        "",
        f"`uv run python bench/bench_billing_ingest.py --lines {args.lines}` on "
        f"{dt.date.today()} ({machine}; PostgreSQL on the same machine, shared with other "
        "work). Target: ≥ 20,000 lines/s end to end.",
        "",
        "| measure | value |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in rows],
        "",
        "Every batch is a fresh insert (the worst case for index maintenance); the client",
        "holds the serialised bodies in memory before timing starts. Latency is the client's",
        "wall time per request (send → full response read).",
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / "billing_ingest.md"
    # The hand-written notes below the table (earlier runs, what changed) are kept.
    previous = target.read_text(encoding="utf-8") if target.exists() else ""
    notes = previous[previous.index("## Notes") :] if "## Notes" in previous else ""
    target.write_text("\n".join(lines) + ("\n" + notes if notes else ""), encoding="utf-8")
    print("\n".join(lines))
    if not ok:
        raise SystemExit("line count mismatch")


if __name__ == "__main__":
    main()

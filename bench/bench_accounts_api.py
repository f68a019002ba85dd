"""Measure the account list and detail API on a benchmark database, through a real server.

    uv run python bench/bench_accounts_api.py --accounts 100000
    uv run python bench/bench_accounts_api.py --database-url postgres://…/groupcrm_bench_1m

It issues bearer tokens for an hq user, a regional manager (Guangzhou) and the account manager
with the largest portfolio, starts gunicorn (2 sync workers, production settings, Redis cache for
the throttle) against the database, and times each request on a keep-alive connection from the
same machine. The time is the client's wall time from sending the request to having read the whole
response body, so it bounds the server time from above (loopback adds ~0.1 ms). Each scenario
rotates through realistic parameter values so that a single hot page cannot flatter the numbers.
Results go to bench/results/accounts_api.md (and the raw numbers to a JSON file next to it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import secrets
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

from generate import default_url  # noqa: E402

SEARCH_TERMS = (
    "物流",
    "科技",
    "人民医院",
    "广州",
    "深圳",
    "电子科技有限公司",
    "交通运输局",
    "华信",
    "学校",
)
INDUSTRIES = (
    "manufacturing", "retail_consumer", "electronics", "logistics_transport", "finance",
    "government", "healthcare", "education", "power", "petrochemical", "other",
)  # fmt: skip
STATUSES = ("active", "prospect", "churned")
ORDERINGS = ("name", "-joined_on", "contract_end", "-updated_at", "-code")


@dataclass
class Scenario:
    name: str
    kind: str  # list | detail
    paths: list[str]
    pages: int = 1  # follow `next` this many times after the first page (cursor paging)
    timings: dict[str, list[float]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    # per role, the slowest timed requests (ms, path): which parameters make a tail
    slowest: dict[str, list[tuple[float, str]]] = field(default_factory=dict)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def setup_django(url: str) -> None:
    os.environ.update(
        {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false"}
    )
    import django

    django.setup()


def principals() -> dict[str, tuple[str, str]]:
    """role label → (username, bearer token)."""
    from django.db.models import Count

    from org.models import User
    from org.services import user_token_issue, user_tokens_revoke

    am = (
        User.objects.filter(role="account_manager")
        .annotate(n=Count("owned_accounts"))
        .order_by("-n", "username")
        .first()
    )
    chosen = {
        "hq": User.objects.get(username="hq"),
        "regional_manager": User.objects.get(username="rm_gz"),
        "account_manager": am,
    }
    out = {}
    for role, user in chosen.items():
        user_tokens_revoke(user=user)
        _, token = user_token_issue(user=user, ttl=dt.timedelta(hours=6))
        out[role] = (user.username, token)
    return out


def visible_codes(username: str, count: int, rng: random.Random) -> list[str]:
    from django.db import connection

    from org.models import User
    from org.visibility import accounts_visible_to

    user = User.objects.get(username=username)
    # A random sample without ORDER BY random() over a million rows: sample ids, keep visible.
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM accounts_account")
        low, high = cursor.fetchone()
    codes: list[str] = []
    qs = accounts_visible_to(user)
    if user.role == "account_manager":
        codes = list(qs.values_list("code", flat=True).order_by("code"))
        rng.shuffle(codes)
        return codes[:count]
    while len(codes) < count:
        ids = [rng.randint(low, high) for _ in range(count * 4)]
        codes += list(qs.filter(id__in=ids).values_list("code", flat=True))
    return codes[:count]


def build_scenarios(role: str, username: str, n: int, rng: random.Random) -> list[Scenario]:
    from org.models import Region, User

    user = User.objects.get(username=username)
    if role == "hq":
        regions = list(Region.objects.values_list("code", flat=True))
    else:
        regions = list(
            Region.objects.filter(path__startswith=user.region.path).values_list("code", flat=True)
        )

    def rot(values: tuple[str, ...] | list[str], key: str) -> list[str]:
        return [f"/api/v1/accounts/?{urlencode({key: values[i % len(values)]})}" for i in range(n)]

    combined = [
        "/api/v1/accounts/?"
        + urlencode(
            {
                "region": regions[i % len(regions)],
                "industry": INDUSTRIES[i % len(INDUSTRIES)],
                "status": "active",
            }
        )
        for i in range(n)
    ]
    codes = visible_codes(username, n, rng)
    code_prefixes = [c[:7] for c in codes]  # e.g. "GZ00012": a code fragment search
    return [
        Scenario("list, default order (code)", "list", ["/api/v1/accounts/"] * n),
        Scenario("list ?region= (subtree)", "list", rot(regions, "region")),
        Scenario("list ?industry=", "list", rot(INDUSTRIES, "industry")),
        Scenario("list ?status=", "list", rot(STATUSES, "status")),
        Scenario("list ?region=&industry=&status=active", "list", combined),
        Scenario("list ?q= (name)", "list", rot(SEARCH_TERMS, "q")),
        Scenario("list ?q= (code fragment)", "list", rot(code_prefixes, "q")),
        Scenario("list ?ordering=", "list", rot(ORDERINGS, "ordering")),
        Scenario("list ?stage=", "list", rot(("A", "B", "C", "D", "E"), "stage")),
        Scenario("list ?churn_risk=", "list", rot(("high", "medium"), "churn_risk")),
        Scenario("list, cursor pages 2–5", "list", ["/api/v1/accounts/?ordering=name"] * n, 4),
        Scenario("detail", "detail", [f"/api/v1/accounts/{c}/" for c in codes]),
    ]


class Client:
    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def get(self, path: str) -> tuple[float, int, dict]:
        started = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"GET {path} → {response.status}: {body[:300]!r}")
        return elapsed, response.status, json.loads(body)


def run(scenario: Scenario, role: str, client: Client, warmup: int) -> None:
    timings: list[float] = []
    timed: list[tuple[float, str]] = []
    rows = 0
    for i, path in enumerate(scenario.paths):
        elapsed, _, body = client.get(path)
        if scenario.pages > 1:
            # Cursor paging: the first page is not timed, the following pages are.
            for _ in range(scenario.pages):
                nxt = body.get("next")
                if not nxt:
                    break
                parts = urlsplit(nxt)
                elapsed, _, body = client.get(f"{parts.path}?{parts.query}")
                if i >= warmup:
                    timings.append(elapsed)
        elif i >= warmup:
            timings.append(elapsed)
            timed.append((round(elapsed, 1), path))
        rows += len(body.get("results", [])) if scenario.kind == "list" else 1
    scenario.timings[role] = timings
    scenario.rows[role] = rows
    scenario.slowest[role] = sorted(timed, reverse=True)[:10]


def start_server(url: str, port: int, workers: int, redis_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS_ONLY": "false",
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "bench",
        "USER_RATE_LIMIT": "1000000/min",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", str(workers), "-b",
         f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/api/schema/")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0
    return f"{cpu}, {os.cpu_count()} cores, {mem}, load average {load:.1f} at start"


def table_counts() -> dict[str, int]:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in ("accounts_account", "accounts_member", "accounts_keyperson",
                      "accounts_activity", "accounts_servicerequest"):  # fmt: skip
            cursor.execute(f"SELECT count(*) FROM {table}")
            out[table] = cursor.fetchone()[0]
        cursor.execute("SELECT version()")
        out["postgres"] = cursor.fetchone()[0].split(" on ")[0]  # type: ignore[assignment]
    return out


def write_markdown(path: Path, header: dict, scenarios: list[Scenario], roles: list[str]) -> None:
    lines = [
        f"## {header['accounts']:,} accounts — {header['date']}",
        "",
        f"- machine: {header['machine']}",
        f"- database: {header['postgres']}; rows: "
        + ", ".join(f"{k.split('_')[1]} {v:,}" for k, v in header["counts"].items()),
        f"- server: gunicorn, {header['workers']} sync workers, production settings, Redis cache; "
        f"bearer tokens; {header['requests']} timed requests per scenario and role after "
        f"{header['warmup']} warm-up requests; one client on a keep-alive connection",
        "- time: client wall time per request, body read (upper bound of server time), in ms",
        "",
        "| scenario | role | n | p50 | p95 | max | p95 < 100 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | :---: |",
    ]
    for s in scenarios:
        for role in roles:
            t = s.timings.get(role) or []
            if not t:
                continue
            p95 = percentile(t, 95)
            lines.append(
                f"| {s.name} | {role} | {len(t)} | {statistics.median(t):.1f} | {p95:.1f} | "
                f"{max(t):.1f} | {'yes' if p95 < 100 else '**no**'} |"
            )
    lines.append("")
    existing = path.read_text() if path.exists() else "# Account API benchmark\n\n"
    path.write_text(existing.rstrip("\n") + "\n\n" + "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="picks the default DB")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS / "accounts_api.md")
    parser.add_argument("--only", default="", help="run only scenarios whose name contains this")
    args = parser.parse_args()
    url = args.database_url or default_url(args.accounts)

    setup_django(url)
    rng = random.Random(args.seed)
    who = principals()
    counts = table_counts()
    postgres = str(counts.pop("postgres"))
    n = args.requests + args.warmup
    plans = {
        role: [s for s in build_scenarios(role, username, n, rng) if args.only in s.name]
        for role, (username, _) in who.items()
    }
    server = start_server(url, args.port, args.workers, args.redis_url)
    header = {
        "accounts": counts["accounts_account"],
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "postgres": postgres,
        "counts": counts,
        "workers": args.workers,
        "requests": args.requests,
        "warmup": args.warmup,
    }
    try:
        merged: list[Scenario] = plans["hq"]
        for role, (username, token) in who.items():
            client = Client(args.port, token)
            for merged_s, s in zip(merged, plans[role], strict=True):
                run(s, role, client, args.warmup)
                merged_s.timings[role] = s.timings[role]
                merged_s.rows[role] = s.rows[role]
                merged_s.slowest[role] = s.slowest[role]
                t = s.timings[role]
                print(
                    f"{s.name:<42} {role:<17} p50 {statistics.median(t):7.1f}  "
                    f"p95 {percentile(t, 95):7.1f}  max {max(t):7.1f} ms  ({username})",
                    flush=True,
                )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    roles = list(who)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_markdown(args.output, header, merged, roles)
    raw = args.output.with_name(f"accounts_api_{header['accounts']}.json")
    raw.write_text(
        json.dumps(
            {
                **header,
                "scenarios": [
                    {"name": s.name, "timings_ms": s.timings, "slowest": s.slowest} for s in merged
                ],
            },
            ensure_ascii=False,
        )
    )
    print(f"wrote {args.output} and {raw}")


if __name__ == "__main__":
    main()

"""Server time of the account list page and the 360° page on a benchmark database.

    uv run python bench/bench_pages.py --accounts 100000
    uv run python bench/bench_pages.py --database-url postgres://postgres@127.0.0.1:5432/groupcrm_bench_1m

The databases come from bench/generate.py. Each request goes through the whole Django stack
in-process (every middleware, the session, the visibility policy, the ORM against PostgreSQL,
template rendering in Chinese) with Django's test client, so the time measured is the server's
time to produce the complete response, without the network. Every scenario rotates through
realistic parameters (regions, industries, search words, sort orders, cursor pages, accounts),
runs warm-up requests first, and reports p50/p95/max and the SQL queries per request.
Results go to bench/results/pages.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
TARGET_MS = 300.0

from generate import default_url  # noqa: E402

SEARCH_TERMS = (
    "物流",
    "科技",
    "人民医院",
    "广州",
    "深圳",
    "电子科技有限公司",
    "交通运输局",
    "学校",
)
INDUSTRIES = (
    "manufacturing", "retail_consumer", "electronics", "logistics_transport", "finance",
    "government", "healthcare", "education", "power", "petrochemical", "other",
)  # fmt: skip
STATUSES = ("active", "prospect", "churned")
SORTS = ("name", "-name", "-updated", "industry", "status", "-code")


@dataclass
class Scenario:
    role: str
    name: str
    paths: list[str]
    follow_next: int = 0  # time the n-th following page (keyset) instead of the first
    timings: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


def setup_django(url: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DEBUG": "false",
            "AXES_ENABLED": "false",
        }
    )
    import django

    django.setup()
    # As config/wsgi.py does in every gunicorn worker: start-up objects out of the cyclic GC.
    import gc

    gc.freeze()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def principals() -> dict[str, object]:
    from django.db.models import Count

    from org.models import User

    am = (
        User.objects.filter(role="account_manager")
        .annotate(n=Count("owned_accounts"))
        .order_by("-n", "username")
        .first()
    )
    return {
        "hq": User.objects.get(username="hq"),
        "regional_manager": User.objects.get(username="rm_gz"),
        "account_manager": am,
    }


def sample_codes(user: object, count: int, rng: random.Random) -> list[str]:
    from django.db import connection

    from org.visibility import accounts_visible_to

    qs = accounts_visible_to(user)
    if user.role == "account_manager":  # type: ignore[attr-defined]
        codes = list(qs.values_list("code", flat=True).order_by("code"))
        rng.shuffle(codes)
        return (codes * (count // max(len(codes), 1) + 1))[:count]
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM accounts_account")
        low, high = cursor.fetchone()
    codes = []
    while len(codes) < count:
        ids = [rng.randint(low, high) for _ in range(count * 4)]
        codes += list(qs.filter(id__in=ids).values_list("code", flat=True))
    return codes[:count]


def busiest_codes(count: int) -> list[str]:
    """Accounts with the most activities: the heaviest 360° pages."""
    from django.db.models import Count

    from accounts.models import Activity

    rows = (
        Activity.objects.values("account__code")
        .annotate(n=Count("id"))
        .order_by("-n", "account__code")[:count]
    )
    return [r["account__code"] for r in rows]


def scenarios_for(role: str, user: object, n: int, rng: random.Random) -> list[Scenario]:
    from org.models import Region

    if role == "hq":
        regions = list(Region.objects.values_list("code", flat=True))
    else:
        regions = list(
            Region.objects.filter(path__startswith=user.region.path).values_list("code", flat=True)  # type: ignore[attr-defined]
        )

    def url(**params: str) -> str:
        return "/accounts/?" + urlencode(params) if params else "/accounts/"

    codes = sample_codes(user, n, rng)
    combined = [
        url(
            region=regions[i % len(regions)],
            industry=INDUSTRIES[i % len(INDUSTRIES)],
            status="active",
            sort=SORTS[i % len(SORTS)],
        )
        for i in range(n)
    ]
    found = [
        Scenario(role, "list, first page (code)", [url()] * n),
        Scenario(role, "list, region+industry+status, sorted", combined),
        Scenario(
            role,
            "list, search name/code, sorted",
            [url(q=SEARCH_TERMS[i % len(SEARCH_TERMS)], sort=SORTS[i % 3]) for i in range(n)],
        ),
        Scenario(
            role,
            "list, sorted, keyset page 3",
            [url(sort=SORTS[i % len(SORTS)], status=STATUSES[i % 2]) for i in range(n)],
            follow_next=2,
        ),
        Scenario(
            role,
            "list, stage+churn risk, sorted",
            [
                url(stage="ABCDE"[i % 5], churn_risk=("high", "medium")[i % 2], sort=SORTS[i % 3])
                for i in range(n)
            ],
        ),
        Scenario(role, "360° page", [f"/accounts/{c}/" for c in codes]),
    ]
    if role == "hq":
        found.append(
            Scenario(
                role, "360° page, busiest accounts", [f"/accounts/{c}/" for c in busiest_codes(n)]
            )
        )
    if role != "account_manager":
        from org.models import User

        owners = list(
            User.objects.filter(role="account_manager", region__code__in=regions)
            .order_by("username")
            .values_list("username", flat=True)[:50]
        )
        found.append(
            Scenario(
                role,
                "list, owner filter, sorted by name",
                [url(owner=owners[i % len(owners)], sort="name") for i in range(n)],
            )
        )
    return found


def run(scenario: Scenario, client: object, warmup: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i, path in enumerate(scenario.paths):
        for _ in range(scenario.follow_next):
            body = client.get(path).content.decode()  # type: ignore[attr-defined]
            match = re.search(r'href="(\?[^"]*after=[^"]+)" rel="next"', body)
            if not match:
                break
            path = "/accounts/" + match.group(1).replace("&amp;", "&")
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)  # type: ignore[attr-defined]
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} → {response.status_code}")
        if i < warmup:
            continue
        scenario.timings.append(elapsed)
        scenario.queries.append(len(queries))
        body = response.content.decode()
        scenario.rows.append(
            body.count('<td class="col-code">') or body.count('class="card person"')
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", default=str(RESULTS / "pages.md"))
    args = parser.parse_args()
    url = args.database_url or default_url(args.accounts)
    setup_django(url)

    from django.db import connection
    from django.test import Client

    from accounts.models import Account

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'accounts_account'")
        (estimate,) = cursor.fetchone()
    rng = random.Random(args.seed)
    total = args.requests + args.warmup
    all_scenarios: list[Scenario] = []
    for role, user in principals().items():
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        for scenario in scenarios_for(role, user, total, rng):
            run(scenario, client, args.warmup)
            all_scenarios.append(scenario)
            p50 = statistics.median(scenario.timings)
            p95 = percentile(scenario.timings, 95)
            print(
                f"{role:17} {scenario.name:40} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
                f"  queries {max(scenario.queries)}",
                flush=True,
            )
    write_report(
        args, url, estimate, Account.objects.count() if estimate < 0 else estimate, all_scenarios
    )


def write_report(args, url, estimate, accounts, scenarios) -> None:  # type: ignore[no-untyped-def]
    worst = max(percentile(s.timings, 95) for s in scenarios)
    database = url.rsplit("/", 1)[-1]
    lines = [
        "# Page server time: account list and 360° page",
        "",
        f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} with `uv run python bench/bench_pages.py "
        f"--database-url …/{database}` on {platform.node()} ({os.cpu_count()} cores, shared with "
        f"other work), PostgreSQL, about {accounts:,} accounts.",
        "",
        "Server time = the whole Django stack in-process (middleware, session, visibility policy, "
        "ORM, template rendering in zh-hans), no network. "
        f"{args.requests} timed requests per scenario after {args.warmup} warm-up requests, "
        "parameters rotating (regions, industries, search words, sort orders, accounts).",
        "",
        f"Target: p95 < {TARGET_MS:.0f} ms. Worst p95 here: **{worst:.1f} ms** — "
        + ("met." if worst < TARGET_MS else "NOT met."),
        "",
        "| role | scenario | p50 ms | p95 ms | max ms | SQL queries | rows shown (median) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in scenarios:
        lines.append(
            f"| {s.role} | {s.name} | {statistics.median(s.timings):.1f} | "
            f"{percentile(s.timings, 95):.1f} | {max(s.timings):.1f} | {max(s.queries)} | "
            f"{int(statistics.median(s.rows))} |"
        )
    lines += [
        "",
        "How the list stays fast at this size: keyset pagination on (sort column, code) with an "
        "index per sortable column (no OFFSET), a total counted only up to "
        "`GROUPCRM['ACCOUNT_LIST_MAX_COUNT']` rows (`SELECT COUNT(*) FROM (… LIMIT cap+1)`, shown "
        'as "more than 10,000"), only the listed columns loaded, and the visibility policy as an '
        "indexed subquery. The 360° page runs a fixed number of queries (timeline limited to 30, "
        "VIP list to 20) whatever the account's size.",
        "",
    ]
    over = [s for s in scenarios if percentile(s.timings, 95) >= TARGET_MS]
    if over:
        lines += [
            "## Over the target",
            "",
            *[f"- {s.role}: {s.name} (p95 {percentile(s.timings, 95):.0f} ms)" for s in over],
            "",
            "Why, from EXPLAIN ANALYZE on this database: account codes, names and regions are "
            "correlated (codes start with the city prefix, names with the city name), so a "
            "regional or filtered list sorted by name, industry or status walks the (column, code) "
            "index past other regions' rows before it has a page. Sorted by code this is already "
            "solved by reading region by region (`accounts.listing.region_partitions`: 238 → "
            "23 ms of SQL for the Guangzhou manager's first page). Text search: two-character "
            "Chinese words (科技, 物流) produce no pg_trgm trigram, so `name ILIKE '%科技%'` "
            "cannot use the trigram index and scans the visible accounts. Next steps: "
            "(region_id, name, code) and (region_id, updated_at, code) indexes for regional "
            "sorts, and a bigram index for Chinese search (pg_bigm, or a generated tsvector of "
            "character bigrams with a GIN index).",
            "",
        ]
    Path(args.output).write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()

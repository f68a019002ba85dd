"""Server time of the lifecycle pages on a benchmark database: the retention desk (first page,
filters, a deep page) for an account manager, a regional manager and hq, the regional manager's
lifecycle overview (distribution + migration matrix + overdue tasks) and a matrix drill-down.

    flock /work/notes/bench.lock uv run python bench/bench_lifecycle_pages.py \
        --database-url postgres://postgres@127.0.0.1:5432/groupcrm_bench_1m

Each request goes through the whole Django stack in-process with the test client (middleware,
session, visibility policy, ORM, templates in Chinese). The lifecycle tables must have been
filled by the nightly lifecycle step. Results: bench/results/lifecycle_pages.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
TARGET_MS = 300.0


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


def measure(scenarios: list, repeat: int) -> list:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    rows = []
    for role, user, url in scenarios:
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        client.get(url)  # warm-up
        timings, queries = [], 0
        for _i in range(repeat):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries = len(ctx.captured_queries)
        timings.sort()
        rows.append((role, url, statistics.median(timings), timings[-1], queries))
        print(
            f"{role:18} {url:90} p50 {rows[-1][2]:7.1f} ms  max {rows[-1][3]:7.1f} ms  q {queries}"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.db.models import Count

    from accounts.models import Account
    from lifecycle.models import StageMigration
    from org.models import User

    am = (
        User.objects.filter(role="account_manager")
        .annotate(n=Count("owned_accounts"))
        .order_by("-n", "username")
        .first()
    )
    rm = User.objects.filter(role="regional_manager").order_by("username").first()
    hq = User.objects.filter(role="hq").first()
    month = StageMigration.objects.order_by("-month_on").values_list("month_on", flat=True).first()
    month_param = month.isoformat() if month else dt.date.today().replace(day=1).isoformat()
    region_code = rm.region.code if rm and rm.region else ""
    counts = {
        "accounts": Account.objects.count(),
        "am portfolio": Account.objects.filter(owner=am).count(),
    }
    scenarios = [
        ("account manager", am, "/lifecycle/desk/"),
        ("account manager", am, "/lifecycle/desk/?risk=high&overdue=on"),
        ("regional manager", rm, "/lifecycle/desk/"),
        ("regional manager", rm, "/lifecycle/desk/?flag=revenue_drop&stage=D"),
        ("regional manager", rm, "/lifecycle/desk/?page=20"),
        ("hq", hq, "/lifecycle/desk/"),
        ("hq", hq, "/lifecycle/desk/?risk=medium"),
        ("hq", hq, "/lifecycle/desk/?page=40"),
        ("regional manager", rm, f"/lifecycle/overview/?month={month_param}"),
        (
            "regional manager",
            rm,
            f"/lifecycle/overview/drill/?region={region_code}&month={month_param}"
            "&from_stage=C&to_stage=D",
        ),
        (
            "regional manager",
            rm,
            f"/lifecycle/overview/drill/?region={region_code}&month={month_param}"
            "&from_stage=C&to_stage=C",
        ),
        ("hq", hq, f"/lifecycle/overview/?month={month_param}"),
    ]
    # The call-list generate page of a province-wide billing rule (billed ≥ 120 CNY in 3 of the
    # last 12 months), as in production: Celery not eager, so the page enqueues the count and
    # polls (the count itself: bench/bench_campaigns.py).
    from bench_campaigns import billing_rule_campaign
    from celery import current_app

    from lifecycle.campaigns.services import eligible_callers
    from org.models import Region

    current_app.conf.task_always_eager = False
    province = Region.objects.filter(parent__isnull=True).order_by("id").first()
    callers = eligible_callers(province).filter(role="account_manager").order_by("id")[:9]
    campaign = billing_rule_campaign(
        "bench: generate page", province, hq, list(callers), starts_on=dt.date.today()
    )
    scenarios += [
        ("hq", hq, f"/campaigns/{campaign.pk}/generate/"),
        ("hq", hq, f"/campaigns/{campaign.pk}/generate/preview/"),
    ]
    try:
        rows = measure(scenarios, args.repeat)
    finally:
        campaign.delete()
    load = os.getloadavg()
    out = [
        "# Lifecycle pages: server time at scale",
        "",
        f"Database: `{args.database_url.rsplit('/', 1)[-1]}` ({counts['accounts']:,} accounts; "
        f"account manager's portfolio {counts['am portfolio']:,}); {platform.node()}, "
        f"{os.cpu_count()} CPUs; load average at the end "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"{args.repeat} timed requests after a warm-up, Django test client in-process, zh-hans. "
        f"Target {TARGET_MS:.0f} ms.",
        "",
        "| role | URL | p50 ms | max ms | SQL queries |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    out += [f"| {r} | `{u}` | {p50:.1f} | {mx:.1f} | {q} |" for r, u, p50, mx, q in rows]
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / "lifecycle_pages.md"
    # Keep the file's history section (written by hand) below the new table.
    previous = target.read_text(encoding="utf-8") if target.exists() else ""
    history = previous[previous.index("\n## History") :] if "\n## History" in previous else ""
    target.write_text("\n".join(out) + "\n" + history, encoding="utf-8")


if __name__ == "__main__":
    main()

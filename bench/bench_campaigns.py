"""Benchmark of call-list generation (issue 6 item 4, lifecycle/campaigns).

    flock /work/notes/bench.lock uv run python bench/bench_campaigns.py \
        --database-url postgres://postgres@127.0.0.1:5432/groupcrm_bench_1m

A whole-province questionnaire campaign, "billed ≥ 120 CNY in at least 3 of the last 12 closed
months", with 10 callers: the preview counts, the first generation (one INSERT … SELECT), a
regeneration (idempotent: adds nothing), a re-split of every pending call; and a retention-care
rule (churn risk high) when lifecycle states exist. The bench campaigns are deleted afterwards.
Appends rows to bench/results/campaigns.md.
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
RESULTS = ROOT / "bench" / "results" / "campaigns.md"


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def timed(label: str, fn, rows: list[tuple[str, float, str]]):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    rows.append((label, seconds, f"{result:,}" if isinstance(result, int) else str(result)))
    print(f"{label:<55} {seconds:8.2f} s  {result}")
    return result


def billing_rule_campaign(name: str, region, created_by, callers, *, starts_on: dt.date):  # type: ignore[no-untyped-def]
    """A questionnaire campaign over `region` for accounts billed ≥ 120 CNY in 3 of the last 12
    months, with `callers` (also used by bench_lifecycle_pages.py for the generate page)."""
    from decimal import Decimal

    from lifecycle.models import Campaign

    campaign = Campaign.objects.create(
        name=name,
        kind=Campaign.Kind.QUESTIONNAIRE,
        region=region,
        min_monthly_amount=Decimal("120"),
        min_months=3,
        window_months=12,
        questions=[{"text": "q", "options": []}],
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=30),
        created_by=created_by,
    )
    campaign.callers.set(callers)
    return campaign


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--callers", type=int, default=10)
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.db import connection
    from django.db.models import Max

    from accounts.models import Account
    from billing.models import BillLine
    from lifecycle.campaigns import selection, services
    from lifecycle.models import AccountLifecycle, Campaign
    from org.models import Region, User

    last = BillLine.objects.aggregate(m=Max("period_on"))["m"]
    if last is None:
        sys.exit("no bill lines in this database: nothing to measure")
    as_of = (last.replace(day=28) + dt.timedelta(days=5)).replace(day=15)
    province = Region.objects.filter(parent__isnull=True).order_by("id").first()
    hq = User.objects.filter(role=User.Role.HQ).order_by("id").first()
    callers = list(
        services.eligible_callers(province)
        .filter(role=User.Role.ACCOUNT_MANAGER)
        .order_by("id")[: args.callers]
    )
    accounts = Account.objects.count()
    lines = BillLine.objects.count()
    print(f"{accounts:,} accounts, {lines:,} bill lines, as_of {as_of}, {len(callers)} callers")
    rows: list[tuple[str, float, str]] = []
    made: list[int] = []
    try:
        campaign = billing_rule_campaign(
            "bench: billed ≥ 120 in 3 of 12 months", province, hq, callers, starts_on=as_of
        )
        made.append(campaign.pk)
        timed(
            "preview: count matching / not yet listed",
            lambda: selection.count_targets(campaign, as_of=as_of),
            rows,
        )
        timed(
            "generate (INSERT … SELECT, round-robin)",
            lambda: services.campaign_generate(campaign_id=campaign.pk, as_of=as_of),
            rows,
        )
        timed(
            "regenerate (idempotent: adds nothing)",
            lambda: services.campaign_generate(campaign_id=campaign.pk, as_of=as_of),
            rows,
        )
        campaign.callers.set(callers[:-1])
        timed(
            f"re-split every pending call among {len(callers) - 1} callers",
            lambda: services.campaign_resplit(actor=hq, campaign_id=campaign.pk),
            rows,
        )
        if AccountLifecycle.objects.exists():
            care = Campaign.objects.create(
                name="bench: churn risk high",
                kind=Campaign.Kind.RETENTION_CARE,
                region=province,
                churn_risks=["high"],
                starts_on=as_of,
                ends_on=as_of + dt.timedelta(days=30),
                created_by=hq,
            )
            made.append(care.pk)
            care.callers.set(callers)
            timed(
                "generate retention care (churn risk high)",
                lambda: services.campaign_generate(campaign_id=care.pk, as_of=as_of),
                rows,
            )
        version = connection.vendor
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                version = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    finally:
        # Raw deletes: the ORM's delete would load every call and write a history row for each.
        with connection.cursor() as cursor:
            for table, column in (
                ("lifecycle_campaigncall", "campaign_id"),
                ("lifecycle_campaign_callers", "campaign_id"),
                ("lifecycle_historicalcampaign", "id"),
                ("lifecycle_campaign", "id"),
            ):
                cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", [made])
            cursor.execute("DELETE FROM core_jobrun WHERE job LIKE %s", [f"{services.JOB}/%"])
    load = os.getloadavg()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    new = not RESULTS.exists()
    with RESULTS.open("a", encoding="utf-8") as out:
        if new:
            out.write(
                "# Call-list generation (lifecycle/campaigns)\n\n"
                "`bench/bench_campaigns.py`: whole-province rule on the benchmark database.\n\n"
                "| when | database | accounts | bill lines | step | seconds | rows | load avg |\n"
                "|---|---|---|---|---|---|---|---|\n"
            )
        for label, seconds, result in rows:
            out.write(
                f"| {stamp} | {version} | {accounts:,} | {lines:,} | {label} | {seconds:.2f} "
                f"| {result} | {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} |\n"
            )
    print(f"load average {load}")


if __name__ == "__main__":
    main()

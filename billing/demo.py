"""Demo bill lines: 12 closed months for every demo account, pushed through the real ingestion
service in batches of 10,000 records, exactly as the billing system would.

Customers follow realistic trajectories (shares of non-churned customers; a group-customer base
keeps ~90 % a year, and DOMAIN.md §1's "5 % loyalty" point is why decline must be visible early):
stable 60 %, growing 16 %, declining 12 % (a quarter of them falling sharply), leaving now
(revenue fading to zero in the last months) 4 %, new (first bill within six months) 8 %. Accounts
whose status is already `churned` stopped being billed 3–9 months ago; prospects have no bills. So
the nightly lifecycle step (DOMAIN.md §5) finds mostly stage C, some B and D, a few A and E, and
every flag."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
from django.db import connection

from accounts.models import Account
from org.models import User
from solutions.models import Product

from . import domain, services
from .models import IngestBatch

BATCH_RECORDS = 10_000
DEMO_CLIENT = "client:billing-demo-feed"

PROFILES = (("growth", 16), ("stable", 60), ("decline", 12), ("leaving", 4), ("new", 8))
# Monthly revenue (CNY) range by size band, and how many products such a customer takes.
SIZE_REVENUE = {
    "large": (60_000, 400_000, 5, 10),
    "medium": (8_000, 60_000, 3, 7),
    "small": (1_500, 8_000, 2, 4),
    "micro": (300, 1_500, 1, 3),
}
# Products every kind of customer buys first; application products come on top.
CORE_PRODUCTS = ("VN-VPMN", "DL-DIA", "BB-ENT", "SMS-GROUP", "RBT-GROUP", "VOICE-IMS")
INDUSTRY_PRODUCTS = {
    "finance": (
        "DL-MPLS",
        "DL-OTN",
        "IDC-RACK",
        "CLOUD-DR",
        "SEC-DDOS",
        "CRM-CONTACT",
        "PAY-MOBILE",
    ),
    "logistics_transport": ("PROD-LBS", "IOT-CARD", "PRM-LOGISTICS", "CRM-SFA", "OA-MOBILE"),
    "petrochemical": ("DL-SDH", "PROD-ASSET", "PROD-INSPECT", "IOT-MODULE", "5G-PRIVATE"),
    "government": ("DL-MPLS", "OA-MOBILE", "OA-VIDEOCONF", "SMS-INDUSTRY", "CLOUD-ECS"),
    "retail_consumer": ("PAY-MOBILE", "CRM-MKT", "WLAN-PUBLIC", "PRM-DMS", "CRM-SAAS"),
    "power": ("DL-SDH", "PROD-METER", "IOT-CARD", "PROD-INSPECT", "PROD-ASSET"),
    "electronics": ("IDC-BW", "CLOUD-ECS", "CLOUD-OSS", "PRM-SCM", "HR-SAAS"),
    "healthcare": ("WLAN-ENT", "CLOUD-ECS", "PROD-SMARTCARD", "CRM-CONTACT", "OA-MOBILE"),
    "education": ("WLAN-ENT", "PROD-SMARTCARD", "HR-ELEARN", "OA-NOTICE", "PROD-VIDEO"),
    "manufacturing": ("IOT-CARD", "PROD-VIDEO", "PRM-EPROC", "HR-ATTEND", "FIN-CLOUD"),
    "other": ("OA-MOBILE", "OA-PUSHMAIL", "FIN-EINVOICE", "HR-SAAS", "CLOUD-ECS"),
}
# Products billed per member line (group voice and messaging): they carry member_count.
MEMBER_PRODUCTS = {"VN-VPMN", "VN-SHORTNUM", "SMS-GROUP", "RBT-GROUP", "OA-MOBILE", "HR-ATTEND"}


def _months(as_of: dt.date) -> list[dt.date]:
    """The 12 closed months before as_of, oldest first."""
    index = as_of.year * 12 + as_of.month - 1
    return [dt.date((index - back) // 12, (index - back) % 12 + 1, 1) for back in range(12, 0, -1)]


def _profile(rng: random.Random, status: str) -> str:
    if status == "churned":
        return "churned"
    return rng.choices([p for p, _ in PROFILES], weights=[w for _, w in PROFILES])[0]


def _factor(profile: str, k: int, rng: random.Random, stop_at: int, start_at: int) -> float:
    """Revenue multiplier in month k (0 = oldest of the 12); 0 means no bill that month."""
    noise = rng.uniform(0.97, 1.03)
    if profile == "growth":
        return (1 + 0.06 * k) * noise
    if profile == "decline":
        return max(0.3, 1 - 0.03 * k) * noise
    if profile == "falling":  # a sharp drop in the last quarter: revenue_drop, high risk
        return (0.55 if k >= 9 else 1.0) * noise
    if profile == "leaving":
        return 0.0 if k >= 10 else (0.5 if k >= 8 else 1.0) * noise
    if profile == "churned":
        return 0.0 if k >= stop_at else noise
    if profile == "new":
        return 0.0 if k < start_at else (0.6 + 0.1 * (k - start_at)) * noise
    return noise


def account_records(
    account: Mapping[str, Any], months: list[dt.date], seed: int, catalogue: set[str]
) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}:{account['code']}")
    low, high, min_products, max_products = SIZE_REVENUE.get(
        account["size_band"], SIZE_REVENUE["small"]
    )
    monthly = rng.uniform(low, high)
    pool = [p for p in CORE_PRODUCTS if p in catalogue]
    extra = [p for p in INDUSTRY_PRODUCTS.get(account["industry"], ()) if p in catalogue]
    count = rng.randint(min_products, max_products)
    products = rng.sample(pool, min(len(pool), max(1, count // 2)))
    products += rng.sample(extra, min(len(extra), count - len(products)))
    profile = _profile(rng, account["status"])
    if profile == "decline" and rng.random() < 0.25:
        profile = "falling"
    # Growth adds a product in month 10, decline drops one in month 9 and moves its volume to the
    # others (a downgrade): DOMAIN.md §5.1 rule 5 and the product_cancelled flag.
    added = next((p for p in extra + pool if p not in products), None)
    shares = [rng.uniform(0.5, 1.5) for _ in products]
    total = sum(shares)
    stop_at = 12 - rng.randint(3, 9)
    start_at = 12 - rng.randint(2, 6)
    members = {"large": 800, "medium": 150, "small": 30, "micro": 8}.get(account["size_band"], 30)
    members = max(2, int(members * rng.uniform(0.5, 1.5)))
    records: list[dict[str, Any]] = []
    for k, month in enumerate(months):
        factor = _factor(profile, k, rng, stop_at, start_at)
        if factor <= 0:
            continue
        billed = list(zip(products, shares, strict=True))
        if profile == "growth" and k >= 10 and added:
            billed.append((added, 0.3))
        if profile in ("decline", "falling") and k >= 9 and len(billed) > 1:
            billed = billed[:-1]
            kept = sum(share for _, share in billed)
            billed = [(product, share * total / kept) for product, share in billed]
        member_lines = max(1, int(members * (factor if profile != "new" else 1)))
        for product, share in billed:
            amount = Decimal(monthly * factor * share / total).quantize(Decimal("0.01"))
            record: dict[str, Any] = {
                "account_code": account["code"],
                "period": domain.format_period(month),
                "product_code": product,
                "amount": str(amount),
                "quantity": member_lines if product in MEMBER_PRODUCTS else rng.randint(1, 20),
            }
            if product in MEMBER_PRODUCTS:
                record["member_count"] = member_lines
            records.append(record)
        # Now and then a credit note (a negative line) for an SLA breach on a line not billed.
        if rng.random() < 0.01 and "DL-DIA" in catalogue and "DL-DIA" not in dict(billed):
            records.append(
                {
                    "account_code": account["code"],
                    "period": domain.format_period(month),
                    "product_code": "DL-DIA",
                    "amount": str(-Decimal(rng.randint(100, 2000))),
                    "quantity": 0,
                }
            )
    return records


def _demo_client() -> User:
    user, _ = User.objects.get_or_create(
        username=DEMO_CLIENT, defaults={"role": User.Role.BILLING_CLIENT, "is_active": True}
    )
    return user


def ingest_demo_bill_lines(*, as_of: dt.date, seed: int) -> int:
    """Generate and ingest the demo's bill lines; returns the number of lines accepted. Running
    it again with the same data is a replay per batch and writes nothing."""
    months = _months(as_of)
    catalogue = set(Product.objects.filter(active=True).values_list("product_code", flat=True))
    client = _demo_client()
    accounts = (
        Account.objects.exclude(status="prospect")
        .order_by("code")
        .values("code", "size_band", "industry", "status")
    )
    accepted = 0
    chunk: list[dict[str, Any]] = []

    def flush() -> int:
        body = orjson.dumps({"records": chunk})
        key = f"demo:{as_of.isoformat()}:{seed}:{services.body_sha256(body)[:24]}"
        outcome = services.batch_ingest(
            client=client,
            idempotency_key=key,
            body=body,
            records=chunk,
            source=IngestBatch.Source.DEMO,
            today=as_of,
        )
        counts = outcome.body["counts"]
        return counts["records"] - counts["quarantined"]

    for account in accounts.iterator(chunk_size=2000):
        for record in account_records(account, months, seed, catalogue):
            chunk.append(record)
            if len(chunk) == BATCH_RECORDS:
                accepted += flush()
                chunk = []
    if chunk:
        accepted += flush()
    return accepted


def demo_reset_bill_data() -> None:
    """Remove every bill line, version, quarantine and batch (they protect the accounts a demo
    reset deletes). Raw deletes: the demo holds hundreds of thousands of lines."""
    with connection.cursor() as cursor:
        for table in (
            "billing_billlineversion",
            "billing_quarantinedrecord",
            "billing_billline",
            "billing_ingestbatch",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


def demo_step(run: Any) -> None:
    """The demo command's step."""
    count = ingest_demo_bill_lines(as_of=run.spec.as_of, seed=run.spec.seed)
    run.say(f"      {count:,} bill lines")


def demo_reset_step(run: Any) -> None:
    """Before the demo regenerates its accounts: bill data goes first (it protects them)."""
    if run.reset:
        demo_reset_bill_data()

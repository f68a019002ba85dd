"""A seeded generator of KPI inputs (every table a metric reads, with cross-region groups, ties on
period boundaries, nulls and negative amounts) and the reader that turns the database back into
the plain records of `kpi.metrics`, for the set-based-equals-pure tests."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from accounts.models import Account, Activity, KeyPerson, ServiceRequest
from accounts.tests.factories import RegionFactory, UserFactory
from billing.models import BillLine
from billing.tests.helpers import ensure_catalogue
from kpi import metrics as m
from lifecycle.models import AccountLifecycle, RetentionTask, StageChange
from org.models import Region, User
from segmentation.models import AccountScore, ClassOverride
from solutions.models import Product

AS_OF = dt.date(2026, 8, 14)
STAGES = ["A", "B", "C", "D", "E", None]


def build_world(seed: int, *, accounts: int = 60, as_of: dt.date = AS_OF) -> list[Account]:
    ensure_catalogue()
    rng = random.Random(seed)
    province = RegionFactory(code=f"P{seed}", level="province")
    cities = [RegionFactory(code=f"P{seed}C{i}", parent=province) for i in range(2)]
    districts = [
        RegionFactory(code=f"P{seed}C{i}D{j}", parent=c, level="district")
        for i, c in enumerate(cities)
        for j in range(2)
    ]
    regions = [province, *cities, *districts]
    ams = [UserFactory(username=f"am{seed}_{i}", region=rng.choice(regions[1:])) for i in range(5)]
    UserFactory(username=f"am{seed}_off", region=cities[0], is_active=False)
    UserFactory(username=f"rm{seed}", role=User.Role.REGIONAL_MANAGER, region=cities[0])
    admin = UserFactory(username=f"hq{seed}", role=User.Role.HQ)

    created: list[Account] = []
    for i in range(accounts):
        owner = rng.choice(ams)
        parent = rng.choice(created) if created and rng.random() < 0.3 else None
        joined = as_of - dt.timedelta(days=rng.choice([0, 5, 13, 40, 200, 400, 700]))
        account = Account.objects.create(
            code=f"S{seed}-{i:04d}",
            name=f"集团{seed}-{i}",
            org_kind="enterprise",
            industry="manufacturing",
            size_band="medium",
            region=rng.choice(regions),
            owner=owner,
            parent=parent,
            status=rng.choice(["active", "active", "active", "prospect", "churned"]),
            joined_on=rng.choice([joined, joined, None]),
        )
        created.append(account)

    products = list(Product.objects.select_related("module").order_by("product_code"))
    starts = sorted({m.period_start(as_of, p) for p in m.PERIODS})
    key_days = [*starts, as_of, as_of - dt.timedelta(days=1), as_of + dt.timedelta(days=1)]

    def some_day(back: int = 500) -> dt.date:
        if rng.random() < 0.4:
            return rng.choice(key_days) + dt.timedelta(days=rng.choice([-1, 0, 0, 1]))
        return as_of - dt.timedelta(days=rng.randint(-10, back))

    now = timezone.now()
    changes, lines, tasks, complaints, people, visits = [], [], [], [], [], []
    for account in created:
        for day in {some_day() for _ in range(rng.randint(0, 4))}:
            changes.append(
                StageChange(account=account, changed_on=day, to_stage=rng.choice(STAGES))
            )
        if rng.random() < 0.6:
            AccountLifecycle.objects.create(
                account=account,
                as_of=rng.choice([as_of, as_of - dt.timedelta(days=3), as_of + dt.timedelta(1)]),
                stage=rng.choice(STAGES),
            )
        if rng.random() < 0.8:
            AccountScore.objects.create(
                account=account,
                as_of=as_of,
                value_class=rng.choice(["economic", "social", "clustered_sme"]),
            )
        if rng.random() < 0.15:
            ClassOverride.objects.create(
                account=account,
                value_class=rng.choice(["economic", "social", "clustered_sme"]),
                reason="区域经理核定",
                created_by=admin,
            )
        month = m.add_months(as_of.replace(day=1), -rng.randint(0, 14))
        for _ in range(rng.randint(0, 5)):
            lines.append(
                BillLine(
                    account=account,
                    period_on=month,
                    product=rng.choice(products),
                    amount=Decimal(rng.choice(["0", "-12.50", "99.99", "1234.56", "0.01"])),
                    quantity=1,
                    batch_id=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            month = m.add_months(month, rng.choice([1, 0, 2]))
        for k in range(rng.randint(0, 3)):
            due = some_day(300)
            closed = rng.random() < 0.6
            closed_at = (
                dt.datetime.combine(
                    due + dt.timedelta(days=rng.choice([-2, 0, 1])),
                    dt.time(rng.choice([0, 9, 23]), 30),
                    tzinfo=dt.timezone(dt.timedelta(hours=8)),
                )
                if closed
                else None
            )
            tasks.append(
                RetentionTask(
                    account=account,
                    episode_on=as_of - dt.timedelta(days=1000 + k),
                    owner=account.owner,
                    question="q",
                    strategy="s",
                    due_on=due,
                    status="closed" if closed else "open",
                    outcome="retained" if closed else "",
                    closed_at=closed_at,
                )
            )
        for _ in range(rng.randint(0, 3)):
            due_at = dt.datetime.combine(
                some_day(300), dt.time(rng.choice([0, 8, 15, 23]), 59), tzinfo=dt.UTC
            )
            resolved = rng.choice(
                [None, due_at, due_at - dt.timedelta(hours=3), due_at + dt.timedelta(minutes=1)]
            )
            complaints.append(
                ServiceRequest(
                    account=account,
                    kind=rng.choice(["complaint", "complaint", "request"]),
                    title="t",
                    severity="high",
                    status="resolved" if resolved else "open",
                    opened_at=due_at - dt.timedelta(hours=24),
                    sla_due_at=due_at,
                    resolved_at=resolved,
                    opened_by=account.owner,
                )
            )
        for _ in range(rng.randint(0, 2)):
            people.append(
                KeyPerson(
                    account=account,
                    name="张三",
                    role=rng.choice(["decision_maker", "decision_maker", "it_lead"]),
                    left_on=rng.choice(
                        [None, as_of, as_of - dt.timedelta(5), as_of + dt.timedelta(5)]
                    ),
                )
            )
        for _ in range(rng.randint(0, 4)):
            visits.append(
                Activity(
                    account=account,
                    kind=rng.choice(["visit", "visit", "call"]),
                    subject="拜访",
                    occurred_on=some_day(),
                    created_by=account.owner,
                )
            )
    StageChange.objects.bulk_create(changes)
    BillLine.objects.bulk_create(lines, ignore_conflicts=True)
    RetentionTask.objects.bulk_create(tasks)
    ServiceRequest.objects.bulk_create(complaints)
    KeyPerson.objects.bulk_create(people)
    Activity.objects.bulk_create(visits)
    return created


def read_population() -> m.Population:
    """The database as plain records (a per-account loop: tests only, on small data)."""
    zone = timezone.get_default_timezone()
    changes: dict[int, list] = {}
    for c in StageChange.objects.all():
        changes.setdefault(c.account_id, []).append((c.changed_on, c.to_stage))
    bills: dict[int, list] = {}
    for b in BillLine.objects.select_related("product__module"):
        bills.setdefault(b.account_id, []).append(
            m.BillRecord(b.period_on, b.amount, b.product.module.layer == "application")
        )
    tasks: dict[int, list] = {}
    for t in RetentionTask.objects.all():
        closed_on = (
            t.closed_at.astimezone(zone).date() if t.closed_at and t.status == "closed" else None
        )
        tasks.setdefault(t.account_id, []).append(m.TaskRecord(t.due_on, closed_on))
    complaints: dict[int, list] = {}
    for s in ServiceRequest.objects.filter(kind="complaint"):
        complaints.setdefault(s.account_id, []).append(
            m.ComplaintRecord(s.sla_due_at, s.resolved_at)
        )
    people: dict[int, list] = {}
    for p in KeyPerson.objects.filter(role="decision_maker"):
        people.setdefault(p.account_id, []).append(p.left_on)
    visits: dict[int, list] = {}
    for v in Activity.objects.filter(kind="visit"):
        visits.setdefault(v.account_id, []).append(v.occurred_on)
    scores = dict(AccountScore.objects.values_list("account_id", "value_class"))
    overrides = dict(ClassOverride.objects.values_list("account_id", "value_class"))
    states = {s.account_id: (s.as_of, s.stage) for s in AccountLifecycle.objects.all()}
    records = tuple(
        m.AccountRecord(
            id=a.id,
            region_id=a.region_id,
            owner_id=a.owner_id,
            status=a.status,
            joined_on=a.joined_on,
            parent_id=a.parent_id,
            value_class=overrides.get(a.id, scores.get(a.id)),
            stage_changes=tuple(changes.get(a.id, ())),
            lifecycle=states.get(a.id),
            bills=tuple(bills.get(a.id, ())),
            tasks=tuple(tasks.get(a.id, ())),
            complaints=tuple(complaints.get(a.id, ())),
            decision_makers_left_on=tuple(people.get(a.id, ())),
            visits_on=tuple(visits.get(a.id, ())),
        )
        for a in Account.objects.order_by("id")
    )
    managers: dict[int, int] = {}
    for u in User.objects.filter(role="account_manager", is_active=True, region__isnull=False):
        managers[u.region_id] = managers.get(u.region_id, 0) + 1
    return m.Population(
        regions=dict(Region.objects.values_list("id", "path")),
        accounts=records,
        account_managers_by_region=managers,
    )

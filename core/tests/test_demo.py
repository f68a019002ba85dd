"""The demo province: its shape, its determinism, and the `demo` command around it."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from accounts.domain import check_credit_code
from accounts.models import Account, Activity, KeyPerson, Member, ServiceRequest
from core.demo.generator import COLUMNS, DemoSpec, generate, plan_staff
from org.models import MachineClientKey, User

AS_OF = dt.date(2025, 6, 30)


def _rows(spec: DemoSpec) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {t: [] for t in COLUMNS}
    for chunk in generate(spec):
        for table, rows in chunk.rows.items():
            out[table].extend(rows)
    return out


# --- the pure generator (no database) -------------------------------------------------------


def test_same_seed_same_rows_and_another_seed_other_rows() -> None:
    spec = DemoSpec(accounts=400, seed=11, as_of=AS_OF, chunk_size=150)
    first, second = _rows(spec), _rows(spec)
    assert first == second
    other = _rows(DemoSpec(accounts=400, seed=12, as_of=AS_OF, chunk_size=150))
    assert [r[2] for r in other["accounts.Account"]] != [r[2] for r in first["accounts.Account"]]


def test_exact_account_count_and_unique_codes_across_chunks() -> None:
    rows = _rows(DemoSpec(accounts=1234, seed=3, as_of=AS_OF, chunk_size=500))
    accounts = rows["accounts.Account"]
    assert len(accounts) == 1234
    assert len({a[1] for a in accounts}) == 1234  # code
    credit = [a[3] for a in accounts if a[3]]
    assert len(set(credit)) == len(credit)
    assert all(check_credit_code(c).ok for c in credit)


def test_staff_plan_has_about_one_manager_per_200_accounts() -> None:
    plan = plan_staff(DemoSpec(accounts=100_000, as_of=AS_OF))
    managers = sum(len(ids) for ids in plan.managers.values())
    assert 100_000 / 250 <= managers <= 100_000 / 150
    roles = Counter(row[3] for row in plan.users)
    assert roles["hq"] == 1 and roles["regional_manager"] == 8


# --- the demo command ---------------------------------------------------------------------


def _demo(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command(
            "demo", "--no-serve", "--accounts", "300", "--seed", "5", "--as-of", "2025-06-30",
            *args, stdout=out,
        )  # fmt: skip
    return out.getvalue()


def _city(account: Account) -> str:
    return account.region.path.split("/")[2]


def _snapshot() -> list[tuple]:
    accounts = list(
        Account.objects.order_by("code").values_list(
            "code", "name", "credit_code", "org_kind", "industry", "size_band", "region__code",
            "owner__username", "parent__code", "status", "joined_on", "contract_end",
        )
    )  # fmt: skip
    people = list(
        KeyPerson.objects.order_by("account__code", "name", "role").values_list(
            "account__code", "name", "role", "influence", "relationship", "drivers", "left_on"
        )
    )
    return [*accounts, *people, Member.objects.count(), Activity.objects.count()]


@pytest.mark.django_db
def test_demo_command_builds_a_realistic_province() -> None:
    output = _demo()

    # One user per role, the printed logins work, and a billing client key is issued.
    for role, username, password in (
        ("hq", "hq", "demo-hq-2024"),
        ("regional_manager", "rm_gz", "demo-rm-2024"),
        ("account_manager", "am_gz_th_01", "demo-am-2024"),
    ):
        user = User.objects.get(username=username)
        assert user.role == role and user.check_password(password)
        assert username in output and password in output
    client = User.objects.get(role="billing_client", username="client:billing-demo")
    key = MachineClientKey.objects.get(user=client, revoked=False)
    assert key.prefix in output

    accounts = list(Account.objects.select_related("region", "parent__region"))
    assert len(accounts) == 300
    assert len({_city(a) for a in accounts}) >= 4
    assert len({a.industry for a in accounts}) >= 10
    assert set(Counter(a.status for a in accounts)) == {"active", "prospect", "churned"}
    assert Counter(a.status for a in accounts).most_common(1)[0][0] == "active"
    sizes = Counter(a.size_band for a in accounts)
    assert sizes["micro"] + sizes["small"] > 3 * (sizes["large"] + sizes["medium"]) / 2

    # Valid credit codes, org kinds that fit the industry.
    assert all(check_credit_code(a.credit_code).ok for a in accounts if a.credit_code)
    assert {a.org_kind for a in accounts if a.industry == "government"} <= {
        "government",
        "public_institution",
    }
    health = Counter(a.org_kind for a in accounts if a.industry in ("healthcare", "education"))
    assert health["public_institution"] > health["enterprise"]

    # Group hierarchies spanning cities, some three levels deep.
    branches = [a for a in accounts if a.parent_id]
    assert any(_city(a) != _city(a.parent) for a in branches)
    by_id = {a.pk: a for a in accounts}
    assert any(by_id[a.parent_id].parent_id for a in branches)

    # Contracts: some expire within 90 days of the as-of date.
    soon = [a for a in accounts if a.contract_end and 0 <= (a.contract_end - AS_OF).days <= 90]
    assert soon

    # Key persons: every account has a decision maker; champions, drivers, care, leavers.
    people = list(KeyPerson.objects.all())
    assert {p.account_id for p in people if p.role == "decision_maker"} == set(by_id)
    assert any(p.role == "champion" for p in people)
    assert all(1 <= p.influence <= 5 and 1 <= p.relationship <= 5 for p in people)
    assert all(1 <= len(p.drivers) <= 3 for p in people)
    assert all(set(p.drivers) <= set(KeyPerson.Driver.values) for p in people)
    assert any(p.left_on for p in people) and any(p.birthday_on for p in people)
    assert KeyPerson.objects.filter(care_dates__isnull=False).exists()

    # Member lines are masked, some are VIPs.
    members = Member.objects.all()
    assert all(re.fullmatch(r"\d{3}\*{4}\d{4}", m.number_masked) for m in members)
    assert members.filter(is_vip=True).exists()

    # A year of activities of every kind, and complaints, some open past their SLA.
    kinds = set(Activity.objects.values_list("kind", flat=True))
    assert kinds == set(Activity.Kind.values)
    oldest = Activity.objects.order_by("occurred_on").first()
    assert oldest is not None and (AS_OF - oldest.occurred_on).days <= 366
    complaints = ServiceRequest.objects.filter(kind="complaint")
    assert complaints.exists()
    as_of_at = dt.datetime(2025, 6, 30, 18, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert complaints.exclude(status="resolved").exists()
    assert (
        ServiceRequest.objects.exclude(status="resolved").filter(sla_due_at__lt=as_of_at).exists()
    )

    # Every account's audit trail starts with its creation.
    assert Account.history.filter(history_type="+").count() == 300  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_demo_is_idempotent_and_deterministic_across_reset() -> None:
    _demo()
    before = _snapshot()
    again = _demo()
    assert "already present" in again
    assert _snapshot() == before
    _demo("--reset")
    assert _snapshot() == before
    assert Account.objects.count() == 300
    # The printed key is the only valid one: the earlier demo keys were revoked.
    assert (
        MachineClientKey.objects.filter(user__username="client:billing-demo", revoked=False).count()
        == 1
    )

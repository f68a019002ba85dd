"""The nightly SQL path and the pure rules agree exactly, on random populations: bill series with
ties, zeros, credits (negative lines), gaps and current-month lines, every status, contract ends,
complaints, key persons and activities (SQLite by default, PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account, Activity, KeyPerson, ServiceRequest
from accounts.tests.factories import RegionFactory, UserFactory
from billing.models import BillLine
from lifecycle import domain, nightly
from lifecycle.models import AccountLifecycle, ChurnFlag, RetentionTask
from lifecycle.tests import nightly_helpers as h
from segmentation.selectors import annotate_scores

AS_OF = dt.date(2026, 7, 15)
PRODUCTS = ("DL-DIA", "SMS-GROUP", "VN-VPMN")
_codes = itertools.count()

cents = st.sampled_from([0, -500, 1, 100, 700, 900, 1000, 1100, 123456, 99999999])
members = st.sampled_from([None, 0, 9, 10, 100])


@st.composite
def accounts(draw):
    lines = []
    for product in draw(st.lists(st.sampled_from(PRODUCTS), max_size=3, unique=True)):
        months = draw(st.lists(st.integers(0, 13), max_size=14, unique=True))
        lines += [
            domain.Line(h.month(AS_OF, k), product, draw(cents), draw(members)) for k in months
        ]

    def offset(values):
        return draw(st.sampled_from(values))

    return {
        "status": draw(st.sampled_from(["active", "active", "prospect", "churned"])),
        "org_kind": draw(st.sampled_from(["enterprise", "enterprise", "government"])),
        "size_band": draw(st.sampled_from(["large", "small"])),
        "lines": lines,
        "contract_days": offset([None, -1, 0, 45, 90, 91]),
        "complaints": draw(
            st.lists(
                st.tuples(
                    st.sampled_from([-100, -5, 3]),
                    st.sampled_from([-2, 0, 20]),
                    st.sampled_from([None, -3, 1]),
                ),
                max_size=3,
            )
        ),
        "key_persons": draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["decision_maker", "champion", "influencer"]),
                    st.sampled_from([None, -1, 0, 30, 90, 91]),
                ),
                max_size=2,
            )
        ),
        "activities": draw(st.lists(st.sampled_from([-3, 0, 60, 61, 400]), max_size=2)),
    }


def load(rows, region, owner):
    BillLine.objects.all().delete()
    Account.objects.all().delete()
    batch_row = h.batch()
    created = Account.objects.bulk_create(
        [
            Account(
                code=f"L{next(_codes):07d}",
                name="x",
                org_kind=row["org_kind"],
                industry="other",
                size_band=row["size_band"],
                status=row["status"],
                region=region,
                owner=owner,
                contract_end=(
                    None
                    if row["contract_days"] is None
                    else AS_OF + dt.timedelta(days=row["contract_days"])
                ),
            )
            for row in rows
        ]
    )
    end = h.day_end(AS_OF)
    hours = dt.timedelta(hours=1)
    requests, persons, activities = [], [], []
    for account, row in zip(created, rows, strict=True):
        h.add_lines(account, row["lines"], batch_row=batch_row)
        for opened, sla, resolved in row["complaints"]:
            requests.append(
                ServiceRequest(
                    account=account,
                    kind="complaint",
                    title="t",
                    severity="high",
                    opened_at=end + opened * hours,
                    sla_due_at=end + max(opened, sla) * hours,
                    resolved_at=None if resolved is None else end + max(opened, resolved) * hours,
                    opened_by=owner,
                )
            )
        for role, days in row["key_persons"]:
            left = None if days is None else AS_OF - dt.timedelta(days=days)
            persons.append(KeyPerson(account=account, name="k", role=role, left_on=left))
        for days in row["activities"]:
            activities.append(
                Activity(
                    account=account,
                    kind="visit",
                    subject="s",
                    occurred_on=AS_OF - dt.timedelta(days=days),
                    created_by=owner,
                )
            )
    ServiceRequest.objects.bulk_create(requests)
    KeyPerson.objects.bulk_create(persons)
    Activity.objects.bulk_create(activities)
    return created


def assert_same(created, rows):
    states = {s.account_id: s for s in AccountLifecycle.objects.all()}
    assert set(states) == {a.pk for a in created}
    open_flags: dict[int, dict[str, dict]] = {}
    for flag in ChurnFlag.objects.filter(cleared_on__isnull=True):
        open_flags.setdefault(flag.account_id, {})[flag.code] = flag.evidence
    tasks = {t.account_id: t for t in RetentionTask.objects.all()}
    # The desk order the night stores per chunk: the effective value class as segmentation says.
    classes = dict(
        annotate_scores(Account.objects.filter(pk__in=[a.pk for a in created])).values_list(
            "id",
            "value_class",  # type: ignore[misc]  # an annotation the stubs cannot see
        )
    )
    for account, row in zip(created, rows, strict=True):
        want = h.expected(account, row["lines"], as_of=AS_OF)
        got = states[account.pk]
        assert (got.stage, got.churn_risk, got.flag_count, got.open_flags) == (
            want.stage,
            want.churn_risk,
            len(want.flags),
            domain.flag_mask(want.flags),
        ), (row, want)
        assert (got.revenue_r3 * 100, got.revenue_p3 * 100) == (want.r3, want.p3)
        assert (got.products_m1, got.products_m4) == (want.products_m1, want.products_m4)
        assert got.first_revenue_on == want.first_revenue_on
        assert open_flags.get(account.pk, {}) == want.flags, (row, want)
        assert got.high_risk_since == (AS_OF if want.churn_risk == "high" else None)
        assert (account.pk in tasks) is (want.churn_risk == "high")
        if want.churn_risk == "high":
            assert tasks[account.pk].flags == sorted(want.flags)
            assert tasks[account.pk].stage == want.stage
        on_desk = bool(want.flags) or account.pk in tasks
        assert got.desk_key == (
            domain.desk_key(
                churn_risk=want.churn_risk,
                value_class=classes[account.pk],
                revenue_p3=got.revenue_p3,
                revenue_r3=got.revenue_r3,
            )
            if on_desk
            else None
        )


def snapshot():
    return (
        list(AccountLifecycle.objects.order_by("account_id").values()),
        list(ChurnFlag.objects.order_by("id").values()),
        list(RetentionTask.objects.order_by("id").values()),
    )


@pytest.fixture
def place(settings, db):
    region = RegionFactory(code="LX", name="L")
    owner = UserFactory(username="lc_prop_owner", region=region)

    def apply(chunk_size):
        settings.LIFECYCLE = {**settings.LIFECYCLE, "CHUNK_SIZE": chunk_size}
        return region, owner

    return apply


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(accounts(), min_size=0, max_size=25), chunk_size=st.integers(1, 9))
def test_sql_path_equals_pure_path(rows, chunk_size, place):
    region, owner = place(chunk_size)
    created = load(rows, region, owner)
    nightly.lifecycle_run(as_of=AS_OF)
    assert_same(created, rows)
    # Idempotent: the same night again changes nothing, and a chunk redone adds nothing.
    before = snapshot()
    nightly.lifecycle_run(as_of=AS_OF)
    if created:
        ids = [a.pk for a in created]
        nightly.run_chunk(as_of=AS_OF, first_id=min(ids), last_id=max(ids))
    assert snapshot() == before

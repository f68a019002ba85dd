"""The account resource carries the lifecycle state (stage, stage_since, churn_risk, open flag
codes; null and [] without a lifecycle row), filters by stage and churn risk, and stays a bounded
number of queries per page."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.tests.factories import AccountFactory
from lifecycle.models import AccountLifecycle, ChurnFlag

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 10, 31)


def _state(account, stage, risk, flags=()):  # type: ignore[no-untyped-def]
    AccountLifecycle.objects.create(
        account=account,
        as_of=AS_OF,
        stage=stage,
        stage_since=dt.date(2026, 9, 1) if stage else None,
        churn_risk=risk,
        flag_count=len(flags),
        high_risk_since=AS_OF if risk == "high" else None,
    )
    for code in flags:
        ChurnFlag.objects.create(account=account, code=code, raised_on=AS_OF)
    # A cleared flag is history, not an open flag.
    ChurnFlag.objects.create(
        account=account, code="no_contact", raised_on=dt.date(2026, 1, 31), cleared_on=AS_OF
    )


@pytest.fixture
def states(world):  # type: ignore[no-untyped-def]
    falling = AccountFactory(code="LC-D", owner=world.am_a, region=world.district_a1)
    growing = AccountFactory(code="LC-B", owner=world.am_a, region=world.district_a1)
    bare = AccountFactory(code="LC-N", owner=world.am_a, region=world.district_a1)
    elsewhere = AccountFactory(code="LC-SZ", owner=world.am_b, region=world.city_b)
    _state(falling, "D", "high", ["revenue_drop", "complaints"])
    _state(growing, "B", "low")
    _state(elsewhere, "D", "high", ["zero_revenue"])
    return {"falling": falling, "growing": growing, "bare": bare}


def _codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_list_and_detail_carry_the_lifecycle_fields(world, api, states):  # type: ignore[no-untyped-def]
    client = api(world.am_a)
    rows = {r["code"]: r for r in client.get("/api/v1/accounts/?q=LC-").json()["results"]}
    assert set(rows) == {"LC-D", "LC-B", "LC-N"}  # never another portfolio's
    assert rows["LC-D"]["stage"] == "D"
    assert rows["LC-D"]["stage_since"] == "2026-09-01"
    assert rows["LC-D"]["churn_risk"] == "high"
    assert rows["LC-D"]["open_flags"] == ["complaints", "revenue_drop"]
    assert rows["LC-B"]["open_flags"] == []
    assert rows["LC-N"]["stage"] is None
    assert rows["LC-N"]["stage_since"] is None
    assert rows["LC-N"]["churn_risk"] is None
    assert rows["LC-N"]["open_flags"] == []
    detail = client.get("/api/v1/accounts/LC-D/").json()
    assert (detail["stage"], detail["churn_risk"]) == ("D", "high")
    assert detail["open_flags"] == ["complaints", "revenue_drop"]
    bare = client.get("/api/v1/accounts/LC-N/").json()
    assert (bare["stage"], bare["churn_risk"], bare["open_flags"]) == (None, None, [])


def test_filters_by_stage_and_churn_risk_within_visibility(world, api, states):  # type: ignore[no-untyped-def]
    assert _codes(api(world.am_a).get("/api/v1/accounts/?stage=D")) == ["LC-D"]
    assert _codes(api(world.am_a).get("/api/v1/accounts/?churn_risk=low")) == ["LC-B"]
    assert _codes(api(world.hq).get("/api/v1/accounts/?stage=D&churn_risk=high")) == [
        "LC-D",
        "LC-SZ",
    ]
    assert _codes(api(world.hq).get("/api/v1/accounts/?stage=B&churn_risk=high")) == []
    # The score filters still work beside them (no account here has scores).
    assert _codes(api(world.hq).get("/api/v1/accounts/?stage=D&segment_score_min=1")) == []


@pytest.mark.parametrize("param", ["stage=Z", "churn_risk=extreme", "stage=%00"])
def test_unknown_lifecycle_values_are_a_400_naming_the_field(world, api, param):  # type: ignore[no-untyped-def]
    response = api(world.hq).get(f"/api/v1/accounts/?{param}")
    assert response.status_code == 400
    assert param.split("=")[0] in response.content.decode()


def test_value_class_filter_still_works(world, api, states):  # type: ignore[no-untyped-def]
    rows = api(world.am_a).get("/api/v1/accounts/?q=LC-").json()["results"]
    value_class = rows[0]["value_class"]
    expected = sorted(r["code"] for r in rows if r["value_class"] == value_class)
    assert _codes(api(world.am_a).get(f"/api/v1/accounts/?q=LC-&value_class={value_class}")) == (
        expected
    )


def test_lifecycle_fields_add_no_query_per_row(world, api, states, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(world.hq)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/accounts/?churn_risk=high").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(15):
        _state(
            AccountFactory(code=f"LC-X{i:02d}", owner=world.am_a, region=world.district_a1),
            "E",
            "high",
            ["zero_revenue", "key_person_left"],
        )
    assert count() == small
    with django_assert_max_num_queries(8):
        client.get("/api/v1/accounts/?churn_risk=high")


def test_many_lifecycle_matches_are_filtered_by_the_join(world, api, states, monkeypatch):  # type: ignore[no-untyped-def]
    from accounts.api import filters

    monkeypatch.setattr(filters, "LIFECYCLE_IDS", 1)  # two matches: more than "a few"
    assert _codes(api(world.hq).get("/api/v1/accounts/?stage=D")) == ["LC-D", "LC-SZ"]
    assert _codes(api(world.am_a).get("/api/v1/accounts/?churn_risk=high")) == ["LC-D"]

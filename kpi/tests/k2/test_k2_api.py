"""/api/v1/kpi/scorecard/ and /api/v1/kpi/snapshots/: scoped like the dashboards, strict input,
the one error shape, keyset pagination."""

from __future__ import annotations

import pytest

from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

SCORECARD = "/api/v1/kpi/scorecard/"
SNAPSHOTS = "/api/v1/kpi/snapshots/"


def test_scorecard_defaults_to_the_callers_scope(kpi, api):
    body = api(kpi.world.rm_a).get(SCORECARD, {"period": "2026Q3"}).json()
    assert body["region"] == "GZ" and body["period"] == "2026Q3"
    assert len(body["lines"]) == 10
    assert sum(line["weight"] for line in body["lines"]) == 100
    churn = next(line for line in body["lines"] if line["metric"] == "churn_rate")
    assert churn["actual"] == "0.0200" and churn["realistic"] == "0.0400"
    assert churn["definition"]
    body = api(kpi.world.hq).get(SCORECARD, {"period": "2026Q3"}).json()
    assert body["region"] == "GD"
    body = api(kpi.world.am_a).get(SCORECARD, {"period": "2026Q3"}).json()
    assert body["user"] == "am_gz" and body["region"] is None


def test_scorecard_never_answers_outside_the_callers_scope(kpi, api):
    rm = api(kpi.world.rm_a)
    assert_error(rm.get(SCORECARD, {"region": "SZ"}), 404)
    assert_error(rm.get(SCORECARD, {"region": "GD"}), 404)
    assert_error(rm.get(SCORECARD, {"user": "am_sz"}), 404)
    assert rm.get(SCORECARD, {"user": "am_gz", "period": "2026Q3"}).json()["user"] == "am_gz"
    am = api(kpi.world.am_a)
    assert_error(am.get(SCORECARD, {"user": "am_gz2"}), 404)
    assert_error(am.get(SCORECARD, {"region": "GZ"}), 404)
    assert api(kpi.world.hq).get(SCORECARD, {"user": "am_sz"}).status_code == 200
    assert_error(api(None, key=kpi.world.billing_key).get(SCORECARD), 403)
    assert_error(api(None).get(SCORECARD), 401)


def test_scorecard_input_is_strict(kpi, api):
    hq = api(kpi.world.hq)
    assert_error(hq.get(SCORECARD, {"period": "2026Q5"}), 400, "period")
    assert_error(hq.get(SCORECARD, {"owner": "x"}), 400, "owner")
    assert_error(hq.get(SCORECARD, {"region": "GZ", "user": "am_gz"}), 400, "user")


def test_snapshots_are_scoped_and_keyset_paginated(kpi, api):
    rm = api(kpi.world.rm_a)
    response = rm.get(SNAPSHOTS, {"metric": "churn_rate", "period": "quarter"})
    regions = {row["region"] for row in response.json()["results"]}
    assert regions == {"GZ", "GZ-TH"}
    assert all(row["user"] is None for row in response.json()["results"])
    assert_error(rm.get(SNAPSHOTS, {"region": "SZ"}), 404)
    rows = rm.get(SNAPSHOTS, {"region": "GZ", "page_size": 5}).json()
    assert len(rows["results"]) == 5 and rows["next"]
    seen = {r["id"] for r in rows["results"]}
    following = rm.get(rows["next"]).json()
    assert seen.isdisjoint({r["id"] for r in following["results"]})
    assert "count" not in rows
    mine = api(kpi.world.am_a).get(SNAPSHOTS, {"metric": "new_accounts"}).json()["results"]
    assert {r["user"] for r in mine} == {"am_gz"}
    hq_rows = (
        api(kpi.world.hq)
        .get(SNAPSHOTS, {"metric": "new_accounts", "period": "year", "from": "2026-08-01"})
        .json()["results"]
    )
    assert {r["region"] for r in hq_rows} == {"GD", "GZ", "SZ", "GZ-TH"}


def test_snapshot_filters_are_validated(kpi, api):
    hq = api(kpi.world.hq)
    assert_error(hq.get(SNAPSHOTS, {"metric": "happiness"}), 400, "metric")
    assert_error(hq.get(SNAPSHOTS, {"from": "2026-09-01", "to": "2026-01-01"}), 400, "to")
    assert_error(hq.get(SNAPSHOTS, {"colour": "red"}), 400, "colour")
    assert_error(hq.get(SNAPSHOTS, {"cursor": "%00"}), 400, "cursor")


def test_openapi_schema_has_the_kpi_endpoints(kpi, api):
    response = api(kpi.world.hq).get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    assert "/api/v1/kpi/scorecard/" in paths and "/api/v1/kpi/snapshots/" in paths

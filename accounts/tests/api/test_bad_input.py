"""Bad input: each a 400 in the one error shape naming the field, never a 500, nothing written.

Runs on SQLite and on PostgreSQL (DATABASE_URL), where a NUL byte in text is refused by the
database itself, so it must be stopped before any query."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any
from urllib.parse import quote

import pytest
from django.utils import timezone

from accounts.models import Account
from accounts.tests.factories import AccountFactory, KeyPersonFactory, ServiceRequestFactory
from tests.helpers import assert_error, row_counts

pytestmark = pytest.mark.django_db

INJECTION = "' OR 1=1 --"
NUL = "\x00"


def valid_account(**overrides: Any) -> dict[str, Any]:
    """A body the API accepts from hq; `...` drops a field."""
    data = {
        "code": "NEW0001",
        "name": "福建新大陆集团",
        "credit_code": "91350100M000100Y43",
        "org_kind": "enterprise",
        "industry": "finance",
        "size_band": "large",
        "region": "GZ",
        "owner": "am_gz",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


@pytest.fixture
def accounts(world):  # type: ignore[no-untyped-def]
    own = AccountFactory(owner=world.am_a, region=world.district_a1, code="GZ0001")
    other = AccountFactory(owner=world.am_b, region=world.city_b, code="SZ0001")
    return own, other


def post_json(client: Any, url: str, data: Any) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


# --- account create -----------------------------------------------------------------------------

CREATE_CASES = [
    ("checksum", valid_account(credit_code="91350100M000100Y44"), "credit_code"),
    ("credit code too short", valid_account(credit_code="91350100M000100Y4"), "credit_code"),
    ("credit code too long", valid_account(credit_code="91350100M000100Y43X"), "credit_code"),
    ("credit code letter I", valid_account(credit_code="91350100M000100I43"), "credit_code"),
    ("credit code letter O", valid_account(credit_code="9135010OM000100Y43"), "credit_code"),
    ("credit code symbols", valid_account(credit_code="91350100M00010-Y43"), "credit_code"),
    ("credit code NUL", valid_account(credit_code="91350100M000100Y4" + NUL), "credit_code"),
    ("unknown region", valid_account(region="NOWHERE"), "region"),
    ("region NUL", valid_account(region="GZ" + NUL), "region"),
    ("10,000-character name", valid_account(name="集" * 10_000), "name"),
    ("empty name", valid_account(name=""), "name"),
    ("NUL in name", valid_account(name="福建" + NUL + "集团"), "name"),
    ("name is an object", valid_account(name={"zh": "集团"}), "name"),
    ("name is a boolean", valid_account(name=True), "name"),
    ("org_kind is a number", valid_account(org_kind=5), "org_kind"),
    ("unknown industry", valid_account(industry="mining"), "industry"),
    ("industry injection", valid_account(industry=INJECTION), "industry"),
    ("region is a list", valid_account(region=["GZ"]), "region"),
    ("joined_on not a date", valid_account(joined_on="2024-13-40"), "joined_on"),
    ("joined_on a number", valid_account(joined_on=20240101), "joined_on"),
    ("code injection", valid_account(code=INJECTION), "code"),
    ("code NUL", valid_account(code="A" + NUL), "code"),
    ("code too long", valid_account(code="A" * 33), "code"),
    ("unknown field", valid_account(value_class="economic"), "value_class"),
    ("scores are not writable", valid_account(segment_score=5), "segment_score"),
    ("version is not writable on create", valid_account(version=7), "version"),
    ("unknown owner", valid_account(owner="nobody"), "owner"),
    ("owner not an account manager", valid_account(owner="rm_sz"), "owner"),
    ("unknown parent", valid_account(parent="NOPE"), "parent"),
    ("missing required", valid_account(org_kind=...), "org_kind"),
    (
        "contract ends before joining",
        valid_account(joined_on="2024-05-01", contract_end="2024-01-01"),
        "contract_end",
    ),
    ("unknown status", valid_account(status="deleted"), "status"),
]


@pytest.mark.parametrize("case,data,field", CREATE_CASES, ids=[c[0] for c in CREATE_CASES])
def test_account_create_rejects(world, api, accounts, case, data, field):  # type: ignore[no-untyped-def]
    before = row_counts()
    response = post_json(api(world.hq), "/api/v1/accounts/", data)
    assert_error(response, 400, field)
    assert row_counts() == before


def test_the_valid_account_is_accepted(world, api):  # type: ignore[no-untyped-def]
    """The cases above differ from an accepted request only in the field they break."""
    response = post_json(api(world.hq), "/api/v1/accounts/", valid_account())
    assert response.status_code == 201, response.content
    assert Account.objects.get(code="NEW0001").owner == world.am_a


def test_duplicate_code_and_credit_code(world, api, accounts):  # type: ignore[no-untyped-def]
    own, _ = accounts
    client = api(world.hq)
    before = row_counts()
    assert_error(post_json(client, "/api/v1/accounts/", valid_account(code=own.code)), 400, "code")
    dup = valid_account(credit_code=own.credit_code.lower())
    assert_error(post_json(client, "/api/v1/accounts/", dup), 400, "credit_code")
    assert row_counts() == before


def test_another_portfolios_parent_is_unknown(world, api, accounts):  # type: ignore[no-untyped-def]
    _, other = accounts
    data = valid_account(owner=..., region=..., parent=other.code)
    error = assert_error(post_json(api(world.am_a), "/api/v1/accounts/", data), 400, "parent")
    missing = valid_account(owner=..., region=..., parent="NOPE")
    error_missing = assert_error(
        post_json(api(world.am_a), "/api/v1/accounts/", missing), 400, "parent"
    )
    assert error["fields"] == error_missing["fields"]  # no existence oracle


@pytest.mark.parametrize(
    "body,code",
    [
        ("{bad json", "parse_error"),
        ('{"name": "a",}', "parse_error"),
        ("[1, 2, 3]", None),
        ('"a string"', None),
        ("42", None),
        ("null", None),
    ],
)
def test_malformed_bodies(world, api, body, code):  # type: ignore[no-untyped-def]
    before = row_counts()
    response = api(world.hq).post("/api/v1/accounts/", data=body, content_type="application/json")
    error = assert_error(response, 400)
    if code:
        assert error["code"] == code
    else:
        assert "non_field_errors" in error["fields"]
    assert row_counts() == before


# --- writable allow-list -------------------------------------------------------------------------


@pytest.mark.parametrize("field,value", [("owner", "am_gz2"), ("region", "GZ")])
def test_account_manager_cannot_set_owner_or_region(world, api, accounts, field, value):  # type: ignore[no-untyped-def]
    own, _ = accounts
    client = api(world.am_a)
    before = row_counts()
    data = {**valid_account(owner=..., region=...), field: value}
    assert_error(post_json(client, "/api/v1/accounts/", data), 400, field)
    response = client.patch(
        f"/api/v1/accounts/{own.code}/", {"version": own.version, field: value}, format="json"
    )
    assert_error(response, 400, field)
    assert row_counts() == before


def test_account_manager_creates_in_own_portfolio(world, api):  # type: ignore[no-untyped-def]
    response = post_json(api(world.am_a), "/api/v1/accounts/", valid_account(owner=..., region=...))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["owner"], body["region"]) == ("am_gz", "GZ-TH")


def test_regional_manager_only_within_subtree(world, api, accounts):  # type: ignore[no-untyped-def]
    own, _ = accounts
    client = api(world.rm_a)
    before = row_counts()
    outside = valid_account(region="SZ", owner="am_gz")
    assert_error(post_json(client, "/api/v1/accounts/", outside), 400, "region")
    foreign_owner = valid_account(region="GZ", owner="am_sz")
    assert_error(post_json(client, "/api/v1/accounts/", foreign_owner), 400, "owner")
    patch = {"version": own.version, "region": "SZ"}
    assert_error(client.patch(f"/api/v1/accounts/{own.code}/", patch, format="json"), 400, "region")
    patch = {"version": own.version, "owner": "am_sz"}
    assert_error(client.patch(f"/api/v1/accounts/{own.code}/", patch, format="json"), 400, "owner")
    assert row_counts() == before
    # Inside the subtree both are allowed.
    inside = valid_account(region="GZ-TH", owner="am_gz2")
    assert post_json(client, "/api/v1/accounts/", inside).status_code == 201
    patch = {"version": own.version, "region": "GZ", "owner": "am_gz2"}
    response = client.patch(f"/api/v1/accounts/{own.code}/", patch, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["region"], response.json()["owner"]) == ("GZ", "am_gz2")


def test_regional_manager_cannot_reassign_outside_region(world, api, accounts):  # type: ignore[no-untyped-def]
    own, _ = accounts
    before = row_counts()
    response = post_json(
        api(world.rm_a), "/api/v1/accounts/reassign/", {"codes": [own.code], "owner": "am_sz"}
    )
    assert_error(response, 400, "owner")
    assert row_counts() == before


# --- filters, search, ordering, cursors --------------------------------------------------------

FILTER_CASES = [
    ("industry=mining", "industry"),
    (f"industry={quote(INJECTION)}", "industry"),
    (f"status={quote(INJECTION)}", "status"),
    ("org_kind=%00", "org_kind"),
    ("size_band=huge", "size_band"),
    ("region=NOWHERE", "region"),
    ("region=%00", "region"),
    (f"region={quote(INJECTION)}", "region"),
    ("owner=%00", "owner"),
    ("parent=G%00", "parent"),
    ("updated_since=yesterday", "updated_since"),
    ("updated_since=%00", "updated_since"),
    ("ordering=salary", "ordering"),
    (f"ordering={quote(INJECTION)}", "ordering"),
    ("ordering=%00", "ordering"),
    ("ordering=code,,name", "ordering"),
    ("ordering=owner__password", "ordering"),
    ("q=" + "x" * 101, "q"),
]
CURSOR_CASES = ["not-a-cursor", "%00", "YWJj%00", quote(INJECTION), "x" * 2000]


@pytest.mark.parametrize("path", ["/api/v1/accounts/", "/api/v1/accounts/export/"])
@pytest.mark.parametrize("query,field", FILTER_CASES, ids=[c[0][:30] for c in FILTER_CASES])
def test_bad_filters(world, api, accounts, path, query, field):  # type: ignore[no-untyped-def]
    response = api(world.hq).get(f"{path}?{query}")
    assert_error(response, 400, field)


@pytest.mark.parametrize("cursor", CURSOR_CASES)
def test_bad_cursors(world, api, accounts, cursor):  # type: ignore[no-untyped-def]
    assert_error(api(world.hq).get(f"/api/v1/accounts/?cursor={cursor}"), 400, "cursor")
    nested = f"/api/v1/accounts/{accounts[0].code}/activities/?cursor={cursor}"
    assert_error(api(world.hq).get(nested), 400, "cursor")


def _cursor(position: str) -> str:
    return base64.b64encode(f"o=0&r=0&p={quote(position)}".encode()).decode()


@pytest.mark.parametrize("position", [NUL, "x" * 500])
def test_forged_cursor_positions(world, api, accounts, position):  # type: ignore[no-untyped-def]
    response = api(world.hq).get("/api/v1/accounts/", {"cursor": _cursor(position)})
    assert_error(response, 400, "cursor")


def test_forged_cursor_on_a_date_ordering(world, api, accounts):  # type: ignore[no-untyped-def]
    response = api(world.hq).get(
        "/api/v1/accounts/", {"cursor": _cursor("not-a-date"), "ordering": "-joined_on"}
    )
    assert_error(response, 400)


@pytest.mark.parametrize("q", [INJECTION, "%", "_", "\\", "'; DROP TABLE accounts_account; --"])
def test_search_with_sql_looking_text_is_an_empty_result(world, api, accounts, q):  # type: ignore[no-untyped-def]
    response = api(world.hq).get("/api/v1/accounts/", {"q": q})
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []
    export = api(world.hq).get("/api/v1/accounts/export/", {"q": q})
    assert export.status_code == 200
    assert len(b"".join(export.streaming_content).decode("utf-8-sig").splitlines()) == 1
    assert Account.objects.count() == 2


def test_search_with_nul_is_refused_not_500(world, api, accounts):  # type: ignore[no-untyped-def]
    assert_error(api(world.hq).get("/api/v1/accounts/?q=%00"), 400, "q")
    assert_error(api(world.hq).get("/api/v1/accounts/?q=G%00"), 400, "q")


def test_injection_in_filters_never_widens_the_result(world, api, accounts):  # type: ignore[no-untyped-def]
    response = api(world.am_a).get("/api/v1/accounts/", {"owner": INJECTION})
    assert response.status_code == 200
    assert response.json()["results"] == []
    response = api(world.am_a).get("/api/v1/accounts/", {"parent": INJECTION})
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    "path,methods",
    [
        ("/api/v1/accounts/%00/", ("get", "patch")),
        (f"/api/v1/accounts/{quote(INJECTION)}/", ("get", "patch")),
        ("/api/v1/accounts/" + "A" * 5000 + "/", ("get", "patch")),
        ("/api/v1/accounts/%00/key-persons/", ("get", "post")),
        ("/api/v1/accounts/%00/history/", ("get",)),
        ("/api/v1/accounts/%00/team/", ("get", "post")),
        ("/api/v1/accounts/GZ0001/team/%00/", ("delete",)),
        ("/api/v1/accounts/GZ0001/key-persons/99999999999999999999999/", ("get", "patch")),
        ("/api/v1/accounts/GZ0001/members/9223372036854775808/", ("get",)),
        ("/api/v1/accounts/GZ0001/activities/0/", ("get",)),
        ("/api/v1/accounts/GZ0001/service-requests/99999999999999999999999/", ("get", "patch")),
    ],
)
def test_impossible_paths_are_404_not_500(world, api, accounts, path, methods):  # type: ignore[no-untyped-def]
    client = api(world.hq)
    before = row_counts()
    for method in methods:
        call = getattr(client, method)
        response = call(path) if method in ("get", "delete") else call(path, {}, format="json")
        assert_error(response, 404)
    assert row_counts() == before


# --- nested resources ------------------------------------------------------------------------

NESTED_CASES = [
    ("key-persons", {"name": "王总", "role": "decision_maker", "influence": 9}, "influence"),
    ("key-persons", {"name": "王总", "role": "boss"}, "role"),
    ("key-persons", {"name": "王总" + NUL, "role": "user"}, "name"),
    ("key-persons", {"name": "王总", "role": "user", "drivers": ["power", "greed"]}, "drivers.1"),
    (
        "key-persons",
        {"name": "王总", "role": "user", "drivers": ["power", "security", "image", "belonging"]},
        "drivers",
    ),
    ("key-persons", {"name": "王总", "role": "user", "email": "not-an-email"}, "email"),
    (
        "key-persons",
        {
            "name": "王总",
            "role": "user",
            "care_dates": [{"occasion": "new_year", "month": 13, "day": 1}],
        },
        "care_dates.0.month",
    ),
    ("key-persons", {"name": "王总", "role": "user", "account": "SZ0001"}, "account"),
    ("members", {"number": "not a number"}, "number"),
    ("members", {"number": "13800138000", "number_masked": "138****8000"}, "number_masked"),
    ("activities", {"kind": "party", "subject": "x", "occurred_on": "2026-01-01"}, "kind"),
    ("activities", {"kind": "visit", "subject": "x", "occurred_on": "yesterday"}, "occurred_on"),
    (
        "activities",
        {
            "kind": "visit",
            "subject": "x",
            "occurred_on": "2026-01-05",
            "next_step_on": "2026-01-01",
        },
        "next_step_on",
    ),
    (
        "activities",
        {"kind": "visit", "subject": "x", "occurred_on": "2026-01-05", "created_by": "hq"},
        "created_by",
    ),
    (
        "service-requests",
        {"kind": "complaint", "title": "断网", "severity": "apocalyptic"},
        "severity",
    ),
    (
        "service-requests",
        {"kind": "complaint", "title": "断网", "severity": "low", "status": "resolved"},
        "status",
    ),
    (
        "service-requests",
        {
            "kind": "complaint",
            "title": "断网",
            "severity": "low",
            "opened_at": "2999-01-01T00:00:00Z",
        },
        "opened_at",
    ),
    ("team", {"user": "nobody", "team_role": "solution_engineer"}, "user"),
    ("team", {"user": "am_gz2", "team_role": "boss"}, "team_role"),
    ("team", {"user": "client:billing", "team_role": "other"}, "user"),
    ("team", {"user": "am_gz", "team_role": "other"}, "user"),
]


@pytest.mark.parametrize(
    "kind,data,field", NESTED_CASES, ids=[f"{c[0]}-{c[2]}" for c in NESTED_CASES]
)
def test_nested_create_rejects(world, api, accounts, kind, data, field):  # type: ignore[no-untyped-def]
    own, _ = accounts
    before = row_counts()
    response = post_json(api(world.am_a), f"/api/v1/accounts/{own.code}/{kind}/", data)
    assert_error(response, 400, field)
    assert row_counts() == before


def test_activity_with_another_accounts_key_person(world, api, accounts):  # type: ignore[no-untyped-def]
    own, other = accounts
    theirs = KeyPersonFactory(account=other)
    data = {"kind": "visit", "subject": "x", "occurred_on": "2026-01-05", "key_person": theirs.pk}
    before = row_counts()
    error = assert_error(
        post_json(api(world.am_a), f"/api/v1/accounts/{own.code}/activities/", data),
        400,
        "key_person",
    )
    data["key_person"] = 10**9
    missing = assert_error(
        post_json(api(world.am_a), f"/api/v1/accounts/{own.code}/activities/", data),
        400,
        "key_person",
    )
    # Another account's person is just unknown: the same code and the same message shape.
    assert error["code"] == missing["code"] == "does_not_exist"
    assert error["fields"]["key_person"][0].replace(str(theirs.pk), "N") == missing["fields"][
        "key_person"
    ][0].replace(str(10**9), "N")
    assert row_counts() == before


def test_resolving_without_a_resolution(world, api, accounts):  # type: ignore[no-untyped-def]
    own, _ = accounts
    sr = ServiceRequestFactory(account=own, opened_at=timezone.now() - dt.timedelta(hours=1))
    before = row_counts()
    response = api(world.am_a).patch(
        f"/api/v1/accounts/{own.code}/service-requests/{sr.pk}/",
        {"status": "resolved"},
        format="json",
    )
    assert_error(response, 400, "resolution")
    assert row_counts() == before


def test_key_person_patch_rejects_unknown_fields(world, api, accounts):  # type: ignore[no-untyped-def]
    own, _ = accounts
    person = KeyPersonFactory(account=own)
    before = row_counts()
    response = api(world.am_a).patch(
        f"/api/v1/accounts/{own.code}/key-persons/{person.pk}/",
        {"influence": 0, "salary": 1},
        format="json",
    )
    error = assert_error(response, 400, "salary")
    assert "influence" in error["fields"] or "salary" in error["fields"]
    assert row_counts() == before


def test_billing_filters_are_master_data_only(world, api, accounts):  # type: ignore[no-untyped-def]
    client = api(None, key=world.billing_key)
    everyone = client.get("/api/v1/billing/accounts/").json()["results"]
    by_owner = client.get("/api/v1/billing/accounts/", {"owner": "am_gz"}).json()["results"]
    # Filtering by owner would tell the billing system who manages whom: the filter is not there.
    assert by_owner == everyone and len(everyone) == 2
    assert_error(client.get("/api/v1/billing/accounts/?updated_since=soon"), 400, "updated_since")
    assert_error(client.get("/api/v1/billing/accounts/?cursor=zzz"), 400, "cursor")

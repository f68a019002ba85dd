"""The ingestion contract over HTTP: idempotency, corrections, quarantine, malformed requests."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from billing import services
from billing.models import BillLine, BillLineVersion, IngestBatch, QuarantinedRecord
from billing.tests.helpers import BATCHES, body, machine, post_batch, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(world, account_factory):
    return [account_factory(owner=world.am_a, region=world.district_a1) for _ in range(3)]


@pytest.fixture
def client(world):
    return machine(world.billing_key)


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["status"] == status
    assert error["code"] == code, error
    assert error["message"]
    return error


def test_first_post_writes_lines_and_answers_with_a_receipt(client, accounts):
    payload = body([record(a.code, member_count=5) for a in accounts])
    response = post_batch(client, payload, key="run-1")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["counts"] == {
        "records": 3, "inserted": 3, "corrected": 0, "unchanged": 0, "quarantined": 0
    }  # fmt: skip
    assert response["Location"] == f"/api/v1/billing/batches/{data['id']}/"
    assert "Idempotent-Replayed" not in response
    line = BillLine.objects.get(account=accounts[0])
    assert (line.period_on, line.amount, line.quantity, line.member_count, line.version) == (
        dt.date(2026, 9, 1), Decimal("100.00"), 1, 5, 1,
    )  # fmt: skip
    batch = IngestBatch.objects.get()
    assert batch.idempotency_key == "run-1" and batch.source == "api"
    # The payload is kept verbatim (compressed) and hq can fetch it back byte for byte.
    import zlib

    assert zlib.decompress(bytes(batch.payload)) == payload


def test_replay_returns_the_first_response_and_writes_nothing(client, accounts):
    payload = body([record(a.code) for a in accounts])
    first = post_batch(client, payload, key="same")
    lines_before = list(BillLine.objects.values_list("id", "updated_at", "version"))
    again = post_batch(client, payload, key="same")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert IngestBatch.objects.count() == 1
    assert list(BillLine.objects.values_list("id", "updated_at", "version")) == lines_before


def test_same_key_with_another_body_is_refused(client, accounts):
    post_batch(client, body([record(accounts[0].code)]), key="k")
    response = post_batch(client, body([record(accounts[0].code, amount="5.00")]), key="k")
    assert_error(response, 422, "idempotency_key_reused")
    assert BillLine.objects.get().amount == Decimal("100.00")


def test_retry_with_a_new_key_changes_nothing(client, accounts):
    records = [record(a.code) for a in accounts]
    post_batch(client, body(records), key="a")
    snapshot = list(BillLine.objects.values_list("id", "amount", "version", "updated_at"))
    response = post_batch(client, body(records), key="b")
    assert response.status_code == 201
    assert response.json()["counts"]["unchanged"] == 3
    assert response.json()["counts"]["inserted"] == 0
    assert list(BillLine.objects.values_list("id", "amount", "version", "updated_at")) == snapshot
    assert not BillLineVersion.objects.exists()


def test_a_correction_replaces_the_line_and_keeps_the_previous_version(
    world, api, client, accounts
):
    code = accounts[0].code
    post_batch(client, body([record(code, amount="100.00", quantity=1)]), key="v1")
    response = post_batch(
        client, body([record(code, amount="-20.00", quantity=2, member_count=3)]), key="v2"
    )
    assert response.json()["counts"]["corrected"] == 1
    line = BillLine.objects.get()
    assert (line.amount, line.quantity, line.member_count, line.version) == (
        Decimal("-20.00"), 2, 3, 2,
    )  # fmt: skip
    old = BillLineVersion.objects.get()
    assert (old.version, old.amount, old.quantity, old.member_count) == (
        1,
        Decimal("100.00"),
        1,
        None,
    )
    first, second = IngestBatch.objects.order_by("id")
    assert (old.batch_id, old.superseded_by_batch_id, line.batch_id) == (
        first.pk,
        second.pk,
        second.pk,
    )

    history = api(world.hq).get(f"/api/v1/billing/accounts/{code}/lines/")
    assert history.status_code == 200, history.content
    (row,) = history.json()
    assert row["amount"] == "-20.00" and row["version"] == 2
    assert [(v["version"], v["amount"]) for v in row["versions"]] == [(1, "100.00")]
    # History is for hq only.
    assert api(world.am_a).get(f"/api/v1/billing/accounts/{code}/lines/").status_code == 403
    assert client.get(f"/api/v1/billing/accounts/{code}/lines/").status_code == 403


def test_batch_of_1000_with_every_kind_of_bad_record(world, client, accounts):
    codes = [a.code for a in accounts]
    products = ["DL-DIA", "VN-VPMN", "SMS-GROUP", "IOT-CARD", "CLOUD-ECS", "OA-MOBILE"]
    records: list = []
    for i in range(1000):
        # 3 accounts × 6 products × 60 months gives 1,080 distinct keys.
        month = dt.date(2021, 1, 1) + dt.timedelta(days=31 * (i // 18))
        records.append(
            record(codes[i % 3], period=f"{month:%Y-%m}", product=products[(i // 3) % 6],
                   amount=f"{i}.{i % 100:02d}", quantity=i, member_count=i % 7)
        )  # fmt: skip
    bad = {
        10: ("not an object", [("", "not_an_object")]),
        20: ({**records[20], "colour": "red"}, [("colour", "unknown_field")]),
        30: ({k: v for k, v in records[30].items() if k != "amount"}, [("amount", "required")]),
        40: ({**records[40], "account_code": "NOPE"}, [("account_code", "unknown_account")]),
        50: ({**records[50], "product_code": "NOPE"}, [("product_code", "unknown_product")]),
        60: ({**records[60], "account_code": "bad code!"}, [("account_code", "invalid_code")]),
        70: ({**records[70], "period": "2026-13"}, [("period", "invalid_period")]),
        80: ({**records[80], "period": "2099-01"}, [("period", "period_out_of_range")]),
        90: ({**records[90], "amount": 12.5}, [("amount", "wrong_type")]),
        100: ({**records[100], "amount": "1.005"}, [("amount", "too_many_decimals")]),
        110: ({**records[110], "amount": "abc"}, [("amount", "invalid_decimal")]),
        120: ({**records[120], "amount": "1" * 13}, [("amount", "out_of_range")]),
        130: ({**records[130], "quantity": -1}, [("quantity", "negative")]),
        140: ({**records[140], "quantity": "7"}, [("quantity", "wrong_type")]),
        150: ({**records[150], "member_count": -3}, [("member_count", "negative")]),
        160: ({**records[160], "member_count": {"deep": [1]}}, [("member_count", "wrong_type")]),
        170: (dict(records[0]), [("", "duplicate_in_batch")]),
        180: ({**records[180], "account_code": "X\u0000Y"}, [("account_code", "invalid_code")]),
        190: ([], [("", "not_an_object")]),
        200: (None, [("", "not_an_object")]),
    }
    for index, (value, _) in bad.items():
        records[index] = value
    response = post_batch(client, body(records), key="mixed", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["counts"] == {
        "records": 1000, "inserted": 980, "corrected": 0, "unchanged": 0, "quarantined": 20
    }  # fmt: skip
    got = {
        q["index"]: sorted((e["field"], e["code"]) for e in q["errors"])
        for q in data["quarantined"]
    }
    assert got == {i: expected for i, (_, expected) in bad.items()}
    assert BillLine.objects.count() == 980
    assert QuarantinedRecord.objects.filter(status="open").count() == 20

    detail = client.get(f"{BATCHES}{data['id']}/", HTTP_ACCEPT_LANGUAGE="en")
    assert detail.status_code == 200
    rows = {q["index"]: q for q in detail.json()["quarantined"]}
    assert rows[20]["record"]["colour"] == "red"
    assert rows[180]["record"]["account_code"] == "X\u0000Y"
    assert rows[10]["record"] == "not an object"
    assert rows[100]["errors"][0]["message"] == "The amount has more than 2 decimal places."


def test_messages_follow_accept_language(client, accounts):
    bad = body([record(accounts[0].code, amount="1.001")])
    en = post_batch(client, bad, key="en", HTTP_ACCEPT_LANGUAGE="en")
    zh = post_batch(client, bad, key="zh", HTTP_ACCEPT_LANGUAGE="zh-hans")
    en_msg = en.json()["quarantined"][0]["errors"][0]["message"]
    zh_msg = zh.json()["quarantined"][0]["errors"][0]["message"]
    assert en_msg == "The amount has more than 2 decimal places."
    assert zh_msg != en_msg and "小数" in zh_msg
    missing = post_batch(client, bad, key=None, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "Idempotency-Key" in missing.json()["error"]["message"]
    assert (
        missing.json()["error"]["message"]
        != post_batch(client, bad, key=None, HTTP_ACCEPT_LANGUAGE="en").json()["error"]["message"]
    )


def test_quarantined_record_is_reprocessed_once_the_account_exists(
    world, api, client, account_factory
):
    response = post_batch(
        client, body([record("G-LATER"), record("G-LATER", product="NOPE")]), key="q"
    )
    batch_id = response.json()["id"]
    assert response.json()["counts"]["quarantined"] == 2
    # Nothing to apply yet.
    first = client.post(f"{BATCHES}{batch_id}/reprocess/")
    assert first.status_code == 200 and first.json()["applied"] == 0
    assert first.json()["still_open"] == 2

    account_factory(code="G-LATER", owner=world.am_a, region=world.district_a1)
    again = client.post(f"{BATCHES}{batch_id}/reprocess/")
    assert again.json() == {
        "batch_id": batch_id, "examined": 2, "applied": 1, "inserted": 1, "corrected": 0,
        "superseded": 0, "still_open": 1,
    }  # fmt: skip
    line = BillLine.objects.get()
    assert line.account.code == "G-LATER" and line.batch_id == batch_id
    statuses = dict(QuarantinedRecord.objects.values_list("index", "status"))
    assert statuses == {0: "reprocessed", 1: "open"}
    detail = client.get(f"{BATCHES}{batch_id}/").json()
    assert [q["status"] for q in detail["quarantined"]] == ["reprocessed", "open"]
    # Other staff cannot reprocess; another client cannot see the batch.
    assert api(world.am_a).post(f"{BATCHES}{batch_id}/reprocess/").status_code == 403


def test_reprocess_never_undoes_a_newer_batch(world, client, account_factory):
    old = post_batch(client, body([record("G-LATE2", amount="1.00")]), key="old").json()["id"]
    account_factory(code="G-LATE2", owner=world.am_a, region=world.district_a1)
    post_batch(client, body([record("G-LATE2", amount="9.00")]), key="new")
    call_command("billing_reprocess", "--batch", str(old))
    assert BillLine.objects.get().amount == Decimal("9.00")
    assert QuarantinedRecord.objects.get().status == "superseded"


def test_reprocess_command_over_all_open_batches(world, client, account_factory):
    post_batch(client, body([record("G-CMD")]), key="c1")
    account_factory(code="G-CMD", owner=world.am_a, region=world.district_a1)
    call_command("billing_reprocess", "--all-open")
    assert BillLine.objects.filter(account__code="G-CMD").count() == 1
    assert not QuarantinedRecord.objects.filter(status="open").exists()


def test_batch_list_and_detail_are_per_client(world, api, client, accounts):
    from org.services import machine_client_provision

    other = machine_client_provision(name="other-billing")
    mine = post_batch(client, body([record(accounts[0].code)]), key="mine").json()["id"]
    theirs = post_batch(machine(other.key), body([record(accounts[1].code)]), key="mine").json()[
        "id"
    ]
    assert mine != theirs  # keys are scoped per client
    listed = client.get(BATCHES).json()["results"]
    assert [b["id"] for b in listed] == [mine]
    assert client.get(f"{BATCHES}{theirs}/").status_code == 404
    assert {b["id"] for b in api(world.hq).get(BATCHES).json()["results"]} == {mine, theirs}
    assert api(world.rm_a).get(BATCHES).status_code == 403
    hq_payload = api(world.hq).get(f"{BATCHES}{mine}/payload/")
    assert hq_payload.status_code == 200
    assert json.loads(hq_payload.content)["records"][0]["account_code"] == accounts[0].code
    assert client.get(f"{BATCHES}{mine}/payload/").status_code == 403


def test_expired_keys_are_released_after_retention(client, accounts):
    post_batch(client, body([record(accounts[0].code)]), key="old-key")
    IngestBatch.objects.update(created_at=timezone.now() - dt.timedelta(days=8))
    post_batch(client, body([record(accounts[1].code)]), key="fresh-key")
    from billing.tasks import idempotency_keys_expire

    assert idempotency_keys_expire() == 1
    assert set(IngestBatch.objects.values_list("idempotency_key", flat=True)) == {None, "fresh-key"}
    # The old key may now carry another body; the natural key keeps the lines exact.
    again = post_batch(client, body([record(accounts[0].code, amount="7.00")]), key="old-key")
    assert again.status_code == 201 and again.json()["counts"]["corrected"] == 1


def test_cleanup_is_scheduled():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "billing.idempotency_keys_expire" in tasks


# --- Malformed requests: every one a 4xx JSON error, never a 500 ------------------------------


def test_missing_and_invalid_idempotency_keys(client, accounts):
    payload = body([record(accounts[0].code)])
    assert_error(post_batch(client, payload, key=None), 400, "idempotency_key_missing")
    assert_error(post_batch(client, payload, key=""), 400, "idempotency_key_missing")
    assert_error(post_batch(client, payload, key="x" * 256), 400, "idempotency_key_invalid")
    assert_error(post_batch(client, payload, key="clé"), 400, "idempotency_key_invalid")
    assert not IngestBatch.objects.exists()


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b'{"records": [', "application/json", 400, "malformed_json"),
        (b"", "application/json", 400, "empty_body"),
        (b'{"records": ["\xff\xfe"]}', "application/json", 400, "invalid_utf8"),
        (b'{"records": ["\\ud800"]}', "application/json", 400, "malformed_json"),
        (b'{"records": []}', "application/json", 400, "invalid_body"),
        (b'{"records": {}}', "application/json", 400, "invalid_body"),
        (b'[{"account_code": "G"}]', "application/json", 400, "invalid_body"),
        (b'{"records": [{}], "extra": 1}', "application/json", 400, "invalid_body"),
        (b'"records"', "application/json", 400, "invalid_body"),
        (b"NaN", "application/json", 400, "malformed_json"),
        (b'{"records": [' + b"[" * 40 + b"]" * 40 + b"]}", "application/json", 400, "too_deep"),
        (b"[" * 200_000 + b"]" * 200_000, "application/json", 400, "too_deep"),
        (b'{"records": [{}]}', "text/plain", 415, "unsupported_media_type"),
        (b'{"records": [{}]}', "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"records": [{}]}', "application/json; charset=latin-1", 415, "unsupported_media_type"),
    ],
)
def test_malformed_requests(client, raw, content_type, status, code):
    response = post_batch(client, raw, key="m", content_type=content_type)
    assert_error(response, status, code)
    assert not IngestBatch.objects.exists()


def test_charset_utf8_is_accepted(client, accounts):
    response = post_batch(
        client, body([record(accounts[0].code)]), content_type="application/json; charset=UTF-8"
    )
    assert response.status_code == 201


def test_too_many_records_is_413_stating_the_limit(client, accounts):
    response = post_batch(client, body([record(accounts[0].code)] * 10_001), key="big")
    error = assert_error(response, 413, "too_large")
    assert "10000" in error["message"] and "10001" in error["message"]
    assert not IngestBatch.objects.exists()


def test_body_over_the_size_limit_is_413(client, accounts):
    with override_settings(BILLING={"MAX_BODY_BYTES": 1000}):
        response = post_batch(client, body([record(accounts[0].code)] * 20), key="big")
    error = assert_error(response, 413, "too_large")
    assert "1000" in error["message"]


def test_exactly_the_limit_is_accepted(client, accounts):
    with override_settings(BILLING={"MAX_RECORDS": 3}):
        response = post_batch(client, body([record(a.code) for a in accounts]), key="limit")
    assert response.status_code == 201


# --- Authentication and authorisation --------------------------------------------------------


def test_auth_edge_cases(world, api, accounts):
    from rest_framework.test import APIClient

    from org.models import MachineClientKey
    from org.services import machine_client_provision, machine_client_revoke

    payload = body([record(accounts[0].code)])
    anonymous = post_batch(APIClient(), payload)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["status"] == 401
    assert post_batch(machine("not-a-key"), payload).status_code == 401
    assert post_batch(machine(world.billing_key + "x"), payload).status_code == 401

    expired = machine_client_provision(name="expired")
    MachineClientKey.objects.filter(prefix=expired.key_prefix).update(
        expiry_date=timezone.now() - dt.timedelta(minutes=1)
    )
    assert post_batch(machine(expired.key), payload).status_code == 401

    revoked = machine_client_provision(name="revoked")
    machine_client_revoke(name="revoked")
    assert post_batch(machine(revoked.key), payload).status_code == 401

    unscoped = machine_client_provision(name="reports", scopes=("reports",))
    assert post_batch(machine(unscoped.key), payload).status_code == 403
    assert machine(unscoped.key).get(BATCHES).status_code == 403
    assert machine(unscoped.key).get("/api/v1/billing/accounts/").status_code == 403

    disabled = machine_client_provision(name="disabled")
    disabled.client.is_active = False
    disabled.client.save()
    assert post_batch(machine(disabled.key), payload).status_code == 401

    # Staff tokens cannot post batches (hq uploads files instead).
    assert post_batch(api(world.hq), payload).status_code == 403
    assert post_batch(api(world.am_a), payload).status_code == 403
    assert not IngestBatch.objects.exists()

    # The billing client reads master data but never CRM data.
    billing = machine(world.billing_key)
    assert billing.get("/api/v1/billing/accounts/").status_code == 200
    assert billing.get("/api/v1/accounts/").status_code == 403
    assert billing.get(f"/api/v1/accounts/{accounts[0].code}/").status_code == 403
    assert billing.get(f"/api/v1/accounts/{accounts[0].code}/key-persons/").status_code == 403
    assert billing.get("/api/v1/solutions/products/").status_code == 200
    # X-Api-Key works as well as the Authorization header.
    from rest_framework.test import APIClient as Client

    alt = Client()
    alt.credentials(HTTP_X_API_KEY=world.billing_key)
    assert post_batch(alt, payload, key="x-api-key").status_code == 201


def test_rate_limit_answers_429_with_retry_after(world, accounts, monkeypatch):
    from django.core.cache import cache

    from core.api.throttling import RoleRateThrottle

    cache.clear()
    monkeypatch.setattr(RoleRateThrottle, "THROTTLE_RATES", {"billing": "2/min", "user": "100/min"})
    client = machine(world.billing_key)
    payload = body([record(accounts[0].code)])
    assert post_batch(client, payload, key="r1").status_code == 201
    assert post_batch(client, payload, key="r2").status_code == 201
    limited = post_batch(client, payload, key="r3")
    assert_error(limited, 429, "throttled")
    assert int(limited["Retry-After"]) > 0
    assert IngestBatch.objects.count() == 2
    cache.clear()


# --- hq CSV upload ---------------------------------------------------------------------------


def _csv(rows: list[str]) -> bytes:
    header = "account_code,period,product_code,amount,quantity,member_count"
    return ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8-sig")


def test_hq_csv_upload_same_validation_and_idempotency(world, api, accounts):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = _csv(
        [f"{accounts[0].code},2026-09,DL-DIA,12.50,3,", f"{accounts[1].code},2026-09,NOPE,1,1,2"]
    )
    hq = api(world.hq)

    def upload(content: bytes, client=hq):
        return client.post(
            "/api/v1/billing/uploads/",
            {"file": SimpleUploadedFile("bills.csv", content, content_type="text/csv")},
            format="multipart",
            HTTP_ACCEPT_LANGUAGE="en",
        )

    first = upload(data)
    assert first.status_code == 201, first.content
    assert first.json()["counts"]["inserted"] == 1 and first.json()["counts"]["quarantined"] == 1
    assert first.json()["quarantined"][0]["errors"][0]["code"] == "unknown_product"
    batch = IngestBatch.objects.get()
    assert batch.source == "csv" and batch.idempotency_key.startswith("sha256:")
    again = upload(data)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert IngestBatch.objects.count() == 1
    assert BillLine.objects.get().amount == Decimal("12.50")

    assert upload(data, client=api(world.am_a)).status_code == 403
    assert upload(data, client=machine(world.billing_key)).status_code == 403
    assert_error(upload(b"a,b\n1,2\n"), 400, "invalid_csv")
    assert_error(upload(_csv([])), 400, "invalid_csv")
    gbk = (
        _csv([]).decode("utf-8-sig").encode("gb18030")
        + f"{accounts[2].code},2026-09,DL-DIA,1,1,\n".encode()
    )
    assert upload(gbk).status_code == 201


def test_ingest_service_is_idempotent_for_the_demo_path(world, accounts):
    raw = body([record(accounts[0].code)])
    records = json.loads(raw)["records"]
    first = services.batch_ingest(
        client=world.billing, idempotency_key="svc", body=raw, records=records
    )
    second = services.batch_ingest(
        client=world.billing, idempotency_key="svc", body=raw, records=records
    )
    assert not first.replayed and second.replayed and first.body == second.body


def test_contract_is_published_in_the_openapi_schema(world, api):
    response = api(world.hq).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    post = schema["paths"]["/api/v1/billing/batches/"]["post"]
    header = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["required"] is True
    assert {"201", "400", "409", "413", "415", "422", "429"} <= set(post["responses"])
    assert "examples" in post["requestBody"]["content"]["application/json"]

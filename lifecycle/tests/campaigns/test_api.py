"""The campaign API: create (rights, strict input, error shape), generate, call lists with keyset
pagination, recording outcomes, My calls, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from lifecycle.models import Campaign, CampaignCall

pytestmark = pytest.mark.django_db


def api(user):  # type: ignore[no-untyped-def]
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def body(org, **over):  # type: ignore[no-untyped-def]
    data = {
        "name": "流失关怀回访",
        "kind": "retention_care",
        "region": org["city"].code,
        "min_monthly_amount": "120.00",
        "min_months": 3,
        "starts_on": "2026-11-16",
        "ends_on": "2026-12-31",
        "callers": ["am2", "am3"],
    }
    data.update(over)
    return data


@pytest.fixture
def generated(org, billed_accounts):  # type: ignore[no-untyped-def]
    response = api(org["rm"]).post("/api/v1/campaigns/", body(org), format="json")
    assert response.status_code == 201, response.json()
    campaign_id = response.json()["id"]
    response = api(org["rm"]).post(f"/api/v1/campaigns/{campaign_id}/generate/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "matching": 6,
        "listed_before": 0,
        "added": 6,
        "callers": 2,
        "per_caller": 3,
    }
    return Campaign.objects.get(pk=campaign_id)


def test_create_rights_and_errors(org):
    response = api(org["am1"]).post("/api/v1/campaigns/", body(org), format="json")
    assert response.status_code == 403
    response = api(org["rm"]).post(
        "/api/v1/campaigns/", body(org, region=org["province"].code), format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"].keys() == {"region"}
    response = api(org["rm"]).post("/api/v1/campaigns/", body(org, owner="x"), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"owner": ["Unknown field."]}
    response = api(org["rm"]).post(
        "/api/v1/campaigns/", body(org, churn_risks=["severe"]), format="json"
    )
    assert response.status_code == 400 and "churn_risks.0" in response.json()["error"]["fields"]
    response = api(org["rm"]).post(
        "/api/v1/campaigns/", body(org, kind="questionnaire"), format="json"
    )
    assert response.status_code == 400 and "questions" in response.json()["error"]["fields"]
    assert not Campaign.objects.exists()
    response = api(org["rm"]).post(
        "/api/v1/campaigns/",
        body(org, kind="questionnaire", questions=[{"text": "满意吗？", "options": ["是", "否"]}]),
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["questions"] == [{"text": "满意吗？", "options": ["是", "否"]}]
    assert response.json()["callers"] == ["am2", "am3"]


def test_campaign_list_and_detail(org, generated, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = api(org["rm"]).get("/api/v1/campaigns/")
    assert [c["id"] for c in response.json()["results"]] == [generated.pk]
    assert api(org["rm_other"]).get("/api/v1/campaigns/").json()["results"] == []
    assert api(org["rm_other"]).get(f"/api/v1/campaigns/{generated.pk}/").status_code == 404
    detail = api(org["hq"]).get(f"/api/v1/campaigns/{generated.pk}/").json()
    assert detail["results"]["listed"] == 6 and detail["results"]["reach_rate"] is None


def test_calls_keyset_pages(org, generated, django_assert_max_num_queries):
    client = api(org["rm"])
    with django_assert_max_num_queries(8):
        first = client.get(f"/api/v1/campaigns/{generated.pk}/calls/?page_size=4").json()
    assert len(first["results"]) == 4 and first["next"]
    rest = client.get(first["next"]).json()
    ids = [c["id"] for c in first["results"] + rest["results"]]
    assert len(ids) == 6 == len(set(ids))
    call = first["results"][0]
    assert call["account"]["owner"] == "am1" and call["contact"]["name"].startswith("张总")
    only = client.get(f"/api/v1/campaigns/{generated.pk}/calls/?caller=am2").json()["results"]
    assert {c["caller"] for c in only} == {"am2"}
    assert client.get(f"/api/v1/campaigns/{generated.pk}/calls/?cursor=%00").status_code == 400
    assert api(org["am2"]).get(f"/api/v1/campaigns/{generated.pk}/calls/").status_code == 404


def test_record_outcome_and_my_calls(org, generated, django_assert_max_num_queries):
    client = api(org["am2"])
    with django_assert_max_num_queries(8):
        mine = client.get("/api/v1/my-calls/").json()["results"]
    assert len(mine) == 3 and {c["caller"] for c in mine} == {"am2"}
    call_id = mine[0]["id"]
    other = CampaignCall.objects.filter(caller=org["am3"]).first()
    assert client.get(f"/api/v1/campaign-calls/{other.pk}/").status_code == 404
    assert (
        client.patch(
            f"/api/v1/campaign-calls/{other.pk}/", {"reached": True}, format="json"
        ).status_code
        == 404
    )
    assert (
        api(org["am_other"])
        .patch(f"/api/v1/campaign-calls/{call_id}/", {"reached": True}, format="json")
        .status_code
        == 404
    )
    assert (
        api(org["rm"])
        .patch(f"/api/v1/campaign-calls/{call_id}/", {"reached": True}, format="json")
        .status_code
        == 403
    )
    response = client.patch(
        f"/api/v1/campaign-calls/{call_id}/",
        {"reached": False, "offer_accepted": True},
        format="json",
    )
    assert response.status_code == 400 and "reached" in response.json()["error"]["fields"]
    response = client.patch(
        f"/api/v1/campaign-calls/{call_id}/", {"reached": True, "status": "done"}, format="json"
    )
    assert response.status_code == 400 and "status" in response.json()["error"]["fields"]
    due = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    response = client.patch(
        f"/api/v1/campaign-calls/{call_id}/",
        {"reached": True, "offer_accepted": True, "follow_up": "寄送资费方案", "follow_up_on": due},
        format="json",
    )
    assert response.status_code == 200, response.json()
    out = response.json()
    assert (out["status"], out["reached"], out["offer_accepted"], out["follow_up_on"]) == (
        "done",
        True,
        True,
        due,
    )
    assert len(client.get("/api/v1/my-calls/?status=pending").json()["results"]) == 2
    assert len(client.get("/api/v1/my-calls/?status=done").json()["results"]) == 1
    results = api(org["rm"]).get(f"/api/v1/campaigns/{generated.pk}/").json()["results"]
    assert (results["called"], results["reached"], results["accepted"]) == (1, 1, 1)
    assert results["reach_rate"] == "100.0" and results["conversion"] == "100.0"


def test_anonymous_and_billing_client(org, generated):
    assert APIClient().get("/api/v1/my-calls/").status_code in (401, 403)

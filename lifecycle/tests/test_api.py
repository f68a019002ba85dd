"""API: bodies, filters, keyset pagination, the error shape, 404 for another portfolio on every
method, 403 for a reader, the OpenAPI contract."""

from __future__ import annotations

import pytest

from lifecycle.models import RetentionAction, RetentionTask
from lifecycle.tests.factories import RetentionTaskFactory

pytestmark = pytest.mark.django_db


def test_account_lifecycle(scene, api):  # type: ignore[no-untyped-def]
    body = api(scene.world.am_a).get(f"/api/v1/accounts/{scene.high.code}/lifecycle/").json()
    assert body["stage"] == "D" and body["churn_risk"] == "high"
    assert body["evidence"]["revenue_r3"] == "8200.00"
    codes = sorted(f["code"] for f in body["open_flags"])
    assert codes == ["member_drop", "revenue_drop"]
    assert body["open_flags"][0]["evidence"]


def test_account_without_lifecycle_row(world, api, account_factory):  # type: ignore[no-untyped-def]
    account = account_factory(owner=world.am_a, region=world.district_a1)
    body = api(world.am_a).get(f"/api/v1/accounts/{account.code}/lifecycle/").json()
    assert body["stage"] is None and body["churn_risk"] == "low" and body["evidence"] is None


def test_stage_history_and_flags(scene, api):  # type: ignore[no-untyped-def]
    client = api(scene.world.am_a)
    history = client.get(f"/api/v1/accounts/{scene.high.code}/stage-history/").json()
    assert [(r["from_stage"], r["to_stage"]) for r in history["results"]] == [
        ("C", "D"),
        (None, "C"),
    ]
    flags = client.get(f"/api/v1/accounts/{scene.calm.code}/flags/").json()["results"]
    assert [f["code"] for f in flags] == ["no_contact"] and flags[0]["cleared_on"] == "2026-09-01"
    open_only = client.get(f"/api/v1/accounts/{scene.calm.code}/flags/?status=open").json()
    assert open_only["results"] == []
    bad = client.get(f"/api/v1/accounts/{scene.calm.code}/flags/?status=maybe")
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]


def test_task_list_filters_and_keyset_pages(scene, api, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    for n in range(4):
        RetentionTaskFactory(
            account=scene.medium,
            episode_on=scene.task.episode_on.replace(day=2 + n),
            due_on=scene.task.due_on.replace(month=12),
        )
    client = api(scene.world.am_a)
    with django_assert_max_num_queries(6):
        first = client.get("/api/v1/retention-tasks/?page_size=3").json()
    assert len(first["results"]) == 3 and first["next"]
    second = client.get(first["next"]).json()
    ids = [t["id"] for t in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == 5
    assert scene.foreign_task.pk not in ids
    overdue = client.get("/api/v1/retention-tasks/?overdue=true").json()["results"]
    assert [t["id"] for t in overdue] == [scene.task.pk] and overdue[0]["overdue"] is True
    high = client.get("/api/v1/retention-tasks/?risk=high").json()["results"]
    assert [t["id"] for t in high] == [scene.task.pk]
    assert client.get("/api/v1/retention-tasks/?status=closed").json()["results"] == []
    mine = client.get(f"/api/v1/retention-tasks/?owner={scene.world.am_a.username}").json()
    assert len(mine["results"]) == 5
    bad = client.get("/api/v1/retention-tasks/?status=nope")
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["status"]


def test_task_detail_actions_close(scene, api):  # type: ignore[no-untyped-def]
    client = api(scene.world.am_a)
    url = f"/api/v1/retention-tasks/{scene.task.pk}/"
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["question"] == "How to extend the lifecycle?"
    assert body["flags"][0]["evidence_text"].startswith("revenue m1–m3")
    response = client.post(url + "actions/", {"done_on": "2026-11-18", "note": "上门"})
    assert response.status_code == 201 and response.json()["note"] == "上门"
    assert [a["note"] for a in client.get(url + "actions/").json()] == ["上门"]
    response = client.post(url + "close/", {"outcome": "lost", "note": "转网"})
    assert response.status_code == 200 and response.json()["status"] == "closed"
    again = client.post(url + "close/", {"outcome": "lost", "note": "转网"})
    assert again.status_code == 400 and again.json()["error"]["code"]


def test_strict_input_and_error_shape(scene, api):  # type: ignore[no-untyped-def]
    client = api(scene.world.am_a)
    url = f"/api/v1/retention-tasks/{scene.task.pk}/"
    response = client.post(url + "actions/", {"done_on": "2026-11-18", "note": "x", "owner": 1})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["owner"]
    response = client.post(url + "actions/", {"done_on": "2027-01-01", "note": "x"})
    assert response.status_code == 400 and "done_on" in response.json()["error"]["fields"]
    response = client.post(url + "close/", {"outcome": "won", "note": "x"})
    assert response.status_code == 400 and "outcome" in response.json()["error"]["fields"]
    assert not RetentionAction.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "accounts/{code}/lifecycle/", None),
        ("get", "accounts/{code}/stage-history/", None),
        ("get", "accounts/{code}/flags/", None),
        ("get", "retention-tasks/{task}/", None),
        ("get", "retention-tasks/{task}/actions/", None),
        ("post", "retention-tasks/{task}/actions/", {"done_on": "2026-11-18", "note": "x"}),
        ("post", "retention-tasks/{task}/close/", {"outcome": "lost", "note": "x"}),
        # an invalid body still answers 404 first: no existence oracle
        ("post", "retention-tasks/{task}/close/", {"bogus": 1}),
    ],
)
def test_another_portfolio_is_404_for_every_method(scene, api, method, path, data):  # type: ignore[no-untyped-def]
    url = "/api/v1/" + path.format(code=scene.foreign.code, task=scene.foreign_task.pk)
    response = getattr(api(scene.world.am_a), method)(url, data)
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404
    assert RetentionTask.objects.get(pk=scene.foreign_task.pk).status == "open"


def test_reader_gets_403_and_billing_client_is_refused(scene, api):  # type: ignore[no-untyped-def]
    from accounts.tests.factories import TeamMemberFactory

    TeamMemberFactory(account=scene.high, user=scene.world.am_a2)
    url = f"/api/v1/retention-tasks/{scene.task.pk}/close/"
    assert api(scene.world.am_a2).post(url, {"outcome": "lost", "note": "x"}).status_code == 403
    machine = api(None, key=scene.world.billing_key)
    assert machine.get("/api/v1/retention-tasks/").status_code == 403
    assert api(None).get("/api/v1/retention-tasks/").status_code in (401, 403)


def test_openapi_schema_has_no_warnings_for_lifecycle(capsys):  # type: ignore[no-untyped-def]
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "/api/v1/retention-tasks/{id}/close/" in paths
    assert "/api/v1/accounts/{code}/stage-history/" in paths
    err = capsys.readouterr().err
    ours = [line for line in err.splitlines() if "lifecycle/api" in line]
    assert ours == []


def test_task_flags_carry_the_evidence_that_opened_the_task(
    scene, api, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    # The night stores bare codes on the task; the API shows the account's flag of each code
    # raised on or before the episode, with its evidence in words, one query for the page.
    scene.task.flags = ["revenue_drop"]
    scene.task.save()
    client = api(scene.world.am_a)
    with django_assert_max_num_queries(6):
        listed = client.get("/api/v1/retention-tasks/?status=open").json()["results"]
    [flag] = next(t for t in listed if t["id"] == scene.task.pk)["flags"]
    assert flag["code"] == "revenue_drop" and flag["raised_on"] is not None
    assert flag["evidence"] and "8,200" in flag["evidence_text"]
    detail = client.get(f"/api/v1/retention-tasks/{scene.task.pk}/").json()
    assert detail["flags"] == [flag]

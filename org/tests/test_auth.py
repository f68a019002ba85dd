"""Authentication and authorisation edge cases: staff bearer tokens (provision_user --token),
machine-client API keys (provision_client), expiry, revocation, scopes, and rate limiting."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.tests.factories import (
    AccountFactory,
    ActivityFactory,
    KeyPersonFactory,
    MemberFactory,
)
from core.api.throttling import RoleRateThrottle
from org.models import MachineClientKey, User
from org.services import user_token_issue
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

MASTER_DATA_FIELDS = {
    "code",
    "name",
    "credit_code",
    "region",
    "parent",
    "status",
    "cost_centres",
    "updated_at",
}


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def api_key(key: str, header: str = "authorization") -> APIClient:
    client = APIClient()
    if header == "authorization":
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    else:
        client.credentials(HTTP_X_API_KEY=key)
    return client


def provision(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


# --- staff tokens ----------------------------------------------------------------------------


def test_provision_user_with_token(world):  # type: ignore[no-untyped-def]
    token, messages = provision(
        "provision_user", "zhang", "--role", "regional_manager", "--region", "GZ", "--token"
    )
    user = User.objects.get(username="zhang")
    assert (user.role, user.region.code, user.is_active) == ("regional_manager", "GZ", True)
    assert "created zhang" in messages and "expires" in messages
    me = bearer(token).get("/api/v1/auth/me/")
    assert me.status_code == 200
    assert me.json() == {
        "username": "zhang",
        "display_name": "",
        "role": "regional_manager",
        "region": "GZ",
    }
    # Hashed at rest: the token is nowhere in the table, only a digest of it and a short prefix.
    row = AuthToken.objects.get(user=user)
    assert token not in (row.digest, row.token_key)
    assert len(row.token_key) < len(token) and token.startswith(row.token_key)
    assert row.digest == hashlib.sha512(token.encode()).hexdigest()
    assert row.expiry > timezone.now() + dt.timedelta(days=29)


def test_provision_user_updates_and_validates(world):  # type: ignore[no-untyped-def]
    provision("provision_user", "li", "--role", "account_manager", "--region", "GZ-TH")
    _, messages = provision("provision_user", "li", "--role", "hq")
    assert "updated li" in messages
    assert User.objects.get(username="li").role == "hq"
    with pytest.raises(CommandError, match="Unknown region"):
        provision("provision_user", "wang", "--role", "account_manager", "--region", "XX")
    with pytest.raises(CommandError, match="regional manager needs a region"):
        provision("provision_user", "wang", "--role", "regional_manager")
    with pytest.raises(CommandError):
        provision("provision_user", "wang", "--role", "billing_client")
    assert not User.objects.filter(username="wang").exists()


def test_expired_token_is_401(world):  # type: ignore[no-untyped-def]
    instance, token = user_token_issue(user=world.am_a, ttl=dt.timedelta(seconds=60))
    assert bearer(token).get("/api/v1/accounts/").status_code == 200
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    assert_error(bearer(token).get("/api/v1/accounts/"), 401)


def test_revoke_tokens_command(world):  # type: ignore[no-untyped-def]
    _, first = user_token_issue(user=world.am_a)
    _, second = user_token_issue(user=world.am_a)
    _, other = user_token_issue(user=world.am_b)
    out, _ = provision("revoke_tokens", "am_gz")
    assert out == "revoked 2 token(s)"
    assert_error(bearer(first).get("/api/v1/accounts/"), 401)
    assert_error(bearer(second).get("/api/v1/accounts/"), 401)
    assert bearer(other).get("/api/v1/accounts/").status_code == 200
    with pytest.raises(CommandError):
        provision("revoke_tokens", "nobody")


def test_revoke_endpoint_revokes_only_the_token_used(world):  # type: ignore[no-untyped-def]
    _, used = user_token_issue(user=world.am_a)
    _, kept = user_token_issue(user=world.am_a)
    response = bearer(used).post("/api/v1/auth/token/revoke/")
    assert response.status_code == 200
    assert_error(bearer(used).get("/api/v1/auth/me/"), 401)
    assert bearer(kept).get("/api/v1/auth/me/").status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer not-a-token", "Token abc", "Api-Key", "Api-Key a b"],
)
def test_malformed_credentials_are_401(world, header):  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/accounts/")
    assert response.status_code in (401, 403)
    assert_error(response, response.status_code)
    if header.startswith(("Bearer ", "Api-Key ")):
        assert response.status_code == 401


def test_anonymous_is_401_with_a_challenge(world):  # type: ignore[no-untyped-def]
    response = APIClient().get("/api/v1/accounts/")
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_inactive_users_token_is_refused(world):  # type: ignore[no-untyped-def]
    _, token = user_token_issue(user=world.am_a)
    User.objects.filter(pk=world.am_a.pk).update(is_active=False)
    assert_error(bearer(token).get("/api/v1/accounts/"), 401)


# --- machine client -------------------------------------------------------------------------


def test_provision_client_prints_a_working_key(world):  # type: ignore[no-untyped-def]
    key, messages = provision("provision_client", "erp")
    assert "Api-Key" in messages and "expires" in messages
    AccountFactory(owner=world.am_a, region=world.district_a1)
    for client in (api_key(key), api_key(key, header="x-api-key")):
        response = client.get("/api/v1/billing/accounts/")
        assert response.status_code == 200, response.content
        assert len(response.json()["results"]) == 1
    stored = MachineClientKey.objects.get(user__username="client:erp")
    assert key not in (stored.hashed_key, stored.id) and stored.scopes == ["billing"]
    assert stored.expiry_date > timezone.now() + dt.timedelta(days=300)


def test_expired_and_revoked_keys_are_401(world):  # type: ignore[no-untyped-def]
    key, _ = provision("provision_client", "erp", "--days", "1")
    assert api_key(key).get("/api/v1/billing/accounts/").status_code == 200
    MachineClientKey.objects.filter(user__username="client:erp").update(
        expiry_date=timezone.now() - dt.timedelta(seconds=1)
    )
    assert_error(api_key(key).get("/api/v1/billing/accounts/"), 401)

    fresh, _ = provision("provision_client", "erp")
    assert api_key(fresh).get("/api/v1/billing/accounts/").status_code == 200
    _, messages = provision("provision_client", "erp", "--revoke")
    assert "revoked" in messages
    assert_error(api_key(fresh).get("/api/v1/billing/accounts/"), 401)
    assert_error(api_key("abc.def").get("/api/v1/billing/accounts/"), 401)


def test_a_key_without_the_billing_scope_is_403(world):  # type: ignore[no-untyped-def]
    key, _ = provision("provision_client", "reporting", "--scope", "reports")
    assert_error(api_key(key).get("/api/v1/billing/accounts/"), 403)


def test_disabled_client_is_401(world):  # type: ignore[no-untyped-def]
    User.objects.filter(pk=world.billing.pk).update(is_active=False)
    assert_error(api_key(world.billing_key).get("/api/v1/billing/accounts/"), 401)


def test_billing_client_gets_403_on_every_crm_endpoint(world):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=world.am_a, region=world.district_a1)
    person = KeyPersonFactory(account=account)
    activity = ActivityFactory(account=account)
    member = MemberFactory(account=account)
    client = api_key(world.billing_key)
    base = f"/api/v1/accounts/{account.code}/"
    for path in (
        "/api/v1/regions/",
        "/api/v1/accounts/",
        "/api/v1/accounts/export/",
        base,
        base + "history/",
        base + "team/",
        base + "key-persons/",
        f"{base}key-persons/{person.pk}/",
        base + "activities/",
        f"{base}activities/{activity.pk}/",
        base + "members/",
        f"{base}members/{member.pk}/",
        base + "service-requests/",
    ):
        assert_error(client.get(path), 403)
    assert_error(client.post("/api/v1/accounts/", {}, format="json"), 403)
    assert_error(client.patch(base, {"version": 1, "name": "x"}, format="json"), 403)
    assert_error(client.post(base + "activities/", {}, format="json"), 403)
    assert_error(client.post("/api/v1/accounts/reassign/", {}, format="json"), 403)


def test_billing_sees_only_master_data_changed_since(world):  # type: ignore[no-untyped-def]
    group = AccountFactory(owner=world.am_a, region=world.city_a, code="HQ01")
    branch = AccountFactory(owner=world.am_b, region=world.city_b, code="BR01", parent=group)
    MemberFactory(account=branch, cost_centre="深圳研发")
    MemberFactory(account=branch, cost_centre="深圳销售")
    MemberFactory(account=branch, cost_centre="深圳销售")
    KeyPersonFactory(account=branch)
    old = timezone.now() - dt.timedelta(days=10)
    from accounts.models import Account

    Account.objects.filter(pk=group.pk).update(updated_at=old)
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    response = api_key(world.billing_key).get("/api/v1/billing/accounts/", {"updated_since": since})
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [row["code"] for row in rows] == ["BR01"]
    assert set(rows[0]) == MASTER_DATA_FIELDS
    assert rows[0]["parent"] == "HQ01"
    assert rows[0]["region"] == "SZ"
    assert rows[0]["cost_centres"] == ["深圳研发", "深圳销售"]
    everything = api_key(world.billing_key).get("/api/v1/billing/accounts/").json()["results"]
    assert [row["code"] for row in everything] == ["HQ01", "BR01"]  # oldest change first


# --- rate limiting -----------------------------------------------------------------------------


@pytest.fixture
def tight_rates(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(RoleRateThrottle, "THROTTLE_RATES", {"user": "3/min", "billing": "2/min"})
    yield
    cache.clear()


def _clear_throttle(user: Any, scope: str) -> None:
    cache.delete(f"throttle_{scope}_{user.pk}")


def test_staff_rate_limit_returns_429_with_retry_after(world, tight_rates):  # type: ignore[no-untyped-def]
    _clear_throttle(world.am_a, "user")
    _, token = user_token_issue(user=world.am_a)
    client = bearer(token)
    statuses = [client.get("/api/v1/auth/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/auth/me/")
    assert_error(response, 429)
    assert 0 < int(response["Retry-After"]) <= 60
    # Buckets are per principal: another user is not slowed down by this one.
    _clear_throttle(world.am_b, "user")
    _, other = user_token_issue(user=world.am_b)
    assert bearer(other).get("/api/v1/auth/me/").status_code == 200


def test_billing_rate_limit_is_its_own(world, tight_rates):  # type: ignore[no-untyped-def]
    _clear_throttle(world.billing, "billing")
    client = api_key(world.billing_key)
    statuses = [client.get("/api/v1/billing/accounts/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert "Retry-After" in client.get("/api/v1/billing/accounts/")

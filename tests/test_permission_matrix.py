"""Every route × every role → the expected status, generated from the URL resolver.

The expectations are data in tests/permission_matrix.py; a route without an entry, or a method a
view implements without an expectation, fails `test_every_route_has_an_entry` /
`test_every_implemented_method_has_an_expectation`."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import (
    AccountFactory,
    ActivityFactory,
    KeyPersonFactory,
    MemberFactory,
    ServiceRequestFactory,
    TeamMemberFactory,
)
from billing.models import IngestBatch
from core.models import JobRun
from kpi.tests.factories import scheme_default
from lifecycle.models import Campaign
from lifecycle.tests.campaigns.factories import CampaignCallFactory, CampaignFactory
from lifecycle.tests.factories import NotificationFactory, RetentionTaskFactory
from org.services import user_token_issue
from segmentation.selectors import JOB as SEGMENTATION_JOB

from .permission_matrix import (
    ANONYMOUS,
    BILLING_CLIENT,
    FOREIGN_VARIANT_SAMPLES,
    MATRIX,
    PORTFOLIO_ROLES,
    ROLES,
    Rule,
)

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
HTTP_METHODS = ("GET", *WRITE_METHODS)


@dataclass(frozen=True)
class Route:
    namespace: str
    name: str | None
    pattern: str
    callback: Callable[..., Any]

    @property
    def key(self) -> str:
        if self.name:
            return f"{self.namespace}:{self.name}" if self.namespace else self.name
        return f"{self.namespace}:{self.pattern}" if self.namespace else f"/{self.pattern}"

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace
            ns = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns or "")
        elif isinstance(entry, URLPattern):
            yield Route(namespace, entry.name, prefix + str(entry.pattern), entry.callback)


def all_routes() -> list[Route]:
    seen: dict[str, Route] = {}
    for route in walk(get_resolver().url_patterns):
        seen.setdefault(route.key, route)
    return list(seen.values())


def rule_for(route: Route) -> Rule | None:
    if route.key in MATRIX:
        return MATRIX[route.key]
    namespace = route.namespace
    while namespace:
        if f"{namespace}:*" in MATRIX:
            return MATRIX[f"{namespace}:*"]
        namespace = namespace.rpartition(":")[0]
    return None


def implemented_methods(route: Route) -> set[str] | None:
    """The write and read methods a class-based view implements (None for function views)."""
    cls = getattr(route.callback, "cls", None) or getattr(route.callback, "view_class", None)
    if cls is None:
        return None
    allowed = {m.upper() for m in getattr(cls, "http_method_names", [])}
    return {m for m in HTTP_METHODS if m in allowed and hasattr(cls, m.lower())}


ROUTES = all_routes()


def test_every_route_has_an_entry() -> None:
    missing = sorted(route.key for route in ROUTES if rule_for(route) is None)
    assert not missing, (
        "Routes without an entry in tests/permission_matrix.py (say who may use them): "
        + ", ".join(missing)
    )


def test_every_implemented_method_has_an_expectation() -> None:
    gaps = []
    for route in ROUTES:
        rule, methods = rule_for(route), implemented_methods(route)
        if rule is None or methods is None or route.key not in MATRIX:
            continue
        missing = methods - set(rule.methods)
        if missing:
            gaps.append(f"{route.key}: {sorted(missing)}")
    assert not gaps, "Methods without an expectation: " + "; ".join(gaps)


def test_matrix_has_no_stale_entries() -> None:
    keys = {route.key for route in ROUTES}
    namespaces = {route.namespace for route in ROUTES}
    stale = [
        key
        for key in MATRIX
        if key not in keys and not (key.endswith(":*") and key[:-2] in namespaces)
    ]
    assert not stale, f"Entries for routes that no longer exist: {stale}"


# --- the matrix itself ---------------------------------------------------------------------------


def _portfolio(
    *, owner: Any, region: Any, city: Any, manager: Any, colleague: Any
) -> dict[str, Any]:
    """One portfolio's samples: `owner`'s account in `region` and what hangs off it, and a call
    campaign `manager` runs in `city` with `owner` among its callers; the call given to `owner` is
    about an account of `colleague` (a call grants the call, never the account)."""
    account = AccountFactory(owner=owner, region=region)
    campaign = CampaignFactory(
        region=city, created_by=manager, callers=[owner], status=Campaign.Status.ACTIVE
    )
    return {
        "account": account,
        "key_person": KeyPersonFactory(account=account),
        "member": MemberFactory(account=account),
        "activity": ActivityFactory(account=account),
        "service_request": ServiceRequestFactory(account=account),
        "team_member": TeamMemberFactory(account=account),
        "retention_task": RetentionTaskFactory(account=account),
        "notification": NotificationFactory(recipient=owner, account=account),
        "campaign": campaign,
        "campaign_call": CampaignCallFactory(
            campaign=campaign, caller=owner, account=AccountFactory(owner=colleague, region=city)
        ),
        "kpi_manager": owner,
    }


def _own(world: Any) -> dict[str, Any]:
    """The account manager's portfolio, in the regional manager's city."""
    return _portfolio(
        owner=world.am_a,
        region=world.district_a1,
        city=world.city_a,
        manager=world.rm_a,
        colleague=world.am_a2,
    )


def _foreign(world: Any) -> dict[str, Any]:
    """The same kinds of objects in another city, out of reach of both."""
    return _portfolio(
        owner=world.am_b,
        region=world.city_b,
        city=world.city_b,
        manager=world.rm_b,
        colleague=world.am_b,
    )


def _shared(world: Any) -> dict[str, Any]:
    """Objects that belong to no portfolio: a batch the billing client posted, a scoring run, the
    KPI scheme of the year."""
    batch = IngestBatch.objects.create(
        client=world.billing,
        idempotency_key="matrix-1",
        source=IngestBatch.Source.API,
        status=IngestBatch.Status.COMPLETED,
        completed_at=timezone.now(),
        body_sha256="0" * 64,
        content_type="application/json",
        payload=zlib.compress(b'{"records": []}'),
    )
    run = JobRun.objects.create(job=SEGMENTATION_JOB, status=JobRun.Status.SUCCEEDED)
    return {"batch": batch, "run": run, "kpi_scheme": scheme_default(created_by=world.hq)}


Objects = dict[str, Any]


def _pk(sample: str) -> Callable[[Objects], dict[str, Any]]:
    return lambda objects: {"pk": objects[sample].pk}


def _on_account(sample: str) -> Callable[[Objects], dict[str, Any]]:
    return lambda objects: {"code": objects["account"].code, "pk": objects[sample].pk}


# How each sample fills a route's URL kwargs (a kwarg the route does not take is ignored).
KWARGS: dict[str, Callable[[Objects], dict[str, Any]]] = {
    "generic": lambda _: {"app_label": "org", "url": "x/"},
    "account": lambda objects: {"code": objects["account"].code},
    "key_person": _on_account("key_person"),
    "member": _on_account("member"),
    "activity": _on_account("activity"),
    "service_request": _on_account("service_request"),
    "team_member": lambda objects: {
        "code": objects["account"].code,
        "username": objects["team_member"].user.username,
    },
    "retention_task": _pk("retention_task"),
    "notification": _pk("notification"),
    "campaign": _pk("campaign"),
    "campaign_call": _pk("campaign_call"),
    "kpi_manager": lambda objects: {"username": objects["kpi_manager"].username},
    "batch": lambda objects: {"batch_id": objects["batch"].pk},
    "run": _pk("run"),
    "kpi_scheme": lambda objects: {"year": objects["kpi_scheme"].year},
}


def test_every_sample_is_built() -> None:
    samples = {rule.sample for rule in MATRIX.values()} - {None}
    assert samples <= set(KWARGS), f"Samples without URL kwargs: {sorted(samples - set(KWARGS))}"
    assert not FOREIGN_VARIANT_SAMPLES - set(KWARGS)


def _kwargs(objects: Objects, sample: str | None) -> dict[str, Any]:
    return {} if sample is None else KWARGS[sample](objects)


def _url(route: Route, kwargs: dict[str, Any]) -> str:
    """A concrete URL for the route, with the sampled values for its parameters."""
    names = {a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route.pattern)}
    if not route.name:
        # Unnamed routes (the admin's redirects and catch-all) cannot be reversed: fill the
        # pattern in by hand.
        filled = re.sub(
            r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs.get(m.group(1), "1")), route.pattern
        )
        return "/" + filled.replace("(?P<url>.*)$", "x/")
    positional = re.findall(r"\((?!\?)", route.pattern)
    if positional and not names:
        return reverse(route.key, args=["1"] * len(positional))
    return reverse(route.key, kwargs={name: kwargs.get(name, "1") for name in names})


def _client(route: Route, rule: Rule, role: str, world: Any) -> Any:
    user = {
        "account_manager": world.am_a,
        "regional_manager": world.rm_a,
        "hq": world.hq,
        "billing_client": world.billing,
    }.get(role)
    use_token = rule.auth == "token" or (rule.auth is None and route.is_api)
    if use_token:
        client = APIClient()
        if role == BILLING_CLIENT:
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.billing_key}")
        elif user is not None:
            _, token = user_token_issue(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client
    client = Client()
    if role != ANONYMOUS:
        client.force_login(user)
    return client


def _request(client: Any, method: str, url: str, body: dict | None, api: bool) -> Any:
    call = getattr(client, method.lower())
    if method == "GET":
        return call(url)
    if api:
        return call(url, data=json.dumps(body or {}), content_type="application/json")
    return call(url, data=body or {})


def _outcomes(
    route: Route, rule: Rule, world: Any, objects: Objects, foreign: bool
) -> Iterator[tuple[str, str, str, int, Any]]:
    kwargs = _kwargs(objects, rule.sample)
    url = _url(route, kwargs)
    match = resolve(url.split("?")[0])
    assert match.func is route.callback, f"{url} resolved to {match.view_name}, not {route.key}"
    api = rule.auth == "token" or (rule.auth is None and route.is_api)
    for method, expected_by_role in rule.methods.items():
        for role in ROLES:
            expected = expected_by_role[role]
            if foreign and role in PORTFOLIO_ROLES:
                expected = 404
            # Each request on its own, rolled back: a DELETE or a revoke by one role does not
            # change what the next role finds.
            with transaction.atomic():
                client = _client(route, rule, role, world)
                response = _request(client, method, url, rule.bodies.get(method), api)
                transaction.set_rollback(True)
            yield method, role, url, expected, response


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route", [r for r in ROUTES if rule_for(r) is not None], ids=lambda r: r.key
)
def test_permission_matrix(route: Route, world: Any) -> None:
    rule = rule_for(route)
    assert rule is not None
    shared = _shared(world)
    scenarios = [({**_own(world), **shared}, False)]
    if rule.sample in FOREIGN_VARIANT_SAMPLES:
        scenarios.append(({**_foreign(world), **shared}, True))
    mismatches = []
    for objects, is_foreign in scenarios:
        for method, role, url, expected, response in _outcomes(
            route, rule, world, objects, is_foreign
        ):
            status = response.status_code
            if status != expected:
                mismatches.append(
                    f"{method} {url} as {role}{' (other portfolio)' if is_foreign else ''}: "
                    f"expected {expected}, got {status} {response.content[:200]!r}"
                )
            elif status == 302 and rule.redirect not in response.get("Location", ""):
                mismatches.append(f"{method} {url} as {role}: redirected to {response['Location']}")
            elif route.pattern.startswith("api/v1/") and status >= 400 and status != 405:
                body = response.json()
                if set(body) != {"error"} or body["error"].get("status") != status:
                    mismatches.append(f"{method} {url} as {role}: not the error shape: {body}")
    assert not mismatches, "\n".join(mismatches)

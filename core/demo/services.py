"""Writes for the demo province: generate it, wipe it, give its staff known passwords."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.test.utils import override_settings

from accounts.models import Account, Activity, CareDate, KeyPerson, Member, ServiceRequest
from core.jobs import add_progress, recorded_run
from core.models import JobRun
from org.models import AccountTeamMember, MachineClientKey, Region, User
from org.services import IssuedKey, machine_client_provision

from .generator import DEMO_PASSWORDS, DemoSpec, Plan, generate, plan_staff
from .sinks import sink_for_connection

JOB = "demo.generate"
BILLING_CLIENT_NAME = "billing-demo"


@dataclass(frozen=True)
class GenerateResult:
    counts: dict[str, int]
    seconds: float


def demo_exists() -> bool:
    return JobRun.objects.filter(job=JOB, status=JobRun.Status.SUCCEEDED).exists() and (
        Account.objects.exists()
    )


def demo_generate(
    *, spec: DemoSpec, progress: Callable[[int], None] | None = None, triggered_by: str = ""
) -> GenerateResult:
    """The whole province in one transaction (all or nothing): COPY on PostgreSQL, batched INSERTs
    on SQLite."""
    started = time.monotonic()
    job = recorded_run(JOB, as_of=spec.as_of, total=spec.accounts, triggered_by=triggered_by)
    with job as run, transaction.atomic():
        sink = sink_for_connection()
        for chunk in generate(spec):
            sink.write(chunk)
            accounts = len(chunk.rows["accounts.Account"])
            if accounts:
                add_progress(run.pk, accounts)
                if progress:
                    progress(accounts)
        sink.finish()
    return GenerateResult(counts=dict(sink.counts), seconds=time.monotonic() - started)


def demo_reset(*, spec: DemoSpec) -> None:
    """Wipe every group customer and the demo's staff and regions. History records of the wiped
    rows go too: the demo starts from a clean audit trail, and no '-' records are written."""
    plan = plan_staff(spec)
    usernames = [row[1] for row in plan.users]
    codes = [row[1] for row in plan.regions]
    with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
        for model in (CareDate, Activity, ServiceRequest, Member, KeyPerson, AccountTeamMember):
            _raw_delete(model)
        Account.objects.exclude(parent=None).update(parent=None)
        Account.objects.all().delete()  # the collector follows other apps' foreign keys
        for tracked in (Account, KeyPerson, Activity, ServiceRequest, AccountTeamMember):
            _raw_delete(tracked.history.model)  # type: ignore[union-attr]
        User.history.filter(username__in=usernames).delete()  # type: ignore[attr-defined]
        User.objects.filter(username__in=usernames).delete()
        for region in Region.objects.filter(code__in=codes).order_by("-depth", "id"):
            region.delete()
        JobRun.objects.filter(job=JOB).delete()


def _raw_delete(model: type[models.Model]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a model's own table name


def demo_set_passwords(*, plan: Plan) -> dict[str, tuple[str, str]]:
    """Every demo staff user can log in with their role's known password; returns, per role, the
    username and password to print. One hash per role, one UPDATE per role."""
    logins: dict[str, tuple[str, str]] = {}
    for role, password in DEMO_PASSWORDS.items():
        usernames = [row[1] for row in plan.users if row[3] == role]
        User.objects.filter(username__in=usernames, role=role).update(
            password=make_password(password)
        )
        logins[role] = (plan.logins[role], password)
    return logins


def demo_billing_client() -> IssuedKey:
    """A fresh key for the demo billing client; the demo's earlier keys are revoked."""
    MachineClientKey.objects.filter(user__username=f"client:{BILLING_CLIENT_NAME}").update(
        revoked=True
    )
    return machine_client_provision(name=BILLING_CLIENT_NAME, ttl_days=30)


def default_as_of() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()

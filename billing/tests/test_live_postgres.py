"""Against a real server on PostgreSQL: concurrent duplicates and a server killed mid-batch.

Run with DATABASE_URL pointing at PostgreSQL (skipped on SQLite)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from billing import services
from billing.models import BillLine, IngestBatch, QuarantinedRecord
from billing.tests.helpers import body, ensure_catalogue, record

pytestmark = [
    pytest.mark.live_server_pg,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL",
    ),
]

ROOT = Path(__file__).resolve().parents[2]


def _records(accounts, n: int) -> list[dict]:
    products = ["DL-DIA", "VN-VPMN", "SMS-GROUP", "IOT-CARD", "CLOUD-ECS"]
    out = []
    for i in range(n):
        account = accounts[i % len(accounts)]
        month = 1 + (i // (len(accounts) * len(products))) % 12
        year = 2025 - (i // (len(accounts) * len(products) * 12))
        out.append(record(account.code, period=f"{year}-{month:02d}",
                          product=products[(i // len(accounts)) % len(products)],
                          amount=f"{i}.50", quantity=i % 50))  # fmt: skip
    return out


@pytest.fixture
def pg_accounts(transactional_db, world, account_factory):
    ensure_catalogue()
    return [account_factory(owner=world.am_a, region=world.district_a1) for _ in range(20)]


def test_ten_concurrent_posts_of_one_key_write_once(live_server, world, pg_accounts, monkeypatch):
    # Hold the writer's transaction open for a moment so the others really overlap it.
    original = services.apply_lines

    def slow(**kwargs):  # type: ignore[no-untyped-def]
        result = original(**kwargs)
        time.sleep(1.0)
        return result

    monkeypatch.setattr(services, "apply_lines", slow)
    payload = body(_records(pg_accounts, 2000))
    headers = {
        "Authorization": f"Api-Key {world.billing_key}",
        "Idempotency-Key": "concurrent-1",
        "Content-Type": "application/json",
    }
    url = f"{live_server.url}/api/v1/billing/batches/"
    barrier = threading.Barrier(10)
    results: list[tuple[int, str | None, dict]] = []
    lock = threading.Lock()

    def post() -> None:
        barrier.wait()
        response = requests.post(url, data=payload, headers=headers, timeout=60)
        with lock:
            results.append(
                (response.status_code, response.headers.get("Idempotent-Replayed"), response.json())
            )

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert len(results) == 10, "a request hung (deadlock?)"
    statuses = sorted(status for status, _, _ in results)
    assert all(status in (201, 409) for status in statuses), statuses
    writers = [r for r in results if r[0] == 201 and r[1] is None]
    assert len(writers) == 1, statuses
    assert any(status == 409 for status in statuses)
    for status, _replayed, data in results:
        if status == 409:
            assert data["error"]["code"] == "in_flight"
        else:
            assert data == writers[0][2]
    assert IngestBatch.objects.count() == 1
    assert BillLine.objects.count() == 2000
    # Once the writer is done the same request is a replay.
    after = requests.post(url, data=payload, headers=headers, timeout=60)
    assert after.status_code == 201 and after.headers["Idempotent-Replayed"] == "true"
    assert after.json() == writers[0][2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(app: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--timeout", "120"],
        cwd=ROOT, env=env, stdout=handle, stderr=handle, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz/", timeout=2).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"server did not start:\n{log.read_text()[-3000:]}")


def _server_env(tmp_path: Path) -> dict[str, str]:
    db = settings.DATABASES["default"]
    auth = f"{db['USER']}:{db.get('PASSWORD') or ''}"
    url = f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env["BILLING_TEST_MARKER"] = str(tmp_path / "applied.marker")
    env.pop("REDIS_URL", None)
    return env


def _wait_for_rollback(timeout: float = 20.0) -> None:
    """The killed worker's PostgreSQL backend rolls back when it sees the socket close."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.2)
    raise AssertionError("the killed server's transaction is still open")


def test_server_killed_mid_batch_applies_nothing_and_the_retry_completes(
    world, pg_accounts, tmp_path
):
    env = _server_env(tmp_path)
    log = tmp_path / "gunicorn.log"
    payload = body([*_records(pg_accounts, 5000), record("NO-SUCH-ACCOUNT")])
    headers = {
        "Authorization": f"Api-Key {world.billing_key}",
        "Idempotency-Key": "crash-1",
        "Content-Type": "application/json",
    }

    port = _free_port()
    server = _start_server("billing.tests.slow_wsgi:application", port, env, log)
    base = f"http://127.0.0.1:{port}"
    outcome: dict = {}

    def send() -> None:
        try:
            outcome["response"] = requests.post(
                f"{base}/api/v1/billing/batches/", data=payload, headers=headers, timeout=120
            )
        except requests.RequestException as exc:
            outcome["error"] = exc

    sender = threading.Thread(target=send)
    sender.start()
    marker = Path(env["BILLING_TEST_MARKER"])
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text() == "5000", "the lines were not written before the kill"
    # Lines are written, the transaction is open: kill the whole server, master and worker.
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    sender.join(timeout=30)
    assert "error" in outcome, "the client should have lost its connection"
    _wait_for_rollback()
    assert IngestBatch.objects.count() == 0
    assert BillLine.objects.count() == 0
    assert QuarantinedRecord.objects.count() == 0

    # The billing system retries with the same key against a healthy server: it completes.
    port = _free_port()
    healthy = _start_server("config.wsgi:application", port, env, log)
    try:
        base = f"http://127.0.0.1:{port}"
        retry = requests.post(
            f"{base}/api/v1/billing/batches/", data=payload, headers=headers, timeout=120
        )
        assert retry.status_code == 201, retry.text
        assert "Idempotent-Replayed" not in retry.headers
        assert retry.json()["counts"] == {
            "records": 5001, "inserted": 5000, "corrected": 0, "unchanged": 0, "quarantined": 1
        }  # fmt: skip
        assert BillLine.objects.count() == 5000
        again = requests.post(
            f"{base}/api/v1/billing/batches/", data=payload, headers=headers, timeout=120
        )
        assert again.headers["Idempotent-Replayed"] == "true"
        assert IngestBatch.objects.count() == 1
    finally:
        os.killpg(healthy.pid, signal.SIGTERM)
        healthy.wait(timeout=20)

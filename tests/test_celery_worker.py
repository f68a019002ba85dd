"""The docker-compose topology without Docker: a real Celery worker process, on the Redis broker
and the test's PostgreSQL database, runs a task sent from here.

Runs when REDIS_URL is set and the database is not SQLite in memory (CI sets both)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from core.models import JobRun
from core.tasks import heartbeat

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

WORKER_STARTUP_AND_TASK_SECONDS = 90


def database_url() -> str:
    """A URL for the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the worker needs a database another process can open (PostgreSQL)")
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker_env() -> dict[str, str]:
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: no broker for a real worker")
    if connection.vendor == "sqlite":
        pytest.skip("SQLite in memory is private to this process")
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        CELERY_TASK_ALWAYS_EAGER="false",
        DJANGO_READ_DOT_ENV_FILE="false",
    )
    return env


def start_worker(queue: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        f"--queues={queue}",
        f"--hostname=test-{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole below
        )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)  # warm shutdown: finish the task, close connections
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def test_a_real_worker_runs_heartbeat_and_records_it_in_the_database(worker_env, monkeypatch):
    # Not eager: .delay() must publish to Redis and the worker process must do the work.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    assert heartbeat.app.conf.task_always_eager is False
    # A queue of its own, so the worker cannot pick up anyone else's messages on a shared broker
    # (nor they its own).
    queue = f"groupcrm-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    marker = f"worker-test-{queue}"
    log = Path(tempfile.mkdtemp(prefix="celery-worker-")) / "worker.log"

    worker = start_worker(queue, worker_env, log)
    try:
        result = heartbeat.delay(triggered_by=marker)
        deadline = time.monotonic() + WORKER_STARTUP_AND_TASK_SECONDS
        run_id = None
        while run_id is None:
            if worker.poll() is not None:
                pytest.fail(f"the worker exited with {worker.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no result after {WORKER_STARTUP_AND_TASK_SECONDS}s:\n{log.read_text()}"
                )
            try:
                run_id = result.get(timeout=2)
            except CeleryTimeout:
                continue
    finally:
        stop_worker(worker)

    assert result.successful()
    run = JobRun.objects.get(pk=run_id)
    assert run.job == "heartbeat"
    assert run.triggered_by == marker
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.finished_at is not None and run.finished_at >= run.started_at
    # The worker wrote it, not this process: its log shows it received and ran the task.
    worker_log = log.read_text()
    assert "core.heartbeat" in worker_log
    assert "succeeded" in worker_log
    assert worker.returncode is not None

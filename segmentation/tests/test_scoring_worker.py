"""The scoring chord end to end through a REAL Celery worker process (Redis broker, PostgreSQL):
phase 1 in the worker, the chunks spread over its two prefork processes, the chord's body closing
the run; then a chunk redelivered (what a killed worker's unacknowledged chunk becomes) is redone
without duplicates and counted once.

Runs when REDIS_URL is set and the database is PostgreSQL (another process must open it)."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import Account
from config.celery import app as celery_app
from core.models import JobRun
from segmentation import services
from segmentation.models import AccountScore, IndicatorSnapshot, ScoreResult, ScoringChunk
from segmentation.tasks import run_scoring, score_chunk
from tests.test_celery_worker import database_url

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

AS_OF = dt.date(2026, 6, 30)
IN_PROCESS = dt.date(2026, 5, 31)  # the same population scored in this process, to compare
CHUNK = 4
DEADLINE_SECONDS = 120
COMPARED = (
    "snapshot_id",
    "revenue_points",
    "headcount_points",
    "profit_margin_growth_points",
    "step1_score",
    "step2_score",
    "step3_score",
    "segment_score",
    "economic_value_score",
    "social_value_score",
    "value_class",
)


@pytest.fixture
def population(world, account_factory):  # type: ignore[no-untyped-def]
    """Seventeen accounts (five chunks of four), ties, gaps and a negative growth; one churned."""
    accounts = [
        account_factory(
            code=f"GZW{i:03d}",
            owner=world.am_a,
            region=world.district_a1,
            status="churned" if i == 16 else "active",
            size_band=["large", "medium", "small", "micro"][i % 4],
        )
        for i in range(17)
    ]
    for i, account in enumerate(accounts):
        if i == 5:
            continue  # no snapshot: the size-band fallback
        IndicatorSnapshot.objects.create(
            account=account,
            measured_on=AS_OF - dt.timedelta(days=60),
            source="survey",
            revenue=float(i % 6) * 1000,  # ties
            headcount=None if i % 3 == 0 else float(i),
            profit_margin_growth=-0.5 + i / 10,
            it_awareness=1 + i % 5,
            government_relations=None if i % 4 == 0 else 5,
        )
    return accounts


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Two prefork processes on the queue named in env (their default queue too, so the chord
    that phase 1 sends from inside the worker lands on it as well)."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=prefork",
        "--concurrency=2",
        f"--queues={env['CELERY_TASK_DEFAULT_QUEUE']}",
        f"--hostname=test-seg-{uuid.uuid4().hex[:8]}@%h",
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
            start_new_session=True,
        )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def _wait_for(predicate, worker, log, what):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not predicate():
        if worker.poll() is not None:
            pytest.fail(f"the worker exited with {worker.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not done after {DEADLINE_SECONDS}s:\n{log.read_text()}")
        time.sleep(0.3)


def _rows(as_of: dt.date) -> dict[int, tuple]:
    return {
        r["account_id"]: tuple(r[c] for c in COMPARED)
        for r in ScoreResult.objects.filter(as_of=as_of).values("account_id", *COMPARED)
    }


def test_the_scoring_chord_runs_on_a_real_worker(population, monkeypatch, settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: no broker for a real worker")
    if connection.vendor != "postgresql":
        pytest.skip("the worker needs a database another process can open (PostgreSQL)")
    # The reference: the same population scored in this process, with the same chunk size.
    settings.SEGMENTATION = {**settings.SEGMENTATION, "CHUNK_SIZE": CHUNK}
    services.scoring_run(as_of=IN_PROCESS)
    expected = _rows(IN_PROCESS)
    assert len(expected) == 16  # the churned account is not scored

    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    # A queue of its own on the shared broker: the test's messages and the chord's own.
    queue = f"groupcrm-seg-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        CELERY_TASK_ALWAYS_EAGER="false",
        CELERY_TASK_DEFAULT_QUEUE=queue,
        SEGMENTATION_CHUNK_SIZE=str(CHUNK),
        DJANGO_READ_DOT_ENV_FILE="false",
    )
    log = Path(tempfile.mkdtemp(prefix="celery-seg-")) / "worker.log"
    marker = f"worker-test-{queue}"
    worker = _worker(env, log)
    try:
        run_scoring.apply_async(kwargs={"as_of": AS_OF.isoformat(), "triggered_by": marker})

        def finished() -> bool:
            run = JobRun.objects.filter(triggered_by=marker).first()
            return run is not None and run.status != JobRun.Status.RUNNING

        _wait_for(finished, worker, log, "the scoring run")
        run = JobRun.objects.get(triggered_by=marker)
        assert run.status == JobRun.Status.SUCCEEDED, run.errors
        assert (run.rows, run.total) == (16, 16)
        chunks = list(ScoringChunk.objects.filter(run_id=run.pk).order_by("first_account_id"))
        assert len(chunks) == 4 and all(c.finished_at for c in chunks)
        assert [c.rows for c in chunks] == [4, 4, 4, 4]
        # The worker computed exactly what this process computes.
        assert _rows(AS_OF) == expected
        assert set(AccountScore.objects.values_list("as_of", flat=True)) == {AS_OF}

        # A redelivered chunk (a worker killed before acknowledging it): done again by the
        # worker, no duplicate rows, the run still counts 16.
        before = list(ScoreResult.objects.order_by("id").values())
        first = chunks[1]
        result = score_chunk.apply_async(
            kwargs={
                "run_id": run.pk,
                "as_of": AS_OF.isoformat(),
                "first_id": first.first_account_id,
                "last_id": first.last_account_id,
            }
        )
        assert result.get(timeout=DEADLINE_SECONDS) == 4
        assert list(ScoreResult.objects.order_by("id").values()) == before
        run.refresh_from_db()
        assert run.rows == 16
        assert ScoringChunk.objects.filter(run_id=run.pk).count() == 4
    finally:
        _stop(worker)

    # The work happened in the worker's processes, not here: phase 1, every chunk, the body.
    text = log.read_text()
    assert "segmentation.run_scoring" in text
    assert len(re.findall(r"Task segmentation\.score_chunk\[[^\]]+\] succeeded", text)) == 5
    assert re.search(r"Task segmentation\.finish_scoring\[[^\]]+\] succeeded", text)
    assert Account.objects.filter(status="churned").count() == 1

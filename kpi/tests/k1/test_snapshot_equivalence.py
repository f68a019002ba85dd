"""The set-based snapshot (kpi.snapshots) equals the pure definitions (kpi.metrics, kpi.credit)
on generated data, on SQLite and PostgreSQL alike; re-running a night changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kpi import credit, snapshots
from kpi import metrics as m
from kpi.models import MetricSnapshot

from .generated import AS_OF, build_world, read_population

PLACES = Decimal("0.0001")


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(PLACES)


def stored_rows(as_of: dt.date) -> dict[credit.ScopeKey, tuple]:
    out = {}
    for s in MetricSnapshot.objects.filter(as_of=as_of):
        scope = ("region", s.region_id) if s.region_id else ("user", s.user_id)
        out[(s.period, s.metric, *scope)] = (
            _q(s.numerator),
            _q(s.denominator),
            _q(s.value),
        )
    return out


def expected_rows(as_of: dt.date) -> dict[credit.ScopeKey, tuple]:
    contexts = snapshots.windows(as_of).contexts()
    expected = credit.expected_snapshot(read_population(), contexts, snapshots.coordination_share())
    return {k: (_q(r.numerator), _q(r.denominator), _q(r.value)) for k, r in expected.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_set_based_snapshot_equals_pure_definitions(seed: int) -> None:
    build_world(seed)
    for as_of in (AS_OF, dt.date(2026, 7, 1), dt.date(2026, 9, 30)):
        snapshots.snapshot(as_of)
        stored, expected = stored_rows(as_of), expected_rows(as_of)
        assert stored.keys() == expected.keys()
        wrong = {k: (stored[k], expected[k]) for k in expected if stored[k] != expected[k]}
        assert not wrong, list(wrong.items())[:5]
        # the generated data is not degenerate: some of every metric is non-zero
        nonzero = {k[1] for k, v in stored.items() if v[0]}
        assert nonzero >= set(m.METRICS) - {m.VISITS_PER_AM} or as_of != AS_OF, nonzero


@pytest.mark.django_db
def test_rerunning_a_night_changes_nothing() -> None:
    build_world(7)
    snapshots.snapshot(AS_OF)
    first = {
        (s.pk, s.period, s.metric, s.region_id, s.user_id, s.numerator, s.denominator, s.value)
        for s in MetricSnapshot.objects.all()
    }
    snapshots.snapshot(AS_OF)
    second = {
        (s.pk, s.period, s.metric, s.region_id, s.user_id, s.numerator, s.denominator, s.value)
        for s in MetricSnapshot.objects.all()
    }
    assert first == second
    assert len(first) > 0


@pytest.mark.django_db(transaction=True)
def test_parallel_parts_equal_pure_definitions(monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL, outside a transaction, the revenue and task/complaint/visit sums run on a
    second connection in a thread (kpi.snapshots.compute): same rows as the pure definitions."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the second connection needs a database that threads share (PostgreSQL)")
    build_world(2)
    threads: list[str] = []
    side = snapshots._side_parts_on_own_connection

    def spy(w: snapshots.Windows) -> snapshots.Totals:
        import threading

        threads.append(threading.current_thread().name)
        return side(w)

    monkeypatch.setattr(snapshots, "_side_parts_on_own_connection", spy)
    snapshots.snapshot(AS_OF)
    assert len(threads) == 1 and threads[0] != "MainThread"
    stored, expected = stored_rows(AS_OF), expected_rows(AS_OF)
    assert stored.keys() == expected.keys()
    wrong = {k: (stored[k], expected[k]) for k in expected if stored[k] != expected[k]}
    assert not wrong, list(wrong.items())[:5]
    revenue = {k for k, v in stored.items() if k[1] == m.BILLED_REVENUE and v[0]}
    assert revenue, "the generated world bills something"

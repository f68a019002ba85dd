"""Stored league tables (kpi.models.ManagerRanking): one province-wide ranking per (scheme,
period, snapshot day, data version) answers every region's league table; a cold cache does not
rank again; a target edit files a new version after commit; warming is idempotent and old
versions are pruned."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.tests.factories import UserFactory
from kpi import domain, ranking, selectors, services
from kpi.models import KpiTarget, ManagerRanking, ManagerTotal, MetricSnapshot
from org.models import Region, User

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 8, 20)
Q3 = domain.ScorePeriod(2026, "Q3")
YEAR = domain.ScorePeriod(2026, domain.YEAR)
NEVER = mock.Mock(side_effect=AssertionError("ranked again"))


def _league(kpi, region, period=Q3, limit=selectors.LEAGUE_SHOWN):  # type: ignore[no-untyped-def]
    return selectors.league_table(
        scheme=kpi.scheme, period=period, as_of=AS_OF, region=region, limit=limit
    )


def _more_managers(kpi, n: int = 16) -> None:  # type: ignore[no-untyped-def]
    """Account managers all over the tree with random actuals (some missing) and targets (some
    missing), two of them with identical numbers (a tie)."""
    w = kpi.world
    rng = random.Random(20260820)
    regions = [w.province, w.city_a, w.city_b, w.district_a1]
    rules = services.scheme_rules(kpi.scheme)
    snapshots, targets = [], []
    lines: list[tuple[Decimal | None, Decimal, Decimal, bool]] = []
    for i in range(n):
        person = UserFactory(username=f"gen_am{i}", role="account_manager", region=regions[i % 4])
        if i != 1:  # gen_am1 ties with gen_am0
            lines = [
                (
                    None if rng.random() < 0.1 else Decimal(rng.randint(0, 1000)) / 100,
                    Decimal(rng.randint(1, 500)) / 100,
                    Decimal(rng.randint(0, 300)) / 100,
                    rng.random() < 0.85,
                )
                for _r in rules
            ]
        for rule, (actual, realistic, extra, has_target) in zip(rules, lines, strict=True):
            for period in ("month", "quarter", "year"):
                snapshots.append(
                    MetricSnapshot(as_of=AS_OF, period=period, metric=rule.metric, user=person,
                                   numerator=actual or 0, value=actual)
                )  # fmt: skip
            if has_target:
                stretch = realistic + extra if rule.direction == "higher" else realistic - extra
                for quarter in ("Q3", "Y"):
                    targets.append(
                        KpiTarget(scheme=kpi.scheme, metric=rule.metric, quarter=quarter,
                                  user=person, realistic=realistic, stretch=max(stretch, 0))
                    )  # fmt: skip
    MetricSnapshot.objects.bulk_create(snapshots)
    KpiTarget.objects.bulk_create(targets)


@pytest.mark.parametrize("period", [Q3, YEAR], ids=["quarter", "year"])
def test_stored_totals_equal_the_ranking_of_every_subtree(kpi, period):  # type: ignore[no-untyped-def]
    _more_managers(kpi)
    assert selectors.rankings_warm(as_of=AS_OF) == 2 * 19  # 3 + 16 managers, quarter and year
    with mock.patch.object(ranking, "manager_totals", NEVER):
        leagues = {r.pk: _league(kpi, r, period, limit=1000) for r in Region.objects.all()}
    for region in Region.objects.all():
        expected = ranking.manager_totals(
            scheme=kpi.scheme, period=period, as_of=AS_OF, region_path=region.path
        )
        league = leagues[region.pk]
        assert [row.user_id for row in league.rows] == [uid for uid, _t in expected], region
        assert [row.rank for row in league.rows] == list(range(1, len(expected) + 1))
        assert league.count == len(expected)
        for row, (_uid, total) in zip(league.rows, expected, strict=True):
            assert abs(row.total - total) < Decimal("0.000001")
    # and the pure rules agree (the export scores every line in Python)
    pure = {r.user_id: r.total for r in _league(kpi, kpi.world.province, period, None).rows}
    province = leagues[kpi.world.province.pk]
    assert {r.user_id for r in province.rows} == set(pure)
    for row in province.rows:
        assert abs(row.total - pure[row.user_id]) < Decimal("0.0001")


def test_a_regional_managers_league_lists_only_their_subtree(kpi, login):  # type: ignore[no-untyped-def]
    _more_managers(kpi)
    w = kpi.world
    selectors.rankings_warm(as_of=AS_OF)
    client = login(w.rm_a)
    with mock.patch.object(ranking, "manager_totals", NEVER):
        for code in ("", "GZ-TH"):
            query = f"?period=2026Q3&region={code}" if code else "?period=2026Q3"
            response = client.get(reverse("kpi:dashboard") + query)
            assert response.status_code == 200
            league = response.context["league"]
            region = Region.objects.get(code=code or "GZ")
            inside = set(
                User.objects.filter(
                    role="account_manager", region__path__startswith=region.path
                ).values_list("id", flat=True)
            )
            assert {r.user_id for r in league.rows} == inside
            assert [r.rank for r in league.rows] == list(range(1, len(inside) + 1))
            assert league.count == len(inside)
            assert w.am_b.pk not in inside
        # outside their subtree is a 404, not somebody else's league
        assert client.get(reverse("kpi:dashboard") + "?region=SZ").status_code == 404


def test_a_cold_cache_does_not_rank_again(kpi, login, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    selectors.rankings_warm(as_of=AS_OF)
    cache.clear()
    scheme = selectors.scheme_for_year(2026)  # with its metrics, as the page reads it
    with mock.patch.object(ranking, "manager_totals", NEVER):
        # the data version, the stored ranking, its rows (fewer than shown: no count)
        with django_assert_max_num_queries(3):
            league = selectors.league_table(
                scheme=scheme, period=Q3, as_of=AS_OF, region=kpi.world.province
            )
        response = login(kpi.world.hq).get(reverse("kpi:dashboard") + "?period=2026Q3")
    assert [r.username for r in league.rows] == ["am_gz", "am_gz2", "am_sz"]
    assert [r.username for r in response.context["league"].rows] == ["am_gz", "am_gz2", "am_sz"]


def test_a_period_not_warmed_is_ranked_and_stored_on_first_view(kpi):  # type: ignore[no-untyped-def]
    assert not ManagerRanking.objects.exists()
    first = _league(kpi, kpi.world.city_a)
    stored = ManagerRanking.objects.get()
    assert (stored.period, stored.as_of, stored.managers) == ("2026Q3", AS_OF, 3)
    assert stored.version == selectors.ranking_version(kpi.scheme)
    with mock.patch.object(ranking, "manager_totals", NEVER):
        again = _league(kpi, kpi.world.city_a)
    assert again == first
    assert [r.username for r in again.rows] == ["am_gz", "am_gz2"]


def test_the_league_shows_the_top_and_counts_the_subtree(kpi):  # type: ignore[no-untyped-def]
    _more_managers(kpi)
    league = _league(kpi, kpi.world.province, limit=5)
    assert [r.rank for r in league.rows] == [1, 2, 3, 4, 5]
    assert league.count == 19


def _easy_q3_targets_for_am_sz(kpi):  # type: ignore[no-untyped-def]
    """Targets that make am_sz (world.am_b) lead the Q3 table once they are set."""
    return [
        services.TargetEntry(
            r.metric,
            "Q3",
            Decimal("0.0001") if r.direction == "higher" else Decimal("1"),
            Decimal("0.0001") if r.direction == "higher" else Decimal("1"),
            user_id=kpi.world.am_b.pk,
        )
        for r in services.scheme_rules(kpi.scheme)
    ]


def test_a_target_edit_files_a_new_version_after_commit(
    kpi, django_capture_on_commit_callbacks, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: AS_OF)
    selectors.rankings_warm(as_of=AS_OF)
    before = selectors.ranking_version(kpi.scheme)
    entries = _easy_q3_targets_for_am_sz(kpi)
    with django_capture_on_commit_callbacks(execute=True):
        services.targets_set(actor=kpi.world.hq, scheme=kpi.scheme, entries=entries)
    after = selectors.ranking_version(kpi.scheme)
    assert after != before
    stored = ManagerRanking.objects.get(period="2026Q3", as_of=AS_OF, version=after)
    top = ManagerTotal.objects.filter(ranking=stored).order_by("position").first()
    assert top is not None and top.user_id == kpi.world.am_b.pk
    assert ManagerRanking.objects.filter(period="2026", version=after).exists()
    with mock.patch.object(ranking, "manager_totals", NEVER):
        assert _league(kpi, kpi.world.province).rows[0].username == "am_sz"


def test_warming_twice_writes_nothing_new(kpi):  # type: ignore[no-untyped-def]
    assert selectors.rankings_warm(as_of=AS_OF) == 6
    headers, rows = ManagerRanking.objects.count(), ManagerTotal.objects.count()
    assert (headers, rows) == (2, 6)
    with mock.patch.object(ranking, "manager_totals", NEVER):
        assert selectors.rankings_warm(as_of=AS_OF) == 0
    assert (ManagerRanking.objects.count(), ManagerTotal.objects.count()) == (headers, rows)


def test_old_versions_are_pruned(kpi):  # type: ignore[no-untyped-def]
    kept = services.RANKING_VERSIONS_KEPT
    stored = [
        services.manager_ranking_store(scheme=kpi.scheme, period=Q3, as_of=AS_OF, version=f"v{i}")[
            0
        ]
        for i in range(kept + 2)
    ]
    services.manager_ranking_store(scheme=kpi.scheme, period=YEAR, as_of=AS_OF, version="v0")
    q3 = ManagerRanking.objects.filter(period="2026Q3").order_by("id")
    assert [r.version for r in q3] == [f"v{i}" for i in range(2, kept + 2)]
    assert ManagerRanking.objects.filter(period="2026").count() == 1  # per period
    assert not ManagerTotal.objects.filter(ranking__in=[r.pk for r in stored[:2]]).exists()
    assert ManagerTotal.objects.count() == 3 * (kept + 1)


def test_a_manager_who_moves_is_listed_where_they_are_now(kpi):  # type: ignore[no-untyped-def]
    w = kpi.world
    selectors.rankings_warm(as_of=AS_OF)
    w.am_a2.region = w.city_b
    w.am_a2.save()
    with mock.patch.object(ranking, "manager_totals", NEVER):
        assert {r.username for r in _league(kpi, w.city_b).rows} == {"am_gz2", "am_sz"}
        assert {r.username for r in _league(kpi, w.city_a).rows} == {"am_gz"}


def test_two_workers_storing_one_version_keep_one(kpi):  # type: ignore[no-untyped-def]
    real = ranking.manager_totals

    def other_worker_first(**kwargs):  # type: ignore[no-untyped-def]
        totals = real(**kwargs)
        ManagerRanking.objects.create(
            scheme=kpi.scheme, period="2026Q3", as_of=AS_OF, version="v", managers=0
        )
        return totals

    with mock.patch.object(ranking, "manager_totals", other_worker_first):
        stored, created = services.manager_ranking_store(
            scheme=kpi.scheme, period=Q3, as_of=AS_OF, version="v"
        )
    assert not created and stored.managers == 0
    assert ManagerRanking.objects.count() == 1 and not ManagerTotal.objects.exists()


def test_the_night_ranks_every_quarter_of_the_year_so_far(kpi):  # type: ignore[no-untyped-def]
    """A night's snapshot run changes every period's data version: the warm-up ranks the past
    quarters too (on their last snapshot day), so looking back at Q2 does not rank in the
    request; the quarters still to come have nothing to rank."""
    q2_end = dt.date(2026, 6, 30)
    MetricSnapshot.objects.bulk_create(
        MetricSnapshot(
            as_of=q2_end, period=s.period, metric=s.metric, region_id=s.region_id,
            user_id=s.user_id, numerator=s.numerator, denominator=s.denominator, value=s.value,
        )
        for s in MetricSnapshot.objects.filter(as_of=AS_OF)
    )  # fmt: skip
    selectors.rankings_warm(as_of=AS_OF)
    stored = set(ManagerRanking.objects.values_list("period", "as_of"))
    assert {("2026Q2", q2_end), ("2026Q3", AS_OF), ("2026", AS_OF)} <= stored
    assert not {p for p, _day in stored} & {"2026Q1", "2026Q4"}


def test_after_an_edit_the_league_shows_the_previous_ranking_until_the_new_one_is_stored(
    kpi, login, monkeypatch
):  # type: ignore[no-untyped-def]
    """Between an edit and its background re-rank the page does not rank in the request: it
    shows the previous ranking, says so, and enqueues the current version's ranking once."""
    from kpi import tasks

    cache.clear()
    selectors.rankings_warm(as_of=AS_OF)
    entries = _easy_q3_targets_for_am_sz(kpi)
    # The edit's on-commit re-rank never runs here (the test's transaction is not committed).
    services.targets_set(actor=kpi.world.hq, scheme=kpi.scheme, entries=entries)
    queued: list[dict] = []
    monkeypatch.setattr(tasks.rank_period, "delay", lambda **kw: queued.append(kw))
    with mock.patch.object(ranking, "manager_totals", NEVER):
        stale = _league(kpi, kpi.world.province)
        again = _league(kpi, kpi.world.province)
        page = login(kpi.world.hq).get(reverse("kpi:dashboard"), {"period": "2026Q3"})
    assert stale.stale and again.stale
    assert stale.rows[0].username != "am_sz"
    assert queued == [{"scheme_id": kpi.scheme.pk, "period": "2026Q3", "as_of": "2026-08-20"}]
    assert "the new ranking is being computed" in page.content.decode()
    # The task ranks the current version; the league is current again.
    assert tasks.rank_period.run(**queued[0]) > 0
    fresh = _league(kpi, kpi.world.province)
    assert not fresh.stale and fresh.rows[0].username == "am_sz"

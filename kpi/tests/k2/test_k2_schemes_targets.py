"""hq's scheme editor, target grid and target import; the services refuse what breaks the rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from kpi import domain, services
from kpi.models import KpiScheme, KpiTarget

pytestmark = pytest.mark.django_db


def test_scheme_save_refuses_weights_that_do_not_sum_to_100(world):
    rules = services.default_metrics()
    broken = [domain.MetricRule(r.metric, r.weight, r.direction, r.rule) for r in rules]
    broken[0] = domain.MetricRule(broken[0].metric, broken[0].weight - 1, "lower", "banded")
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        services.scheme_save(actor=world.hq, year=2027, name="x", metrics=broken)
    assert "99" in exc.value.messages[0] and "exactly 100" in exc.value.messages[0]
    assert not KpiScheme.objects.filter(year=2027).exists()


def test_default_scheme_is_tilted_to_retention_and_penetration(world):
    scheme = services.scheme_create_default(actor=world.hq, year=2027)
    weights = {m.metric: m.weight for m in scheme.metrics.all()}
    assert sum(weights.values()) == 100
    assert weights["billed_revenue"] == 0
    assert (
        weights["churn_rate"] + weights["high_value_churn_rate"] + weights["it_penetration"] >= 60
    )
    assert scheme.history.first().history_user == world.hq


def test_only_hq_manages_schemes_and_targets(world):
    with pytest.raises(PermissionDenied):
        services.scheme_create_default(actor=world.rm_a, year=2027)
    scheme = services.scheme_create_default(actor=world.hq, year=2027)
    entry = services.TargetEntry("churn_rate", "Q1", Decimal("0.04"), Decimal("0.03"),
                                 region_id=world.city_a.pk)  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.targets_set(actor=world.rm_a, scheme=scheme, entries=[entry])


def test_targets_set_upserts_with_history_and_refuses_falling_quarters(world):
    scheme = services.scheme_create_default(actor=world.hq, year=2027)

    def entry(q: str, r: str, s: str) -> services.TargetEntry:
        return services.TargetEntry("new_accounts", q, Decimal(r), Decimal(s),
                                    region_id=world.city_a.pk)  # fmt: skip

    assert services.targets_set(actor=world.hq, scheme=scheme, entries=[entry("Q1", "5", "6")]) == 1
    assert services.targets_set(actor=world.hq, scheme=scheme, entries=[entry("Q1", "6", "7")]) == 1
    target = KpiTarget.objects.get(scheme=scheme, quarter="Q1")
    assert target.realistic == 6 and target.history.count() == 2
    assert target.history.first().history_user == world.hq
    with pytest.raises(ValidationError) as exc:
        services.targets_set(actor=world.hq, scheme=scheme, entries=[entry("Q2", "5", "9")])
    assert "Q2" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        services.targets_set(actor=world.hq, scheme=scheme, entries=[entry("Q3", "9", "8")])


@pytest.fixture
def hq_client(world, login):  # type: ignore[no-untyped-def]
    return login(world.hq)


def _scheme_post(weights: dict[str, int]) -> dict[str, str]:
    data = {"name": "方案"}
    for rule in services.default_metrics():
        weight = weights.get(rule.metric, rule.weight)
        data.update({
            f"{rule.metric}-included": "on",
            f"{rule.metric}-weight": str(weight),
            f"{rule.metric}-direction": rule.direction,
            f"{rule.metric}-rule": rule.rule,
            f"{rule.metric}-cap_percent": "120",
        })  # fmt: skip
    return data


def test_scheme_editor_shows_the_sum_and_refuses_inline(world, hq_client, login):
    response = hq_client.post(reverse("kpi:schemes"), {"year": "2027", "name": "二〇二七"})
    assert response.status_code == 302
    url = reverse("kpi:scheme", kwargs={"year": 2027})
    page = hq_client.get(url).content.decode()
    assert 'id="weights-sum"' in page and ">100</span>" in page
    response = hq_client.post(url, _scheme_post({"churn_rate": 30}))
    assert response.status_code == 200
    assert "105" in response.content.decode() and "exactly 100" in response.content.decode()
    assert KpiScheme.objects.get(year=2027).metrics.get(metric="churn_rate").weight == 25
    response = hq_client.post(url, _scheme_post({"churn_rate": 30, "visits_per_am": 0}))
    assert response.status_code == 302
    assert KpiScheme.objects.get(year=2027).metrics.get(metric="churn_rate").weight == 30
    assert login(world.rm_a).get(url).status_code == 403
    assert login(world.am_a).get(reverse("kpi:schemes")).status_code == 403


def test_target_grid_saves_clears_and_marks_bad_cells(world, hq_client):
    scheme = services.scheme_create_default(actor=world.hq, year=2027)
    url = reverse("kpi:targets", kwargs={"year": 2027})
    assert hq_client.get(url + "?quarter=Q1&scope=regions").status_code == 200
    pk = world.city_a.pk
    base = {"quarter": "Q1", "scope": "regions"}
    response = hq_client.post(url, {**base, f"r-{pk}-churn_rate": "4%", f"s-{pk}-churn_rate": "3%"})
    assert response.status_code == 302
    target = KpiTarget.objects.get(scheme=scheme, region=world.city_a, metric="churn_rate")
    assert (target.realistic, target.stretch) == (Decimal("0.04"), Decimal("0.03"))
    response = hq_client.post(url, {**base, f"r-{pk}-churn_rate": "abc", f"s-{pk}-churn_rate": "1"})
    assert response.status_code == 200 and 'class="bad"' in response.content.decode()
    response = hq_client.post(url, {**base, f"r-{pk}-churn_rate": "3%", f"s-{pk}-churn_rate": "4%"})
    assert response.status_code == 200 and "stretch" in response.content.decode()
    assert hq_client.post(url, base).status_code == 302  # all blank: removed
    assert not KpiTarget.objects.filter(scheme=scheme).exists()


def test_target_import_dry_run_then_confirm(world, hq_client):
    scheme = services.scheme_create_default(actor=world.hq, year=2027)
    url = reverse("kpi:targets_import", kwargs={"year": 2027})
    bad = (
        b"region,account_manager,metric,quarter,realistic,stretch\n"
        b"GZ,,churn_rate,Q1,4%,3%\n"
        b"XX,,churn_rate,Q1,4%,3%\n"
        b"GZ,,happiness,Q1,1,2\n"
        b",am_gz,new_accounts,Q5,1,2\n"
        b",am_gz,new_accounts,Q1,abc,2\n"
    )
    response = hq_client.post(url, {"file": SimpleUploadedFile("t.csv", bad)})
    problems = [(p.row, p.column) for p in response.context["preview"].problems]
    assert problems == [(3, "region"), (4, "metric"), (5, "quarter"), (6, "realistic")]
    assert not KpiTarget.objects.exists()
    good = (
        "区域编码,客户经理,指标,季度,基本目标,挑战目标\n"
        "GZ,,churn_rate,Q1,4%,3%\n"
        ",am_gz,新增客户数,一季度,5,6\n"
    ).encode()
    response = hq_client.post(url, {"file": SimpleUploadedFile("t.csv", good)})
    preview = response.context["preview"]
    assert preview.ok, preview.problems
    token = response.context["token"]
    response = hq_client.post(
        reverse("kpi:targets_import_confirm", kwargs={"year": 2027}), {"token": token}
    )
    assert response.status_code == 302
    assert KpiTarget.objects.filter(scheme=scheme).count() == 2


def test_target_import_refuses_formulas_and_falling_quarters(world, hq_client):
    services.scheme_create_default(actor=world.hq, year=2027)
    url = reverse("kpi:targets_import", kwargs={"year": 2027})
    formula = b"region,metric,quarter,realistic,stretch\nGZ,churn_rate,Q1,=1+1,2\n"
    response = hq_client.post(url, {"file": SimpleUploadedFile("t.csv", formula)})
    assert "Formulas are not accepted" in response.content.decode()
    falling = (
        b"region,metric,quarter,realistic,stretch\n"
        b"GZ,new_accounts,Q1,10,12\nGZ,new_accounts,Q2,8,12\n"
    )
    response = hq_client.post(url, {"file": SimpleUploadedFile("t.csv", falling)})
    problems = response.context["preview"].problems
    assert [(p.row, p.column) for p in problems] == [(3, "realistic")]

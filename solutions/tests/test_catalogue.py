from __future__ import annotations

import pytest
from django.db import IntegrityError

from solutions import domain
from solutions.models import Product, SolutionModule
from solutions.selectors import product_ids_by_code
from solutions.services import product_save

pytestmark = pytest.mark.django_db


def test_nine_modules_in_two_layers_are_seeded():
    modules = list(
        SolutionModule.objects.order_by("sort_order").values_list("code", "layer", "scope")
    )
    assert [m[0] for m in modules] == list(domain.MODULE_CODES)
    assert {m[0] for m in modules if m[1] == "basic"} == {
        "transmission", "terminal_access", "it_infrastructure"
    }  # fmt: skip
    assert {m[0] for m in modules if m[2] == "external"} == {"customer_mgmt", "partner_mgmt"}


def test_catalogue_has_at_least_40_products_covering_every_module():
    assert Product.objects.count() >= 40
    assert set(Product.objects.values_list("module__code", flat=True)) == set(domain.MODULE_CODES)
    for code in ("DL-DIA", "VN-VPMN", "SMS-GROUP", "IOT-CARD", "BB-ENT", "IDC-RACK", "CLOUD-ECS",
                 "OA-MOBILE", "RBT-GROUP", "SMS-INDUSTRY", "OA-VIDEOCONF", "FIN-CLOUD", "HR-SAAS",
                 "PROD-LBS", "PAY-MOBILE", "CRM-SFA"):  # fmt: skip
        assert Product.objects.filter(product_code=code).exists(), code


def test_module_rules_are_constraints():
    with pytest.raises(IntegrityError):
        SolutionModule.objects.create(code="finance2", layer="basic", name="x", name_en="x")


def test_product_code_shape_is_a_constraint():
    module = SolutionModule.objects.get(code="office")
    with pytest.raises(IntegrityError):
        Product.objects.create(product_code="bad code", name="x", name_en="x", module=module)


def test_product_save_and_code_map():
    product_save(product_code="OA-NEW", name="新品", name_en="New", module_code="office")
    product = product_save(
        product_code="OA-NEW", name="新品2", name_en="New 2", module_code="hr", active=False
    )
    assert (product.name, product.module.code, product.active) == ("新品2", "hr", False)
    assert product_ids_by_code(["OA-NEW", "NOPE"]) == {"OA-NEW": product.pk}
    assert product_ids_by_code([]) == {}
    assert domain.is_application_module("hr") and not domain.is_application_module("transmission")


def test_catalogue_api_for_staff_and_billing(world, api):
    from billing.tests.helpers import machine

    staff = api(world.am_a).get("/api/v1/solutions/products/?module=office")
    assert staff.status_code == 200
    assert {p["module"] for p in staff.json()} == {"office"}
    assert machine(world.billing_key).get("/api/v1/solutions/modules/").json()[0]["code"] == (
        "transmission"
    )

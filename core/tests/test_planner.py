"""core.planner.ssd_costs: the planner setting holds inside the block only, even inside an
outer transaction (a request's), and is a no-op on SQLite."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from core.planner import SSD_RANDOM_PAGE_COST, ssd_costs

pytestmark = pytest.mark.django_db


def _cost() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        return str(cursor.fetchone()[0])


def test_ssd_costs_inside_the_block_only() -> None:
    if connection.vendor != "postgresql":
        with ssd_costs():
            pass  # nothing to set
        return
    before = _cost()
    assert before != SSD_RANDOM_PAGE_COST
    with transaction.atomic():
        with ssd_costs():
            assert _cost() == SSD_RANDOM_PAGE_COST
        assert _cost() == before  # put back for the rest of the outer transaction
    assert _cost() == before

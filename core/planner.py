"""Planner settings for one read that PostgreSQL's defaults misjudge.

`random_page_cost` defaults to 4 (a spinning disk: a random page read costs four sequential
ones). A walk of an index in the order a page wants, probing another table by primary key per
entry, is priced with it; on SSDs and with the working set in memory the real ratio is close to
1 (PostgreSQL's documentation suggests 1.1 for SSDs), and the walk that stops after a page is
often 5–10× cheaper than the hash join over a whole region the default prefers (the retention
desk's deep pages at 1M accounts: 450 ms hash join, 78 ms walk, bench/results/lifecycle_pages.md).

`ssd_costs()` sets it for the statements inside the block and puts the previous value back after
(`SET LOCAL` inside a transaction: it never leaks to another request on the same connection).
On SQLite it does nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction

SSD_RANDOM_PAGE_COST = "1.1"


@contextmanager
def ssd_costs(alias: str = "default") -> Iterator[None]:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=alias, savepoint=False):
        with connection.cursor() as cursor:
            # The previous value, read before the set in the same statement.
            cursor.execute(
                "SELECT current_setting('random_page_cost'), "
                "set_config('random_page_cost', %s, true)",
                [SSD_RANDOM_PAGE_COST],
            )
            (previous, _now) = cursor.fetchone()
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('random_page_cost', %s, true)", [previous])

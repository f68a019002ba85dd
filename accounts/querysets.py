from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connections, models

if TYPE_CHECKING:
    from org.models import Region


class _ContainsPair(models.Func):
    """Name or code contains the two characters, case-insensitively (PostgreSQL only).

    `accounts_bigrams(UPPER(name) || newline || UPPER(code)) @> ARRAY[UPPER(text)]` is answered
    by the GIN index of migration 0005, and for a text of two characters (after UPPER) it is
    exactly `name ICONTAINS text OR code ICONTAINS text` (the newline keeps a pair from spanning
    name and code; a stripped two-character text holds no newline). The `strpos(…) <> 0` next
    to it states the containment directly: it is cheap, so PostgreSQL checks it first when it
    walks an ordered index instead, and a `<>` on an expression without statistics is estimated
    to keep ~all rows, so the planner's row estimate stays the bigram index's own (a LIKE here
    would multiply two estimates of the same condition and make a common word look rare)."""

    output_field = models.BooleanField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:  # type: ignore[override]
        name, name_params = compiler.compile(self.source_expressions[0])
        code, code_params = compiler.compile(self.source_expressions[1])
        value, value_params = compiler.compile(self.source_expressions[2])
        text = f"(UPPER({name}::text) || E'\\n' || UPPER({code}::text))"
        sql = (
            f"(accounts_bigrams({text}) @> ARRAY[UPPER({value}::text)] "
            f"AND strpos({text}, UPPER({value}::text)) <> 0)"
        )
        params = (*name_params, *code_params, *value_params)
        return sql, params + params


class _ContainsInRegions(models.Func):
    """Name or code contains the text (two characters or more) and the account lies in one of the
    given regions (PostgreSQL only): for each region, the containment of every bigram of the text
    tagged with that region (`accounts_region_bigrams(…) @> ARRAY['人民#7', '民医#7', '医院#7']`),
    OR-ed over the regions, answered by the GIN index of migration 0007 from those regions'
    posting lists only; `strpos` then checks the whole text. A regional list's matches are read
    straight from the index instead of walking the name or code order past the subtree's other
    accounts (names are clustered: a city's hospitals all sort together, far from its first name:
    105,839 rows walked for 51 hospitals at 1M accounts, bench/results/pages.md)."""

    output_field = models.BooleanField()

    def __init__(self, name: Any, code: Any, region: Any, text: str, region_ids: list[int]):
        upper = text.upper()
        pairs = sorted({upper[i : i + 2] for i in range(len(upper) - 1)})
        self.token_sets = [[f"{pair}#{pk}" for pair in pairs] for pk in region_ids]
        self.upper = upper
        super().__init__(name, code, region)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:  # type: ignore[override]
        name, name_params = compiler.compile(self.source_expressions[0])
        code, code_params = compiler.compile(self.source_expressions[1])
        region, region_params = compiler.compile(self.source_expressions[2])
        text = f"(UPPER({name}::text) || E'\\n' || UPPER({code}::text))"
        tagged = f"accounts_region_bigrams({text}, {region})"
        tagged_params = (*name_params, *code_params, *region_params)
        params: list[Any] = []
        if len(self.token_sets[0]) == 1:
            # One bigram (a two-character text): any of the regions' tokens, one GIN probe.
            any_region = f"{tagged} && %s::text[]"
            params += [*tagged_params, [tokens[0] for tokens in self.token_sets]]
        else:
            any_region = " OR ".join([f"{tagged} @> %s::text[]"] * len(self.token_sets))
            for tokens in self.token_sets:
                params += [*tagged_params, tokens]
        sql = f"(({any_region}) AND strpos({text}, %s) <> 0)"
        params += [*name_params, *code_params, self.upper]
        return sql, tuple(params)


# A regional search with at most this many matches reads them from the per-region bigram index
# and sorts them; beyond it the list's ordered walk finds a page sooner (AccountQuerySet.search).
# Sorted by name the walk is slow even for common words: names are clustered (a city's names
# start with the city, 广州市…), so the walk passes tens of thousands of other names first
# (measured at 1M accounts for 科技 in Guangzhou, 25k matches: walk 183 ms, sort 110 ms; by code or
# date the walk took 21–55 ms and the sort 108–166 ms).
DENSE_MATCHES = 2_000
DENSE_MATCHES_BY_NAME = 50_000
# Administrative suffixes a user may leave off a region's name: 广州 for 广州市, 天河 for 天河区.
REGION_SUFFIXES = ("街道", "省", "市", "区", "县", "镇")
# How many accounts outside a named region may contain the word before the search gives up the
# literal code and name bounds (and reads them in the slower, unbounded way).
ELSEWHERE_CAP = 500


def region_named(alias: str, text: str) -> Region | None:
    """The region a search word names: its name, its name without the administrative suffix, or
    its English name (case-insensitive); the shallowest one if several do."""
    from org.models import Region

    word = text.strip()
    if len(word) < 2:
        return None
    folded = word.casefold()
    for region in (
        Region.objects.using(alias)
        .only("id", "code", "name", "name_en", "path", "depth")
        .order_by("depth", "path")
    ):
        short = next(
            (region.name[: -len(x)] for x in REGION_SUFFIXES if region.name.endswith(x)), ""
        )
        if word in (region.name, short) or (region.name_en and folded == region.name_en.casefold()):
            return region
    return None


class AccountQuerySet(models.QuerySet):
    def active(self) -> AccountQuerySet:
        return self.filter(status="active")

    def in_region(self, region: Region, *, bounded: bool = False) -> AccountQuerySet:
        """Accounts of the region's subtree, its region ids as literals (so the planner
        estimates the subtree's share from the column statistics instead of guessing); with
        `bounded`, for a list, also the subtree's code and name range (see `region_bounded`)
        from the same query."""
        ids, bounds = _subtree(self.db, region.path, bounds=bounded)
        return self.filter(region_id__in=ids)._bounded(bounds)

    def region_bounded(self, region: Region) -> AccountQuerySet:
        """For a list already limited to the region's subtree: the smallest and largest code and
        name among the subtree's accounts as redundant literal bounds (PostgreSQL).

        Codes start with the city code, so a city's accounts are one stretch of the code index
        that an ordered scan otherwise reaches only after every earlier city's rows (287 ms at
        1M accounts for the Guangzhou manager's first page, bench/README.md); with the bounds
        the scan starts at the subtree's first code, and sorted by name at its first name. The
        bounds are read (index probes on (region, code) and (region, name, code)) just before
        the list, so an account renamed in between is missing from that one response: only for
        reads that list, never for a lookup or a write (a row locked after a concurrent rename
        would vanish)."""
        if connections[self.db].vendor != "postgresql":
            return self
        _ids, bounds = _subtree(self.db, region.path, bounds=True)
        return self._bounded(bounds)

    def _bounded(self, bounds: tuple[str, str, str, str] | None) -> AccountQuerySet:
        if bounds is None:
            return self
        lo_code, hi_code, lo_name, hi_name = bounds
        return self.filter(
            code__gte=lo_code, code__lte=hi_code, name__gte=lo_name, name__lte=hi_name
        )

    def search(
        self,
        text: str,
        *,
        named: Region | bool | None = True,
        within: list[int] | None = None,
        by_name: bool = False,
    ) -> AccountQuerySet:
        """Name or code contains the text; a text that names a region (广州, 广州市, Guangzhou)
        also matches every account of that region's subtree: an account manager who types a
        city means the city's accounts (see `_search_region`).

        `within`: the region ids the list is already limited to (a regional manager's subtree,
        a region filter), when the caller knows them. On PostgreSQL the matches are then read
        from the per-region bigram index and sorted, instead of found by walking the list's
        order (`_ContainsInRegions`), unless they are many (DENSE_MATCHES; `by_name`: the list
        is sorted by name, DENSE_MATCHES_BY_NAME). The rows are the same either way."""
        text = text.strip()
        if not text:
            return self
        # `named`: the region the caller already looked up (None: none); True: look it up here.
        region = region_named(self.db, text) if named is True else named
        if isinstance(region, models.Model):
            return self._search_region(region, text)
        if within and len(text.upper()) >= 2 and connections[self.db].vendor == "postgresql":
            found = self.filter(
                _ContainsInRegions(
                    models.F("name"), models.F("code"), models.F("region_id"), text, within
                )
            )
            # Sorted or walked: decided by `settle_search` once every filter is applied.
            found.query.search_dense = DENSE_MATCHES_BY_NAME if by_name else DENSE_MATCHES  # type: ignore[attr-defined]
            return found
        return self._contains(text)

    def settle_search(self) -> AccountQuerySet:
        """After the last filter: a regional search (`search(within=…)`) with few enough matches
        is read from the index and sorted (`few_rows`, accounts.listing.ordered); with more,
        walking the list's order finds a page sooner than sorting them all. The probe counts
        the final rows (at most the threshold + 1), and a list's capped count reuses it
        (`search_matches`, accounts.listing.capped_count)."""
        dense = getattr(self.query, "search_dense", None)
        if not dense or getattr(self.query, "few_rows", False):
            return self
        n = self.order_by().values("pk")[: dense + 1].count()
        settled = self.all()
        settled.query.search_dense = None  # type: ignore[attr-defined]
        if n <= dense:
            settled.query.few_rows = True  # type: ignore[attr-defined]
            settled.query.search_matches = n  # type: ignore[attr-defined]
        return settled

    def _search_region(self, region: Region, text: str) -> AccountQuerySet:
        """The region's accounts plus the accounts elsewhere whose name or code contains the text.

        One condition `region IN subtree OR contains` has no fast plan at 1M accounts: the
        matches are one stretch of the code and name order, which an ordered scan reaches only
        after the other cities (0.5–1 s). So the few matches elsewhere are read first (on
        PostgreSQL from the per-region bigram index, migration 0007: `_ContainsInRegions`),
        by id, and the list is `region IN subtree OR id IN (those)` within the literal code and
        name range that covers both, which an ordered index scan starts at."""
        from org.models import Region

        ids, bounds = _subtree(self.db, region.path, bounds=True)
        outside = self.exclude(region_id__in=ids)
        postgres = connections[self.db].vendor == "postgresql"
        if postgres and len(text.upper()) >= 2:
            others = list(
                Region.objects.using(self.db).exclude(pk__in=ids).values_list("pk", flat=True)
            )
            elsewhere = outside.filter(
                _ContainsInRegions(
                    models.F("name"), models.F("code"), models.F("region_id"), text, others
                )
            )
        else:
            elsewhere = outside._contains(text)
        if bounds is None:
            return self.filter(
                models.Q(region_id__in=ids) | models.Q(pk__in=elsewhere.values("pk"))
            )
        found = list(elsewhere.order_by().values_list("pk", "code", "name")[: ELSEWHERE_CAP + 1])
        if len(found) > ELSEWHERE_CAP:
            return self.filter(
                models.Q(region_id__in=ids) | models.Q(pk__in=elsewhere.values("pk"))
            )
        lo_code, hi_code, lo_name, hi_name = bounds
        return self.filter(
            models.Q(region_id__in=ids) | models.Q(pk__in=[pk for pk, _c, _n in found]),
            code__gte=min([lo_code, *(c for _p, c, _n in found)]),
            code__lte=max([hi_code, *(c for _p, c, _n in found)]),
            name__gte=min([lo_name, *(n for _p, _c, n in found)]),
            name__lte=max([hi_name, *(n for _p, _c, n in found)]),
        )

    def _contains(self, text: str) -> AccountQuerySet:
        # Two characters (科技, 物流) are too short for the trigram index (migration 0003); the
        # bigram index of migration 0005 answers them on PostgreSQL.
        if (
            len(text) == 2
            and len(text.upper()) == 2
            and connections[self.db].vendor == "postgresql"
        ):
            return self.filter(
                _ContainsPair(models.F("name"), models.F("code"), models.Value(text))
            )
        return self.filter(models.Q(name__icontains=text) | models.Q(code__icontains=text))


def _subtree(
    alias: str, path: str, *, bounds: bool
) -> tuple[list[int], tuple[str, str, str, str] | None]:
    """The ids of the regions under `path` and, if asked and on PostgreSQL, (min code, max code,
    min name, max name) over their accounts (None when they have none), in one query."""
    from org.models import Region

    connection = connections[alias]
    if not bounds or connection.vendor != "postgresql":
        subtree = Region.objects.using(alias).filter(path__startswith=path)
        return list(subtree.values_list("id", flat=True)), None
    # Per region each min/max is one probe of an index; an aggregate over `region_id IN (…)`
    # would read every account of the subtree.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(r.id), min(b.lo_code), max(b.hi_code), min(b.lo_name), "
            "max(b.hi_name) FROM org_region AS r CROSS JOIN LATERAL ("
            "SELECT min(a.code) AS lo_code, max(a.code) AS hi_code, min(a.name) AS lo_name, "
            "max(a.name) AS hi_name FROM accounts_account AS a WHERE a.region_id = r.id) AS b "
            "WHERE starts_with(r.path, %s)",
            [path],
        )
        row = cursor.fetchone()
    ids = list(row[0] or []) if row else []
    if not row or row[1] is None:
        return ids, None
    return ids, (row[1], row[2], row[3], row[4])

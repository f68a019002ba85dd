# pg_trgm cannot index a pattern under three characters, and two-character Chinese words (科技,
# 物流, 华信) are common searches: without an index `UPPER(name) LIKE '%科技%'` scans the table.
# `accounts_bigrams(text)` returns the two-character substrings of a text; a GIN index on the
# bigrams of `UPPER(name) || newline || UPPER(code)` (one expression, so the planner estimates a
# search from one set of statistics) answers `… @> ARRAY['科技']`, which AccountQuerySet.search
# uses for a two-character query on PostgreSQL. SQLite keeps the plain LIKE.
from django.db import migrations

from core.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_account_list_ordering_indexes")]

    operations = [
        PostgresOnlySQL(
            sql=[
                "CREATE OR REPLACE FUNCTION accounts_bigrams(text) RETURNS text[] "
                "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
                "SELECT array(SELECT substr($1, i, 2) "
                "FROM generate_series(1, char_length($1) - 1) AS i) $$",
                "CREATE INDEX IF NOT EXISTS accounts_account_search_bigram ON accounts_account "
                "USING gin (accounts_bigrams(UPPER(name::text) || E'\\n' || UPPER(code::text)))",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS accounts_account_search_bigram",
                "DROP FUNCTION IF EXISTS accounts_bigrams(text)",
            ],
        )
    ]

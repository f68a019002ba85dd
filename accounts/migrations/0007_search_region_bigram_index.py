# A search word that names a region (广州, 深圳) matches that region's accounts and, elsewhere,
# the accounts whose name or code contains it (AccountQuerySet.search). The second part is rare
# (names start with their own city's name) but the bigram index of 0005 cannot find it: 广州
# occurs in ~226,000 names at 1M accounts and only the heap says which of them lie outside
# Guangzhou (500 ms). This index keys every bigram by the account's region
# (`广州#7`), so "contains 广州 in regions 1, 7, 8 …" reads only those regions' posting lists.
from django.db import migrations

from core.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_account_region_name_index")]

    operations = [
        PostgresOnlySQL(
            sql=[
                "CREATE OR REPLACE FUNCTION accounts_region_bigrams(text, bigint) RETURNS text[] "
                "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
                "SELECT array(SELECT substr($1, i, 2) || '#' || $2::text "
                "FROM generate_series(1, char_length($1) - 1) AS i) $$",
                "CREATE INDEX IF NOT EXISTS accounts_account_search_region_bigram "
                "ON accounts_account USING gin (accounts_region_bigrams("
                "UPPER(name::text) || E'\\n' || UPPER(code::text), region_id))",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS accounts_account_search_region_bigram",
                "DROP FUNCTION IF EXISTS accounts_region_bigrams(text, bigint)",
            ],
        )
    ]

# Text search on name and code is `UPPER(col) LIKE UPPER('%text%')` (Django's icontains); at a
# million accounts only a trigram GIN index on the same expression keeps it fast.
from django.db import migrations

from core.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]

    operations = [
        PostgresOnlySQL(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX IF NOT EXISTS accounts_account_name_trgm ON accounts_account "
                "USING gin (UPPER(name::text) gin_trgm_ops)",
                "CREATE INDEX IF NOT EXISTS accounts_account_code_trgm ON accounts_account "
                "USING gin (UPPER(code::text) gin_trgm_ops)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS accounts_account_name_trgm",
                "DROP INDEX IF EXISTS accounts_account_code_trgm",
            ],
        )
    ]

# AccountMonth and FirstRevenue are kept by the database, in the statement that writes the bill
# lines, so no write path (the ingestion upsert, a bulk load, the admin, a shell, a test factory)
# can leave them behind. Each (account, month) a statement touches is recomputed from its lines
# (not adjusted by deltas), so they cannot drift; then the first revenue month of each touched
# account is recomputed from its months.
#
# PostgreSQL: statement-level triggers with transition tables (one set-based refresh per
# statement, whatever its size); SQLite: row-level triggers. Then the summary is filled from the
# lines already there.
from django.db import migrations

PG_REFRESH = """
CREATE OR REPLACE FUNCTION billing_month_refresh(accounts bigint[], periods date[],
                                                 may_empty boolean)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO billing_accountmonth AS m
        (account_id, period_on, revenue_cents, products, product_ids, members)
    SELECT b.account_id, b.period_on, CAST(SUM(b.amount) * 100 AS bigint),
           COUNT(*) FILTER (WHERE b.amount > 0),
           COALESCE(jsonb_agg(b.product_id ORDER BY b.product_id) FILTER (WHERE b.amount > 0),
                    '[]'::jsonb),
           COALESCE(SUM(b.member_count), 0)
    FROM unnest(accounts, periods) AS k(account_id, period_on)
    JOIN billing_billline b ON b.account_id = k.account_id AND b.period_on = k.period_on
    GROUP BY b.account_id, b.period_on
    -- Rows locked in key order, as the bill-line upsert does: concurrent batches touching the
    -- same months queue instead of deadlocking.
    ORDER BY b.account_id, b.period_on
    ON CONFLICT (account_id, period_on) DO UPDATE SET
        revenue_cents = excluded.revenue_cents, products = excluded.products,
        product_ids = excluded.product_ids, members = excluded.members
    WHERE (m.revenue_cents, m.products, m.product_ids, m.members)
          IS DISTINCT FROM (excluded.revenue_cents, excluded.products, excluded.product_ids,
                            excluded.members);
    IF may_empty THEN
        DELETE FROM billing_accountmonth m
        USING unnest(accounts, periods) AS k(account_id, period_on)
        WHERE m.account_id = k.account_id AND m.period_on = k.period_on
          AND NOT EXISTS (SELECT 1 FROM billing_billline b
                          WHERE b.account_id = k.account_id AND b.period_on = k.period_on);
    END IF;
    INSERT INTO billing_firstrevenue AS f (account_id, period_on)
    SELECT m.account_id, MIN(m.period_on)
    FROM (SELECT DISTINCT unnest(accounts) AS account_id) k
    JOIN billing_accountmonth m ON m.account_id = k.account_id
    WHERE m.revenue_cents > 0
    GROUP BY m.account_id
    ORDER BY m.account_id
    ON CONFLICT (account_id) DO UPDATE SET period_on = excluded.period_on
    WHERE f.period_on <> excluded.period_on;
    DELETE FROM billing_firstrevenue f
    USING (SELECT DISTINCT unnest(accounts) AS account_id) k
    WHERE f.account_id = k.account_id
      AND NOT EXISTS (SELECT 1 FROM billing_accountmonth m
                      WHERE m.account_id = k.account_id AND m.revenue_cents > 0);
END
$$
"""

# Each trigger hands the distinct (account, month) keys of its transition table(s) to the refresh.
PG_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION billing_month_after_{event}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM billing_month_refresh(k.accounts, k.periods, {may_empty})
    FROM (SELECT array_agg(account_id) AS accounts, array_agg(period_on) AS periods
          FROM ({keys}) d) k
    WHERE k.accounts IS NOT NULL;
    RETURN NULL;
END
$$
"""
PG_EVENTS = {
    "insert": ("NEW TABLE AS new_lines", "SELECT DISTINCT account_id, period_on FROM new_lines"),
    "update": (
        "OLD TABLE AS old_lines NEW TABLE AS new_lines",
        "SELECT account_id, period_on FROM old_lines "
        "UNION SELECT account_id, period_on FROM new_lines",
    ),
    "delete": ("OLD TABLE AS old_lines", "SELECT DISTINCT account_id, period_on FROM old_lines"),
}


def _pg_forward() -> list[str]:
    statements = [PG_REFRESH]
    for event, (referencing, keys) in PG_EVENTS.items():
        statements.append(
            PG_TRIGGER_FUNCTION.format(
                event=event, keys=keys, may_empty="false" if event == "insert" else "true"
            )
        )
        statements.append(
            f"CREATE TRIGGER billing_month_after_{event} AFTER {event.upper()} "
            f"ON billing_billline REFERENCING {referencing} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION billing_month_after_{event}()"
        )
    statements += [
        """CREATE OR REPLACE FUNCTION billing_month_after_truncate() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            -- DELETE, not TRUNCATE: a TRUNCATE naming these tables too (a test flush) is
            -- still using them when this trigger fires.
            DELETE FROM billing_accountmonth;
            DELETE FROM billing_firstrevenue;
            RETURN NULL;
        END
        $$""",
        "CREATE TRIGGER billing_month_after_truncate AFTER TRUNCATE ON billing_billline "
        "FOR EACH STATEMENT EXECUTE FUNCTION billing_month_after_truncate()",
    ]
    return statements


PG_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS billing_month_after_{e} ON billing_billline" for e in PG_EVENTS),
    "DROP TRIGGER IF EXISTS billing_month_after_truncate ON billing_billline",
    *(f"DROP FUNCTION IF EXISTS billing_month_after_{e}()" for e in PG_EVENTS),
    "DROP FUNCTION IF EXISTS billing_month_after_truncate()",
    "DROP FUNCTION IF EXISTS billing_month_refresh(bigint[], date[], boolean)",
]

# One (account, month) key recomputed from its lines, then the account's first revenue month.
SQLITE_REFRESH = """
    DELETE FROM billing_accountmonth WHERE account_id = {a} AND period_on = {p};
    INSERT INTO billing_accountmonth
        (account_id, period_on, revenue_cents, products, product_ids, members)
    SELECT b.account_id, b.period_on, SUM(CAST(ROUND(b.amount * 100) AS INTEGER)),
        SUM(CASE WHEN b.amount > 0 THEN 1 ELSE 0 END),
        (SELECT json_group_array(x.product_id) FROM (
            SELECT product_id FROM billing_billline
            WHERE account_id = {a} AND period_on = {p} AND amount > 0
            ORDER BY product_id) x),
        COALESCE(SUM(b.member_count), 0)
    FROM billing_billline b WHERE b.account_id = {a} AND b.period_on = {p}
    GROUP BY b.account_id, b.period_on;
    DELETE FROM billing_firstrevenue WHERE account_id = {a};
    INSERT INTO billing_firstrevenue (account_id, period_on)
    SELECT m.account_id, MIN(m.period_on) FROM billing_accountmonth m
    WHERE m.account_id = {a} AND m.revenue_cents > 0
    GROUP BY m.account_id;
"""
SQLITE_COLUMNS = "account_id, period_on, product_id, amount, member_count"
SQLITE_TRIGGERS = {
    "billing_month_after_insert": ("AFTER INSERT", "", "NEW"),
    "billing_month_after_update": (f"AFTER UPDATE OF {SQLITE_COLUMNS}", "", "NEW"),
    # A line moved to another key also changes the month it left.
    "billing_month_after_update_old": (
        f"AFTER UPDATE OF {SQLITE_COLUMNS}",
        "WHEN OLD.account_id IS NOT NEW.account_id OR OLD.period_on IS NOT NEW.period_on",
        "OLD",
    ),
    "billing_month_after_delete": ("AFTER DELETE", "", "OLD"),
}


def _sqlite_forward() -> list[str]:
    return [
        f"CREATE TRIGGER {name} {event} ON billing_billline FOR EACH ROW {when} BEGIN "
        + SQLITE_REFRESH.format(a=f"{row}.account_id", p=f"{row}.period_on")
        + " END"
        for name, (event, when, row) in SQLITE_TRIGGERS.items()
    ]


SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]

# The summary of the lines already there (an empty table on a new database).
BACKFILL = {
    "postgresql": [
        """INSERT INTO billing_accountmonth
            (account_id, period_on, revenue_cents, products, product_ids, members)
        SELECT account_id, period_on, CAST(SUM(amount) * 100 AS bigint),
            COUNT(*) FILTER (WHERE amount > 0),
            COALESCE(jsonb_agg(product_id ORDER BY product_id) FILTER (WHERE amount > 0),
                     '[]'::jsonb),
            COALESCE(SUM(member_count), 0)
        FROM billing_billline GROUP BY account_id, period_on""",
    ],
    "sqlite": [
        """INSERT INTO billing_accountmonth
            (account_id, period_on, revenue_cents, products, product_ids, members)
        SELECT account_id, period_on, SUM(CAST(ROUND(amount * 100) AS INTEGER)),
            SUM(CASE WHEN amount > 0 THEN 1 ELSE 0 END), '[]', COALESCE(SUM(member_count), 0)
        FROM billing_billline GROUP BY account_id, period_on""",
        """UPDATE billing_accountmonth SET product_ids = (
            SELECT json_group_array(x.product_id) FROM (
                SELECT b.product_id FROM billing_billline b
                WHERE b.account_id = billing_accountmonth.account_id
                  AND b.period_on = billing_accountmonth.period_on AND b.amount > 0
                ORDER BY b.product_id) x)
        WHERE products > 0""",
    ],
}
BACKFILL_FIRST = """INSERT INTO billing_firstrevenue (account_id, period_on)
    SELECT account_id, MIN(period_on) FROM billing_accountmonth WHERE revenue_cents > 0
    GROUP BY account_id"""


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": _pg_forward, "sqlite": _sqlite_forward}.get(vendor)
    if statements is None:
        return
    # Triggers first: creating them locks the bill lines against writers until this migration
    # commits, so no line can slip in between the backfill and the first triggered refresh.
    for sql in [*statements(), *BACKFILL[vendor], BACKFILL_FIRST]:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_account_month")]

    operations = [migrations.RunPython(forward, backward)]

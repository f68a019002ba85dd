from django.db import migrations, models

# lifecycle.domain.FLAG_BITS as of this migration (bits are never renumbered).
BITS = {
    "revenue_drop": 1,
    "zero_revenue": 2,
    "member_drop": 4,
    "product_cancelled": 8,
    "contract_expiring": 16,
    "complaints": 32,
    "key_person_left": 64,
    "no_contact": 128,
}
WHENS = " ".join(f"WHEN '{code}' THEN {bit}" for code, bit in BITS.items())

# The bits of the flags open now, so the desk's flag filter works before the next night.
BACKFILL = (
    "UPDATE lifecycle_accountlifecycle SET open_flags = COALESCE(("  # noqa: S608 - fixed text
    f"SELECT SUM(CASE f.code {WHENS} ELSE 0 END) FROM lifecycle_churnflag f "
    "WHERE f.account_id = lifecycle_accountlifecycle.account_id AND f.cleared_on IS NULL), 0) "
    "WHERE flag_count > 0"
)


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0003_open_task_due_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="accountlifecycle",
            name="open_flags",
            field=models.PositiveSmallIntegerField(
                db_default=0, default=0, verbose_name="open flag bits"
            ),
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop),
    ]

"""The nightly job's write path, made lean (measurements in bench/results/segmentation.md):

* ScoreResult: no database foreign keys and no single-column indexes on `account` (the unique
  (account, as_of) index serves it) and `snapshot`;
* AccountScore (PostgreSQL): fillfactor 45, so the nightly update of each row (its `as_of` moves
  every night) finds room on its own page and is a HOT update that touches no index; the table is
  rewritten once so existing rows get that room now.
"""

import django.db.models.deletion
from django.db import migrations, models

FILLFACTOR = 45


def accountscore_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = "segmentation_accountscore"
    schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")
    schema_editor.execute(f"CLUSTER {table} USING {table}_pkey")


def accountscore_fillfactor_reset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE segmentation_accountscore RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_account_list_ordering_indexes"),
        ("segmentation", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="scoreresult",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="score_results",
                to="accounts.account",
                verbose_name="account",
            ),
        ),
        migrations.AlterField(
            model_name="scoreresult",
            name="snapshot",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="segmentation.indicatorsnapshot",
                verbose_name="indicator snapshot",
            ),
        ),
        migrations.RunPython(accountscore_fillfactor, accountscore_fillfactor_reset),
    ]

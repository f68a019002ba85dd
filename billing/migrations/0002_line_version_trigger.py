# A correction (an update that changes amount, quantity or member_count) copies the line's previous
# values into billing_billlineversion and bumps billing_billline.version, in the database, so no
# write path can change a bill line without keeping what it was. One trigger per backend.
from django.db import migrations

POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION billing_line_keep_version() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF (OLD.amount, OLD.quantity, OLD.member_count)
           IS DISTINCT FROM (NEW.amount, NEW.quantity, NEW.member_count) THEN
            INSERT INTO billing_billlineversion
                (line_id, version, amount, quantity, member_count, batch_id,
                 superseded_by_batch_id, recorded_at, superseded_at)
            VALUES (OLD.id, OLD.version, OLD.amount, OLD.quantity, OLD.member_count, OLD.batch_id,
                    NEW.batch_id, OLD.updated_at, NEW.updated_at);
            NEW.version := OLD.version + 1;
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER billing_line_keep_version BEFORE UPDATE ON billing_billline
    FOR EACH ROW EXECUTE FUNCTION billing_line_keep_version()
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS billing_line_keep_version ON billing_billline",
    "DROP FUNCTION IF EXISTS billing_line_keep_version()",
]
SQLITE_FORWARD = [
    """
    CREATE TRIGGER billing_line_keep_version
    AFTER UPDATE OF amount, quantity, member_count ON billing_billline FOR EACH ROW
    WHEN OLD.amount IS NOT NEW.amount OR OLD.quantity IS NOT NEW.quantity
         OR OLD.member_count IS NOT NEW.member_count
    BEGIN
        INSERT INTO billing_billlineversion
            (line_id, version, amount, quantity, member_count, batch_id,
             superseded_by_batch_id, recorded_at, superseded_at)
        VALUES (OLD.id, OLD.version, OLD.amount, OLD.quantity, OLD.member_count, OLD.batch_id,
                NEW.batch_id, OLD.updated_at, NEW.updated_at);
        UPDATE billing_billline SET version = OLD.version + 1 WHERE id = NEW.id;
    END
    """
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS billing_line_keep_version"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]

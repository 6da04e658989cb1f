"""Bid events are append-only in the database too (docs/decisions/0019-security-tests.md).

The model and its QuerySet refuse to change or delete an event; on PostgreSQL a row trigger
refuses a plain ``UPDATE`` or ``DELETE`` on the table as well, whoever sends it (a script, a
console, a bug that bypasses the ORM). It raises SQLSTATE 23001 (restrict_violation), which
Django reports as an ``IntegrityError``.

``TRUNCATE`` fires no row trigger, so ``manage.py flush`` and the test runner's teardown, which
truncate on PostgreSQL, still empty the table. SQLite gets no trigger: its flush deletes row by
row, which a trigger would refuse, and the ORM guards already cover the embedded default.
"""

from django.db import migrations

FUNCTION = "bids_bidevent_append_only"
TRIGGER = "bids_bidevent_append_only"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("bids", "BidEvent")._meta.db_table)
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'Bid events are append-only: % on % is refused.', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation',
                      HINT = 'Record a new event instead of changing or deleting one.';
        END
        $$
        """,
        # No parameters, so the driver leaves the % placeholders of RAISE alone.
        params=None,
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("bids", "BidEvent")._meta.db_table)
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("bids", "0006_bidevent_results_published"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]

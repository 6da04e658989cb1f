"""Trigram indexes for similar-bid search (bids/similar.py, docs/decisions/0010-similar-bids.md).

PostgreSQL only: the pg_trgm extension and a GiST trigram index on the title and on the
summary of bids, which serve the nearest-neighbour (``<->``) scans that find candidates. The
indexes are not part of the model's state (a GiST index cannot be built on SQLite), so
``makemigrations`` neither sees nor wants them; on other databases this migration does nothing.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# siglen: summaries are paragraphs, and the default 12-byte signature of an inner index page
# fills up with their trigrams, so that a scan could no longer tell close pages from far ones.
INDEXES = {
    "bid_title_trgm": "title gist_trgm_ops",
    "bid_summary_trgm": "summary gist_trgm_ops(siglen=256)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("bids", "Bid")._meta.db_table)
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} "
            f"ON {table} USING gist ({column})"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("bids", "0004_bidevent_document_actions"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]

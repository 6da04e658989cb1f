"""Indexes of the review queue (bids/views/review/queue.py, docs/decisions/0017-review-at-scale.md).

In the model's state: ``title, id`` for the sort by title, and small partial indexes for the
conflict filter, all buildable on SQLite too.

PostgreSQL only, outside the model's state (SQLite can build neither an index that sorts empty
values last nor a trigram index; as in ``0005_similar_bids_search``, ``makemigrations`` neither
sees nor wants them):

- the orders the queue pages in, each ending with the key that breaks ties, partial on bids
  that are not drafts: newest submission first, the same after the status (which also gives
  the counts by status from the index alone) and the moderated score, highest first;
- GIN trigram indexes on ``UPPER(title)`` and ``UPPER(reference)``, the expressions Django's
  ``icontains`` compares, so that a search for a word in the middle of a title reads the index
  instead of every bid.
"""

from django.db import migrations, models

# Name → what it indexes; every one is partial on bids that are not drafts.
POSTGRESQL_INDEXES = {
    "bid_queue_newest": 'btree ("submitted_at" DESC NULLS LAST, "id" DESC)',
    "bid_queue_status_newest": 'btree ("status", "submitted_at" DESC NULLS LAST, "id" DESC)',
    "bid_queue_score": 'btree ("moderated_score" DESC NULLS LAST, "id" DESC)',
    "bid_title_search": 'gin ((UPPER("title"::text)) gin_trgm_ops)',
    "bid_reference_search": 'gin ((UPPER("reference"::text)) gin_trgm_ops)',
}


def create_postgresql_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("bids", "Bid")._meta.db_table)
    for name, definition in POSTGRESQL_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} ON {table} "
            f"USING {definition} WHERE NOT (\"status\" = 'draft')"
        )


def drop_postgresql_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in POSTGRESQL_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("bids", "0008_money_summaries"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="bid",
            index=models.Index(
                condition=models.Q(("status", "draft"), _negated=True),
                fields=["title", "id"],
                name="bid_queue_title",
            ),
        ),
        migrations.AddIndex(
            model_name="bid",
            index=models.Index(
                condition=models.Q(("needs_reassignment", True)),
                fields=["id"],
                name="bid_needs_reassignment",
            ),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(
                condition=models.Q(("has_conflict", True)),
                fields=["bid"],
                name="review_conflict_bid",
            ),
        ),
        migrations.RunPython(create_postgresql_indexes, drop_postgresql_indexes, elidable=False),
    ]

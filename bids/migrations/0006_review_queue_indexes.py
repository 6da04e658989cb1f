"""Indexes of the review queue (bids/views/review/queue.py, docs/decisions/0017-review-at-scale.md).

In the model's state: the orders the queue pages in (newest submission first, by status, title
and moderated score, each ending with the key that breaks ties), all partial on bids that are
not drafts, and small partial indexes for its conflict filter.

PostgreSQL only, outside the model's state (a trigram index cannot be built on SQLite, as in
``0005_similar_bids_search``): GIN trigram indexes on ``UPPER(title)`` and ``UPPER(reference)``,
the expressions Django's ``icontains`` compares, so that a search for a word in the middle of a
title reads the index instead of every bid.
"""

from django.db import migrations, models

SEARCH_INDEXES = {
    "bid_title_search": "title",
    "bid_reference_search": "reference",
}


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("bids", "Bid")._meta.db_table)
    for name, column in SEARCH_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} ON {table} "
            f"USING gin ((UPPER({schema_editor.quote_name(column)}::text)) gin_trgm_ops)"
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SEARCH_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("bids", "0005_similar_bids_search"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="bid",
            index=models.Index(
                models.OrderBy(models.F("submitted_at"), descending=True, nulls_last=True),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("status", "draft"), _negated=True),
                name="bid_queue_newest",
            ),
        ),
        migrations.AddIndex(
            model_name="bid",
            index=models.Index(
                models.F("status"),
                models.OrderBy(models.F("submitted_at"), descending=True, nulls_last=True),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("status", "draft"), _negated=True),
                name="bid_queue_status_newest",
            ),
        ),
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
                models.OrderBy(models.F("moderated_score"), descending=True, nulls_last=True),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("status", "draft"), _negated=True),
                name="bid_queue_score",
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
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
    ]

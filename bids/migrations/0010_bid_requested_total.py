"""``Bid.requested_total``: the funding profile summed and stored, so that the review queue sorts
by it and narrows to a band of it from an index (docs/decisions/0023-review-pages-under-load.md).

Backfilled from the funding lines in one statement; from then on ``bids.derived`` keeps it equal
to them on every write.
"""

from decimal import Decimal

from django.db import migrations, models


def store_totals(apps, schema_editor):
    bids, lines = (
        schema_editor.quote_name(apps.get_model("bids", name)._meta.db_table)
        for name in ("Bid", "FundingLine")
    )
    schema_editor.execute(
        f"UPDATE {bids} SET requested_total = COALESCE("
        f"(SELECT SUM(amount) FROM {lines} WHERE {lines}.bid_id = {bids}.id), 0)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("bids", "0009_review_queue_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="bid",
            name="requested_total",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0.00"), editable=False, max_digits=14
            ),
        ),
        # Removing the column takes the totals with it: nothing to undo.
        migrations.RunPython(store_totals, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="bid",
            index=models.Index(
                condition=models.Q(("status", "draft"), _negated=True),
                fields=["requested_total", "id"],
                name="bid_queue_requested",
            ),
        ),
        migrations.AddConstraint(
            model_name="bid",
            constraint=models.CheckConstraint(
                condition=models.Q(("requested_total__gte", 0)),
                name="bid_requested_total_gte_0",
            ),
        ),
    ]

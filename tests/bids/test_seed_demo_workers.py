"""seed_demo on PostgreSQL builds its units side by side, in forked workers: the same data as
one after the other."""

import os
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum

from bids import demo
from bids.demo import seeding
from bids.models import Bid, BidEvent, Payment, Review, Score, SpendReturn, Tranche

pytestmark = [
    # serialized_rollback: the forces the migrations loaded are put back after any earlier
    # transactional test emptied the tables.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite takes one writer at a time"
    ),
]


def fingerprint() -> dict:
    """What the generated data is, leaving out the keys the database handed out."""
    return {
        "bids": sorted(
            Bid.objects.values_list(
                "reference", "status", "title", "lead_force__slug", "round__slug"
            )
        ),
        "reviews": sorted(
            Review.objects.values_list("bid__reference", "reviewer__username", "recommendation")
        ),
        "scores": Score.objects.aggregate(n=Count("id"), total=Sum("value")),
        "events": sorted(
            BidEvent.objects.values_list("bid__reference", "action", "to_status", "at")
        ),
        "money": [
            model.objects.aggregate(n=Count("id"), total=Sum(field))
            for model, field in (
                (Tranche, "amount"),
                (Payment, "amount"),
                (SpendReturn, "amount_spent"),
            )
        ],
    }


def test_units_built_in_workers_are_the_units_built_one_after_the_other(monkeypatch):
    parent = os.getpid()
    build = seeding._build_unit

    def in_worker(ctx, unit):
        assert os.getpid() != parent, "a unit was built in the parent process"
        return build(ctx, unit)

    # Inside a transaction the units are built in this process, one after the other.
    with transaction.atomic():
        demo.seed(scale=2)
        one_after_the_other = fingerprint()
        transaction.set_rollback(True)
    assert Bid.objects.count() == 0
    monkeypatch.setattr(seeding, "_build_unit", in_worker)
    result = demo.seed(scale=2)
    assert result.units_created == [0, 1]
    assert fingerprint() == one_after_the_other
    assert one_after_the_other["money"][0]["total"] > Decimal(0)

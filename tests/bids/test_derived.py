"""bids.derived: the stored requested totals follow every write to the funding lines, and the
figures cached from submitted bids are dropped when one of them changes."""

from decimal import Decimal

import pytest

from bids.derived import (
    requested_total_expression,
    review_figures_generation,
    store_requested_totals,
)
from bids.models import Bid, FundingLine
from tests.factories import BidFactory

pytestmark = pytest.mark.django_db


def stored(bid: Bid) -> Decimal:
    return Bid.objects.values_list("requested_total", flat=True).get(pk=bid.pk)


# --------------------------------------------------------------------------- requested totals


def test_a_bid_without_funding_lines_asks_for_nothing():
    assert stored(BidFactory(profile={})) == Decimal("0.00")


def test_each_line_added_changed_or_deleted_changes_the_stored_total():
    bid = BidFactory(profile={2016: Decimal("100.00")})
    line = FundingLine.objects.create(bid_id=bid.pk, financial_year=2017, amount=Decimal("0.50"))
    assert stored(bid) == Decimal("100.50")
    line.amount = Decimal("20.00")
    line.save()
    assert stored(bid) == Decimal("120.00")
    bid.funding_lines.filter(financial_year=2016).delete()
    assert stored(bid) == Decimal("20.00")
    line.delete()
    assert stored(bid) == Decimal("0.00")


def test_the_bid_a_line_was_written_through_carries_the_new_total():
    bid = BidFactory(profile={})
    bid.funding_lines.create(financial_year=2016, amount=Decimal("75.00"))
    assert bid.requested_total == Decimal("75.00")
    # Saving that bid afterwards keeps the total rather than putting back £0.
    bid.title = "Renamed"
    bid.save()
    assert stored(bid) == Decimal("75.00")


def test_deleting_a_bid_deletes_its_lines_without_error():
    bid = BidFactory()
    bid.delete()
    assert not FundingLine.objects.filter(bid_id=bid.pk).exists()


def test_totals_written_behind_the_signals_are_repaired_in_one_go():
    bids = [BidFactory(profile={2016: Decimal(n * 1000)}) for n in (1, 2)]
    FundingLine.objects.bulk_create(
        [FundingLine(bid=bid, financial_year=2017, amount=Decimal("1.00")) for bid in bids]
    )
    assert [stored(bid) for bid in bids] == [Decimal("1000.00"), Decimal("2000.00")]
    store_requested_totals([bid.pk for bid in bids])
    assert [stored(bid) for bid in bids] == [Decimal("1001.00"), Decimal("2001.00")]
    assert not Bid.objects.exclude(requested_total=requested_total_expression()).exists()


# --------------------------------------------------------------------------- cached figures


def test_a_change_to_a_submitted_bid_replaces_the_generation_now_and_on_commit(
    django_capture_on_commit_callbacks,
):
    bid = BidFactory(submitted=True)
    before = review_figures_generation()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        bid.title = "Another title"
        bid.save()
        during = review_figures_generation()
    assert during != before
    assert len(callbacks) == 1
    callbacks[0]()
    assert review_figures_generation() not in {before, during}


def test_a_change_to_a_submitted_bids_funding_line_replaces_the_generation():
    bid = BidFactory(submitted=True)
    before = review_figures_generation()
    bid.funding_lines.filter(financial_year=2016).update(amount=Decimal("1.00"))
    assert review_figures_generation() == before  # a bulk update sends no signal
    bid.funding_lines.get(financial_year=2017).delete()
    assert review_figures_generation() != before


def test_drafts_leave_the_cached_figures_alone():
    bid = BidFactory(profile={})
    before = review_figures_generation()
    bid.title = "Still a draft"
    bid.save()
    bid.funding_lines.create(financial_year=2016, amount=Decimal("5.00"))
    bid.delete()
    assert review_figures_generation() == before

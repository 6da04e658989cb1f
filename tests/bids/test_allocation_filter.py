from decimal import Decimal

import pytest
from django.utils import timezone

from bids.filters import AllocationFilter
from tests.factories import (
    AwardFactory,
    AwardShareFactory,
    BidFactory,
    EnvelopeFactory,
    FundingRoundFactory,
    TrancheFactory,
    category,
    force,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def money():
    """A published collaboration award split 60/40, a published solo award, an unpublished one."""
    published = FundingRoundFactory(published=True, first_financial_year=2016)
    shared = AwardFactory(
        bid=BidFactory(round=published, approved=True, partners=["leicestershire"])
    )
    TrancheFactory(award=shared, financial_year=2016, amount=Decimal("1000000.00"))
    TrancheFactory(award=shared, financial_year=2017, amount=Decimal("500000.00"))
    AwardShareFactory(award=shared, force=force("nottinghamshire"), percent=Decimal(60))
    AwardShareFactory(award=shared, force=force("leicestershire"), percent=Decimal(40))
    solo = AwardFactory(
        bid=BidFactory(
            round=published,
            approved=True,
            lead_force=force("kent"),
            spend_category=category("forensics"),
        )
    )
    TrancheFactory(award=solo, financial_year=2016, amount=Decimal("300000.00"))
    hidden = AwardFactory(bid=BidFactory(round=FundingRoundFactory(closed=True), approved=True))
    TrancheFactory(award=hidden, financial_year=2016, amount=Decimal("999.00"))
    EnvelopeFactory(
        round=published, category=category("digital"), financial_year=2016, amount=Decimal(2000000)
    )
    EnvelopeFactory(
        round=published, category=category("forensics"), financial_year=2016, amount=Decimal(400000)
    )
    return published


def allocated(params):
    filterset = AllocationFilter(params)
    assert filterset.is_valid(), filterset.errors
    return filterset.qs.totals()["allocated"]


def test_without_filters_all_published_money_counts_once(money):
    assert allocated({}) == Decimal("1800000.00")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"financial_year": "2016"}, Decimal("1300000.00")),
        ({"category": "forensics"}, Decimal("300000.00")),
        ({"force": "leicestershire"}, Decimal("600000.00")),
        ({"force": "nottinghamshire", "financial_year": "2017"}, Decimal("300000.00")),
        ({"region": "east-midlands"}, Decimal("1500000.00")),
        ({"region": "south-east"}, Decimal("300000.00")),
        ({"force": "kent", "category": "digital"}, Decimal("0.00")),
    ],
)
def test_each_filter_narrows_the_money(money, params, expected):
    assert allocated(params) == expected


def test_round_and_fund_filters_take_slugs(money):
    assert allocated({"round": money.slug, "fund": money.fund.slug}) == Decimal("1800000.00")


def test_force_and_region_leave_the_envelopes_whole(money):
    filterset = AllocationFilter({"force": "kent", "category": "digital"})
    assert filterset.is_valid()
    assert filterset.envelopes().totals_by()[0]["envelope"] == Decimal("2000000.00")
    by_year = AllocationFilter({"financial_year": "2016"})
    assert by_year.is_valid()
    assert sum(e.amount for e in by_year.envelopes()) == Decimal("2400000.00")


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"force": "atlantis"}, "force"),
        ({"category": "nonsense"}, "category"),
        ({"financial_year": "abc"}, "financial_year"),
        ({"financial_year": "1999"}, "financial_year"),
        ({"region": "x' OR 1=1"}, "region"),
    ],
)
def test_bad_values_name_the_parameter(money, params, bad):
    filterset = AllocationFilter(params)
    assert not filterset.is_valid()
    assert list(filterset.error_messages()) == [bad]


def test_an_unpublished_round_is_not_a_choice(money):
    hidden = FundingRoundFactory(closed=True)
    assert not AllocationFilter({"round": hidden.slug}).is_valid()


def test_a_round_published_after_start_up_is_offered_and_filters(money, rf):
    """The round choices are worked out for each request, not when the module was imported."""
    later = FundingRoundFactory(closed=True, slug="ptf-2026-27-rapid-delivery-call")
    award = AwardFactory(bid=BidFactory(round=later, approved=True))
    TrancheFactory(award=award, financial_year=2026, amount=Decimal("250000.00"))
    request = rf.get("/allocations/")
    before = AllocationFilter({"round": later.slug}, request=request)
    assert not before.is_valid()

    later.results_published_at = timezone.now()  # after bids.filters was imported
    later.save()
    after = AllocationFilter({"round": later.slug}, request=request)
    assert after.is_valid(), after.errors
    assert later in after.form.fields["round"].queryset
    assert after.qs.totals()["allocated"] == Decimal("250000.00")

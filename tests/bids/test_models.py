"""Invariants the database enforces, and the QuerySet vocabulary the pages read through."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from bids.models import Bid, BidEvent, Tranche, weighted
from tests.factories import (
    AwardFactory,
    AwardShareFactory,
    BidEventFactory,
    BidFactory,
    EnvelopeFactory,
    FundingRoundFactory,
    PaymentFactory,
    SpendReturnFactory,
    TrancheFactory,
    category,
    force,
)

pytestmark = pytest.mark.django_db


def violates(factory, **kwargs) -> bool:
    try:
        with transaction.atomic():
            factory(**kwargs)
    except IntegrityError:
        return True
    return False


def test_a_second_tranche_in_the_same_year_is_refused():
    tranche = TrancheFactory(financial_year=2016)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrancheFactory(award=tranche.award, financial_year=2016)


def test_a_second_spend_return_for_the_same_quarter_is_refused():
    spend = SpendReturnFactory(quarter=2)
    assert violates(SpendReturnFactory, tranche=spend.tranche, quarter=2)
    assert not violates(SpendReturnFactory, tranche=spend.tranche, quarter=3)


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (TrancheFactory, "amount"),
        (PaymentFactory, "amount"),
        (SpendReturnFactory, "amount_spent"),
        (EnvelopeFactory, "amount"),
        (AwardFactory, "total"),
        (BidFactory, "local_match_contribution"),
    ],
)
def test_amounts_cannot_be_negative(factory, field):
    assert violates(factory, **{field: Decimal("-0.01")})


def test_spend_return_quarter_is_one_to_four():
    assert violates(SpendReturnFactory, quarter=5)
    assert violates(SpendReturnFactory, quarter=0)


def test_bid_references_are_unique():
    BidFactory(reference="PTF-2016-0001")
    assert violates(BidFactory, reference="PTF-2016-0001")


def test_ons_codes_are_unique_when_present():
    from forces.models import Force

    with pytest.raises(IntegrityError), transaction.atomic():
        Force.objects.filter(slug="kent").update(ons_code=force("essex").ons_code)
    # National forces have no code, and several may lack one.
    assert Force.objects.filter(ons_code="").count() == 3


def test_round_years_must_be_in_order():
    assert violates(FundingRoundFactory, first_financial_year=2017, last_financial_year=2016)


def test_envelope_is_one_per_round_category_and_year():
    envelope = EnvelopeFactory()
    assert violates(
        EnvelopeFactory, round=envelope.round, category=envelope.category, financial_year=2016
    )


def test_money_is_protected_from_deletion():
    payment = PaymentFactory()
    with pytest.raises(ProtectedError):
        payment.tranche.award.delete()
    with pytest.raises(ProtectedError):
        payment.tranche.delete()
    with pytest.raises(ProtectedError):
        payment.tranche.award.bid.delete()


def test_money_fields_are_decimal():
    tranche = TrancheFactory(amount="2240000.10")
    tranche.refresh_from_db()
    assert tranche.amount == Decimal("2240000.10")
    assert isinstance(tranche.amount, Decimal)


def test_bid_events_are_append_only():
    event = BidEventFactory()
    event.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


def test_history_records_field_changes():
    bid = BidFactory(title="First")
    bid.title = "Second"
    bid.save()
    assert [h.title for h in bid.history.all()] == ["Second", "First"]
    tranche = TrancheFactory()
    tranche.status = Tranche.Status.WITHHELD
    tranche.save()
    assert tranche.history.count() == 2


def test_financial_year_labels():
    assert TrancheFactory(financial_year=2016).financial_year_label == "2016/17"
    assert FundingRoundFactory().years_label == "2016/17 to 2017/18"


def test_round_is_open_only_between_its_dates():
    funding_round = FundingRoundFactory()
    assert funding_round.is_open()
    assert not funding_round.is_open(funding_round.closes_at)
    assert not FundingRoundFactory(closed=True).is_open()


def test_weighted_score_is_out_of_100():
    assert weighted([(5, 5, Decimal(2)), (0, 10, Decimal(2))]) == Decimal("50.00")
    assert weighted([]) is None


# --------------------------------------------------------------------------- visibility


def test_published_bids_are_approved_bids_of_published_rounds():
    published = FundingRoundFactory(published=True)
    visible = BidFactory(round=published, approved=True)
    BidFactory(round=published, status=Bid.Status.REJECTED)
    BidFactory(round=FundingRoundFactory(closed=True), approved=True)
    assert list(Bid.objects.published()) == [visible]


def test_visible_to_scopes_each_role(
    office_user, partner_office_user, other_office_user, analyst, approver
):
    from django.contrib.auth.models import AnonymousUser

    draft = BidFactory(partners=["leicestershire"])
    submitted = BidFactory(submitted=True, partners=["leicestershire"])
    kent = BidFactory(lead_force=force("kent"))
    everything = {draft, submitted, kent}

    def seen(user):
        return set(Bid.objects.visible_to(user))

    assert seen(office_user) == {draft, submitted}
    assert seen(partner_office_user) == {submitted}  # a partner never sees the lead's draft
    assert seen(other_office_user) == {kent}
    assert seen(analyst) == everything
    assert seen(approver) == everything
    assert seen(AnonymousUser()) == set()


def test_editable_by_is_the_lead_offices_drafts(office_user, partner_office_user):
    draft = BidFactory(partners=["leicestershire"])
    BidFactory(submitted=True)
    assert list(Bid.objects.editable_by(office_user)) == [draft]
    assert not Bid.objects.editable_by(partner_office_user).exists()


# --------------------------------------------------------------------------- totals


@pytest.fixture
def east_midlands():
    """Nottinghamshire's published award, split 50/25/25 with its two partners."""
    funding_round = FundingRoundFactory(published=True)
    bid = BidFactory(
        round=funding_round, approved=True, partners=["leicestershire", "northamptonshire"]
    )
    award = AwardFactory(bid=bid, total=Decimal("5740000.00"))
    first = TrancheFactory(award=award, financial_year=2016, amount=Decimal("2240000.00"))
    TrancheFactory(award=award, financial_year=2017, amount=Decimal("3500000.00"))
    for slug, percent in [
        ("nottinghamshire", 50),
        ("leicestershire", 25),
        ("northamptonshire", 25),
    ]:
        AwardShareFactory(award=award, force=force(slug), percent=Decimal(percent))
    Tranche.objects.filter(pk=first.pk).update(paid=Decimal("2240000.00"), spent=Decimal(1000000))
    # West Yorkshire's award, without shares: its lead carries 100 %.
    west = AwardFactory(
        bid=BidFactory(
            round=funding_round,
            approved=True,
            lead_force=force("west-yorkshire"),
            spend_category=category("forensics"),
        ),
        total=Decimal("700000.00"),
    )
    TrancheFactory(award=west, financial_year=2016, amount=Decimal("280000.00"))
    TrancheFactory(award=west, financial_year=2017, amount=Decimal("420000.00"))
    return funding_round


def rows(queryset, key):
    return {row[key]: (row["allocated"], row["paid"], row["spent"]) for row in queryset}


def test_totals_by_force_follow_the_shares_and_count_nothing_twice(east_midlands):
    by_force = Tranche.objects.published().totals_by("force")
    totals = Tranche.objects.published().totals()
    assert {
        force_id: allocated for force_id, (allocated, _, _) in rows(by_force, "share_force").items()
    } == {
        force("nottinghamshire").pk: Decimal("2870000.00"),
        force("leicestershire").pk: Decimal("1435000.00"),
        force("northamptonshire").pk: Decimal("1435000.00"),
        force("west-yorkshire").pk: Decimal("700000.00"),
    }
    assert sum(row["allocated"] for row in by_force) == totals["allocated"] == Decimal("6440000.00")
    assert sum(row["paid"] for row in by_force) == totals["paid"] == Decimal("2240000.00")
    assert sum(row["spent"] for row in by_force) == totals["spent"]


def test_totals_by_region_and_year(east_midlands):
    from forces.models import Region

    by_region = rows(Tranche.objects.published().totals_by("region"), "share_region")
    assert by_region == {
        Region.objects.get(slug="east-midlands").pk: (
            Decimal("5740000.00"),
            Decimal("2240000.00"),
            Decimal("1000000.00"),
        ),
        Region.objects.get(slug="yorkshire-and-the-humber").pk: (
            Decimal("700000.00"),
            Decimal("0.00"),
            Decimal("0.00"),
        ),
    }
    by_year = rows(Tranche.objects.published().totals_by("financial_year"), "financial_year")
    assert by_year[2016][0] == Decimal("2520000.00")
    assert by_year[2017][0] == Decimal("3920000.00")


def test_totals_by_category_and_envelopes(east_midlands):
    from bids.models import Envelope

    EnvelopeFactory(round=east_midlands, category=category("digital"), amount=Decimal(4600000))
    by_category = rows(
        Tranche.objects.published().totals_by("category"), "award__bid__spend_category"
    )
    assert by_category[category("digital").pk][0] == Decimal("5740000.00")
    assert by_category[category("forensics").pk][0] == Decimal("700000.00")
    envelopes = list(Envelope.objects.published().totals_by("category"))
    assert envelopes == [{"category": category("digital").pk, "envelope": Decimal("4600000.00")}]


def test_a_force_narrowed_split_counts_only_its_share(east_midlands):
    leicestershire = (
        Tranche.objects.published().split_by_share().filter(share_force=force("leicestershire").pk)
    )
    assert leicestershire.totals() == {
        "allocated": Decimal("1435000.00"),
        "paid": Decimal("560000.00"),
        "spent": Decimal("250000.00"),
    }
    by_year = rows(leicestershire.totals_by("financial_year"), "financial_year")
    assert by_year == {
        2016: (Decimal("560000.00"), Decimal("560000.00"), Decimal("250000.00")),
        2017: (Decimal("875000.00"), Decimal("0.00"), Decimal("0.00")),
    }
    # Splitting twice changes nothing: the filters and totals_by may each ask for it.
    again = leicestershire.split_by_share().totals()
    assert again["allocated"] == Decimal("1435000.00")


def test_a_region_narrowed_split_counts_its_forces_shares(east_midlands):
    from forces.models import Region

    yorkshire = Region.objects.get(slug="yorkshire-and-the-humber")
    totals = Tranche.objects.published().split_by_share().filter(share_region=yorkshire.pk).totals()
    assert totals["allocated"] == Decimal("700000.00")


def test_totals_by_rejects_an_unknown_grouping():
    with pytest.raises(ValueError, match="Cannot total tranches by colour"):
        Tranche.objects.totals_by("colour")


def test_unpublished_money_is_not_in_published_totals(east_midlands):
    AwardFactory(bid=BidFactory(round=FundingRoundFactory(closed=True), approved=True))
    TrancheFactory(award=AwardFactory(), amount=Decimal(999))
    assert Tranche.objects.published().totals()["allocated"] == Decimal("6440000.00")


def test_for_force_finds_led_and_shared_tranches(east_midlands):
    assert Tranche.objects.published().for_force(force("leicestershire")).count() == 2
    assert Tranche.objects.published().for_force(force("west-yorkshire")).count() == 2
    assert not Tranche.objects.published().for_force(force("kent")).exists()


def test_bid_events_read_in_order():
    bid = BidFactory()
    BidEventFactory(
        bid=bid,
        action=BidEvent.Action.CREATED,
        at=datetime.datetime(2016, 1, 1, tzinfo=datetime.UTC),
    )
    BidEventFactory(
        bid=bid,
        action=BidEvent.Action.SUBMITTED,
        at=datetime.datetime(2016, 2, 1, tzinfo=datetime.UTC),
    )
    assert [e.action for e in bid.events.all()] == ["created", "submitted"]

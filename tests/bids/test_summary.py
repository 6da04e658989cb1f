"""The dashboard's summary tables (``AwardPart``, ``AllocationCell``) stay equal to the tranches,
awards, bids and shares they sum, after every service that changes money and after an import.

Each check compares the summaries twice: with a rebuild from scratch (so the refresh a service
made in its own transaction is exactly what a full rebuild gives) and with the sums of
``Tranche.objects.totals_by`` over the base tables.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from bids import services
from bids.allocations import rebuild_money_summaries
from bids.importer import awards_import
from bids.models import AllocationCell, AwardPart, Tranche
from tests.factories import (
    AwardFactory,
    AwardShareFactory,
    BidFactory,
    FundingRoundFactory,
    TrancheFactory,
    force,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
MONEY = ("allocated", "paid", "spent")


def _key(row: tuple) -> tuple:
    return tuple((value is None, value or 0) for value in row)


def snapshot() -> tuple[list, list]:
    parts = sorted(
        AwardPart.objects.values_list(
            "award", "force", "region", "round", "fund", "category", "fraction", "whole", *MONEY
        ),
        key=_key,
    )
    cells = sorted(
        AllocationCell.objects.values_list(
            "round",
            "fund",
            "category",
            "financial_year",
            "force",
            "region",
            *MONEY,
            *(f"whole_{name}" for name in MONEY),
        ),
        key=_key,
    )
    return parts, cells


def base_totals(*fields: str) -> dict:
    """Every tranche, published or not, summed by the base tables' own query."""
    return {
        tuple(row[key] for key in row if key not in MONEY): tuple(row[name] for name in MONEY)
        for row in Tranche.objects.all().totals_by(*fields)
    }


def cell_totals(group: list[str], *, split: bool) -> dict:
    prefix = "" if split else "whole_"
    sums = {}
    for row in AllocationCell.objects.values(*group, *(f"{prefix}{m}" for m in MONEY)):
        key = tuple(row[name] for name in group)
        old = sums.get(key, (Decimal(0),) * 3)
        sums[key] = tuple(a + row[f"{prefix}{m}"] for a, m in zip(old, MONEY, strict=True))
    return sums


def assert_summaries_agree():
    current = snapshot()
    rebuild_money_summaries()
    assert snapshot() == current, "the refresh differs from a rebuild"
    assert cell_totals(["round", "category", "financial_year"], split=False) == base_totals(
        "round", "category", "financial_year"
    )
    assert cell_totals(["force"], split=True) == base_totals("force")
    assert cell_totals(["region", "financial_year"], split=True) == base_totals(
        "region", "financial_year"
    )
    award_money = {
        (award,): tuple(money)
        for award, *money in AwardPart.objects.filter(whole=True).values_list("award", *MONEY)
    }
    assert award_money == {key: tuple(money) for key, money in base_totals("award").items()}


@pytest.fixture
def collaboration():
    """A published collaboration award split 50/30/20 and a single force's award."""
    funding_round = FundingRoundFactory(
        published=True, first_financial_year=2016, last_financial_year=2017
    )
    bid = BidFactory(
        round=funding_round,
        approved=True,
        lead_force=force("nottinghamshire"),
        partners=["leicestershire", "northamptonshire"],
    )
    award = AwardFactory(bid=bid, total=Decimal("3333.33"))
    for year, amount in [(2016, Decimal("1111.11")), (2017, Decimal("2222.22"))]:
        TrancheFactory(award=award, financial_year=year, amount=amount)
    for slug, percent in [
        ("nottinghamshire", 50),
        ("leicestershire", 30),
        ("northamptonshire", 20),
    ]:
        AwardShareFactory(award=award, force=force(slug), percent=Decimal(percent))
    TrancheFactory(
        award=AwardFactory(
            bid=BidFactory(round=funding_round, approved=True, lead_force=force("kent"))
        ),
        financial_year=2016,
        amount=Decimal("500.00"),
    )
    return award


def test_factories_keep_the_summaries_current(collaboration):
    assert AwardPart.objects.filter(award=collaboration).count() == 3
    assert AwardPart.objects.filter(award=collaboration, whole=True).count() == 1
    assert_summaries_agree()


def test_a_collaborations_parts_are_exact_to_the_sixth_place(collaboration):
    part = AllocationCell.objects.get(force=force("northamptonshire"), financial_year=2016)
    assert part.allocated == Decimal("222.222000")  # 1,111.11 × 20 %
    assert_summaries_agree()


def test_bid_decide_with_shares(approver):
    bid = BidFactory(recommended=True, partners=["leicestershire"])
    shares = {force("nottinghamshire"): Decimal(60), force("leicestershire"): Decimal(40)}
    services.bid_decide(bid=bid, approve=True, by=approver, shares=shares)
    assert AwardPart.objects.filter(award=bid.award).count() == 2
    assert_summaries_agree()


def test_tranche_status_payments_and_verified_spend(collaboration, analyst, office_user):
    tranche = collaboration.tranches.get(financial_year=2016)
    services.payment_record(
        tranche=tranche, amount=Decimal("600.00"), paid_on=datetime.date(2016, 9, 1), by=analyst
    )
    assert_summaries_agree()
    spend = services.spend_return_submit(
        tranche=tranche, quarter=2, amount_spent="125.55", narrative="Licences", by=office_user
    )
    services.spend_return_verify(spend_return=spend, by=analyst)
    assert AwardPart.objects.get(award=collaboration, whole=True).spent == Decimal("125.55")
    assert_summaries_agree()
    services.tranche_set_status(
        tranche=tranche, status=Tranche.Status.WITHHELD, reason="Milestone missed", by=analyst
    )
    assert_summaries_agree()


def test_a_failed_service_leaves_the_summaries_as_they_were(collaboration, analyst):
    before = snapshot()
    tranche = collaboration.tranches.get(financial_year=2016)
    with pytest.raises(services.WorkflowError):
        services.payment_record(
            tranche=tranche,
            amount=Decimal("99999.00"),
            paid_on=datetime.date(2016, 9, 1),
            by=analyst,
        )
    assert snapshot() == before


def test_round_publish_results(analyst, approver):
    funding_round = FundingRoundFactory(closed=True)
    bid = BidFactory(round=funding_round, recommended=True)
    services.bid_decide(bid=bid, approve=True, by=approver)
    services.round_publish_results(funding_round=funding_round, by=analyst)
    assert AwardPart.objects.filter(round=funding_round).count() == 1
    assert_summaries_agree()


def test_corrections_of_shares_bids_and_forces(collaboration):
    share = collaboration.shares.get(force=force("northamptonshire"))
    share.percent = Decimal("15.00")
    share.save()
    collaboration.shares.filter(force=force("leicestershire")).update(percent=Decimal("35.00"))
    # A queryset update sends no signal; the next save of the award refreshes it.
    collaboration.save()
    assert_summaries_agree()
    bid = collaboration.bid
    bid.spend_category = None
    bid.save()
    assert_summaries_agree()
    kent = force("kent")
    kent.region = force("nottinghamshire").region
    kent.save()
    assert_summaries_agree()
    collaboration.tranches.get(financial_year=2017).delete()
    assert_summaries_agree()


def test_the_award_import(db):
    result = awards_import(data=(DATA / "design-example.csv").read_bytes())
    assert result.created
    assert AwardPart.objects.count() >= len(result.created)
    assert_summaries_agree()


def test_the_rebuild_command_repairs_the_summaries(collaboration):
    with transaction.atomic():
        AllocationCell.objects.all().delete()
        AwardPart.objects.filter(whole=False).delete()
    call_command("rebuild_money_summaries", verbosity=0)
    assert_summaries_agree()
    assert AwardPart.objects.filter(award=collaboration).count() == 3

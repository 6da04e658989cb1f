"""seed_demo: the public record, every workflow state, consistent money, idempotent re-runs."""

import datetime
import io
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F, Sum
from django.test import override_settings

from bids import demo, services
from bids.derived import requested_total_expression
from bids.models import (
    Award,
    AwardShare,
    Bid,
    BidEvent,
    Clarification,
    Criterion,
    Envelope,
    FundingLine,
    FundingRound,
    Payment,
    Review,
    Score,
    SpendReturn,
    Tranche,
)
from bids.permissions import ANALYSTS, APPROVERS
from forces.models import Collaboration

MODELS = [
    FundingRound,
    Envelope,
    Criterion,
    Collaboration,
    User,
    Bid,
    Bid.partner_forces.through,
    FundingLine,
    Clarification,
    Review,
    Score,
    Award,
    AwardShare,
    Tranche,
    Payment,
    SpendReturn,
    BidEvent,
]


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", force=True, stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One default seed for the whole module, rolled back at its end like any test's data."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = seed()
        yield output
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def ptf_2016() -> FundingRound:
    return FundingRound.objects.get(fund__code="PTF", first_financial_year=2016, name__contains="1")


def test_ptf_2016_round_is_the_public_record():
    funding_round = ptf_2016()
    assert funding_round.fund.sponsor == "Home Office"
    assert funding_round.last_financial_year == 2017
    assert funding_round.results_published_at.date() == datetime.date(2016, 8, 5)
    awards = Award.objects.filter(bid__round=funding_round)
    assert awards.count() == 14
    assert awards.values("bid__lead_force").distinct().count() == 10
    total = awards.aggregate(total=Sum("total"))["total"]
    assert Decimal(22_000_000) <= total <= Decimal(24_000_000)


def test_nottinghamshire_award_is_split_2240000_then_3500000():
    bid = Bid.objects.get(
        round=ptf_2016(), lead_force__slug="nottinghamshire", status=Bid.Status.APPROVED
    )
    assert bid.reference == "PTF-2016-0001"
    assert bid.collaboration.name == "East Midlands tri-force"
    assert set(bid.partner_forces.values_list("slug", flat=True)) == {
        "leicestershire",
        "northamptonshire",
    }
    tranches = dict(bid.award.tranches.values_list("financial_year", "amount"))
    assert tranches == {2016: Decimal("2240000.00"), 2017: Decimal("3500000.00")}


@pytest.mark.parametrize(
    ("lead", "tranches"),
    [
        ("hampshire", {2016: Decimal("1500000.00")}),
        ("west-yorkshire", {2016: Decimal("280000.00"), 2017: Decimal("420000.00")}),
        ("hertfordshire", {2016: Decimal("660000.00")}),
    ],
)
def test_other_awards_on_the_public_record(lead, tranches):
    award = Award.objects.get(bid__round=ptf_2016(), bid__lead_force__slug=lead)
    assert dict(award.tranches.values_list("financial_year", "amount")) == tranches


def test_2016_envelopes_total_76_4m_with_the_published_categories():
    envelopes = Envelope.objects.filter(round=ptf_2016(), financial_year=2016)
    assert envelopes.aggregate(total=Sum("amount"))["total"] == Decimal("76400000")
    by_category = dict(envelopes.values_list("category__slug", "amount"))
    assert by_category["armed-policing"] == Decimal("34000000")
    assert by_category["digital"] == Decimal("4600000")
    assert by_category["specialist-capabilities"] == Decimal("3000000")
    # No other PTF round sets money aside for 2016/17.
    assert not Envelope.objects.filter(financial_year=2016).exclude(round=ptf_2016()).exists()


def test_an_open_round_and_a_round_in_assessment_have_live_work():
    open_round = FundingRound.objects.get(status=FundingRound.Status.OPEN)
    assert open_round.is_open(at=demo.AS_OF)
    assert (open_round.first_financial_year, open_round.last_financial_year) == (2027, 2028)
    assert open_round.envelopes.exists()
    assert open_round.criteria.count() == 5
    assert open_round.bids.filter(status=Bid.Status.DRAFT).exists()
    closed = FundingRound.objects.get(slug="ptf-2026-27-round-2")
    assert closed.status == FundingRound.Status.CLOSED
    assert closed.results_published_at is None
    assert closed.bids.filter(status=Bid.Status.UNDER_REVIEW).exists()
    assert closed.bids.filter(status=Bid.Status.RECOMMENDED).exists()


def test_a_small_closed_round_the_demo_accounts_can_finish():
    """The rapid delivery call waits for assignment only: analyst, analyst2 and approver can take
    it from the queue to published results without anyone else."""
    call = FundingRound.objects.get(slug="ptf-2026-27-rapid-delivery-call")
    assert call.status == FundingRound.Status.CLOSED
    assert not call.is_open(at=demo.AS_OF)
    assert call.results_published_at is None
    assert call.criteria.count() == 5
    bids = call.bids.all()
    assert bids.count() == 6
    assert set(bids.values_list("status", flat=True)) == {Bid.Status.SUBMITTED}
    assert not Review.objects.filter(bid__round=call).exists()
    # Every bid asks for money in the round's own years, and every envelope is set.
    for bid in bids.prefetch_related("funding_lines"):
        lines = bid.funding_lines.all()
        assert {line.financial_year for line in lines} <= {2026, 2027}
        assert bid.requested_total > 0
        assert call.envelopes.filter(category=bid.spend_category).count() == 2


def test_every_bid_stores_its_funding_profile_summed():
    # Inserted in bulk, without the signals that keep the totals of other writers.
    assert Bid.objects.filter(requested_total__gt=0).exists()
    assert not Bid.objects.exclude(requested_total=requested_total_expression()).exists()


def test_bids_in_every_status():
    assert set(Bid.objects.values_list("status", flat=True)) == set(Bid.Status.values)


def test_work_in_every_state_for_reviews_returns_and_tranches():
    assert Review.objects.filter(has_conflict=True).exists()
    assert Review.objects.filter(has_conflict=False, submitted_at__isnull=True).exists()
    assert Review.objects.filter(submitted_at__isnull=False).exists()
    assert Clarification.objects.filter(answered_at__isnull=True).exists()
    assert Clarification.objects.filter(answered_at__isnull=False).exists()
    assert set(Tranche.objects.values_list("status", flat=True)) == set(Tranche.Status.values)
    assert set(SpendReturn.objects.values_list("status", flat=True)) == set(
        SpendReturn.Status.values
    )


def test_tranche_paid_and_spent_are_the_sums_of_payments_and_verified_returns(
    django_assert_num_queries,
):
    with django_assert_num_queries(1):
        mismatches = demo.tranche_mismatches()
    assert mismatches == []
    assert Tranche.objects.filter(paid__gt=0, spent__gt=0).count() > 500


def test_award_tranches_add_up_to_the_award_total():
    sums = Award.objects.annotate(allocated=Sum("tranches__amount")).values_list(
        "total", "allocated"
    )
    assert all(allocated.quantize(Decimal("0.01")) == total for total, allocated in sums)


def test_event_trail_replays_to_each_bids_status():
    trails = defaultdict(list)
    for bid_id, before, after in BidEvent.objects.order_by("at", "pk").values_list(
        "bid_id", "from_status", "to_status"
    ):
        trails[bid_id].append((before, after))
    for bid_id, status in Bid.objects.values_list("pk", "status"):
        current = None
        for before, after in trails[bid_id]:
            assert current in (None, before)
            current = after
        assert current == status
    assert not BidEvent.objects.filter(at__gt=demo.AS_OF).exists()


def test_references_are_unique_and_follow_fund_and_year():
    pattern = re.compile(r"^(PTF|PIF)-(\d{4})-(\d{4,})$")
    rows = Bid.objects.values_list("reference", "round__fund__code", "round__first_financial_year")
    for reference, code, year in rows:
        match = pattern.match(reference)
        assert match
        assert (match[1], int(match[2])) == (code, year)
    assert Bid.objects.filter(
        reference="PTF-2016-0001", lead_force__slug="nottinghamshire"
    ).exists()


def test_generated_part_has_all_forces_and_units_worth_of_rows():
    assert demo.generated_bids().count() == demo.UNIT_BIDS
    assert demo.generated_bids().values("lead_force").distinct().count() >= 40
    assert Review.objects.count() >= 1400
    assert Tranche.objects.count() >= 800
    assert SpendReturn.objects.count() >= 2800
    assert Payment.objects.count() >= 900


def test_demo_accounts_sign_in_with_the_printed_passwords(client, seeded):
    for account in demo.DEMO_ACCOUNTS:
        assert account.username in seeded
        assert account.password in seeded
        assert client.login(username=account.username, password=account.password)
        client.logout()
    assert User.objects.get(username="admin").is_superuser
    for username in ("analyst", "analyst2"):
        user = User.objects.get(username=username)
        assert user.is_staff
        assert user.groups.filter(name=ANALYSTS).exists()
    assert User.objects.get(username="approver").groups.filter(name=APPROVERS).exists()
    assert User.objects.get(username="notts-office").office.force.slug == "nottinghamshire"
    assert User.objects.get(username="leics-office").office.force.slug == "leicestershire"


def test_running_it_again_changes_nothing():
    before = counts()
    passwords = dict(User.objects.values_list("username", "password"))
    output = seed()
    assert counts() == before
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert "Nothing to add" in output
    assert "demo-admin-2016" in output


def test_scale_2_doubles_the_generated_part():
    before = counts()
    generated = demo.generated_bids().count()
    seed(scale=2)
    after = counts()
    assert demo.generated_bids().count() == 2 * generated
    assert after["FundingRound"] == before["FundingRound"] + 1
    for name in ("Review", "Tranche", "Payment", "SpendReturn", "BidEvent"):
        assert 1.8 * before[name] <= after[name] <= 2.4 * before[name], name
    assert demo.tranche_mismatches() == []


@override_settings(DEBUG=False)
def test_refuses_without_debug_unless_forced():
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo", stdout=io.StringIO())


def test_the_demo_accounts_alone_take_the_call_round_to_published_results():
    """Assigned, scored by analyst and analyst2, moderated, decided by approver (who reviewed
    nothing) and published — every step by a demo account whose password is published."""

    people = {
        u.username: u for u in User.objects.filter(username__in=["analyst", "analyst2", "approver"])
    }
    call = FundingRound.objects.get(slug="ptf-2026-27-rapid-delivery-call")
    criteria = list(call.criteria.all())
    for bid in call.bids.order_by("reference"):
        services.bid_assign_reviewers(
            bid=bid, reviewers=[people["analyst"], people["analyst2"]], by=people["analyst"]
        )
        for review in bid.reviews.all():
            reviewer = review.reviewer
            services.review_declare_conflict(review=review, has_conflict=False, by=reviewer)
            services.review_submit(
                review=review,
                scores={c.pk: (c.max_score // 2, "Evidence weighed.") for c in criteria},
                recommendation=Review.Recommendation.FUND,
                by=reviewer,
            )
        services.bid_moderate(
            bid=bid,
            moderated_score=Decimal(60),
            recommended=True,
            reason="Sound.",
            by=people["analyst"],
        )
        services.bid_decide(bid=bid, approve=True, by=people["approver"])
    services.round_publish_results(funding_round=call, by=people["analyst"])
    assert Award.objects.published().filter(bid__round=call).count() == 6


def test_every_decided_bid_of_a_published_round_shows_when_its_result_went_public():
    decided = Bid.objects.filter(
        round__results_published_at__isnull=False,
        status__in=[Bid.Status.APPROVED, Bid.Status.REJECTED],
    )
    events = BidEvent.objects.filter(action=BidEvent.Action.RESULTS_PUBLISHED)
    assert events.count() == decided.count() > 300
    assert not events.exclude(bid__in=decided).exists()
    assert not events.exclude(at=F("bid__round__results_published_at")).exists()
    assert not Bid.objects.filter(
        round__results_published_at__isnull=True, events__in=events
    ).exists()


def test_no_two_people_share_a_name():
    """Reviewers are chosen by name: the demo never gives two people the same one."""
    names = [(u.first_name, u.last_name) for u in User.objects.all()]
    assert len(names) == len(set(names)) > 50

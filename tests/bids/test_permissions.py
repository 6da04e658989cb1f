"""The per-object checks agree with the list scoping, role by role."""

import pytest
from django.contrib.auth.models import AnonymousUser

from bids import permissions
from bids.models import Bid
from tests.factories import BidFactory, FundingRoundFactory, ReviewFactory, UserFactory, force

pytestmark = pytest.mark.django_db


@pytest.fixture
def bids():
    return [
        BidFactory(partners=["leicestershire"]),
        BidFactory(submitted=True, partners=["leicestershire"]),
        BidFactory(lead_force=force("kent")),
        BidFactory(round=FundingRoundFactory(published=True), approved=True),
        BidFactory(round=FundingRoundFactory(published=True), status=Bid.Status.REJECTED),
    ]


@pytest.mark.parametrize(
    "who",
    ["office_user", "partner_office_user", "other_office_user", "analyst", "approver", None],
)
def test_can_view_bid_matches_visible_to(request, bids, who):
    user = request.getfixturevalue(who) if who else AnonymousUser()
    visible = set(Bid.objects.visible_to(user))
    assert {bid for bid in bids if permissions.can_view_bid(user, bid)} == visible


def test_anonymous_sees_only_published_approved_bids(bids):
    assert set(Bid.objects.visible_to(AnonymousUser())) == {bids[3]}


def test_a_user_without_an_office_or_group_sees_what_the_public_sees(bids):
    assert set(Bid.objects.visible_to(UserFactory())) == {bids[3]}


def test_an_inactive_analyst_has_no_powers(analyst, bids):
    analyst.is_active = False
    assert not permissions.is_analyst(analyst)


def test_only_the_lead_office_edits_and_only_drafts(office_user, partner_office_user):
    draft = BidFactory(partners=["leicestershire"])
    assert permissions.can_edit_bid(office_user, draft)
    assert not permissions.can_edit_bid(partner_office_user, draft)
    assert not permissions.can_edit_bid(office_user, BidFactory(submitted=True))


def test_an_approver_cannot_decide_a_bid_they_reviewed(approver):
    reviewed, other = BidFactory(recommended=True), BidFactory(recommended=True)
    ReviewFactory(bid=reviewed, reviewer=approver)
    assert not permissions.can_decide(approver, reviewed)
    assert permissions.can_decide(approver, other)


def test_analysts_cannot_decide(analyst):
    assert not permissions.can_decide(analyst, BidFactory(recommended=True))


def test_for_office_is_the_offices_own_bids_only(office_user, partner_office_user, bids):
    assert set(Bid.objects.for_office(office_user)) == {bids[0], bids[1], bids[3], bids[4]}
    assert set(Bid.objects.for_office(partner_office_user)) == {bids[1]}
    assert not Bid.objects.for_office(UserFactory()).exists()

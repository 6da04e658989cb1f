"""One small world with a bid in every state, built once per module.

Every bid is led by Nottinghamshire with Leicestershire as a partner, so each role's view of
it is known: the lead force's office, the partner's, an unrelated force's (Kent), an analyst,
an analyst assigned to the bid who declared a conflict of interest, an approver and an
administrator. Names, titles and texts that must never reach a public page carry a marker
(``SECRET``) that the privacy test looks for.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.utils import timezone

from bids.models import Bid, Review, Score, SpendReturn, Tranche
from forces.models import Collaboration, CollaborationMembership
from tests.factories import (
    AwardFactory,
    BidEventFactory,
    BidFactory,
    ClarificationFactory,
    CriterionFactory,
    DocumentFactory,
    EnvelopeFactory,
    FundingRoundFactory,
    OfficeMemberFactory,
    PaymentFactory,
    SpendReturnFactory,
    TrancheFactory,
    UserFactory,
    force,
)

S = Bid.Status
SECRET = "Zanzibar"  # in every text the public must never see

ROLES = (
    "anonymous",
    "lead_office",
    "partner_office",
    "other_office",
    "analyst",
    "conflicted_reviewer",
    "approver",
    "administrator",
)
BID_STATES = (
    "draft",
    "submitted",
    "under_review",
    "clarification_requested",
    "recommended",
    "approved_unpublished",
    "approved_published",
    "rejected",
    "withdrawn",
)
APPROVED_STATES = ("approved_unpublished", "approved_published")
ROUND_STATES = ("open", "closed", "published")
STATUS_OF = {
    "draft": S.DRAFT,
    "submitted": S.SUBMITTED,
    "under_review": S.UNDER_REVIEW,
    "clarification_requested": S.CLARIFICATION_REQUESTED,
    "recommended": S.RECOMMENDED,
    "approved_unpublished": S.APPROVED,
    "approved_published": S.APPROVED,
    "rejected": S.REJECTED,
    "withdrawn": S.WITHDRAWN,
}
# States in which reviewers have been assigned: the conflicted reviewer has a review there.
REVIEWED_STATES = frozenset(BID_STATES) - {"draft", "submitted"}
# States whose bid has a clarification question (open while the bid waits, answered after).
CLARIFIED_STATES = ("clarification_requested", "recommended")


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    rounds: dict = field(default_factory=dict)
    bids: dict[str, Bid] = field(default_factory=dict)
    documents: dict = field(default_factory=dict)
    clarifications: dict = field(default_factory=dict)
    spend_return: SpendReturn | None = None
    reviewer: User | None = None
    clients: dict[str, Client] = field(default_factory=dict)
    collaboration: Collaboration | None = None

    def bid(self, state: str) -> Bid:
        return self.bids[state]


def _person(username: str, **kwargs) -> dict:
    # Full names and emails a privacy test can recognise anywhere in a page.
    return {
        "username": username,
        "first_name": f"{SECRET}{username.title().replace('-', '')}",
        "last_name": f"Surname{SECRET}",
        "email": f"{username}.{SECRET.lower()}@example.org",
        **kwargs,
    }


def _review(bid, reviewer, by, *, conflict=False, submitted=False, criterion=None) -> Review:
    now = timezone.now()
    review = Review.objects.create(
        bid=bid,
        reviewer=reviewer,
        assigned_by=by,
        has_conflict=conflict,
        conflict_details=f"{SECRET} conflict: my sister leads the project." if conflict else "",
        conflict_declared_at=now,
        recommendation=Review.Recommendation.FUND if submitted else "",
        comments=f"{SECRET} reviewer comment" if submitted else "",
        submitted_at=now if submitted else None,
    )
    if submitted and criterion is not None:
        Score.objects.create(
            review=review,
            criterion=criterion,
            value=4,
            justification=f"{SECRET} justification: strong case for change.",
        )
    return review


def build_world() -> World:
    world = World()
    users = world.users
    users["lead_office"] = OfficeMemberFactory(**_person("sec-notts"))
    users["partner_office"] = OfficeMemberFactory(
        **_person("sec-leics"), office_force=force("leicestershire")
    )
    users["other_office"] = OfficeMemberFactory(**_person("sec-kent"), office_force=force("kent"))
    users["analyst"] = UserFactory(**_person("sec-analyst"), analyst=True)
    users["conflicted_reviewer"] = UserFactory(**_person("sec-conflicted"), analyst=True)
    users["approver"] = UserFactory(**_person("sec-approver"), approver=True)
    users["administrator"] = UserFactory(**_person("sec-admin"), is_staff=True, is_superuser=True)
    world.reviewer = UserFactory(**_person("sec-reviewer"), analyst=True)
    analyst, lead = users["analyst"], users["lead_office"]

    world.collaboration = Collaboration.objects.create(
        name="Security tri-force", slug="security-tri-force"
    )
    for slug, role in (("nottinghamshire", "lead"), ("leicestershire", "partner")):
        CollaborationMembership.objects.create(
            collaboration=world.collaboration, force=force(slug), role=role
        )

    now = timezone.now()
    world.rounds = {
        "open": FundingRoundFactory(name="Security open round", slug="sec-open"),
        "closed": FundingRoundFactory(name="Security closed round", slug="sec-closed", closed=True),
        "published": FundingRoundFactory(
            name="Security published round", slug="sec-published", published=True
        ),
    }
    criteria = {}
    for key, funding_round in world.rounds.items():
        EnvelopeFactory(round=funding_round, financial_year=2016)
        criteria[key] = CriterionFactory(round=funding_round, name="Strategic fit")

    round_of = {
        "draft": "open",
        "submitted": "closed",
        "under_review": "closed",
        "clarification_requested": "closed",
        "recommended": "closed",
        "approved_unpublished": "closed",
        "approved_published": "published",
        "rejected": "published",
        "withdrawn": "closed",
    }
    for number, state in enumerate(BID_STATES, start=1):
        round_key = round_of[state]
        public = state == "approved_published"
        bid = BidFactory(
            reference=f"SEC-2016-{number:04d}",
            round=world.rounds[round_key],
            status=STATUS_OF[state],
            submitted_at=None if state == "draft" else now - datetime.timedelta(days=20),
            submitted_by=None if state == "draft" else lead,
            created_by=lead,
            title=f"Published award title {number}" if public else f"{SECRET} bid {state}",
            summary="Published summary." if public else f"{SECRET} summary of {state}",
            case_for_change=f"{SECRET} case for change of {state}",
            moderated_score=Decimal("70.00")
            if state in {"recommended", *APPROVED_STATES}
            else None,
            partners=["leicestershire"],
            collaboration=world.collaboration,
        )
        world.bids[state] = bid
        world.documents[state] = DocumentFactory(
            bid=bid,
            uploaded_by=lead,
            original_name=f"{SECRET}-business-case-{state}.pdf",
        )
        BidEventFactory(bid=bid, actor=lead, note=f"{SECRET} started by the office")
        if state in REVIEWED_STATES:
            _review(bid, users["conflicted_reviewer"], analyst, conflict=True)
            submitted = state not in {"under_review", "clarification_requested", "withdrawn"}
            _review(
                bid, world.reviewer, analyst, submitted=submitted, criterion=criteria[round_key]
            )
        if state in CLARIFIED_STATES:
            answered = state != "clarification_requested"
            world.clarifications[state] = ClarificationFactory(
                bid=bid,
                asked_by=analyst,
                question=f"{SECRET} question about {state}",
                answer=f"{SECRET} answer" if answered else "",
                answered_by=lead if answered else None,
                answered_at=now if answered else None,
            )
        if state in APPROVED_STATES:
            award = AwardFactory(
                bid=bid,
                total=Decimal("5740000.00"),
                decided_by=users["approver"],
                conditions="Report benefits each year.",
                decision_notes=f"{SECRET} decision notes",
            )
            released = TrancheFactory(
                award=award,
                financial_year=2016,
                amount=Decimal("2240000.00"),
                status=Tranche.Status.RELEASED,
            )
            TrancheFactory(
                award=award,
                financial_year=2017,
                amount=Decimal("3500000.00"),
                status=Tranche.Status.SCHEDULED,
            )
            PaymentFactory(
                tranche=released,
                amount=Decimal("1000000.00"),
                recorded_by=analyst,
                reference=f"{SECRET}-REMITTANCE",
            )
            Tranche.objects.filter(pk=released.pk).update(paid=Decimal("1000000.00"))
            spend = SpendReturnFactory(
                tranche=released,
                quarter=1,
                amount_spent=Decimal("500000.00"),
                narrative=f"{SECRET} spend narrative",
                submitted_by=lead,
            )
            if public:
                world.spend_return = spend
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, in a transaction rolled back once the module's tests are done; each test
    runs in a savepoint inside it, so whatever a test changes is undone before the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        for role in ROLES:
            client = Client(raise_request_exception=True)
            if role != "anonymous":
                client.force_login(built.users[role])
            built.clients[role] = client
        yield built
        transaction.set_rollback(True)

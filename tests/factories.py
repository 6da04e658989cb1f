"""factory_boy factories for every model; Traits give a bid in each workflow state."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from bids import models as bids
from bids.permissions import ANALYSTS, APPROVERS
from forces import models as forces


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")
    role_groups = ()

    class Params:
        analyst = factory.Trait(role_groups=(ANALYSTS,))
        approver = factory.Trait(role_groups=(APPROVERS,))

    @classmethod
    def _create(cls, model_class, *args, role_groups=(), **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in role_groups))
        return user


def force(slug: str) -> forces.Force:
    """One of the 46 reference forces, which migrate loads."""
    return forces.Force.objects.get(slug=slug)


class ForceFactory(factory.django.DjangoModelFactory):
    """A force made up for a test; most tests use ``force(slug)`` for the reference ones."""

    class Meta:
        model = forces.Force

    slug = factory.Sequence(lambda n: f"test-force-{n}")
    name = factory.Sequence(lambda n: f"Test Force {n} Police")
    kind = forces.Force.Kind.NATIONAL_BODY
    region = factory.LazyFunction(lambda: forces.Region.objects.get(slug="national"))


class OfficeMemberFactory(UserFactory):
    """A user in the PCC office of a force (Nottinghamshire unless told)."""

    office = factory.RelatedFactory(
        "tests.factories.OfficeMembershipFactory",
        factory_related_name="user",
        force=factory.SelfAttribute("..office_force"),
    )

    class Params:
        office_force = factory.LazyFunction(lambda: force("nottinghamshire"))


class OfficeMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = forces.OfficeMembership

    user = factory.SubFactory(UserFactory)
    force = factory.LazyFunction(lambda: force("nottinghamshire"))


class CollaborationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = forces.Collaboration

    name = factory.Sequence(lambda n: f"Collaboration {n}")
    slug = factory.Sequence(lambda n: f"collaboration-{n}")


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.Fund
        django_get_or_create = ("code",)

    name = "Police Transformation Fund"
    slug = "police-transformation-fund"
    code = "PTF"


def category(slug: str = "digital") -> bids.SpendCategory:
    return bids.SpendCategory.objects.get(slug=slug)


class FundingRoundFactory(factory.django.DjangoModelFactory):
    """An open two-year round (2016/17 and 2017/18) unless told otherwise."""

    class Meta:
        model = bids.FundingRound

    fund = factory.SubFactory(FundFactory)
    name = factory.Sequence(lambda n: f"2016/17 round {n}")
    slug = factory.Sequence(lambda n: f"ptf-2016-round-{n}")
    first_financial_year = 2016
    last_financial_year = 2017
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=30))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    status = bids.FundingRound.Status.OPEN

    class Params:
        closed = factory.Trait(
            status=bids.FundingRound.Status.CLOSED,
            closes_at=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1)),
        )
        published = factory.Trait(
            status=bids.FundingRound.Status.DECIDED,
            closes_at=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=10)),
            results_published_at=factory.LazyFunction(
                lambda: timezone.now() - datetime.timedelta(days=1)
            ),
        )


class EnvelopeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.Envelope

    round = factory.SubFactory(FundingRoundFactory)
    category = factory.LazyFunction(category)
    financial_year = 2016
    amount = Decimal("4600000.00")


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.Criterion

    round = factory.SubFactory(FundingRoundFactory)
    name = factory.Sequence(lambda n: f"Criterion {n}")
    weight = Decimal("1.00")
    max_score = 5
    order = factory.Sequence(lambda n: n)


class BidFactory(factory.django.DjangoModelFactory):
    """A complete draft, ready to submit; ``submitted=True`` and friends set the state directly.

    Traits only set fields: tests of the workflow drive the services themselves.
    """

    class Meta:
        model = bids.Bid
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"PTF-2016-{n + 1:04d}")
    round = factory.SubFactory(FundingRoundFactory)
    lead_force = factory.LazyFunction(lambda: force("nottinghamshire"))
    title = "East Midlands integrated technology plan"
    summary = "One technology platform for three forces."
    case_for_change = "Three forces run three different systems for the same work."
    spend_category = factory.LazyFunction(category)
    bid_type = bids.Bid.BidType.IMPLEMENTATION_READY
    pcc_signoff_name = "Paddy Tipping"
    pcc_signoff_date = datetime.date(2016, 3, 1)
    cfo_signoff_name = "Charlotte Radford"
    cfo_signoff_date = datetime.date(2016, 3, 2)
    status = bids.Bid.Status.DRAFT

    class Params:
        submitted = factory.Trait(
            status=bids.Bid.Status.SUBMITTED, submitted_at=factory.LazyFunction(timezone.now)
        )
        under_review = factory.Trait(
            status=bids.Bid.Status.UNDER_REVIEW, submitted_at=factory.LazyFunction(timezone.now)
        )
        recommended = factory.Trait(
            status=bids.Bid.Status.RECOMMENDED, submitted_at=factory.LazyFunction(timezone.now)
        )
        approved = factory.Trait(
            status=bids.Bid.Status.APPROVED, submitted_at=factory.LazyFunction(timezone.now)
        )

    @factory.post_generation
    def profile(self, create, amounts, **kwargs):
        """``profile={2016: Decimal(...)}``; by default £2,240,000 and £3,500,000."""
        if not create:
            return
        if amounts is None:
            amounts = {2016: Decimal("2240000.00"), 2017: Decimal("3500000.00")}
        for year, amount in amounts.items():
            bids.FundingLine.objects.create(bid=self, financial_year=year, amount=amount)

    @factory.post_generation
    def partners(self, create, slugs, **kwargs):
        if create and slugs:
            self.partner_forces.add(*(force(slug) for slug in slugs))


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.Review

    bid = factory.SubFactory(BidFactory, under_review=True)
    reviewer = factory.SubFactory(UserFactory, analyst=True)
    assigned_by = factory.SubFactory(UserFactory, analyst=True)


class ScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.Score

    review = factory.SubFactory(ReviewFactory)
    criterion = factory.SubFactory(CriterionFactory)
    value = 3
    justification = "Meets the criterion with some gaps."


class AwardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.Award

    bid = factory.SubFactory(BidFactory, approved=True)
    total = Decimal("5740000.00")
    decided_by = factory.SubFactory(UserFactory, approver=True)


class TrancheFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.Tranche

    award = factory.SubFactory(AwardFactory)
    financial_year = 2016
    amount = Decimal("2240000.00")
    status = bids.Tranche.Status.RELEASED


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.Payment

    tranche = factory.SubFactory(TrancheFactory)
    amount = Decimal("1000000.00")
    paid_on = datetime.date(2016, 9, 1)
    recorded_by = factory.SubFactory(UserFactory, analyst=True)


class SpendReturnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.SpendReturn

    tranche = factory.SubFactory(TrancheFactory)
    quarter = 1
    amount_spent = Decimal("500000.00")
    narrative = "Licences and the first phase of the data migration."
    submitted_by = factory.SubFactory(OfficeMemberFactory)


class ClarificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.Clarification

    bid = factory.SubFactory(BidFactory, under_review=True)
    question = "How will the three forces share the running costs after the grant ends?"
    asked_by = factory.SubFactory(UserFactory, analyst=True)


class BidEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.BidEvent

    bid = factory.SubFactory(BidFactory)
    action = bids.BidEvent.Action.CREATED
    to_status = bids.Bid.Status.DRAFT


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.Document

    bid = factory.SubFactory(BidFactory)
    file = factory.django.FileField(filename="business-case.pdf", data=b"%PDF-1.4 test")
    original_name = "business-case.pdf"
    content_type = "application/pdf"
    size = 13
    sha256 = "0" * 64
    uploaded_by = factory.SubFactory(OfficeMemberFactory)


class AwardShareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = bids.AwardShare

    award = factory.SubFactory(AwardFactory)
    force = factory.LazyFunction(lambda: force("nottinghamshire"))
    percent = Decimal("100.00")

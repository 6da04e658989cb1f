"""The life of the money: funds, rounds, bids, reviews, awards, tranches, payments and spend.

Models hold the invariants the database can enforce; every change of state goes through
``bids.services``. Reads are the QuerySet methods below.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from forces.models import Force
from fundtracker.money import MONEY_FIELD, ZERO
from fundtracker.years import fy_label

USER = settings.AUTH_USER_MODEL


def money_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(**MONEY_FIELD, **kwargs)


def _non_negative(field: str, model: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0}), name=f"{model}_{field}_gte_0"
    )


def _money_sum(expression, **kwargs) -> Coalesce:
    output = models.DecimalField(**MONEY_FIELD)
    return Coalesce(
        Sum(expression, output_field=output, **kwargs), Value(ZERO), output_field=output
    )


# --------------------------------------------------------------------------- reference data


class Fund(models.Model):
    """A programme that money is bid for, such as the Police Transformation Fund."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    code = models.CharField(
        max_length=10, unique=True, help_text="Prefix of bid references, such as PTF."
    )
    sponsor = models.CharField(max_length=200, default="Home Office")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SpendCategory(models.Model):
    """What the money is for: armed policing, digital, specialist capabilities…"""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "spend categories"

    def __str__(self) -> str:
        return self.name


class FundingRoundQuerySet(models.QuerySet):
    def open(self, at=None):
        """Rounds taking bids at ``at`` (now by default), the soonest to close first: the same
        rule as ``FundingRound.is_open``."""
        at = at or timezone.now()
        return (
            self.filter(status=FundingRound.Status.OPEN, opens_at__lte=at, closes_at__gt=at)
            .select_related("fund")
            .order_by("closes_at", "name")
        )

    def published(self, at=None):
        """Rounds whose results have been published (nothing else of a round is public)."""
        return self.filter(results_published_at__lte=at or timezone.now())

    def with_bid_counts(self):
        """Each round's bids counted by stage, in one query: ``submitted_count`` (waiting for
        reviewers), ``in_review_count`` (under review or waiting for a clarification),
        ``awaiting_decision_count`` (moderated, recommended or not), ``approved_count``,
        ``rejected_count`` and ``withdrawn_count`` (withdrawn after submission). Drafts are the
        offices' own work and are not counted."""
        status = Bid.Status

        def count(*statuses, **also):
            return models.Count("bids", filter=Q(bids__status__in=statuses, **also))

        return self.annotate(
            submitted_count=count(status.SUBMITTED),
            in_review_count=count(status.UNDER_REVIEW, status.CLARIFICATION_REQUESTED),
            awaiting_decision_count=count(status.RECOMMENDED, status.NOT_RECOMMENDED),
            approved_count=count(status.APPROVED),
            rejected_count=count(status.REJECTED),
            withdrawn_count=count(status.WITHDRAWN, bids__submitted_at__isnull=False),
        )


class FundingRound(models.Model):
    """One call for bids to a fund, covering one or more financial years."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        OPEN = "open", "Open for bids"
        CLOSED = "closed", "Closed, in assessment"
        DECIDED = "decided", "Decided"

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="rounds")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    first_financial_year = models.PositiveSmallIntegerField(
        help_text="Start year: 2016 for 2016/17."
    )
    last_financial_year = models.PositiveSmallIntegerField(
        help_text="Start year of the last year funded; the same as the first for a one-year round."
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    decision_date = models.DateField(null=True, blank=True)
    results_published_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)

    objects = FundingRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-first_financial_year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "name"], name="round_name_unique_in_fund"),
            models.CheckConstraint(
                condition=Q(last_financial_year__gte=F("first_financial_year")),
                name="round_years_in_order",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="round_closes_after_opening"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund.code} {self.name}"

    @property
    def financial_years(self) -> range:
        return range(self.first_financial_year, self.last_financial_year + 1)

    @property
    def years_label(self) -> str:
        if self.first_financial_year == self.last_financial_year:
            return fy_label(self.first_financial_year)
        return f"{fy_label(self.first_financial_year)} to {fy_label(self.last_financial_year)}"

    def is_open(self, at=None) -> bool:
        """Open for bids: marked open and between its opening and closing times."""
        at = at or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= at < self.closes_at

    @property
    def is_published(self) -> bool:
        return self.results_published_at is not None and self.results_published_at <= timezone.now()


class EnvelopeQuerySet(models.QuerySet):
    def published(self):
        return self.filter(round__results_published_at__lte=timezone.now())

    def totals_by(self, *fields: str):
        """Amount set aside, summed in the database, grouped by ``fields`` (see ``GROUPINGS``)."""
        groups = [ENVELOPE_GROUPINGS[f] for f in fields]
        return self.values(*groups).annotate(envelope=_money_sum("amount")).order_by(*groups)

    def total(self) -> Decimal:
        """Amount set aside over the QuerySet, summed in the database (zero when empty)."""
        return self.aggregate(envelope=_money_sum("amount"))["envelope"]


class Envelope(models.Model):
    """Money a round sets aside for one spend category in one financial year."""

    round = models.ForeignKey(FundingRound, on_delete=models.PROTECT, related_name="envelopes")
    category = models.ForeignKey(SpendCategory, on_delete=models.PROTECT, related_name="envelopes")
    financial_year = models.PositiveSmallIntegerField()
    amount = money_field()

    objects = EnvelopeQuerySet.as_manager()

    class Meta:
        ordering = ["round", "financial_year", "category"]
        constraints = [
            _non_negative("amount", "envelope"),
            models.UniqueConstraint(
                fields=["round", "category", "financial_year"],
                name="envelope_one_per_category_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} – {self.category} {fy_label(self.financial_year)}"


class Criterion(models.Model):
    """What reviewers score a round's bids against, with its weight and top score."""

    round = models.ForeignKey(FundingRound, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    weight = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    max_score = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1)])
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["round", "order", "name"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="criterion_unique_in_round"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_gt_0"),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="criterion_max_score_gt_0"),
        ]

    def __str__(self) -> str:
        return self.name


# --------------------------------------------------------------------------- bids


class BidQuerySet(models.QuerySet):
    def published(self):
        """Approved bids of rounds whose results are published: what the public may see."""
        return self.filter(self._published_q())

    @staticmethod
    def _published_q() -> Q:
        return Q(status=Bid.Status.APPROVED, round__results_published_at__lte=timezone.now())

    def visible_to(self, user):
        """Bids ``user`` may see (design §5).

        Analysts, approvers and staff see every bid; a PCC office sees its force's bids, and
        bids where its force is a partner once they are submitted; everyone sees published ones.
        """
        from bids import permissions

        if permissions.is_caseworker(user):
            return self.all()
        force_id = permissions.office_force_id(user)
        if force_id is None:
            return self.published()
        return self.filter(self._office_q(force_id) | self._published_q())

    def for_office(self, user):
        """The bids of the user's PCC office: those its force leads, and those where it is a
        partner once submitted. What the portal lists; nothing for a user without an office."""
        from bids import permissions

        force_id = permissions.office_force_id(user)
        if force_id is None:
            return self.none()
        return self.filter(self._office_q(force_id))

    @staticmethod
    def _office_q(force_id: int) -> Q:
        partner = Bid.partner_forces.through.objects.filter(bid=OuterRef("pk"), force_id=force_id)
        return Q(lead_force_id=force_id) | (Exists(partner) & ~Q(status=Bid.Status.DRAFT))

    def editable_by(self, user):
        """Draft bids ``user``'s office leads: the only bids anyone can edit."""
        from bids import permissions

        force_id = permissions.office_force_id(user)
        if force_id is None:
            return self.none()
        return self.filter(lead_force_id=force_id, status=Bid.Status.DRAFT)

    def in_round(self, funding_round):
        return self.filter(round=funding_round)

    def competing(self):
        """Submitted bids still asking for money, or granted it: neither withdrawn nor rejected."""
        return self.exclude(
            status__in=[Bid.Status.DRAFT, Bid.Status.WITHDRAWN, Bid.Status.REJECTED]
        )

    def requested_by_year(self):
        """What the bids ask for in each financial year, summed in the database: rows of
        ``financial_year``, ``requested`` and ``bids`` (how many of them ask for that year)."""
        return (
            self.values(financial_year=F("funding_lines__financial_year"))
            .annotate(
                requested=_money_sum("funding_lines__amount"),
                bids=models.Count("pk", distinct=True),
            )
            .filter(financial_year__isnull=False)
            .order_by("financial_year")
        )

    def awaiting_decision(self):
        """Moderated bids waiting for an approver's decision: recommended or not."""
        return self.filter(status__in=[Bid.Status.RECOMMENDED, Bid.Status.NOT_RECOMMENDED])

    def for_funding_line(self):
        """What the funding line ranks, in two queries however many bids: lead force,
        collaboration and category joined, and the funding profile prefetched in year order."""
        return self.select_related(
            "lead_force", "collaboration", "spend_category"
        ).prefetch_related(
            models.Prefetch(
                "funding_lines", queryset=FundingLine.objects.order_by("financial_year")
            )
        )

    def for_panel_pack(self):
        """``for_funding_line`` with what each bid's page of the panel pack shows, in a constant
        number of queries: partner forces; ``panel_reviews``, the reviews that count (submitted,
        no conflict) with reviewers and scores (``ReviewQuerySet.with_scores``); and
        ``moderations``, the bid's moderation events with who moderated, newest first."""
        return self.for_funding_line().prefetch_related(
            models.Prefetch("partner_forces", queryset=Force.objects.order_by("name")),
            models.Prefetch(
                "reviews",
                queryset=Review.objects.active().submitted().with_scores(),
                to_attr="panel_reviews",
            ),
            models.Prefetch(
                "events",
                queryset=BidEvent.objects.filter(action=BidEvent.Action.MODERATED)
                .select_related("actor")
                .order_by("-at", "-id"),
                to_attr="moderations",
            ),
        )

    def for_review_list(self):
        """Submitted bids (never drafts) with what the review queue and its CSV show, in one
        query however many rows: round and fund, lead force and its region, spend category and
        collaboration joined; ``reviews_assigned`` (reviewers not withdrawn by a conflict of
        interest), ``reviews_submitted`` (of those) and ``reviews_conflicted``, each joining
        the reviews once (``Count`` with ``filter``, ``distinct``).
        """
        active = Q(reviews__has_conflict=False) | Q(reviews__has_conflict__isnull=True)
        return (
            self.exclude(status=Bid.Status.DRAFT)
            .select_related("round__fund", "lead_force__region", "spend_category", "collaboration")
            .annotate(
                reviews_assigned=models.Count("reviews", filter=active, distinct=True),
                reviews_submitted=models.Count(
                    "reviews",
                    filter=active & Q(reviews__submitted_at__isnull=False),
                    distinct=True,
                ),
                reviews_conflicted=models.Count(
                    "reviews", filter=Q(reviews__has_conflict=True), distinct=True
                ),
            )
        )


class Bid(models.Model):
    """A proposal from a PCC office for its force, or for a collaboration it leads."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        UNDER_REVIEW = "under_review", "Under review"
        CLARIFICATION_REQUESTED = "clarification_requested", "Clarification requested"
        RECOMMENDED = "recommended", "Recommended"
        NOT_RECOMMENDED = "not_recommended", "Not recommended"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class BidType(models.TextChoices):
        IMPLEMENTATION_READY = "implementation_ready", "Implementation ready"
        PROOF_OF_CONCEPT = "proof_of_concept", "Proof of concept"

    reference = models.CharField(max_length=30, unique=True, editable=False)
    round = models.ForeignKey(FundingRound, on_delete=models.PROTECT, related_name="bids")
    lead_force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="led_bids")
    collaboration = models.ForeignKey(
        "forces.Collaboration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bids",
    )
    partner_forces = models.ManyToManyField(Force, blank=True, related_name="partnered_bids")
    title = models.CharField(max_length=250)
    summary = models.TextField(blank=True)
    case_for_change = models.TextField(blank=True)
    spend_category = models.ForeignKey(
        SpendCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="bids"
    )
    bid_type = models.CharField(max_length=25, choices=BidType.choices, blank=True)
    local_match_contribution = money_field(default=ZERO)
    # The funding profile summed, stored so that the review queue can sort and band bids by it
    # from an index. Kept equal to the funding lines by ``bids.totals`` on every write to them.
    requested_total = money_field(default=ZERO, editable=False)
    status = models.CharField(max_length=25, choices=Status.choices, default=Status.DRAFT)
    moderated_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    needs_reassignment = models.BooleanField(
        default=False, help_text="A reviewer declared a conflict of interest."
    )
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    pcc_signoff_name = models.CharField("PCC sign-off: name", max_length=200, blank=True)
    pcc_signoff_date = models.DateField("PCC sign-off: date", null=True, blank=True)
    cfo_signoff_name = models.CharField(
        "Chief finance officer sign-off: name", max_length=200, blank=True
    )
    cfo_signoff_date = models.DateField(
        "Chief finance officer sign-off: date", null=True, blank=True
    )

    # The requested total is derived from the funding lines, whose own history records it.
    history = HistoricalRecords(
        excluded_fields=["updated_at", "requested_total"], m2m_fields=[partner_forces]
    )
    objects = BidQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            _non_negative("local_match_contribution", "bid"),
            _non_negative("requested_total", "bid"),
        ]
        # The review queue (bids/views/review/queue.py) never shows drafts: its indexes leave
        # them out. Those that sort empty values last are PostgreSQL's only, in migration
        # 0009_review_queue_indexes (SQLite cannot build them).
        indexes = [
            models.Index(fields=["round", "status"], name="bid_round_status"),
            models.Index(fields=["lead_force", "status"], name="bid_lead_force_status"),
            models.Index(fields=["spend_category", "status"], name="bid_category_status"),
            models.Index(
                fields=["title", "id"], name="bid_queue_title", condition=~Q(status="draft")
            ),
            models.Index(
                fields=["id"], name="bid_needs_reassignment", condition=Q(needs_reassignment=True)
            ),
            models.Index(
                fields=["requested_total", "id"],
                name="bid_queue_requested",
                condition=~Q(status="draft"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    # Statuses from which the PCC office may still withdraw: any before a decision.
    WITHDRAWABLE = frozenset(
        {
            Status.DRAFT,
            Status.SUBMITTED,
            Status.UNDER_REVIEW,
            Status.CLARIFICATION_REQUESTED,
            Status.RECOMMENDED,
            Status.NOT_RECOMMENDED,
        }
    )

    @property
    def is_decided(self) -> bool:
        return self.status in {self.Status.APPROVED, self.Status.REJECTED}


class FundingLine(models.Model):
    """The funding profile: what a bid asks for in one financial year."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="funding_lines")
    financial_year = models.PositiveSmallIntegerField()
    amount = money_field()

    history = HistoricalRecords()

    class Meta:
        ordering = ["bid", "financial_year"]
        constraints = [
            _non_negative("amount", "fundingline"),
            models.UniqueConstraint(
                fields=["bid", "financial_year"], name="fundingline_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bid.reference} {fy_label(self.financial_year)}"

    @property
    def financial_year_label(self) -> str:
        return fy_label(self.financial_year)


def document_upload_to(instance: "Document", filename: str) -> str:
    # A random name: documents are served only through a view that checks who is asking.
    import uuid

    return f"documents/{uuid.uuid4().hex}"


class Document(models.Model):
    """A file attached to a bid. Never public."""

    class Kind(models.TextChoices):
        BUSINESS_CASE = "business_case", "Business case"
        LETTER_OF_SUPPORT = "letter_of_support", "Letter of support"
        EVALUATION_PLAN = "evaluation_plan", "Evaluation plan"
        OTHER = "other", "Other"

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(upload_to=document_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["bid", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ClarificationQuerySet(models.QuerySet):
    def awaiting_office(self, force_id: int):
        """Open questions on bids paused for them, led by the force whose office must answer."""
        return self.filter(
            bid__lead_force_id=force_id,
            bid__status=Bid.Status.CLARIFICATION_REQUESTED,
            answered_at__isnull=True,
        )


class Clarification(models.Model):
    """A question an analyst asks the PCC office, and its answer."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="clarifications")
    question = models.TextField()
    asked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = ClarificationQuerySet.as_manager()

    class Meta:
        ordering = ["bid", "asked_at"]

    def __str__(self) -> str:
        return f"{self.bid.reference}: {self.question[:60]}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


# --------------------------------------------------------------------------- reviews


class ReviewQuerySet(models.QuerySet):
    def submitted(self):
        return self.filter(submitted_at__isnull=False)

    def active(self):
        """Reviews that count: not withdrawn by a conflict of interest."""
        return self.exclude(has_conflict=True)

    def with_scores(self):
        """Reviewers joined and scores prefetched with their criteria in criterion order (two
        queries however many reviews), oldest assignment first."""
        return (
            self.select_related("reviewer")
            .prefetch_related(
                models.Prefetch(
                    "scores",
                    queryset=Score.objects.select_related("criterion").order_by(
                        "criterion__order", "criterion__name"
                    ),
                )
            )
            .order_by("assigned_at", "pk")
        )


class Review(models.Model):
    """One analyst's independent assessment of one bid."""

    class Recommendation(models.TextChoices):
        FUND = "fund", "Fund"
        FUND_WITH_CONDITIONS = "fund_with_conditions", "Fund with conditions"
        DO_NOT_FUND = "do_not_fund", "Do not fund"

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="reviews")
    assigned_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    has_conflict = models.BooleanField(
        null=True, blank=True, help_text="Empty until the reviewer declares."
    )
    conflict_details = models.TextField(blank=True)
    conflict_declared_at = models.DateTimeField(null=True, blank=True)
    recommendation = models.CharField(max_length=25, choices=Recommendation.choices, blank=True)
    comments = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["bid", "assigned_at"]
        constraints = [
            models.UniqueConstraint(fields=["bid", "reviewer"], name="review_one_per_reviewer"),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | ~Q(recommendation=""),
                name="review_submitted_has_recommendation",
            ),
        ]
        indexes = [
            # The review queue's "conflict of interest declared": few reviews, found directly.
            models.Index(
                fields=["bid"], name="review_conflict_bid", condition=Q(has_conflict=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bid.reference} reviewed by {self.reviewer}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    def weighted_score(self) -> Decimal | None:
        """Score out of 100: each criterion's share of its maximum, weighted (see ``weighted``)."""
        return weighted(
            [(s.value, s.criterion.max_score, s.criterion.weight) for s in self.scores.all()]
        )


def weighted(scores: list[tuple[int, int, Decimal]]) -> Decimal | None:
    """Σ(value / max × weight) / Σ weight × 100, to two places; ``None`` without scores."""
    total_weight = sum((weight for _, _, weight in scores), Decimal(0))
    if not scores or not total_weight:
        return None
    points = sum(
        (Decimal(value) / max_score * weight for value, max_score, weight in scores), Decimal(0)
    )
    return (points / total_weight * 100).quantize(Decimal("0.01"))


class Score(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    value = models.PositiveSmallIntegerField()
    justification = models.TextField()

    class Meta:
        ordering = ["review", "criterion__order"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_one_per_criterion"),
            models.CheckConstraint(condition=~Q(justification=""), name="score_justified"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.value}"


# --------------------------------------------------------------------------- money


class AwardQuerySet(models.QuerySet):
    def published(self):
        """Awards of rounds whose results are published."""
        return self.filter(bid__round__results_published_at__lte=timezone.now())

    def for_office(self, user):
        """Awards of the bids of the user's PCC office (lead or partner)."""
        return self.filter(bid__in=Bid.objects.for_office(user))

    def with_money(self):
        """``paid`` and ``spent`` summed over each award's tranches."""
        return self.annotate(paid=_money_sum("tranches__paid"), spent=_money_sum("tranches__spent"))

    def for_open_data(self):
        """What the API and the 360Giving file show of each award, in three queries however
        many awards: round, fund, lead force and category joined; tranches in year order and
        partner forces by name prefetched. Narrow it to published awards first."""
        return self.select_related(
            "bid__round__fund", "bid__lead_force", "bid__spend_category"
        ).prefetch_related(
            models.Prefetch("tranches", queryset=Tranche.objects.order_by("financial_year")),
            models.Prefetch("bid__partner_forces", queryset=Force.objects.order_by("name")),
        )

    def with_payments(self):
        """Each tranche's payments prefetched, oldest first: one more query, after
        ``for_open_data()`` (which prefetches the tranches in year order)."""
        return self.prefetch_related(
            models.Prefetch(
                "tranches__payments", queryset=Payment.objects.order_by("paid_on", "pk")
            )
        )

    def for_public(self):
        """Published awards with what the public pages show of their bid (round and fund, lead
        force and its region, spend category, collaboration), fetched in the same query."""
        return self.published().select_related(
            "bid__round__fund",
            "bid__lead_force__region",
            "bid__spend_category",
            "bid__collaboration",
        )

    def involving(self, force):
        """Awards ``force`` leads or joins as one of the bid's partner forces."""
        partner = Bid.partner_forces.through.objects.filter(bid=OuterRef("bid"), force=force)
        return self.filter(Q(bid__lead_force=force) | Exists(partner))

    def matching(self, text: str):
        """Awards with every word of ``text`` in their reference, title, summary or the name of
        their lead or a partner force (any case)."""
        qs = self
        for word in text.split():
            partner = Bid.partner_forces.through.objects.filter(
                bid=OuterRef("bid"), force__name__icontains=word
            )
            qs = qs.filter(
                Q(bid__reference__icontains=word)
                | Q(bid__title__icontains=word)
                | Q(bid__summary__icontains=word)
                | Q(bid__lead_force__name__icontains=word)
                | Exists(partner)
            )
        return qs

    class SpendTag(models.TextChoices):
        """How an award's (or a tranche's) spend compares with its allocation."""

        NONE = "none", "No spend reported yet"
        UNDERSPEND = "underspend", "Underspend"
        OVERSPEND = "overspend", "Overspend"
        ON_TRACK = "on_track", "On track"

    @classmethod
    def spend_tag(cls) -> models.Case:
        """The ``SpendTag`` of a row annotated with ``variance`` and ``spend_reported``: no spend
        reported yet while no return is in, then overspend below zero, underspend above zero
        and on track at zero."""
        tag = cls.SpendTag
        return models.Case(
            models.When(spend_reported=False, then=Value(tag.NONE)),
            models.When(variance__lt=0, then=Value(tag.OVERSPEND)),
            models.When(variance__gt=0, then=Value(tag.UNDERSPEND)),
            default=Value(tag.ON_TRACK),
            output_field=models.CharField(max_length=10),
        )

    def with_variance(self, today=None):
        """Each award's ``allocated``, ``paid`` and ``spent`` (verified) over its tranches, its
        ``variance``, ``spend_reported`` and ``spend_tag`` (see ``spend_tag``), in the database.

        Variance is the allocation less verified spend over the tranches whose outcome is known
        by ``today`` (``TrancheQuerySet.settled_q``): financial years that have ended, closed
        tranches, and any tranche whose verified spend has already passed its allocation. Years
        still running are left out, since their money may yet be spent. Above zero is an
        underspend, below zero an overspend. ``spend_reported`` is whether any spend return is
        in (submitted or verified).
        """
        reported = SpendReturn.objects.filter(
            tranche__award=OuterRef("pk"),
            status__in=[SpendReturn.Status.SUBMITTED, SpendReturn.Status.VERIFIED],
        )
        return self.annotate(
            allocated=_money_sum("tranches__amount"),
            paid=_money_sum("tranches__paid"),
            spent=_money_sum("tranches__spent"),
            variance=_money_sum(
                F("tranches__amount") - F("tranches__spent"),
                filter=TrancheQuerySet.settled_q(today, prefix="tranches__"),
            ),
            spend_reported=Exists(reported),
        ).annotate(spend_tag=self.spend_tag())

    def for_money_list(self, today=None):
        """Every award, in any round and published or not (the Home Office's view), with the
        ``with_variance`` figures, lead force and round; the newest round first."""
        return (
            self.with_variance(today)
            .select_related("bid__lead_force", "bid__round__fund")
            .order_by("-bid__round__first_financial_year", "bid__reference", "pk")
        )

    def money_totals(self) -> dict[str, Decimal]:
        """``count`` of awards and the sums of ``allocated``, ``paid``, ``spent`` and
        ``variance`` over a QuerySet from ``with_variance()``, filtered or not."""
        names = ("allocated", "paid", "spent", "variance")
        # Each sum under a name of its own: an aggregate named like the annotation it sums
        # replaces that annotation, and the inner query then has nothing to sum.
        totals = self.order_by().aggregate(
            count=models.Count("pk"), **{f"total_{name}": _money_sum(name) for name in names}
        )
        return {"count": totals["count"], **{name: totals[f"total_{name}"] for name in names}}


class Award(models.Model):
    """The money granted to an approved bid, split into yearly tranches."""

    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="award")
    total = money_field()
    conditions = models.TextField(blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    decision_notes = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = AwardQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [_non_negative("total", "award")]

    def __str__(self) -> str:
        return f"{self.bid.reference} {self.bid.title}"

    @property
    def reference(self) -> str:
        return self.bid.reference


class AwardShare(models.Model):
    """The share of an award a force receives, for collaborations that split the money.

    Without shares the lead force carries 100 %, so totals by force add up to all awards.
    """

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="shares")
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="award_shares")
    percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        ordering = ["award", "-percent"]
        constraints = [
            models.UniqueConstraint(fields=["award", "force"], name="awardshare_one_per_force"),
            models.CheckConstraint(
                condition=Q(percent__gt=0) & Q(percent__lte=100), name="awardshare_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.force}: {self.percent}%"


# How ``totals_by`` groups tranches; force and region follow AwardShare (lead 100 % by default).
TRANCHE_GROUPINGS = {
    "fund": "award__bid__round__fund",
    "round": "award__bid__round",
    "category": "award__bid__spend_category",
    "financial_year": "financial_year",
    "force": "share_force",
    "region": "share_region",
    "award": "award",
}
ENVELOPE_GROUPINGS = {
    "fund": "round__fund",
    "round": "round",
    "category": "category",
    "financial_year": "financial_year",
}


class TrancheQuerySet(models.QuerySet):
    def published(self):
        """Tranches of awards in rounds whose results are published."""
        return self.filter(award__bid__round__results_published_at__lte=timezone.now())

    def for_force(self, force):
        """Tranches a force shares in: as the lead without shares, or through an AwardShare."""
        return self.filter(
            Q(award__shares__force=force)
            | Q(award__bid__lead_force=force, award__shares__isnull=True)
        ).distinct()

    def split_by_share(self):
        """One row per force sharing in each tranche, with ``share_force``, ``share_region`` and
        ``share_fraction`` (the force's AwardShare, or the lead force and 1 without shares).

        Filter on ``share_force`` / ``share_region`` to narrow the money to one force or region;
        ``totals_by`` and ``totals`` then count only that force's or region's part.
        """
        if "share_fraction" in self.query.annotations:
            return self
        return self.annotate(
            share_force=Coalesce("award__shares__force", "award__bid__lead_force"),
            share_region=Coalesce("award__shares__force__region", "award__bid__lead_force__region"),
            # × 0.01 rather than ÷ 100: SQLite would divide two integers as integers.
            share_fraction=Coalesce(
                F("award__shares__percent") * Value(Decimal("0.01")),
                Value(Decimal(1)),
                output_field=models.DecimalField(max_digits=9, decimal_places=6),
            ),
        )

    def _money(self, *fields: str):
        """The querySet (split by share when it must be) and the allocated/paid/spent sums."""
        qs = self
        if "share_fraction" in qs.query.annotations or {"force", "region"} & set(fields):
            qs = qs.split_by_share()
            fraction = F("share_fraction")
        else:
            fraction = Value(Decimal(1))
        sums = {
            "allocated": _money_sum(F("amount") * fraction),
            "paid": _money_sum(F("paid") * fraction),
            "spent": _money_sum(F("spent") * fraction),
        }
        return qs, sums

    def totals_by(self, *fields: str):
        """Allocated, paid and spent, summed in the database and grouped by ``fields``.

        ``fields`` are keys of ``TRANCHE_GROUPINGS``. Grouping by force or region, or a
        QuerySet narrowed after ``split_by_share()``, splits each tranche by its award's shares
        (the lead force 100 % when there are none), so the groups add up to the total and no
        collaboration's money is counted twice.
        """
        unknown = set(fields) - TRANCHE_GROUPINGS.keys()
        if unknown:
            raise ValueError(f"Cannot total tranches by {', '.join(sorted(unknown))}.")
        qs, sums = self._money(*fields)
        groups = [TRANCHE_GROUPINGS[f] for f in fields]
        return qs.values(*groups).annotate(**sums).order_by(*groups)

    def with_spend(self):
        """Each tranche with ``awaiting`` (returns submitted, not yet verified), ``reported``
        (verified + awaiting) and ``remaining`` (the allocation less what is reported; negative
        when overspent), summed in the database."""
        output = models.DecimalField(**MONEY_FIELD)
        awaiting = _money_sum(
            "spend_returns__amount_spent",
            filter=Q(spend_returns__status=SpendReturn.Status.SUBMITTED),
        )
        return self.annotate(awaiting=awaiting).annotate(
            reported=models.ExpressionWrapper(F("spent") + F("awaiting"), output_field=output),
            remaining=models.ExpressionWrapper(
                F("amount") - F("spent") - F("awaiting"), output_field=output
            ),
        )

    def totals(self) -> dict[str, Decimal]:
        """Allocated, paid and spent over the QuerySet (a force's or region's part only when
        narrowed after ``split_by_share()``)."""
        qs, sums = self._money()
        return qs.aggregate(**sums)

    @staticmethod
    def settled_q(today=None, prefix: str = "") -> Q:
        """Tranches whose spend outcome is known by ``today``: of a financial year that has
        ended (its 31 March has passed), closed, or with verified spend already past the
        allocation. ``prefix`` reaches them from another model (``"tranches__"``)."""
        from fundtracker.years import fy_of

        this_year = fy_of(today or timezone.localdate())
        return (
            Q(**{f"{prefix}financial_year__lt": this_year})
            | Q(**{f"{prefix}status": Tranche.Status.CLOSED})
            | Q(**{f"{prefix}spent__gt": F(f"{prefix}amount")})
        )

    def with_variance(self, today=None):
        """Each tranche's ``variance`` (allocation less verified spend once its outcome is known,
        see ``settled_q``; ``None`` while its year runs), ``spend_reported`` (a return is in,
        submitted or verified) and ``spend_tag``: the rule of ``AwardQuerySet.with_variance``
        for one year."""
        reported = SpendReturn.objects.filter(
            tranche=OuterRef("pk"),
            status__in=[SpendReturn.Status.SUBMITTED, SpendReturn.Status.VERIFIED],
        )
        return self.annotate(
            variance=models.Case(
                models.When(self.settled_q(today), then=F("amount") - F("spent")),
                default=None,
                output_field=models.DecimalField(**MONEY_FIELD),
            ),
            spend_reported=Exists(reported),
        ).annotate(spend_tag=AwardQuerySet.spend_tag())


class Tranche(models.Model):
    """The part of an award allocated to one financial year.

    ``paid`` and ``spent`` are kept by the services that record payments and verify spend
    returns, so totals are sums of one table.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        RELEASED = "released", "Released"
        WITHHELD = "withheld", "Withheld"
        CLOSED = "closed", "Closed"

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="tranches")
    financial_year = models.PositiveSmallIntegerField()
    amount = money_field()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    paid = money_field(default=ZERO, editable=False, help_text="Sum of payments.")
    spent = money_field(default=ZERO, editable=False, help_text="Sum of verified spend returns.")

    history = HistoricalRecords()
    objects = TrancheQuerySet.as_manager()

    class Meta:
        ordering = ["award", "financial_year"]
        constraints = [
            _non_negative("amount", "tranche"),
            _non_negative("paid", "tranche"),
            _non_negative("spent", "tranche"),
            models.UniqueConstraint(
                fields=["award", "financial_year"], name="tranche_one_per_year"
            ),
        ]
        indexes = [models.Index(fields=["financial_year"], name="tranche_financial_year")]

    def __str__(self) -> str:
        return f"{self.award.bid.reference} {fy_label(self.financial_year)}"

    @property
    def financial_year_label(self) -> str:
        return fy_label(self.financial_year)


class Payment(models.Model):
    """Money paid to the policing body against a tranche."""

    tranche = models.ForeignKey(Tranche, on_delete=models.PROTECT, related_name="payments")
    amount = money_field()
    paid_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["tranche", "paid_on", "id"]
        constraints = [
            _non_negative("amount", "payment"),
        ]
        # The latest payment for the dashboard's "last changed", read from the top.
        indexes = [models.Index(F("recorded_at").desc(), name="payment_recorded_at")]

    def __str__(self) -> str:
        return f"{self.tranche} paid {self.amount} on {self.paid_on}"


class SpendReturnQuerySet(models.QuerySet):
    def awaiting_verification(self):
        """Returns submitted and neither verified nor sent back, oldest first, with what the
        verification queue shows: the award, its lead force and round, ``spent_if_accepted``
        (the tranche's verified spend with this return) and ``over_allocation`` (accepting it
        would take verified spend past the tranche's allocation)."""
        return (
            self.filter(status=SpendReturn.Status.SUBMITTED)
            .select_related("tranche__award__bid__lead_force", "tranche__award__bid__round__fund")
            .annotate(
                spent_if_accepted=models.ExpressionWrapper(
                    F("tranche__spent") + F("amount_spent"),
                    output_field=models.DecimalField(**MONEY_FIELD),
                )
            )
            .annotate(
                over_allocation=models.Case(
                    models.When(spent_if_accepted__gt=F("tranche__amount"), then=Value(True)),
                    default=Value(False),
                    output_field=models.BooleanField(),
                )
            )
            .order_by("submitted_at", "pk")
        )

    def total_spent(self) -> Decimal:
        """The amount spent over the returns of the QuerySet, summed in the database."""
        return self.aggregate(total=_money_sum("amount_spent"))["total"]


class SpendReturn(models.Model):
    """What the office spent of a tranche in one quarter of its financial year."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        VERIFIED = "verified", "Verified"
        RETURNED = "returned", "Sent back"

    tranche = models.ForeignKey(Tranche, on_delete=models.PROTECT, related_name="spend_returns")
    quarter = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)], help_text="Q1 is April to June."
    )
    amount_spent = money_field()
    narrative = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    verified_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    returned_reason = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = SpendReturnQuerySet.as_manager()

    class Meta:
        ordering = ["tranche", "quarter"]
        constraints = [
            _non_negative("amount_spent", "spendreturn"),
            models.UniqueConstraint(
                fields=["tranche", "quarter"], name="spendreturn_one_per_quarter"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="spendreturn_quarter_1_to_4"
            ),
        ]
        indexes = [
            models.Index(
                F("verified_at").desc(),
                condition=Q(status="verified"),
                name="spendreturn_verified_at",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tranche} Q{self.quarter}"


# --------------------------------------------------------------------------- money summaries
#
# The public dashboard's sums read these two narrow tables rather than joining tranches to
# awards, bids, rounds and shares on every request. Both are derived data: every write to
# tranches, awards and shares refreshes them in the same transaction (bids/allocations.py,
# ``refresh_money_summaries``), and ``manage.py rebuild_money_summaries`` rebuilds them whole.
# Publication is never copied in: the queries join the round, so a scheduled publication date
# passing needs no refresh.


class AwardPart(models.Model):
    """One row per force sharing in an award (the lead alone, at 1, without shares): the
    award's whole money and that force's ``fraction`` of it, with the award's round, fund,
    category and the force's region copied in. ``whole`` marks one row per award, the one that
    counts the award once when money is not split by force."""

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="+")
    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("forces.Region", on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey(FundingRound, on_delete=models.CASCADE, related_name="+")
    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        SpendCategory, on_delete=models.CASCADE, null=True, related_name="+"
    )
    fraction = models.DecimalField(max_digits=7, decimal_places=6)
    whole = models.BooleanField()
    allocated = money_field()
    paid = money_field()
    spent = money_field()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["award", "force"], name="awardpart_one_per_force")
        ]
        # Each foreign key has its own index for the filters.
        indexes = [
            # The largest awards first, read from the top of the index.
            models.Index(
                F("allocated").desc(), "award", condition=Q(whole=True), name="awardpart_largest"
            ),
        ]

    def __str__(self) -> str:
        return f"Award {self.award_id}, force {self.force_id}: {self.fraction}"


class AllocationCell(models.Model):
    """Tranche money summed by round, spend category, financial year and sharing force (fund
    and region copied in): ``allocated``, ``paid`` and ``spent`` are the force's parts,
    ``whole_*`` the whole tranches counted once (on the row ``AwardPart.whole`` marks)."""

    round = models.ForeignKey(FundingRound, on_delete=models.CASCADE, related_name="+")
    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        SpendCategory, on_delete=models.CASCADE, null=True, related_name="+"
    )
    financial_year = models.PositiveSmallIntegerField()
    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("forces.Region", on_delete=models.CASCADE, related_name="+")
    # A part of a tranche has up to six decimal places (pence × a share to 0.01 %): kept exact.
    allocated = models.DecimalField(max_digits=20, decimal_places=6)
    paid = models.DecimalField(max_digits=20, decimal_places=6)
    spent = models.DecimalField(max_digits=20, decimal_places=6)
    whole_allocated = money_field()
    whole_paid = money_field()
    whole_spent = money_field()

    class Meta:
        # Each foreign key has its own index for the filters; the year needs one too.
        indexes = [models.Index(fields=["financial_year"], name="allocationcell_year")]

    def __str__(self) -> str:
        return f"Round {self.round_id} {fy_label(self.financial_year)} force {self.force_id}"


# --------------------------------------------------------------------------- events


class AppendOnlyError(ValueError):
    """A bid event was to be changed or deleted: the record of what happened is append-only."""


APPEND_ONLY_MESSAGE = "Bid events are append-only: record a new event instead."


class BidEventQuerySet(models.QuerySet):
    """Bulk changes refused: ``update()``, ``delete()`` and ``bulk_update()`` (which updates)
    would rewrite the record of what happened. On PostgreSQL a trigger refuses them as well."""

    def update(self, **kwargs):
        raise AppendOnlyError(APPEND_ONLY_MESSAGE)

    def delete(self):
        raise AppendOnlyError(APPEND_ONLY_MESSAGE)

    update.alters_data = True
    delete.alters_data = True
    # Like Django's own: ``BidEvent.objects.delete()`` is not a thing; ``.all().delete()`` is.
    delete.queryset_only = True


class BidEvent(models.Model):
    """One thing that happened to a bid: a change of status, a decision, a payment… Append-only."""

    class Action(models.TextChoices):
        CREATED = "created", "Bid started"
        SUBMITTED = "submitted", "Bid submitted"
        WITHDRAWN = "withdrawn", "Bid withdrawn"
        REVIEWERS_ASSIGNED = "reviewers_assigned", "Reviewers assigned"
        CONFLICT_DECLARED = "conflict_declared", "Conflict of interest declared"
        DOCUMENT_UPLOADED = "document_uploaded", "Document added"
        DOCUMENT_DELETED = "document_deleted", "Document removed"
        CLARIFICATION_ASKED = "clarification_asked", "Clarification asked"
        CLARIFICATION_ANSWERED = "clarification_answered", "Clarification answered"
        REVIEW_SUBMITTED = "review_submitted", "Review submitted"
        MODERATED = "moderated", "Scores moderated"
        APPROVED = "approved", "Bid approved"
        REJECTED = "rejected", "Bid rejected"
        RESULTS_PUBLISHED = "results_published", "Results published"
        TRANCHE_RELEASED = "tranche_released", "Tranche released"
        TRANCHE_WITHHELD = "tranche_withheld", "Tranche withheld"
        TRANCHE_CLOSED = "tranche_closed", "Tranche closed"
        PAYMENT_RECORDED = "payment_recorded", "Payment recorded"
        SPEND_RETURN_SUBMITTED = "spend_return_submitted", "Spend return submitted"
        SPEND_RETURN_VERIFIED = "spend_return_verified", "Spend return verified"
        SPEND_RETURN_RETURNED = "spend_return_returned", "Spend return sent back"
        IMPORTED = "imported", "Award imported"

    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=30, choices=Action.choices)
    from_status = models.CharField(max_length=25, choices=Bid.Status.choices, blank=True)
    to_status = models.CharField(max_length=25, choices=Bid.Status.choices, blank=True)
    actor = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    objects = BidEventQuerySet.as_manager()

    class Meta:
        ordering = ["bid", "at", "id"]
        indexes = [models.Index(fields=["bid", "at"], name="bidevent_bid_at")]

    def __str__(self) -> str:
        return f"{self.bid.reference}: {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError(APPEND_ONLY_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(APPEND_ONLY_MESSAGE)


class PanelPackPage(models.Model):
    """A bid's page of the funding panel's pack laid out ahead (``bids.panel_pack``), so that a
    download lays out only what changed.

    ``digest`` is of the HTML it was laid out from: a page is used only while the bid's HTML is
    the same, so a change to anything the page shows lays it out again. One a bid for the panel,
    and one for whoever declared a conflict of interest on it (``withheld``: without its reviews).
    """

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="+")
    withheld = models.BooleanField(default=False)
    digest = models.CharField(max_length=64)
    pdf = models.BinaryField()
    # The name of each font the page embeds, with the digest of its whole file (PdfFontFile).
    fonts = models.JSONField(default=dict)
    laid_out_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bid", "withheld"], name="panelpackpage_bid_withheld")
        ]

    def __str__(self) -> str:
        return f"Panel pack page of bid {self.bid_id}{' (withheld)' if self.withheld else ''}"


class PdfFontFile(models.Model):
    """A whole font file that pages laid out ahead were set in, kept once by its digest, to be
    embedded once in the document they are joined into."""

    digest = models.CharField(max_length=64, primary_key=True)
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"Font file {self.digest[:12]}"

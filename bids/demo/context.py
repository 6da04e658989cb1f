"""What the builder reads and fills: the loaded context, one bid's spec, a batch of rows."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import F, Q, Sum

from bids.demo.accounts import DEMO_ACCOUNTS, POOL_ANALYSTS, POOL_APPROVERS
from bids.demo.base import AS_OF, BATCH_SIZE, UTC, london_time
from bids.demo.collaborations import COLLABORATIONS
from bids.demo.rounds import RoundSpec
from bids.demo.text import Theme
from bids.derived import store_requested_totals
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
    SpendCategory,
    SpendReturn,
    Tranche,
)
from forces.models import Collaboration, CollaborationMembership, Force, OfficeMembership
from fundtracker.money import ZERO


@dataclass
class RoundCtx:
    spec: RoundSpec
    obj: FundingRound
    criteria: list
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    decide_at: datetime.datetime | None

    @property
    def published(self) -> bool:
        return self.spec.published is not None and self.spec.published <= AS_OF


@dataclass
class Context:
    rounds: dict[str, RoundCtx]
    categories: dict[str, SpendCategory]
    forces: list[Force]
    force_weights: list[float]
    by_slug: dict[str, Force]
    by_region: dict[int, list[Force]]
    collaborations: list[tuple[Collaboration, Force, list[Force]]]
    collab_by_slug: dict[str, tuple[Collaboration, Force, list[Force]]]
    office: dict[int, User]
    analysts: list[User]
    approvers: list[User]
    budgets: dict  # (round id, category id, year) -> pence left in a fixed envelope

    @classmethod
    def load(cls, specs: list[RoundSpec], rounds: dict) -> "Context":
        criteria = defaultdict(list)
        for criterion in Criterion.objects.filter(round__in=rounds.values()).order_by(
            "order", "pk"
        ):
            criteria[criterion.round_id].append(criterion)
        ctxs = {}
        for spec in specs:
            obj = rounds[spec.key]
            decide_at = london_time(spec.decision, 14) if spec.published else None
            ctxs[spec.key] = RoundCtx(
                spec,
                obj,
                criteria[obj.pk],
                obj.opens_at.astimezone(UTC),
                obj.closes_at.astimezone(UTC),
                decide_at,
            )
        forces = list(Force.objects.order_by("slug"))
        by_slug = {f.slug: f for f in forces}
        by_region = defaultdict(list)
        for force in forces:
            by_region[force.region_id].append(force)
        memberships = defaultdict(list)
        for m in CollaborationMembership.objects.select_related("force").order_by(
            "collaboration__slug", "role", "force__slug"
        ):
            memberships[m.collaboration_id].append(m)
        collaborations = []
        for collaboration in Collaboration.objects.filter(
            slug__in=[c[0] for c in COLLABORATIONS]
        ).order_by("slug"):
            members = memberships[collaboration.pk]
            lead = next(m.force for m in members if m.role == CollaborationMembership.Role.LEAD)
            partners = [m.force for m in members if m.force != lead]
            collaborations.append((collaboration, lead, partners))
        users = {
            u.username: u
            for u in User.objects.filter(
                Q(username__in=[a.username for a in DEMO_ACCOUNTS])
                | Q(username__in=POOL_ANALYSTS + POOL_APPROVERS)
                | Q(username__endswith="-office")
            )
        }
        by_id = {u.pk: u for u in users.values()}
        office = {}
        for force_id, user_id in (
            OfficeMembership.objects.filter(user__in=by_id)
            .order_by("user__username")
            .values_list("force_id", "user_id")
        ):
            office.setdefault(force_id, by_id[user_id])
        # The demo accounts speak for their forces even if another user shares the office.
        for account in DEMO_ACCOUNTS:
            if account.force:
                office[by_slug[account.force].pk] = users[account.username]
        budgets = {}
        fixed = [(rounds[s.key], y, slug) for s in specs for (y, slug) in s.envelopes]
        if fixed:
            categories = {c.slug: c for c in SpendCategory.objects.all()}
            amounts = {
                (e.round_id, e.category_id, e.financial_year): e.amount
                for e in Envelope.objects.filter(round__in=[r for r, _, _ in fixed])
            }
            used = {
                (row["award__bid__round"], row["award__bid__spend_category"], row["fy"]): row["t"]
                for row in Tranche.objects.filter(award__bid__round__in=[r for r, _, _ in fixed])
                .values("award__bid__round", "award__bid__spend_category", fy=F("financial_year"))
                .annotate(t=Sum("amount"))
            }
            for funding_round, year, slug in fixed:
                key = (funding_round.pk, categories[slug].pk, year)
                if key in amounts:
                    budgets[key] = int((amounts[key] - (used.get(key) or ZERO)) * 100)
        return cls(
            rounds=ctxs,
            categories={c.slug: c for c in SpendCategory.objects.all()},
            forces=forces,
            force_weights=[max(f.population or 0, 400_000) / 1e6 for f in forces],
            by_slug=by_slug,
            by_region=by_region,
            collaborations=collaborations,
            collab_by_slug={c.slug: (c, lead, ps) for c, lead, ps in collaborations},
            office=office,
            analysts=[users[n] for n in ["analyst", "analyst2", *POOL_ANALYSTS]],
            approvers=[users[n] for n in ["approver", *POOL_APPROVERS]],
            budgets=budgets,
        )


@dataclass
class BidSpec:
    round: RoundCtx
    status: str
    withdraw_from: str | None
    lead: Force
    partners: list[Force]
    collaboration: Collaboration | None
    theme: Theme
    title: str
    summary: str
    reference: str
    bid_type: str
    requested: dict  # year -> pounds
    pinned_conflict: bool = False
    real: bool = False


class Batch:
    """Rows of one transaction, inserted parents first so children pick up their keys."""

    def __init__(self) -> None:
        self.bids: list[Bid] = []
        self.partners: list = []
        self.lines: list[FundingLine] = []
        self.clarifications: list[Clarification] = []
        self.reviews: list[Review] = []
        self.scores: list[Score] = []
        self.awards: list[Award] = []
        self.shares: list[AwardShare] = []
        self.tranches: list[Tranche] = []
        self.payments: list[Payment] = []
        self.returns: list[SpendReturn] = []
        self.events: list[BidEvent] = []

    def save(self, *, history: bool = False) -> None:
        order = [
            (Bid, self.bids),
            (Bid.partner_forces.through, self.partners),
            (FundingLine, self.lines),
            (Clarification, self.clarifications),
            (Review, self.reviews),
            (Score, self.scores),
            (Award, self.awards),
            (AwardShare, self.shares),
            (Tranche, self.tranches),
            (Payment, self.payments),
            (SpendReturn, self.returns),
            (BidEvent, self.events),
        ]
        for model, rows in order:
            model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
            if rows and rows[0].pk is None:
                raise RuntimeError(
                    "seed_demo needs a database that returns keys from bulk inserts "
                    "(PostgreSQL, or SQLite 3.35 or newer)."
                )
            if history and hasattr(model, "history"):
                model.history.bulk_history_create(rows, batch_size=BATCH_SIZE)
        # Bulk inserts send no signals: the bids' requested totals are stored here.
        store_requested_totals({line.bid_id for line in self.lines})

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in vars(self).items()}

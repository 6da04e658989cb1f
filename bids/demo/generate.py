"""The bids each unit generates, and the specs for them and for the public record's awards."""

import random

from django.contrib.auth.models import User
from django.db.models import Q

from bids.demo.base import SEED
from bids.demo.builder import Builder
from bids.demo.context import Batch, BidSpec, Context, RoundCtx
from bids.demo.record import REAL_AWARDS, real_reference
from bids.demo.rounds import (
    BASE_ROUNDS,
    CALL_ROUND,
    CLOSED_ROUND,
    OPEN_ROUND,
    SUPPLEMENTARY_COUNT,
)
from bids.demo.text import DELIVERY, THEMES, Theme
from bids.models import Bid

Status = Bid.Status


# The generated part comes in units of ``UNIT_BIDS`` bids, each drawn from its own fixed seed,
# so ``--scale N`` builds units 0 to N-1 and a later run only adds the units that are missing.
UNIT_BIDS = 500

# (round key, final status, how many, the status a withdrawn bid had reached)
LIVE_PLAN = [
    (OPEN_ROUND, Status.DRAFT, 30, None),
    (OPEN_ROUND, Status.SUBMITTED, 15, None),
    (OPEN_ROUND, Status.WITHDRAWN, 3, Status.DRAFT),
    (OPEN_ROUND, Status.WITHDRAWN, 2, Status.SUBMITTED),
    (CLOSED_ROUND, Status.SUBMITTED, 4, None),
    (CALL_ROUND, Status.SUBMITTED, 6, None),
    (CLOSED_ROUND, Status.UNDER_REVIEW, 25, None),
    (CLOSED_ROUND, Status.CLARIFICATION_REQUESTED, 12, None),
    (CLOSED_ROUND, Status.RECOMMENDED, 15, None),
    (CLOSED_ROUND, Status.NOT_RECOMMENDED, 10, None),
    (CLOSED_ROUND, Status.APPROVED, 8, None),
    (CLOSED_ROUND, Status.REJECTED, 6, None),
    (CLOSED_ROUND, Status.WITHDRAWN, 1, Status.SUBMITTED),
    (CLOSED_ROUND, Status.WITHDRAWN, 2, Status.UNDER_REVIEW),
    (CLOSED_ROUND, Status.WITHDRAWN, 1, Status.CLARIFICATION_REQUESTED),
]
# Decided bids (approved, rejected, withdrawn) of unit 0, by round. Later units put the same
# 310 + 38 + 12 into one supplementary round each.
DECIDED_FIRST_UNIT = {
    "pif-2014": (22, 5, 1),
    "pif-2015": (26, 5, 1),
    "ptf-2016": (0, 14, 3),  # the round's 14 awards are the public record's, not generated
    "ptf-2017": (34, 5, 1),
    **{f"ptf-{year}": (29, 1, 1) for year in range(2018, 2024)},
    "ptf-2024": (20, 1, 0),
    "ptf-2025": (20, 1, 0),
    "ptf-2026": (14, 1, 0),
}
DECIDED_PER_UNIT = (310, 38, 12)
assert sum(a + r + w for a, r, w in DECIDED_FIRST_UNIT.values()) == sum(DECIDED_PER_UNIT)
assert sum(n for _, _, n, _ in LIVE_PLAN) + sum(DECIDED_PER_UNIT) == UNIT_BIDS

# Unit 0 pins a few bids to the demo offices so every demo account has work to see.
PINS = {
    (OPEN_ROUND, Status.DRAFT, 0): ("nottinghamshire", "east-midlands-tri-force"),
    (OPEN_ROUND, Status.DRAFT, 1): ("leicestershire", None),
    (OPEN_ROUND, Status.SUBMITTED, 0): ("nottinghamshire", None),
    (CLOSED_ROUND, Status.UNDER_REVIEW, 0): ("nottinghamshire", "east-midlands-tri-force"),
    (CLOSED_ROUND, Status.CLARIFICATION_REQUESTED, 0): ("nottinghamshire", None),
    (CLOSED_ROUND, Status.RECOMMENDED, 0): ("nottinghamshire", "east-midlands-tri-force"),
    ("ptf-2025", Status.APPROVED, 0): ("nottinghamshire", "east-midlands-tri-force"),
    ("ptf-2024", Status.APPROVED, 0): ("leicestershire", None),
}
# The first under-review bid of unit 0 waits for a new reviewer: analyst2 declared a conflict.
CONFLICT_PIN = (CLOSED_ROUND, Status.UNDER_REVIEW, 0)


def unit_marker(unit: int) -> str:
    """The reference of a unit's first bid; each unit is written in one transaction."""
    spec = next(s for s in BASE_ROUNDS if s.key == OPEN_ROUND)
    return f"{spec.fund}-{spec.first_year}-{1000 * (unit + 1) + 1:04d}"


def generated_bids():
    """Bids of the generated part: references numbered 1001 and up (the record's are 0001–0999)."""
    return Bid.objects.exclude(reference__regex=r"-0[0-9]{3}$")


class UnitGenerator:
    """Plans one unit's bids from its own seed and hands each to the ``Builder``."""

    def __init__(self, ctx: Context, unit: int) -> None:
        self.ctx = ctx
        self.unit = unit
        self.rng = random.Random(f"{SEED}-unit-{unit}")
        self.batch = Batch()
        self.builder = Builder(ctx, self.rng, self.batch)
        self.numbers: dict[str, int] = {}

    def reference(self, r: RoundCtx) -> str:
        prefix = f"{r.spec.fund}-{r.spec.first_year}-"
        self.numbers[prefix] = self.numbers.get(prefix, 0) + 1
        return f"{prefix}{1000 * (self.unit + 1) + self.numbers[prefix]:04d}"

    def plan(self) -> list[tuple[str, str, str | None, int]]:
        rows = [
            (key, status, source, index)
            for key, status, n, source in LIVE_PLAN
            for index in range(n)
        ]
        if self.unit == 0:
            decided = DECIDED_FIRST_UNIT
        else:
            decided = {f"supplementary-{(self.unit - 1) % SUPPLEMENTARY_COUNT}": DECIDED_PER_UNIT}
        for key, (approved, rejected, withdrawn) in decided.items():
            rows += [(key, Status.APPROVED, None, i) for i in range(approved)]
            rows += [(key, Status.REJECTED, None, i) for i in range(rejected)]
            rows += [
                (key, Status.WITHDRAWN, self.rng.choice([Status.SUBMITTED, Status.UNDER_REVIEW]), i)
                for i in range(withdrawn)
            ]
        return rows

    def run(self) -> Batch:
        for key, status, source, index in self.plan():
            pin = PINS.get((key, status, index)) if self.unit == 0 else None
            conflict = self.unit == 0 and (key, status, index) == CONFLICT_PIN
            self.builder.build(self.spec(self.ctx.rounds[key], status, source, pin, conflict))
        return self.batch

    def spec(self, r, status, source, pin, conflict) -> BidSpec:
        rng, ctx = self.rng, self.ctx
        collaboration, partners = None, []
        roll = rng.random()
        if pin:
            lead = ctx.by_slug[pin[0]]
            if pin[1]:
                collaboration, _, partners = ctx.collab_by_slug[pin[1]]
        elif roll < 0.18:
            collaboration, lead, members = rng.choice(ctx.collaborations)
            partners = (
                members if rng.random() < 0.6 else rng.sample(members, max(1, len(members) - 1))
            )
        else:
            lead = rng.choices(ctx.forces, ctx.force_weights)[0]
            if roll < 0.33:
                near = [f for f in ctx.by_region[lead.region_id] if f != lead] or [
                    f for f in ctx.forces if f != lead
                ]
                partners = rng.sample(near, min(len(near), rng.randint(1, 3)))
        theme = rng.choice(THEMES)
        bid_type = (
            Bid.BidType.PROOF_OF_CONCEPT if rng.random() < 0.3 else Bid.BidType.IMPLEMENTATION_READY
        )
        if collaboration:
            title = f"{theme.title} ({collaboration.name})"
        elif partners:
            plural = "s" if len(partners) > 1 else ""
            title = f"{theme.title} with {len(partners)} partner force{plural}"
        elif bid_type == Bid.BidType.PROOF_OF_CONCEPT:
            title = f"{theme.title}: proof of concept"
        else:
            title = rng.choice([theme.title, f"{theme.title}, phase 2", theme.title])
        who = lead.short_name
        if partners:
            names = [f.short_name for f in partners]
            who += " with " + (
                ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
            )
        summary = f"{who} will {theme.does}, so that {theme.outcome}. {rng.choice(DELIVERY)}"
        base = (
            rng.lognormvariate(13.0, 0.75)
            * r.spec.size
            * (0.5 if bid_type == Bid.BidType.PROOF_OF_CONCEPT else 1)
        )
        base = min(max(base, 40_000), 8_000_000)
        profile = [1.0, rng.uniform(0.6, 1.1), rng.uniform(0.3, 0.8)]
        requested = {
            year: max(int(base * profile[i]) // 1000 * 1000, 10_000)
            for i, year in enumerate(r.spec.years)
        }
        return BidSpec(
            round=r,
            status=status,
            withdraw_from=source,
            lead=lead,
            partners=partners,
            collaboration=collaboration,
            theme=theme,
            title=title,
            summary=summary,
            reference=self.reference(r),
            bid_type=bid_type,
            requested=requested,
            pinned_conflict=conflict,
        )


def build_real_awards(ctx: Context, existing: set[str]) -> Batch:
    batch = Batch()
    r = ctx.rounds["ptf-2016"]
    themes = {t.category: t for t in THEMES}
    for real in REAL_AWARDS:
        reference = real_reference(real)
        if reference in existing:
            continue
        rng = random.Random(f"{SEED}-{reference}")
        collaboration = ctx.collab_by_slug[real.collaboration][0] if real.collaboration else None
        theme = themes[real.category]
        theme = Theme(theme.category, real.title, theme.does, theme.outcome, real.problem)
        spec = BidSpec(
            round=r,
            status=Status.APPROVED,
            withdraw_from=None,
            lead=ctx.by_slug[real.lead],
            partners=[ctx.by_slug[p] for p in real.partners],
            collaboration=collaboration,
            theme=theme,
            title=real.title,
            summary=real.summary,
            reference=reference,
            bid_type=real.bid_type,
            requested=dict(real.tranches),
            real=True,
        )
        Builder(ctx, rng, batch).build(spec)
    # History rows dated when each record came into being, by whom, as the services would.
    users = {
        u.pk: u for u in User.objects.filter(Q(groups__isnull=False) | Q(office__isnull=False))
    }
    for bid in batch.bids:
        bid._history_date, bid._history_user = bid.created_at, users[bid.created_by_id]
    for award in batch.awards:
        award._history_date, award._history_user = award.decided_at, users[award.decided_by_id]
        for tranche in [t for t in batch.tranches if t.award is award]:
            tranche._history_date, tranche._history_user = award._history_date, award._history_user
    for line in batch.lines:
        line._history_date, line._history_user = line.bid.created_at, users[line.bid.created_by_id]
    for payment in batch.payments:
        payment._history_date = payment.recorded_at
        payment._history_user = users[payment.recorded_by_id]
    for spend in batch.returns:
        spend._history_date = spend.submitted_at
        spend._history_user = users[spend.submitted_by_id]
    return batch

"""Funds, criteria, the rounds from 2014 to the open one, and the rounds' envelopes."""

import datetime
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.text import slugify

from bids.demo.base import BATCH_SIZE, D, london_time
from bids.models import (
    Criterion,
    Envelope,
    Fund,
    FundingRound,
    SpendCategory,
    Tranche,
)
from fundtracker.years import fy_label

FUNDS = [
    (
        "PTF",
        "Police Transformation Fund",
        "police-transformation-fund",
        "Home Office fund for transforming policing: £76.4m in 2016/17 and £175m a year from "
        "2017/18.",
    ),
    (
        "PIF",
        "Police Innovation Fund",
        "police-innovation-fund",
        "The Police Transformation Fund's predecessor, for 2014/15 and 2015/16.",
    ),
]

# (name, weight, max score, guidance)
CRITERIA = [
    (
        "Strategic fit",
        Decimal(20),
        5,
        "Fit with the Policing Vision 2025, the fund's priorities and the police and crime plan.",
    ),
    (
        "Public outcomes through innovation",
        Decimal(25),
        10,
        "What the public will notice: safer places, victims better served, crime prevented — "
        "and how new the approach is.",
    ),
    (
        "Collaboration and scale",
        Decimal(20),
        5,
        "Work with other forces and public services, and how far the benefits could spread.",
    ),
    (
        "Deliverability",
        Decimal(20),
        5,
        "Plan, governance, milestones, risks and the capacity to deliver them.",
    ),
    (
        "Value for money",
        Decimal(15),
        5,
        "Costs, cashable and non-cashable benefits, local match funding and sustainability.",
    ),
]

CATEGORY_SLUGS = [
    "armed-policing",
    "digital",
    "specialist-capabilities",
    "child-sexual-abuse-and-exploitation",
    "forensics",
    "collaboration-and-shared-services",
    "workforce",
    "other-transformation",
]

# What the 2016/17 round set aside for 2016/17 (design §1: £76.4m, of which £34m armed policing,
# £4.6m digital and £3m specialist capabilities; the split of the rest is ours).
ENVELOPES_2016 = {
    "armed-policing": 34_000_000,
    "digital": 4_600_000,
    "specialist-capabilities": 3_000_000,
    "child-sexual-abuse-and-exploitation": 6_500_000,
    "forensics": 5_200_000,
    "collaboration-and-shared-services": 14_600_000,
    "workforce": 4_500_000,
    "other-transformation": 4_000_000,
}
# £175m a year from 2017/18 (design §1), split by us.
ENVELOPES_175M = {
    "armed-policing": 30_000_000,
    "digital": 60_000_000,
    "specialist-capabilities": 35_000_000,
    "child-sexual-abuse-and-exploitation": 12_000_000,
    "forensics": 15_000_000,
    "collaboration-and-shared-services": 10_000_000,
    "workforce": 8_000_000,
    "other-transformation": 5_000_000,
}


@dataclass(frozen=True)
class RoundSpec:
    key: str
    fund: str
    name: str
    first_year: int
    last_year: int
    opens: datetime.date
    closes: datetime.date
    decision: datetime.date | None
    published: datetime.datetime | None
    status: str
    # {(financial year, category slug): pounds}; every other year and category of the round
    # gets an envelope sized from the awards made (``refresh_derived_envelopes``).
    envelopes: dict = field(default_factory=dict)
    size: float = 1.0  # scales the amounts generated bids ask for

    @property
    def slug(self) -> str:
        return slugify(f"{self.fund} {self.name.replace('/', '-')}")

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)


OPEN_ROUND, CLOSED_ROUND = "ptf-2027", "ptf-2026-2"
# A small closed round whose bids are submitted and not yet assigned: the demo analyst, second
# analyst and approver can take it from assignment to published results on their own.
CALL_ROUND = "ptf-2026-call"


def _yearly_round(year: int) -> RoundSpec:
    """A made-up annual PTF round after 2017/18: bids in the winter, awards before April."""
    return RoundSpec(
        f"ptf-{year}",
        "PTF",
        f"{fy_label(year)} round 1",
        year,
        year + 2,
        D(year - 1, 10, 2),
        D(year, 1, 31),
        D(year, 3, 16),
        london_time(D(year, 3, 30), 9, 30),
        FundingRound.Status.DECIDED,
    )


BASE_ROUNDS = [
    RoundSpec(
        "pif-2014",
        "PIF",
        "2014/15 round 1",
        2014,
        2014,
        D(2013, 10, 1),
        D(2014, 1, 17),
        D(2014, 3, 14),
        london_time(D(2014, 3, 28), 9, 30),
        FundingRound.Status.DECIDED,
    ),
    RoundSpec(
        "pif-2015",
        "PIF",
        "2015/16 round 1",
        2015,
        2015,
        D(2014, 10, 1),
        D(2015, 1, 16),
        D(2015, 3, 13),
        london_time(D(2015, 3, 27), 9, 30),
        FundingRound.Status.DECIDED,
    ),
    RoundSpec(
        "ptf-2016",
        "PTF",
        "2016/17 round 1",
        2016,
        2017,
        D(2016, 2, 1),
        D(2016, 4, 29),
        D(2016, 7, 28),
        london_time(D(2016, 8, 5), 9, 30),
        FundingRound.Status.DECIDED,
        envelopes={
            **{(2016, slug): amount for slug, amount in ENVELOPES_2016.items()},
            (2017, "digital"): 4_000_000,
            (2017, "forensics"): 500_000,
            (2017, "other-transformation"): 1_200_000,
        },
    ),
    RoundSpec(
        "ptf-2017",
        "PTF",
        "2017/18 round 1",
        2017,
        2019,
        D(2016, 11, 1),
        D(2017, 2, 10),
        D(2017, 8, 10),
        london_time(D(2017, 8, 23), 9, 30),
        FundingRound.Status.DECIDED,
        envelopes={(2017, slug): amount for slug, amount in ENVELOPES_175M.items()},
        size=2.5,
    ),
    *(_yearly_round(year) for year in range(2018, 2027)),
    RoundSpec(
        CLOSED_ROUND,
        "PTF",
        "2026/27 round 2",
        2026,
        2027,
        D(2026, 6, 1),
        D(2026, 9, 30),
        D(2026, 12, 11),
        None,
        FundingRound.Status.CLOSED,
    ),
    RoundSpec(
        CALL_ROUND,
        "PTF",
        "2026/27 rapid delivery call",
        2026,
        2027,
        D(2026, 7, 1),
        D(2026, 10, 30),
        D(2026, 12, 18),
        None,
        FundingRound.Status.CLOSED,
        size=0.4,
    ),
    RoundSpec(
        OPEN_ROUND,
        "PTF",
        "2027/28 round 1",
        2027,
        2028,
        D(2026, 10, 1),
        D(2027, 1, 31),
        D(2027, 3, 19),
        None,
        FundingRound.Status.OPEN,
        envelopes={
            **{(2027, slug): amount for slug, amount in ENVELOPES_175M.items()},
            **{(2028, slug): amount // 2 for slug, amount in ENVELOPES_175M.items()},
        },
    ),
]

SUPPLEMENTARY_CALLS = ["national capabilities call", "force transformation call"]
SUPPLEMENTARY_YEARS = range(2018, 2024)


def supplementary_round(index: int) -> RoundSpec:
    """Extra rounds that hold the decided bids of units 1 and up (only ``--scale`` > 1).

    Their years are all past, so every tranche has its payments and four spend returns.
    """
    year = SUPPLEMENTARY_YEARS[index // len(SUPPLEMENTARY_CALLS)]
    call = index % len(SUPPLEMENTARY_CALLS)
    opens, closes, decision, published = [
        (D(year - 1, 4, 3), D(year - 1, 6, 30), D(year - 1, 10, 13), D(year - 1, 10, 27)),
        (D(year - 1, 6, 1), D(year - 1, 8, 31), D(year - 1, 12, 1), D(year - 1, 12, 15)),
    ][call]
    return RoundSpec(
        f"supplementary-{index}",
        "PTF",
        f"{fy_label(year)} {SUPPLEMENTARY_CALLS[call]}",
        year,
        year + 2,
        opens,
        closes,
        decision,
        london_time(published, 9, 30),
        FundingRound.Status.DECIDED,
    )


SUPPLEMENTARY_COUNT = len(SUPPLEMENTARY_YEARS) * len(SUPPLEMENTARY_CALLS)


def round_specs(scale: int) -> list[RoundSpec]:
    extra = min(max(scale - 1, 0), SUPPLEMENTARY_COUNT)
    return [*BASE_ROUNDS, *(supplementary_round(i) for i in range(extra))]


def ensure_rounds(specs: list[RoundSpec], funds: dict[str, Fund], categories) -> dict:
    """Create missing rounds, criteria and fixed envelopes; existing ones are left alone."""
    existing = {r.slug: r for r in FundingRound.objects.filter(slug__in=[s.slug for s in specs])}
    rounds = {}
    for spec in specs:
        funding_round = existing.get(spec.slug)
        if funding_round is None:
            funding_round = FundingRound.objects.create(
                fund=funds[spec.fund],
                name=spec.name,
                slug=spec.slug,
                first_financial_year=spec.first_year,
                last_financial_year=spec.last_year,
                opens_at=london_time(spec.opens, 9),
                closes_at=london_time(spec.closes, 17),
                decision_date=spec.decision,
                results_published_at=spec.published,
                status=spec.status,
            )
        rounds[spec.key] = funding_round
    have = set(Criterion.objects.filter(round__in=rounds.values()).values_list("round_id", "name"))
    Criterion.objects.bulk_create(
        [
            Criterion(
                round=r, name=name, weight=weight, max_score=top, guidance=guidance, order=order
            )
            for r in rounds.values()
            for order, (name, weight, top, guidance) in enumerate(CRITERIA, start=1)
            if (r.pk, name) not in have
        ]
    )
    have = set(
        Envelope.objects.filter(round__in=rounds.values()).values_list(
            "round_id", "category_id", "financial_year"
        )
    )
    Envelope.objects.bulk_create(
        [
            Envelope(
                round=rounds[spec.key],
                category=categories[slug],
                financial_year=year,
                amount=Decimal(amount),
            )
            for spec in specs
            for (year, slug), amount in spec.envelopes.items()
            if (rounds[spec.key].pk, categories[slug].pk, year) not in have
        ]
    )
    return rounds


def refresh_derived_envelopes(specs: list[RoundSpec], rounds: dict) -> None:
    """Size every envelope not fixed by the public record from what the round awarded.

    The envelope is the allocation plus 10–34 % headroom (a fixed share per envelope), rounded
    up to £100,000, and at least £500,000, so awards always fit inside their envelopes.
    """
    categories = list(SpendCategory.objects.filter(slug__in=CATEGORY_SLUGS))
    round_ids = [rounds[s.key].pk for s in specs]
    allocated = {
        (row["award__bid__round"], row["award__bid__spend_category"], row["financial_year"]): row[
            "total"
        ]
        for row in Tranche.objects.filter(award__bid__round__in=round_ids)
        .values("award__bid__round", "award__bid__spend_category", "financial_year")
        .annotate(total=Sum("amount"))
    }
    existing = {
        (e.round_id, e.category_id, e.financial_year): e
        for e in Envelope.objects.filter(round__in=round_ids)
    }
    new, changed = [], []
    for spec in specs:
        funding_round = rounds[spec.key]
        for year in spec.years:
            for category in categories:
                if (year, category.slug) in spec.envelopes:
                    continue
                key = (funding_round.pk, category.pk, year)
                spent = int(allocated.get(key) or 0)
                headroom = 110 + zlib.crc32(f"{spec.slug}/{category.slug}/{year}".encode()) % 25
                amount = Decimal(max(-(-spent * headroom // 100 // 100_000) * 100_000, 500_000))
                envelope = existing.get(key)
                if envelope is None:
                    new.append(
                        Envelope(
                            round=funding_round,
                            category=category,
                            financial_year=year,
                            amount=amount,
                        )
                    )
                elif envelope.amount != amount:
                    envelope.amount = amount
                    changed.append(envelope)
    Envelope.objects.bulk_create(new, batch_size=BATCH_SIZE)
    Envelope.objects.bulk_update(changed, ["amount"], batch_size=BATCH_SIZE)

"""``seed``: build whatever part of the demo data set is missing."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import reset_queries, transaction

from bids.demo.accounts import AccountResult, ensure_accounts, ensure_pool_users
from bids.demo.collaborations import ensure_collaborations
from bids.demo.context import Context
from bids.demo.generate import UnitGenerator, build_real_awards, unit_marker
from bids.demo.record import REAL_AWARDS, real_reference
from bids.demo.rounds import FUNDS, ensure_rounds, refresh_derived_envelopes, round_specs
from bids.models import Bid, Fund, SpendCategory
from forces.models import Force


@dataclass
class SeedResult:
    accounts: list[AccountResult]
    units_created: list[int]
    real_created: int
    rows: dict[str, int] = field(default_factory=dict)


def seed(*, scale: int = 1, progress: Callable[[str], None] = lambda message: None) -> SeedResult:
    """Build the demo data set: accounts, funds, rounds, the public record and ``scale`` units
    of generated bids. Idempotent: what exists is kept, and only missing parts are added."""
    if scale < 1:
        raise ValueError("The scale is a whole number from 1.")
    accounts = ensure_accounts()
    specs = round_specs(scale)
    with transaction.atomic():
        forces = list(Force.objects.order_by("slug"))
        ensure_pool_users(forces)
        ensure_collaborations({f.slug: f for f in forces})
        funds = {}
        for code, name, slug, description in FUNDS:
            funds[code], _ = Fund.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "slug": slug,
                    "sponsor": "Home Office",
                    "description": description,
                },
            )
        categories = {c.slug: c for c in SpendCategory.objects.all()}
        rounds = ensure_rounds(specs, funds, categories)
    ctx = Context.load(specs, rounds)
    existing_real = set(
        Bid.objects.filter(reference__in=[real_reference(a) for a in REAL_AWARDS]).values_list(
            "reference", flat=True
        )
    )
    result = SeedResult(accounts=accounts, units_created=[], real_created=0)
    totals: dict[str, int] = defaultdict(int)
    if len(existing_real) < len(REAL_AWARDS):
        with transaction.atomic():
            batch = build_real_awards(ctx, existing_real)
            batch.save(history=True)
        result.real_created = len(batch.bids)
        for name, n in batch.counts().items():
            totals[name] += n
    done = set(
        Bid.objects.filter(reference__in=[unit_marker(u) for u in range(scale)]).values_list(
            "reference", flat=True
        )
    )
    for unit in range(scale):
        if unit_marker(unit) in done:
            continue
        with transaction.atomic():
            batch = UnitGenerator(ctx, unit).run()
            batch.save()
        # With DEBUG on, Django keeps the last 9,000 queries, and bulk inserts are long.
        reset_queries()
        result.units_created.append(unit)
        for name, n in batch.counts().items():
            totals[name] += n
        progress(f"unit {unit + 1} of {scale}: {len(batch.bids)} bids")
    if result.real_created or result.units_created:
        with transaction.atomic():
            refresh_derived_envelopes(specs, rounds)
    result.rows = dict(totals)
    return result

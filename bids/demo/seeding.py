"""``seed``: build whatever part of the demo data set is missing."""

import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection, connections, reset_queries, transaction

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
    missing = [unit for unit in range(scale) if unit_marker(unit) not in done]
    for unit, counts in _build_units(ctx, missing):
        result.units_created.append(unit)
        for name, n in counts.items():
            totals[name] += n
        progress(f"unit {unit + 1} of {scale}: {counts['bids']} bids")
    result.units_created.sort()
    if result.real_created or result.units_created:
        with transaction.atomic():
            refresh_derived_envelopes(specs, rounds)
    result.rows = dict(totals)
    return result


def _build_units(ctx: Context, units: list[int]) -> Iterator[tuple[int, dict[str, int]]]:
    """Build and save each of ``units``, each in its own transaction, yielding its row counts.

    Units are independent of each other (each has its own seed, references and rounds; only
    unit 0 draws on the fixed envelopes' budgets), so on PostgreSQL, outside a transaction, they
    are built in a worker process a CPU, forked so that they share the loaded context: the data
    is the same as when they are built one after the other. SQLite takes one writer at a time,
    and a transaction's rows (a test's) would be invisible to the workers' connections.
    """
    workers = min(os.cpu_count() or 1, len(units))
    if (
        workers < 2
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        for unit in units:
            yield unit, _build_unit(ctx, unit)
        return
    global _context
    _context = ctx
    # Each worker opens its own connections: a forked socket shared by two processes would mix
    # their conversations.
    connections.close_all()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap_unordered(_build_unit_in_worker, units)
    finally:
        _context = None


# The context the workers of ``_build_units`` were forked with.
_context: Context | None = None


def _build_unit_in_worker(unit: int) -> tuple[int, dict[str, int]]:
    return unit, _build_unit(_context, unit)


def _build_unit(ctx: Context, unit: int) -> dict[str, int]:
    with transaction.atomic():
        batch = UnitGenerator(ctx, unit).run()
        batch.save()
    # With DEBUG on, Django keeps the last 9,000 queries, and bulk inserts are long.
    reset_queries()
    return batch.counts()

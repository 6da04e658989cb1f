"""Demo data for ``manage.py seed_demo``: the fund's public record and bids in every state."""

from bids.demo.accounts import DEMO_ACCOUNTS, AccountResult
from bids.demo.base import AS_OF
from bids.demo.checks import tranche_mismatches
from bids.demo.generate import UNIT_BIDS, generated_bids
from bids.demo.seeding import seed

__all__ = [
    "AS_OF",
    "DEMO_ACCOUNTS",
    "UNIT_BIDS",
    "AccountResult",
    "generated_bids",
    "seed",
    "tranche_mismatches",
]

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bids import demo, panel_pack
from bids.allocations import rebuild_money_summaries
from bids.derived import review_figures_changed
from bids.models import Award, Bid, FundingRound, Payment, Review, SpendReturn, Tranche
from fundtracker.cache import public_data_changed


class Command(BaseCommand):
    help = (
        "Build the demo data set: demo accounts, the Police Transformation Fund's public record "
        "and generated bids in every state. Safe to run again: it only adds what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help=f"Units of generated data, about {demo.UNIT_BIDS} bids each (default 1). "
            "A larger scale adds units to an earlier run; it never removes any.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo accounts have published passwords.",
        )

    def handle(self, *args, scale: int, force: bool, **options):
        if scale < 1:
            raise CommandError("--scale must be 1 or more.")
        # Accounts with passwords printed in the README must not reach a real deployment.
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this looks like a real deployment: seed_demo creates accounts "
                "with published passwords. Use --force if this really is a demo."
            )
        started = time.monotonic()
        verbose = options["verbosity"] >= 2
        result = demo.seed(
            scale=scale, progress=self.stdout.write if verbose else lambda message: None
        )
        if result.real_created or result.units_created:
            # The demo writes in bulk, which sends no signals: the summaries are rebuilt whole.
            with transaction.atomic():
                rebuild_money_summaries()
            # Moderated in bulk as well: the panel pack's pages a moderation lays out ahead.
            recommended = Bid.objects.filter(status=Bid.Status.RECOMMENDED)
            pages = panel_pack.lay_out_ahead(recommended.values_list("pk", flat=True))
            if verbose:
                self.stdout.write(f"Laid out {pages:,} pages of the panel packs ahead.")
        seconds = time.monotonic() - started
        public_data_changed()
        review_figures_changed()
        self._accounts(result.accounts)
        if result.real_created or result.units_created:
            rows = ", ".join(f"{n:,} {name}" for name, n in result.rows.items() if n)
            self.stdout.write(f"Added: {rows}.")
        else:
            self.stdout.write(f"Nothing to add: the data for --scale {scale} is already there.")
        totals = [
            ("rounds", FundingRound.objects.count()),
            ("bids", Bid.objects.count()),
            ("reviews", Review.objects.count()),
            ("awards", Award.objects.count()),
            ("tranches", Tranche.objects.count()),
            ("payments", Payment.objects.count()),
            ("spend returns", SpendReturn.objects.count()),
        ]
        self.stdout.write("In the database: " + ", ".join(f"{n:,} {name}" for name, n in totals))
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {seconds:.1f} s."))

    def _accounts(self, accounts: list[demo.AccountResult]) -> None:
        rows = [("Role", "Username", "Password")]
        for result in accounts:
            password = result.account.password
            if result.state == "changed":
                password = "(changed since it was seeded; not reset)"
            rows.append((result.account.role, result.account.username, password))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        rule = "  ".join("-" * w for w in widths)
        self.stdout.write("")
        self.stdout.write("Demo accounts (for a local demo only; sign in at /accounts/login/):")
        for index, row in enumerate(rows):
            cells = (cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())
            if index == 0:
                self.stdout.write(rule)
        self.stdout.write("")

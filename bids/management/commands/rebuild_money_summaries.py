import time

from django.core.management.base import BaseCommand
from django.db import transaction

from bids.allocations import rebuild_money_summaries
from bids.models import AllocationCell, AwardPart
from fundtracker.cache import public_data_changed


class Command(BaseCommand):
    help = (
        "Rebuild the public dashboard's summary tables (award parts and allocation cells) from "
        "the tranches, awards, bids and shares. The services keep them current; this repairs "
        "them after data was changed outside the services, such as by hand in SQL."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        with transaction.atomic():
            rebuild_money_summaries()
            public_data_changed()
        self.stdout.write(
            f"Rebuilt {AwardPart.objects.count():,} award parts and "
            f"{AllocationCell.objects.count():,} allocation cells in "
            f"{time.monotonic() - started:.1f} s."
        )

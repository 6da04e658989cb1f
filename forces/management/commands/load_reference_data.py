from django.core.management.base import BaseCommand
from django.db import transaction

from bids.reference import load_spend_categories, sync_groups
from forces.models import Force, Region
from forces.reference import load_reference_data


class Command(BaseCommand):
    help = "Load or refresh the regions, the 46 forces, spend categories and role groups."

    @transaction.atomic
    def handle(self, *args, **options):
        regions, forces = load_reference_data(Region, Force)
        from bids.models import SpendCategory

        categories = load_spend_categories(SpendCategory)
        sync_groups()
        self.stdout.write(
            f"Reference data up to date: {Region.objects.count()} regions ({regions} new), "
            f"{Force.objects.count()} forces ({forces} new), "
            f"{SpendCategory.objects.count()} spend categories ({categories} new), "
            "groups Analysts and Approvers."
        )

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_groups(sender, **kwargs):
    from bids.reference import sync_groups

    sync_groups()


class BidsConfig(AppConfig):
    name = "bids"
    verbose_name = "Bids and awards"

    def ready(self):
        # Groups need the permissions Django creates after migrating, so they follow migrate.
        post_migrate.connect(_sync_groups, sender=self, dispatch_uid="bids_sync_groups")

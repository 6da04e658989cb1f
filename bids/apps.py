from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


def _sync_groups(sender, **kwargs):
    from bids.reference import sync_groups

    sync_groups()


def _admin_changed(sender, **kwargs):
    # Administrators correct reference data, rounds, envelopes and money in the admin; each
    # change there is logged, so the log entry is the one place to refresh the public pages.
    from fundtracker.cache import public_data_changed

    public_data_changed()


class BidsConfig(AppConfig):
    name = "bids"
    verbose_name = "Bids and awards"

    def ready(self):
        # Groups need the permissions Django creates after migrating, so they follow migrate.
        post_migrate.connect(_sync_groups, sender=self, dispatch_uid="bids_sync_groups")
        post_save.connect(
            _admin_changed, sender="admin.LogEntry", dispatch_uid="bids_admin_changed"
        )
        # The dashboard's summary tables follow every write to the money they sum.
        from bids.allocations import connect_money_summaries

        connect_money_summaries()
        # Stored requested totals and the review pages' cached figures follow their sources.
        from bids.derived import connect_derived

        connect_derived()

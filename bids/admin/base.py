"""Pieces the bids admin pages share."""

from django.contrib import admin

from bids.models import (
    FundingRound,
)
from fundtracker.admin import (
    ViewOnlyDisplayMixin,
    related_filter,
)


def round_filter(path: str = "round"):
    return related_filter(path, FundingRound.objects.select_related("fund"), "round")


def active_forms(formset):
    return [
        form
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
    ]


class ReadOnlyModelAdmin(ViewOnlyDisplayMixin, admin.ModelAdmin):
    """Shown to administrators and analysts, changed only by the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --------------------------------------------------------------------------- reference data

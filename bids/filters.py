"""Filters of the lists and dashboards (django-filter): each filter is a query parameter, so
every filtered view is a shareable URL."""

import django_filters
from django.db.models import Q

from bids.models import Envelope, Fund, FundingRound, SpendCategory, Tranche
from forces.models import Force, Region
from fundtracker.years import fy_label


def _published_years() -> list[tuple[int, str]]:
    years = (
        Tranche.objects.published()
        .order_by("financial_year")
        .values_list("financial_year", flat=True)
        .distinct()
    )
    return [(year, fy_label(year)) for year in years]


class AllocationFilter(django_filters.FilterSet):
    """The public filters of design §6 over published tranches: ``fund``, ``round``,
    ``financial_year`` (start year), ``region``, ``force`` and ``category``.

    Slugs in the URL, never ids. ``force`` and ``region`` narrow the money to that force's or
    region's part of each award (``Tranche.objects.split_by_share()``), so a collaboration's
    award counts for each partner only by its share. Used by the dashboard, its CSV and PDF, and
    the API; ``errors`` name the parameter that is wrong.
    """

    fund = django_filters.ModelChoiceFilter(
        field_name="award__bid__round__fund",
        to_field_name="slug",
        queryset=Fund.objects.order_by("name"),
        empty_label="All funds",
    )
    round = django_filters.ModelChoiceFilter(
        field_name="award__bid__round",
        to_field_name="slug",
        queryset=FundingRound.objects.published()
        .select_related("fund")
        .order_by("-first_financial_year", "name"),
        empty_label="All rounds",
    )
    financial_year = django_filters.ChoiceFilter(
        choices=_published_years,
        empty_label="All years",
        label="Financial year",
    )
    region = django_filters.ModelChoiceFilter(
        to_field_name="slug",
        queryset=Region.objects.order_by("name"),
        method="filter_region",
        empty_label="All regions",
    )
    force = django_filters.ModelChoiceFilter(
        to_field_name="slug",
        queryset=Force.objects.select_related("region").order_by("name"),
        method="filter_force",
        empty_label="All forces",
    )
    category = django_filters.ModelChoiceFilter(
        field_name="award__bid__spend_category",
        to_field_name="slug",
        queryset=SpendCategory.objects.order_by("name"),
        empty_label="All categories",
        label="Spend category",
    )

    class Meta:
        model = Tranche
        fields = ["fund", "round", "financial_year", "region", "force", "category"]

    def __init__(self, data=None, queryset=None, **kwargs):
        if queryset is None:
            queryset = Tranche.objects.published()
        super().__init__(data, queryset=queryset, **kwargs)

    def filter_region(self, queryset, name, value):
        return queryset.split_by_share().filter(share_region=value.pk)

    def filter_force(self, queryset, name, value):
        return queryset.split_by_share().filter(share_force=value.pk)

    @property
    def chosen(self) -> dict:
        """The filters in force, by name (empty until ``is_valid()`` has run)."""
        data = getattr(self.form, "cleaned_data", {}) or {}
        chosen = {name: value for name, value in data.items() if value not in (None, "")}
        if "financial_year" in chosen:
            chosen["financial_year"] = int(chosen["financial_year"])
        return chosen

    def envelopes(self):
        """Published envelopes for the same fund, round, year and category.

        Money is set aside by category, never by force or region, so those two filters leave
        the envelopes whole.
        """
        chosen = self.chosen
        lookups = {
            "fund": "round__fund",
            "round": "round",
            "financial_year": "financial_year",
            "category": "category",
        }
        return Envelope.objects.published().filter(
            Q(**{lookups[name]: value for name, value in chosen.items() if name in lookups})
        )

    def error_messages(self) -> dict[str, str]:
        """One plain message per bad parameter."""
        return {name: " ".join(messages) for name, messages in self.form.errors.items()}

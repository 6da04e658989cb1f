"""Funds, spend categories, rounds with their envelopes and criteria."""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count

from bids.admin.base import round_filter
from bids.models import (
    Criterion,
    Envelope,
    Fund,
    FundingRound,
    SpendCategory,
)
from fundtracker.admin import (
    FinancialYearFormMixin,
    financial_year_column,
    financial_year_filter,
    money_column,
    money_subquery,
    money_sum,
)


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sponsor", "round_count"]
    search_fields = ["name", "code", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(round_count=Count("rounds"))

    @admin.display(description="Rounds", ordering="round_count")
    def round_count(self, fund):
        return fund.round_count


@admin.register(SpendCategory)
class SpendCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order", "bid_count"]
    list_editable = ["order"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["order", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(bid_count=Count("bids"))

    @admin.display(description="Bids", ordering="bid_count")
    def bid_count(self, category):
        return category.bid_count


class EnvelopeInline(FinancialYearFormMixin, admin.TabularInline):
    model = Envelope
    fields = ["category", "financial_year", "amount"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("round__fund", "category")


class CriterionInline(admin.TabularInline):
    model = Criterion
    fields = ["order", "name", "weight", "max_score", "guidance"]
    extra = 0
    ordering = ["order", "name"]
    # A short box keeps the criteria readable as a table.
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2})}}


class FundingRoundForm(forms.ModelForm):
    # The database refuses these too, but its message names the constraint, not the mistake.
    class Meta:
        model = FundingRound
        fields = [
            "fund",
            "name",
            "slug",
            "status",
            "first_financial_year",
            "last_financial_year",
            "opens_at",
            "closes_at",
            "decision_date",
        ]

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_financial_year"), cleaned.get("last_financial_year")
        if first is not None and last is not None and last < first:
            self.add_error("last_financial_year", "The last year cannot come before the first.")
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", "The round must close after it opens.")
        return cleaned


@admin.register(FundingRound)
class FundingRoundAdmin(FinancialYearFormMixin, admin.ModelAdmin):
    form = FundingRoundForm
    financial_year_fields = ("first_financial_year", "last_financial_year")
    list_display = [
        "name",
        "fund",
        "years",
        "status",
        "opens_at",
        "closes_at",
        "results_published_at",
        "bid_count",
        "envelope_total_display",
        "awarded_total_display",
    ]
    list_filter = ["status", "fund", financial_year_filter("first_financial_year", "first year")]
    list_select_related = ["fund"]
    search_fields = ["name", "slug", "fund__name", "fund__code"]
    date_hierarchy = "opens_at"
    ordering = ["-first_financial_year", "name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["results_published_at", "envelope_total_display", "awarded_total_display"]
    inlines = [EnvelopeInline, CriterionInline]
    fieldsets = [
        (None, {"fields": ["fund", "name", "slug", "status"]}),
        ("Years", {"fields": ["first_financial_year", "last_financial_year"]}),
        (
            "Dates",
            {
                "description": (
                    "Results are published from the review pages (round_publish_results), which "
                    "first checks that every bid in the round has been decided."
                ),
                "fields": ["opens_at", "closes_at", "decision_date", "results_published_at"],
            },
        ),
        ("Money", {"fields": ["envelope_total_display", "awarded_total_display"]}),
    ]

    envelope_total_display = money_column("envelope_total", "Set aside")
    awarded_total_display = money_column("awarded_total", "Awarded")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                bid_count=Count("bids", distinct=True),
                # One award a bid at most, so joining bids to awards adds no rows.
                awarded_total=money_sum("bids__award__total"),
                envelope_total=money_subquery(Envelope.objects, "round", "amount"),
            )
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets[:-1]
        return fieldsets

    @admin.display(description="Years", ordering="first_financial_year")
    def years(self, funding_round):
        return funding_round.years_label

    @admin.display(description="Bids", ordering="bid_count")
    def bid_count(self, funding_round):
        return funding_round.bid_count


@admin.register(Envelope)
class EnvelopeAdmin(FinancialYearFormMixin, admin.ModelAdmin):
    list_display = ["round", "category", "financial_year_display", "amount_display"]
    list_filter = [round_filter(), "category", financial_year_filter()]
    list_select_related = ["round__fund", "category"]
    search_fields = ["round__name", "category__name"]
    autocomplete_fields = ["round"]
    ordering = ["-financial_year", "round__name", "category__order"]

    financial_year_display = financial_year_column()
    amount_display = money_column("amount", "Set aside")


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["name", "round", "weight", "max_score", "order"]
    list_filter = [round_filter()]
    list_select_related = ["round__fund"]
    search_fields = ["name", "round__name"]
    autocomplete_fields = ["round"]
    ordering = ["round__name", "order", "name"]

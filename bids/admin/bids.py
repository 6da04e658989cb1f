"""Bids, their funding profiles, documents, clarifications, reviews and events."""

from django import forms
from django.contrib import admin
from django.db.models import Count, Prefetch
from django.template.defaultfilters import filesizeformat, truncatechars
from simple_history.admin import SimpleHistoryAdmin

from bids.admin.base import ReadOnlyModelAdmin, round_filter
from bids.models import (
    Bid,
    BidEvent,
    Clarification,
    Document,
    FundingLine,
    Review,
    Score,
)
from fundtracker.admin import (
    FinancialYearFormMixin,
    ReadOnlyInlineMixin,
    ViewOnlyDisplayMixin,
    financial_year_column,
    financial_year_filter,
    money_column,
)
from fundtracker.years import fy_label


class FundingLineForm(forms.ModelForm):
    class Meta:
        model = FundingLine
        fields = ["bid", "financial_year", "amount"]

    def clean(self):
        cleaned = super().clean()
        bid = cleaned.get("bid") or getattr(self.instance, "bid", None)
        year = cleaned.get("financial_year")
        if bid is not None and year is not None and year not in bid.round.financial_years:
            self.add_error(
                "financial_year",
                f"{fy_label(year)} is outside the round's years ({bid.round.years_label}).",
            )
        return cleaned


class FundingLineInline(FinancialYearFormMixin, admin.TabularInline):
    model = FundingLine
    form = FundingLineForm
    fields = ["financial_year", "amount"]
    extra = 0
    verbose_name = "funding line"
    verbose_name_plural = "funding profile (amount requested a year)"


class DocumentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Document
    fields = ["kind", "original_name", "size_display", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description="Size")
    def size_display(self, document):
        return filesizeformat(document.size)


class ClarificationInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Clarification
    fields = ["question", "asked_by", "asked_at", "answer", "answered_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("bid", "asked_by")


class ReviewInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Review
    fields = [
        "reviewer",
        "has_conflict",
        "recommendation",
        "weighted_score_display",
        "submitted_at",
    ]
    readonly_fields = fields
    verbose_name_plural = "reviews (summary)"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("bid", "reviewer")
            .prefetch_related(Prefetch("scores", Score.objects.select_related("criterion")))
        )

    @admin.display(description="Weighted score")
    def weighted_score_display(self, review):
        return review.weighted_score()


class BidEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = BidEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields
    verbose_name_plural = "events"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("bid", "actor")


@admin.register(Bid)
class BidAdmin(ViewOnlyDisplayMixin, SimpleHistoryAdmin):
    list_display = [
        "reference",
        "title_short",
        "round",
        "lead_force",
        "spend_category",
        "status",
        "requested_total_display",
        "submitted_at",
    ]
    list_filter = [
        "status",
        round_filter(),
        "spend_category",
        "bid_type",
        "lead_force__region",
        "needs_reassignment",
    ]
    list_select_related = ["round__fund", "lead_force", "spend_category"]
    search_fields = ["reference", "title", "lead_force__name", "collaboration__name"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    autocomplete_fields = ["lead_force", "collaboration", "partner_forces"]
    history_list_display = ["status"]
    inlines = [
        FundingLineInline,
        DocumentInline,
        ClarificationInline,
        ReviewInline,
        BidEventInline,
    ]
    # The reference carries the round's fund and year, so a bid stays in the round it began in.
    readonly_fields = [
        "reference",
        "round",
        "status",
        "requested_total_display",
        "moderated_score",
        "needs_reassignment",
        "created_by",
        "created_at",
        "updated_at",
        "submitted_by",
        "submitted_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "reference",
                    "round",
                    "title",
                    "lead_force",
                    "collaboration",
                    "partner_forces",
                    "spend_category",
                    "bid_type",
                ]
            },
        ),
        ("Proposal", {"fields": ["summary", "case_for_change"]}),
        ("Money", {"fields": ["requested_total_display", "local_match_contribution"]}),
        (
            "Sign-off",
            {
                "fields": [
                    ("pcc_signoff_name", "pcc_signoff_date"),
                    ("cfo_signoff_name", "cfo_signoff_date"),
                ]
            },
        ),
        (
            "Workflow",
            {
                "description": (
                    "The status and the fields below change only through the bid's workflow "
                    "(submit, review, moderate, decide, withdraw in bids/services.py), which "
                    "checks each step and records it in the events underneath. Correct them "
                    "there, not here."
                ),
                "fields": [
                    "status",
                    "moderated_score",
                    "needs_reassignment",
                    ("created_by", "created_at"),
                    ("submitted_by", "submitted_at"),
                    "updated_at",
                ],
            },
        ),
    ]

    requested_total_display = money_column("requested_total", "Requested")

    def has_add_permission(self, request):
        # A bid starts in the portal (bid_create), which gives it its reference.
        return False

    @admin.display(description="Title", ordering="title")
    def title_short(self, bid):
        return truncatechars(bid.title, 60)


@admin.register(FundingLine)
class FundingLineAdmin(FinancialYearFormMixin, SimpleHistoryAdmin):
    form = FundingLineForm
    list_display = ["bid", "financial_year_display", "amount_display"]
    list_filter = [financial_year_filter(), round_filter("bid__round"), "bid__status"]
    list_select_related = ["bid"]
    search_fields = ["bid__reference", "bid__title"]
    autocomplete_fields = ["bid"]
    ordering = ["bid__reference", "financial_year"]

    financial_year_display = financial_year_column()
    amount_display = money_column("amount", "Requested")


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "bid", "kind", "size_display", "uploaded_by", "uploaded_at"]
    list_filter = ["kind"]
    list_select_related = ["bid", "uploaded_by"]
    search_fields = ["original_name", "bid__reference", "bid__title"]
    date_hierarchy = "uploaded_at"
    ordering = ["-uploaded_at"]
    # The file itself is left out: documents have no public URL, only the portal's checked view.
    fields = [
        "bid",
        "kind",
        "original_name",
        "content_type",
        "size_display",
        "sha256",
        "stored_as",
        "uploaded_by",
        "uploaded_at",
    ]
    readonly_fields = [f for f in fields if f != "kind"]

    def has_add_permission(self, request):
        # Uploads go through the portal, which records the size and checksum.
        return False

    @admin.display(description="Size", ordering="size")
    def size_display(self, document):
        return filesizeformat(document.size)

    @admin.display(description="Stored as")
    def stored_as(self, document):
        return document.file.name


@admin.register(Clarification)
class ClarificationAdmin(admin.ModelAdmin):
    list_display = ["bid", "question_short", "asked_by", "asked_at", "is_answered", "answered_at"]
    list_filter = [("answered_at", admin.EmptyFieldListFilter), round_filter("bid__round")]
    list_select_related = ["bid", "asked_by"]
    search_fields = ["bid__reference", "question", "answer"]
    date_hierarchy = "asked_at"
    ordering = ["-asked_at"]
    fields = ["bid", "question", "asked_by", "asked_at", "answer", "answered_by", "answered_at"]
    readonly_fields = ["bid", "asked_by", "asked_at", "answered_by", "answered_at"]

    def has_add_permission(self, request):
        # Asking moves the bid to "clarification requested": clarification_ask does that.
        return False

    @admin.display(description="Question", ordering="question")
    def question_short(self, clarification):
        return truncatechars(clarification.question, 80)

    @admin.display(description="Answered", boolean=True, ordering="answered_at")
    def is_answered(self, clarification):
        return clarification.is_answered


# --------------------------------------------------------------------------- reviews


class ScoreInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Score
    fields = ["criterion", "criterion_weight", "value", "max_score", "justification"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("criterion")

    @admin.display(description="Weight")
    def criterion_weight(self, score):
        return score.criterion.weight

    @admin.display(description="Out of")
    def max_score(self, score):
        return score.criterion.max_score


@admin.register(Review)
class ReviewAdmin(ReadOnlyModelAdmin):
    # A review is one analyst's independent judgement: nobody else rewrites it.
    list_display = [
        "bid",
        "reviewer",
        "assigned_at",
        "has_conflict",
        "recommendation",
        "submitted_at",
        "score_count",
        "weighted_score_display",
    ]
    list_filter = [
        "recommendation",
        "has_conflict",
        ("submitted_at", admin.EmptyFieldListFilter),
        round_filter("bid__round"),
    ]
    list_select_related = ["bid", "reviewer"]
    search_fields = ["bid__reference", "bid__title", "reviewer__username", "reviewer__last_name"]
    date_hierarchy = "assigned_at"
    ordering = ["-assigned_at"]
    inlines = [ScoreInline]
    fields = [
        "bid",
        ("reviewer", "assigned_by", "assigned_at"),
        ("has_conflict", "conflict_declared_at"),
        "conflict_details",
        "recommendation",
        "weighted_score_display",
        "comments",
        "submitted_at",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(score_count=Count("scores"))
            .prefetch_related(Prefetch("scores", Score.objects.select_related("criterion")))
        )

    @admin.display(description="Scores", ordering="score_count")
    def score_count(self, review):
        return review.score_count

    @admin.display(description="Weighted score (out of 100)")
    def weighted_score_display(self, review):
        return review.weighted_score()


@admin.register(Score)
class ScoreAdmin(ReadOnlyModelAdmin):
    list_display = ["review", "criterion", "value", "justification_short"]
    list_filter = [round_filter("criterion__round"), "value"]
    list_select_related = ["review__bid", "review__reviewer", "criterion"]
    search_fields = ["review__bid__reference", "criterion__name", "justification"]
    ordering = ["review__bid__reference", "criterion__order"]

    @admin.display(description="Justification")
    def justification_short(self, score):
        return truncatechars(score.justification, 80)


@admin.register(BidEvent)
class BidEventAdmin(ReadOnlyModelAdmin):
    # Append-only: the record of what happened is never added to or rewritten by hand.
    list_display = ["at", "bid_reference", "action", "from_status", "to_status", "actor"]
    list_filter = ["action", "to_status"]
    list_select_related = ["bid", "actor"]
    search_fields = ["bid__reference", "note", "actor__username"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    fields = ["bid", "action", "from_status", "to_status", "actor", "at", "note"]

    @admin.display(description="Bid", ordering="bid__reference")
    def bid_reference(self, event):
        return event.bid.reference

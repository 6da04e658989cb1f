"""Awards, their shares and tranches, payments and spend returns."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.template.defaultfilters import truncatechars
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from bids.admin.base import ReadOnlyModelAdmin, active_forms, round_filter
from bids.models import (
    Award,
    AwardShare,
    Payment,
    SpendReturn,
    Tranche,
)
from fundtracker.admin import (
    FinancialYearFormMixin,
    ReadOnlyInlineMixin,
    ViewOnlyDisplayMixin,
    change_link,
    financial_year_column,
    financial_year_filter,
    gbp,
    money_column,
    money_sum,
)
from fundtracker.money import ZERO, format_gbp
from fundtracker.years import fy_label


class TrancheFormSet(forms.BaseInlineFormSet):
    """Tranches of an award must lie in the round's years and add up to the award's total."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        award = self.instance
        years = award.bid.round.financial_years
        years_label = award.bid.round.years_label
        errors = []
        allocated = ZERO
        for form in active_forms(self):
            year, amount = form.cleaned_data.get("financial_year"), form.cleaned_data["amount"]
            if year is not None and year not in years:
                errors.append(f"{fy_label(year)} is outside the round's years ({years_label}).")
            if form.instance.pk and amount < form.instance.paid:
                errors.append(
                    f"{fy_label(year)}: {format_gbp(form.instance.paid)} has already been paid, "
                    f"more than {format_gbp(amount)}."
                )
            allocated += amount
        if award.total is not None and allocated != award.total:
            errors.append(
                f"The tranches add up to {format_gbp(allocated)}, not the award of "
                f"{format_gbp(award.total)}."
            )
        if errors:
            raise ValidationError(errors)


class TrancheInline(FinancialYearFormMixin, admin.TabularInline):
    model = Tranche
    formset = TrancheFormSet
    fields = ["financial_year", "amount", "status", "paid_display", "spent_display"]
    readonly_fields = ["status", "paid_display", "spent_display"]
    extra = 0
    can_delete = True
    show_change_link = True

    paid_display = money_column("paid", "Paid")
    spent_display = money_column("spent", "Spent")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("award__bid")


class AwardShareFormSet(forms.BaseInlineFormSet):
    """Shares, when there are any, go to the lead or partner forces and add up to 100 %."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        forms_ = active_forms(self)
        if not forms_:
            return
        bid = self.instance.bid
        involved = {bid.lead_force_id, *bid.partner_forces.values_list("pk", flat=True)}
        errors = [
            f"{form.cleaned_data['force']} is neither the lead nor a partner of this bid."
            for form in forms_
            if form.cleaned_data["force"].pk not in involved
        ]
        total = sum(form.cleaned_data["percent"] for form in forms_)
        if total != 100:
            errors.append(f"The forces' shares add up to {total} %, not 100 %.")
        if errors:
            raise ValidationError(errors)


class AwardShareInline(admin.TabularInline):
    model = AwardShare
    formset = AwardShareFormSet
    autocomplete_fields = ["force"]
    extra = 0
    verbose_name_plural = "shares between forces (none: the lead force receives it all)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("force")


@admin.register(Award)
class AwardAdmin(ViewOnlyDisplayMixin, SimpleHistoryAdmin):
    list_display = [
        "reference",
        "title",
        "lead_force",
        "round",
        "total_display",
        "allocated_display",
        "paid_display",
        "spent_display",
        "tranches_add_up",
        "decided_at",
    ]
    list_filter = [
        round_filter("bid__round"),
        "bid__spend_category",
        "bid__lead_force__region",
    ]
    list_select_related = ["bid__round__fund", "bid__lead_force", "bid__spend_category"]
    search_fields = ["bid__reference", "bid__title", "bid__lead_force__name"]
    date_hierarchy = "decided_at"
    ordering = ["-decided_at", "-id"]
    history_list_display = ["total"]
    inlines = [TrancheInline, AwardShareInline]
    readonly_fields = [
        "bid_link",
        "decided_by",
        "decided_at",
        "allocated_display",
        "paid_display",
        "spent_display",
        "payments",
    ]
    fieldsets = [
        (None, {"fields": ["bid_link", "total", "conditions"]}),
        ("Decision", {"fields": [("decided_by", "decided_at"), "decision_notes"]}),
        (
            "Money so far",
            {
                "description": (
                    "Paid and spent are kept by the services that record payments and verify "
                    "spend returns; the tranches' allocations must add up to the total."
                ),
                "fields": ["allocated_display", "paid_display", "spent_display", "payments"],
            },
        ),
    ]

    total_display = money_column("total", "Total")
    allocated_display = money_column("allocated", "Allocated to tranches")
    paid_display = money_column("paid", "Paid")
    spent_display = money_column("spent", "Spent")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                allocated=money_sum("tranches__amount"),
                paid=money_sum("tranches__paid"),
                spent=money_sum("tranches__spent"),
            )
        )

    def has_add_permission(self, request):
        # An award comes from a decision (bid_decide) or the award import, with its tranches.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Reference", ordering="bid__reference")
    def reference(self, award):
        return award.bid.reference

    @admin.display(description="Title", ordering="bid__title")
    def title(self, award):
        return truncatechars(award.bid.title, 50)

    @admin.display(description="Lead force", ordering="bid__lead_force__name")
    def lead_force(self, award):
        return award.bid.lead_force

    @admin.display(description="Round", ordering="bid__round__name")
    def round(self, award):
        return award.bid.round

    @admin.display(description="Bid")
    def bid_link(self, award):
        return change_link(award.bid)

    @admin.display(description="Tranches add up", boolean=True)
    def tranches_add_up(self, award):
        return award.allocated == award.total

    @admin.display(description="Payments")
    def payments(self, award):
        rows = (
            Payment.objects.filter(tranche__award=award)
            .select_related("tranche", "recorded_by")
            .order_by("paid_on", "id")
        )
        if not rows:
            return "None yet."
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    change_link(p, p.paid_on.strftime("%d %b %Y")),
                    fy_label(p.tranche.financial_year),
                    gbp(p.amount),
                    p.reference or "–",
                    p.recorded_by,
                )
                for p in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th>Paid on</th><th>Tranche</th><th>Amount</th>"
            "<th>Reference</th><th>Recorded by</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )


@admin.register(AwardShare)
class AwardShareAdmin(ReadOnlyModelAdmin):
    # Shares are checked together (they add up to 100 %) on the award's page.
    list_display = ["award", "force", "percent"]
    list_filter = ["force__region"]
    list_select_related = ["award__bid", "force"]
    search_fields = ["award__bid__reference", "force__name"]
    ordering = ["award__bid__reference", "-percent"]


class PaymentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Payment
    fields = ["paid_on", "amount_display", "reference", "recorded_by", "recorded_at"]
    readonly_fields = fields

    amount_display = money_column("amount", "Amount")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tranche__award__bid", "recorded_by")


class SpendReturnInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = SpendReturn
    fields = ["quarter", "amount_spent_display", "status", "submitted_at", "verified_at"]
    readonly_fields = fields

    amount_spent_display = money_column("amount_spent", "Spent")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tranche__award__bid")


@admin.register(Tranche)
class TrancheAdmin(ViewOnlyDisplayMixin, SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "lead_force",
        "financial_year_display",
        "amount_display",
        "status",
        "paid_display",
        "spent_display",
        "payment_count",
    ]
    list_filter = [
        "status",
        financial_year_filter(),
        round_filter("award__bid__round"),
        "award__bid__spend_category",
    ]
    list_select_related = ["award__bid__lead_force"]
    search_fields = ["award__bid__reference", "award__bid__title"]
    ordering = ["award__bid__reference", "financial_year"]
    history_list_display = ["status", "amount", "paid", "spent"]
    inlines = [PaymentInline, SpendReturnInline]
    readonly_fields = [
        "award_link",
        "financial_year_display",
        "amount_display",
        "status",
        "paid_display",
        "spent_display",
    ]
    fieldsets = [
        (
            None,
            {
                "description": (
                    "Change a tranche's allocation on its award's page, where the tranches are "
                    "checked against the award's total. Status, paid and spent follow releases, "
                    "payments and verified spend returns (bids/services.py)."
                ),
                "fields": readonly_fields,
            },
        )
    ]

    financial_year_display = financial_year_column()
    amount_display = money_column("amount", "Allocated")
    paid_display = money_column("paid", "Paid")
    spent_display = money_column("spent", "Spent")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(payment_count=Count("payments"))

    # Allocations are changed on the award's page, where they are checked against its total;
    # status, paid and spent follow releases, payments and verified spend returns.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Lead force", ordering="award__bid__lead_force__name")
    def lead_force(self, tranche):
        return tranche.award.bid.lead_force

    @admin.display(description="Award")
    def award_link(self, tranche):
        return change_link(tranche.award)

    @admin.display(description="Payments", ordering="payment_count")
    def payment_count(self, tranche):
        return tranche.payment_count


@admin.register(Payment)
class PaymentAdmin(ViewOnlyDisplayMixin, SimpleHistoryAdmin):
    list_display = [
        "tranche",
        "paid_on",
        "amount_display",
        "reference",
        "recorded_by",
        "recorded_at",
    ]
    list_filter = [
        financial_year_filter("tranche__financial_year"),
        round_filter("tranche__award__bid__round"),
    ]
    list_select_related = ["tranche__award__bid", "recorded_by"]
    search_fields = ["tranche__award__bid__reference", "reference"]
    date_hierarchy = "paid_on"
    ordering = ["-paid_on", "-id"]
    fieldsets = [
        (
            None,
            {
                "description": (
                    "The amount is read-only: recording a payment (bids/services.py) adds it to "
                    "the tranche's paid total and the bid's events. The date and reference can "
                    "be corrected here."
                ),
                "fields": [
                    "tranche",
                    "amount_display",
                    "paid_on",
                    "reference",
                    "recorded_by",
                    "recorded_at",
                ],
            },
        )
    ]
    readonly_fields = ["tranche", "amount_display", "recorded_by", "recorded_at"]

    amount_display = money_column("amount", "Amount")

    # A payment changes its tranche's paid total: payment_record writes both together.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SpendReturn)
class SpendReturnAdmin(ViewOnlyDisplayMixin, SimpleHistoryAdmin):
    list_display = [
        "tranche",
        "quarter_display",
        "amount_spent_display",
        "status",
        "submitted_by",
        "submitted_at",
        "verified_at",
    ]
    list_filter = [
        "status",
        "quarter",
        financial_year_filter("tranche__financial_year"),
        round_filter("tranche__award__bid__round"),
    ]
    list_select_related = ["tranche__award__bid", "submitted_by"]
    search_fields = ["tranche__award__bid__reference", "narrative"]
    date_hierarchy = "submitted_at"
    ordering = ["-submitted_at"]
    fieldsets = [
        (
            None,
            {
                "description": (
                    "The amount and status are read-only: verifying a return (bids/services.py) "
                    "adds it to the tranche's spent total and the bid's events. The narrative "
                    "can be corrected here."
                ),
                "fields": [
                    "tranche",
                    "quarter",
                    "amount_spent_display",
                    "status",
                    "narrative",
                    ("submitted_by", "submitted_at"),
                    ("verified_by", "verified_at"),
                    "returned_reason",
                ],
            },
        )
    ]
    readonly_fields = [
        "tranche",
        "quarter",
        "amount_spent_display",
        "status",
        "submitted_by",
        "submitted_at",
        "verified_by",
        "verified_at",
        "returned_reason",
    ]

    amount_spent_display = money_column("amount_spent", "Spent")

    # A verified return adds to its tranche's spent total: the services keep both in step.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Quarter", ordering="quarter")
    def quarter_display(self, spend_return):
        return f"Q{spend_return.quarter}"

"""Review pages for the money after an award: every award with its spend against allocation,
one award's tranches, payments and spend returns, the forms that release, withhold or close a
tranche and record a payment, and the queue of spend returns to verify.

Analysts and approvers see the lists, the award pages and the spend returns; only analysts
change anything (approvers get 404 for the forms and for any POST; PCC office users get 404
everywhere). Each POST is one service call, which records the BidEvent shown on the award
page's money timeline.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import FormView, ListView, TemplateView

from bids import permissions, services
from bids.forms.money import (
    AwardMoneyFilter,
    PaymentForm,
    SpendReturnFilter,
    SpendVerifyForm,
    TrancheStatusForm,
    tranche_moves,
)
from bids.models import Award, BidEvent, Payment, SpendReturn, Tranche
from bids.views.review.base import AnalystMixin, CaseworkerMixin
from fundtracker.money import ZERO, format_gbp
from fundtracker.years import MAX_YEAR, MIN_YEAR, fy_label, quarter_label

Action = BidEvent.Action
PAGE_SIZE = 50
MAX_PK = 2**31 - 1

# What the award page's money timeline shows of the bid's events.
MONEY_ACTIONS = (
    Action.APPROVED,
    Action.IMPORTED,
    Action.TRANCHE_RELEASED,
    Action.TRANCHE_WITHHELD,
    Action.TRANCHE_CLOSED,
    Action.PAYMENT_RECORDED,
    Action.SPEND_RETURN_SUBMITTED,
    Action.SPEND_RETURN_VERIFIED,
    Action.SPEND_RETURN_RETURNED,
)

VARIANCE_RULE = (
    "Variance is the allocation less verified spend, counted over tranches whose financial "
    "year has ended (after 31 March), tranches that are closed, and any tranche whose verified "
    "spend is already more than its allocation. Years still running are left out, because "
    "their money may yet be spent. A positive variance is an underspend, a negative one an "
    "overspend. Until its office sends a spend return, an award shows “No spend reported yet”."
)


class MoneySectionMixin:
    """Marks the workspace's "Awards and money" navigation item as current."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(review_section="money", **kwargs)


class NearestPageMixin:
    """A page number past the end or not a number shows the nearest page, never a 404."""

    paginate_by = PAGE_SIZE

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()


class FilteredListMixin(NearestPageMixin):
    """A list narrowed by a django-filter FilterSet from the query string. Bad parameters are
    left out and listed on the page, and the other filters still apply."""

    filterset_class = None

    def get_base_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        self.filterset = self.filterset_class(self.request.GET, queryset=self.get_base_queryset())
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        params = self.request.GET.copy()
        params.pop("page", None)
        return super().get_context_data(
            filterset=self.filterset,
            filter_form=self.filterset.form,
            filter_errors=self.filterset.error_messages(),
            chosen_filters=[
                (label, value, _query(params, **{name: None}))
                for name, label, value in self.filterset.chosen
            ],
            filtered=bool(self.filterset.chosen),
            **kwargs,
        )


def _query(params, **changes) -> str:
    """The query string ``params`` with ``changes`` (``None`` removes a key), from ``?``."""
    params = params.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


class ServiceFormMixin:
    """A form page that changes things through one service; its refusals become form errors."""

    def service_call(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            return self.service_call(form)
        except services.WorkflowError as error:
            for message in error.messages:
                form.add_error(None, message)
            return self.form_invalid(form)


# --------------------------------------------------------------------------- the award list


@dataclass(frozen=True)
class SortColumn:
    """A column heading of a sortable table: its link sorts by it (the other way when it is
    the column sorted by already)."""

    key: str
    label: str
    numeric: bool
    href: str
    aria_sort: str


AWARD_COLUMNS = (
    ("reference", "Reference", False),
    ("title", "Title", False),
    ("force", "Lead force", False),
    ("round", "Round", False),
    ("allocated", "Allocated", True),
    ("paid", "Paid", True),
    ("spent", "Spent (verified)", True),
    ("variance", "Variance and spend", True),
)


def pounds(value) -> str:
    """Money as GOV.UK writes it in a table: pence only when there are any (£2,240,000,
    £1,875,000.50), so the list's columns fit beside each other."""
    return format_gbp(value, pence=value != value.to_integral_value())


MONEY_COLUMNS = ("allocated", "paid", "spent", "variance")


@dataclass(frozen=True)
class AwardRow:
    """An award of the list with its money columns written out."""

    award: Award
    money: dict[str, str]


def award_row(award: Award) -> AwardRow:
    return AwardRow(award, {name: pounds(getattr(award, name)) for name in MONEY_COLUMNS})


class AwardListView(MoneySectionMixin, FilteredListMixin, CaseworkerMixin, ListView):
    """Every award (any round, published or not), filtered and sorted by the query string, 50 a
    page, with its allocation, payments, verified spend, variance and spend tag, and a totals
    row over every award the filters keep (not only this page)."""

    template_name = "bids/review/money/award_list.html"
    filterset_class = AwardMoneyFilter
    context_object_name = "awards"

    def get_base_queryset(self):
        return Award.objects.for_money_list(timezone.localdate())

    def _sort_columns(self) -> list[SortColumn]:
        form = self.filterset.form
        chosen = (getattr(form, "cleaned_data", None) or {}).get("sort") or []
        current = chosen[0] if chosen else ""
        params = self.request.GET.copy()
        params.pop("page", None)
        columns = []
        for key, label, numeric in AWARD_COLUMNS:
            if current == key:
                aria, next_sort = "ascending", f"-{key}"
            elif current == f"-{key}":
                aria, next_sort = "descending", key
            else:
                # Money reads best largest first; words from A.
                aria, next_sort = "none", f"-{key}" if numeric else key
            columns.append(SortColumn(key, label, numeric, _query(params, sort=next_sort), aria))
        return columns

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        totals = self.filterset.qs.money_totals()
        context.update(
            rows=[award_row(award) for award in context["awards"]],
            totals=totals,
            totals_text={name: pounds(totals[name]) for name in MONEY_COLUMNS},
            columns=self._sort_columns(),
            variance_rule=VARIANCE_RULE,
        )
        return context


# --------------------------------------------------------------------------- one award


class AwardMixin:
    """The award of the bid whose ``reference`` is in the URL; a bid without one is 404."""

    @cached_property
    def today(self):
        return timezone.localdate()

    @cached_property
    def award(self) -> Award:
        award = (
            Award.objects.with_variance(self.today)
            .select_related(
                "bid__round__fund", "bid__lead_force__region", "bid__spend_category", "decided_by"
            )
            .filter(bid__reference=self.kwargs["reference"])
            .first()
        )
        if award is None:
            raise Http404("No award has that reference.")
        return award

    def get_context_data(self, **kwargs):
        return super().get_context_data(award=self.award, bid=self.award.bid, **kwargs)


class TrancheMixin(AwardMixin):
    """One tranche of the award, by the financial year's start year in the URL."""

    @cached_property
    def tranche(self) -> Tranche:
        # A year the service does not cover would overflow the database's integer column.
        if not MIN_YEAR <= self.kwargs["year"] <= MAX_YEAR:
            raise Http404("The award has no tranche for that year.")
        tranche = (
            self.award.tranches.with_spend()
            .prefetch_related(
                Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "pk"))
            )
            .filter(financial_year=self.kwargs["year"])
            .first()
        )
        if tranche is None:
            raise Http404("The award has no tranche for that year.")
        return tranche

    def get(self, request, *args, **kwargs):
        self.tranche  # noqa: B018 - 404 before anything else
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.tranche  # noqa: B018
        return super().post(request, *args, **kwargs)

    def award_url(self) -> str:
        return (
            reverse("review:award", args=[self.award.bid.reference])
            + f"#tranche-{self.tranche.financial_year}"
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            tranche=self.tranche, back_url=self.award_url(), review_section="money", **kwargs
        )


@dataclass(frozen=True)
class TrancheAction:
    label: str
    href: str
    # Paying and releasing move the money on; withholding and closing stop it.
    primary: bool = False


@dataclass
class TrancheRow:
    """A tranche of the award page with its returns by quarter and the analyst's actions."""

    tranche: Tranche
    quarters: list[tuple[str, SpendReturn | None]] = field(default_factory=list)
    actions: list[TrancheAction] = field(default_factory=list)

    @property
    def payments(self) -> list[Payment]:
        return list(self.tranche.payments.all())


@dataclass(frozen=True)
class MoneyEvent:
    """One entry of the money timeline (MOJ Frontend timeline)."""

    title: str
    by: str
    at: object
    description: str


def money_timeline(award: Award) -> list[MoneyEvent]:
    """The bid's events about its award, tranches, payments and spend, newest first, with the
    names of the people who acted (the Home Office sees its own staff by name)."""
    events = (
        award.bid.events.filter(action__in=MONEY_ACTIONS)
        .select_related("actor")
        .order_by("-at", "-id")
    )
    return [
        MoneyEvent(
            title=event.get_action_display(),
            by=(event.actor.get_full_name() or event.actor.get_username())
            if event.actor
            else "The system",
            at=event.at,
            description=event.note,
        )
        for event in events
    ]


class AwardDetailView(AwardMixin, MoneySectionMixin, CaseworkerMixin, TemplateView):
    """One award, tranche by tranche: allocation, status, payments, quarterly spend returns,
    verified and awaiting spend, what remains and the variance; the award's totals; the
    analyst's actions; and the money timeline."""

    template_name = "bids/review/money/award_detail.html"

    def get(self, request, *args, **kwargs):
        self.award  # noqa: B018 - 404 before anything else
        return super().get(request, *args, **kwargs)

    def _tranches(self):
        return (
            self.award.tranches.with_spend()
            .with_variance(self.today)
            .prefetch_related(
                Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "pk")),
                Prefetch(
                    "spend_returns",
                    queryset=SpendReturn.objects.select_related(
                        "submitted_by", "verified_by"
                    ).order_by("quarter"),
                ),
            )
            .order_by("financial_year")
        )

    def _actions(self, tranche: Tranche) -> list[TrancheAction]:
        reference = self.award.bid.reference
        status_url = reverse("review:tranche_status", args=[reference, tranche.financial_year])
        labels = {
            Tranche.Status.RELEASED: "Release",
            Tranche.Status.WITHHELD: "Withhold",
            Tranche.Status.CLOSED: "Close",
        }
        actions = []
        if tranche.status == Tranche.Status.RELEASED and tranche.paid < tranche.amount:
            actions.append(
                TrancheAction(
                    "Record a payment",
                    reverse("review:payment_record", args=[reference, tranche.financial_year]),
                    primary=True,
                )
            )
        for to in tranche_moves(tranche):
            actions.append(
                TrancheAction(
                    labels[to], f"{status_url}?status={to}", primary=to == Tranche.Status.RELEASED
                )
            )
        return actions

    def get_context_data(self, **kwargs):
        is_analyst = permissions.is_analyst(self.request.user)
        rows = []
        for tranche in self._tranches():
            returns = {r.quarter: r for r in tranche.spend_returns.all()}
            rows.append(
                TrancheRow(
                    tranche=tranche,
                    quarters=[
                        (quarter_label(tranche.financial_year, q), returns.get(q))
                        for q in range(1, 5)
                    ],
                    actions=self._actions(tranche) if is_analyst else [],
                )
            )
        awaiting = SpendReturn.objects.filter(
            tranche__award=self.award, status=SpendReturn.Status.SUBMITTED
        ).total_spent()
        award = self.award
        return super().get_context_data(
            tranches=rows,
            awaiting=awaiting,
            remaining=award.allocated - award.spent - awaiting,
            timeline=money_timeline(award),
            variance_rule=VARIANCE_RULE,
            **kwargs,
        )


# --------------------------------------------------------------------------- tranche forms


class TrancheStatusView(TrancheMixin, ServiceFormMixin, AnalystMixin, FormView):
    """Release, withhold (with a reason) or close a tranche; the moves offered are those the
    tranche's status allows."""

    template_name = "bids/review/money/tranche_status.html"
    form_class = TrancheStatusForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "tranche": self.tranche}

    def get_initial(self):
        wanted = self.request.GET.get("status", "")
        return {"status": wanted} if wanted in tranche_moves(self.tranche) else {}

    def get_context_data(self, **kwargs):
        return super().get_context_data(moves=tranche_moves(self.tranche), **kwargs)

    def service_call(self, form):
        tranche = services.tranche_set_status(
            tranche=self.tranche,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            by=self.request.user,
        )
        messages.success(
            self.request,
            f"The {tranche.financial_year_label} tranche of {self.award.bid.reference} is now "
            f"{tranche.get_status_display().lower()}.",
        )
        return redirect(self.award_url())


class PaymentRecordView(TrancheMixin, ServiceFormMixin, AnalystMixin, FormView):
    """Record a payment against a released tranche: amount, date paid and reference."""

    template_name = "bids/review/money/payment_form.html"
    form_class = PaymentForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "award_date": timezone.localdate(self.award.decided_at),
        }

    def get_context_data(self, **kwargs):
        tranche = self.tranche
        return super().get_context_data(
            can_pay=tranche.status == Tranche.Status.RELEASED and tranche.paid < tranche.amount,
            left_to_pay=tranche.amount - tranche.paid,
            payments=list(tranche.payments.all()),
            **kwargs,
        )

    def service_call(self, form):
        amount = form.cleaned_data["amount"]
        services.payment_record(
            tranche=self.tranche,
            amount=amount,
            paid_on=form.cleaned_data["paid_on"],
            reference=form.cleaned_data["reference"],
            by=self.request.user,
        )
        messages.success(
            self.request,
            f"Payment of {format_gbp(amount)} recorded against the "
            f"{self.tranche.financial_year_label} tranche of {self.award.bid.reference}.",
        )
        return redirect(self.award_url())


# --------------------------------------------------------------------------- spend returns


class SpendReturnListView(MoneySectionMixin, FilteredListMixin, CaseworkerMixin, ListView):
    """Spend returns awaiting verification, oldest first, filterable by round and lead force."""

    template_name = "bids/review/money/spend_return_list.html"
    filterset_class = SpendReturnFilter
    context_object_name = "spend_returns"

    def get_base_queryset(self):
        return SpendReturn.objects.awaiting_verification()


class AnalystWritesMixin(CaseworkerMixin):
    """Analysts and approvers may look; only analysts may POST (anyone else gets 404)."""

    def dispatch(self, request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") and not permissions.is_analyst(request.user):
            raise Http404("No such page.")
        return super().dispatch(request, *args, **kwargs)


class SpendReturnVerifyView(MoneySectionMixin, ServiceFormMixin, AnalystWritesMixin, FormView):
    """One spend return with its tranche's figures and what accepting it would do; an analyst
    accepts it or sends it back with a reason. A return already verified or sent back, and
    every return for an approver, is shown read-only."""

    template_name = "bids/review/money/spend_return_verify.html"
    form_class = SpendVerifyForm

    @cached_property
    def spend_return(self) -> SpendReturn:
        # A number past the database's integer column would be an error there, not a miss.
        if self.kwargs["pk"] > MAX_PK:
            raise Http404("No spend return has that number.")
        found = (
            SpendReturn.objects.select_related(
                "tranche__award__bid__lead_force",
                "tranche__award__bid__round__fund",
                "submitted_by",
                "verified_by",
            )
            .filter(pk=self.kwargs["pk"])
            .first()
        )
        if found is None:
            raise Http404("No spend return has that number.")
        return found

    @cached_property
    def tranche(self) -> Tranche:
        return Tranche.objects.with_spend().get(pk=self.spend_return.tranche_id)

    @property
    def can_verify(self) -> bool:
        return (
            permissions.is_analyst(self.request.user)
            and self.spend_return.status == SpendReturn.Status.SUBMITTED
        )

    def label(self) -> str:
        spend = self.spend_return
        return f"Q{spend.quarter} {fy_label(spend.tranche.financial_year)}"

    def get(self, request, *args, **kwargs):
        self.spend_return  # noqa: B018 - 404 before anything else
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.can_verify:
            messages.info(
                request,
                f"This return is already {self.spend_return.get_status_display().lower()}, "
                "so nothing was changed.",
            )
            return redirect("review:spend_return_verify", pk=self.spend_return.pk)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        spend, tranche = self.spend_return, self.tranche
        submitted = spend.status == SpendReturn.Status.SUBMITTED
        spent_after = tranche.spent + (spend.amount_spent if submitted else ZERO)
        return super().get_context_data(
            spend_return=spend,
            tranche=tranche,
            award=spend.tranche.award,
            bid=spend.tranche.award.bid,
            quarter_label=quarter_label(tranche.financial_year, spend.quarter),
            can_verify=self.can_verify,
            spent_after=spent_after,
            over_by=spent_after - tranche.amount if spent_after > tranche.amount else None,
            left_after=tranche.amount - spent_after,
            other_returns=list(tranche.spend_returns.exclude(pk=spend.pk).order_by("quarter")),
            **kwargs,
        )

    def service_call(self, form):
        spend = self.spend_return
        bid = spend.tranche.award.bid
        services.spend_return_verify(
            spend_return=spend,
            accept=form.accept,
            reason=form.cleaned_data["reason"],
            by=self.request.user,
        )
        if form.accept:
            messages.success(
                self.request,
                f"The {self.label()} return of {bid.reference} is verified: "
                f"{format_gbp(spend.amount_spent)} now counts as spent.",
            )
        else:
            messages.success(
                self.request,
                f"The {self.label()} return of {bid.reference} is sent back to "
                f"{bid.lead_force.short_name}’s office to correct.",
            )
        return redirect("review:spend_returns")


urlpatterns = [
    path("awards/", AwardListView.as_view(), name="awards"),
    path("awards/<str:reference>/", AwardDetailView.as_view(), name="award"),
    path(
        "awards/<str:reference>/<int:year>/status/",
        TrancheStatusView.as_view(),
        name="tranche_status",
    ),
    path(
        "awards/<str:reference>/<int:year>/payments/new/",
        PaymentRecordView.as_view(),
        name="payment_record",
    ),
    path("spend-returns/", SpendReturnListView.as_view(), name="spend_returns"),
    path("spend-returns/<int:pk>/", SpendReturnVerifyView.as_view(), name="spend_return_verify"),
]

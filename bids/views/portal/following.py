"""Following bids after submission: the portal home, the read-only bid with its timeline,
withdrawal, answers to clarification questions and quarterly spend returns.

Every page is scoped by ``Bid.objects.for_office``: a partner force's office sees a submitted
bid read-only, another force's office gets 404. Every POST is one service call.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.db.models import (
    DecimalField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
)
from django.http import Http404
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, re_path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import FormView, ListView, TemplateView

from bids import permissions, services
from bids.forms.following import ClarificationAnswerForm, SpendReturnForm, WithdrawForm
from bids.models import Award, Bid, BidEvent, Clarification, FundingRound, SpendReturn, Tranche
from bids.timeline import actor_name, bid_events, timeline
from bids.views.portal.base import BidMixin, OfficeMixin, bid_answers_context
from fundtracker.money import MONEY_FIELD, ZERO, format_gbp
from fundtracker.years import fy_label, quarter_bounds, quarter_label

MONEY = DecimalField(**MONEY_FIELD)
SPENDABLE = (Tranche.Status.RELEASED, Tranche.Status.CLOSED)


def portal_url(name: str, *args) -> str:
    """The URL of the portal page ``name``, or "" when no portal page has that name."""
    try:
        return reverse(f"portal:{name}", args=args)
    except NoReverseMatch:
        return ""


def office_name(force) -> str:
    """The office's name, such as Nottinghamshire Police and Crime Commissioner; a mayor or an
    authority goes by its own title."""
    body = force.policing_body
    if not body:
        return f"{force.short_name} policing body"
    if body.endswith("Commissioner"):
        return f"{force.short_name} {body}"
    return body


def start_url(funding_round: FundingRound) -> str:
    """Where to start a bid, with the round the office chose on the home page."""
    url = portal_url("start")
    return f"{url}?round={funding_round.slug}" if url else ""


# --------------------------------------------------------------------------- quarters


# --------------------------------------------------------------------------- reads


def tranches_with_spend(award: Award):
    """The award's tranches with their spend figures and returns, in year order."""
    return (
        award.tranches.with_spend()
        .prefetch_related(
            Prefetch("spend_returns", queryset=SpendReturn.objects.order_by("quarter"))
        )
        .order_by("financial_year")
    )


@dataclass(frozen=True)
class SpendDue:
    """A quarter the office owes a spend return for: never sent, or sent back."""

    tranche: Tranche
    quarter: int
    sent_back: SpendReturn | None = None

    @property
    def label(self) -> str:
        return quarter_label(self.tranche.financial_year, self.quarter)


def spend_returns_due(force_id: int, today: datetime.date) -> list[SpendDue]:
    """Returns the office of the lead force owes: each ended quarter of a released tranche
    without a return, and each return sent back (closed tranches included)."""
    sent_back = SpendReturn.objects.filter(
        tranche=OuterRef("pk"), status=SpendReturn.Status.RETURNED
    )
    tranches = (
        Tranche.objects.filter(award__bid__lead_force_id=force_id)
        .filter(
            Q(status=Tranche.Status.RELEASED) | Q(status=Tranche.Status.CLOSED) & Exists(sent_back)
        )
        .select_related("award__bid")
        .prefetch_related("spend_returns")
        .order_by("financial_year", "award__bid__reference")
    )
    due = []
    for tranche in tranches:
        returns = {r.quarter: r for r in tranche.spend_returns.all()}
        for quarter in range(1, 5):
            spend = returns.get(quarter)
            if spend is None:
                ended = quarter_bounds(tranche.financial_year, quarter)[1] < today
                if ended and tranche.status == Tranche.Status.RELEASED:
                    due.append(SpendDue(tranche, quarter))
            elif spend.status == SpendReturn.Status.RETURNED:
                due.append(SpendDue(tranche, quarter, spend))
    return due


# --------------------------------------------------------------------------- home


@dataclass(frozen=True)
class BidRow:
    bid: Bid
    href: str
    role: str


@dataclass(frozen=True)
class RoundRow:
    round: FundingRound
    days_left: int
    start_url: str


class PortalHomeView(OfficeMixin, ListView):
    """The office's bids, what is waiting for it, open rounds and its awards."""

    template_name = "bids/portal/following/home.html"
    paginate_by = 25

    def get_queryset(self):
        return (
            Bid.objects.for_office(self.request.user)
            .select_related("round__fund")
            .order_by("-updated_at", "-created_at", "-pk")
        )

    def paginate_queryset(self, queryset, page_size):
        # A page number past the end or not a number shows the nearest page, not a 404.
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def _bid_rows(self, bids) -> list[BidRow]:
        rows = []
        for bid in bids:
            is_lead = bid.lead_force_id == self.office_force.pk
            href = ""
            if bid.status == Bid.Status.DRAFT and is_lead:
                href = portal_url("task_list", bid.reference)
            rows.append(
                BidRow(
                    bid=bid,
                    href=href or reverse("portal:bid", args=[bid.reference]),
                    role="Lead" if is_lead else "Partner",
                )
            )
        return rows

    def _round_rows(self) -> list[RoundRow]:
        now = timezone.now()
        today = timezone.localdate(now)
        return [
            RoundRow(
                round=funding_round,
                days_left=(timezone.localdate(funding_round.closes_at) - today).days,
                start_url=start_url(funding_round),
            )
            for funding_round in FundingRound.objects.open(now)
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        force_id = self.office_force.pk
        awards = list(
            Award.objects.for_office(self.request.user)
            .with_money()
            .select_related("bid")
            .prefetch_related(
                Prefetch("tranches", queryset=Tranche.objects.order_by("financial_year"))
            )
            .order_by("-decided_at", "-pk")
        )
        current = [
            a for a in awards if any(t.status != Tranche.Status.CLOSED for t in a.tranches.all())
        ]
        context.update(
            office_name=office_name(self.office_force),
            bid_rows=self._bid_rows(context["object_list"]),
            clarifications=list(
                Clarification.objects.awaiting_office(force_id)
                .select_related("bid")
                .order_by("asked_at", "pk")
            ),
            spend_due=spend_returns_due(force_id, timezone.localdate()),
            rounds=self._round_rows(),
            current_awards=current,
            finished_awards=[a for a in awards if a not in current],
        )
        return context


def _is_current(award: Award) -> bool:
    """Money still moves on an award until every tranche of it is closed."""
    return any(t.status != Tranche.Status.CLOSED for t in award.tranches.all())


# --------------------------------------------------------------------------- the bid


@dataclass(frozen=True)
class DocumentRow:
    document: object
    href: str


class BidDetailView(BidMixin, TemplateView):
    """The bid as submitted, read-only, with its decision, money and timeline.

    The lead office's draft goes to its task list, where it is edited.
    """

    template_name = "bids/portal/following/bid_detail.html"

    def get(self, request, *args, **kwargs):
        if permissions.can_edit_bid(request.user, self.bid):
            task_list = portal_url("task_list", self.bid.reference)
            if task_list:
                return redirect(task_list)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        bid = self.bid
        can_act = permissions.can_act_for_office(self.request.user, bid)
        events = list(bid_events(bid))
        submitted = _latest(events, BidEvent.Action.SUBMITTED)
        award = tranches = None
        if bid.status == Bid.Status.APPROVED:
            award = Award.objects.filter(bid=bid).first()
            if award is not None:
                tranches = list(tranches_with_spend(award))
        return super().get_context_data(
            **bid_answers_context(bid),
            change_links=False,
            documents=[
                DocumentRow(d, portal_url("document_download", bid.reference, d.pk))
                for d in bid.documents.order_by("uploaded_at", "pk")
            ],
            clarifications=list(bid.clarifications.order_by("asked_at", "pk")),
            can_answer=can_act and bid.status == Bid.Status.CLARIFICATION_REQUESTED,
            can_withdraw=can_act and bid.status in Bid.WITHDRAWABLE,
            timeline=timeline(events),
            submitted_by=actor_name(submitted) if submitted else "",
            rejection=_latest(events, BidEvent.Action.REJECTED),
            withdrawal=_latest(events, BidEvent.Action.WITHDRAWN),
            award=award,
            tranches=tranches,
            spend_url=portal_url("spend", bid.reference) if award else "",
            pdf_url=portal_url("bid_pdf", bid.reference),
            **kwargs,
        )


def _latest(events: list[BidEvent], action: str) -> BidEvent | None:
    return next((e for e in events if e.action == action), None)


class ServiceFormMixin:
    """A form page that changes things through one service; its refusals become form errors."""

    def service_call(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            response = self.service_call(form)
        except services.WorkflowError as error:
            for message in error.messages:
                form.add_error(None, message)
            return self.form_invalid(form)
        return response


class WithdrawView(ServiceFormMixin, BidMixin, FormView):
    """Confirm the withdrawal, with a reason; only the lead office, before the decision."""

    template_name = "bids/portal/following/withdraw.html"
    form_class = WithdrawForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            can_withdraw=permissions.can_act_for_office(self.request.user, self.bid)
            and self.bid.status in Bid.WITHDRAWABLE,
            back_url=reverse("portal:bid", args=[self.bid.reference]),
            **kwargs,
        )

    def service_call(self, form):
        services.bid_withdraw(
            bid=self.bid, by=self.request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(self.request, f"Bid {self.bid.reference} has been withdrawn.")
        return redirect("portal:bid", reference=self.bid.reference)


class ClarificationAnswerView(ServiceFormMixin, BidMixin, FormView):
    """A question from the Home Office and the lead office's answer (read-only once given)."""

    template_name = "bids/portal/following/clarification_answer.html"
    form_class = ClarificationAnswerForm

    @cached_property
    def clarification(self) -> Clarification:
        # Through the bid's own manager, so ``clarification.bid`` is ``self.bid``.
        found = self.bid.clarifications.filter(pk=self.kwargs["pk"]).first()
        if found is None:
            raise Http404("This bid has no such question.")
        return found

    def get(self, request, *args, **kwargs):
        self.clarification  # noqa: B018 - 404 before anything else
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.clarification  # noqa: B018
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            clarification=self.clarification,
            can_answer=not self.clarification.is_answered
            and permissions.can_act_for_office(self.request.user, self.bid)
            and self.bid.status == Bid.Status.CLARIFICATION_REQUESTED,
            back_url=reverse("portal:bid", args=[self.bid.reference]),
            **kwargs,
        )

    def service_call(self, form):
        services.clarification_answer(
            clarification=self.clarification,
            answer=form.cleaned_data["answer"],
            by=self.request.user,
        )
        if self.bid.status == Bid.Status.UNDER_REVIEW:
            messages.success(self.request, "Answer sent. The bid is back under review.")
        else:
            waiting = self.bid.clarifications.filter(answered_at__isnull=True).count()
            more = "1 more question" if waiting == 1 else f"{waiting} more questions"
            messages.success(
                self.request,
                f"Answer sent. Answer the {more} and the bid goes back under review.",
            )
        return redirect("portal:bid", reference=self.bid.reference)


# --------------------------------------------------------------------------- spend


class AwardMixin(BidMixin):
    """Pages of an approved bid's award; any other bid has none (404)."""

    @cached_property
    def award(self) -> Award:
        award = None
        if self.bid.status == Bid.Status.APPROVED:
            award = Award.objects.filter(bid=self.bid).first()
        if award is None:
            raise Http404("This bid has no award.")
        return award

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            award=self.award,
            can_report=permissions.can_act_for_office(self.request.user, self.bid),
            **kwargs,
        )


@dataclass
class QuarterRow:
    quarter: int
    label: str
    spend_return: SpendReturn | None
    # Ended without a return while the tranche is released: the office owes it.
    due: bool
    ended: bool
    href: str = ""
    action: str = ""


@dataclass
class TrancheSpend:
    tranche: Tranche
    quarters: list[QuarterRow] = field(default_factory=list)

    @property
    def has_returns(self) -> bool:
        return any(row.spend_return for row in self.quarters)

    @property
    def overspent(self):
        """How far reported spend (verified and awaiting) is over the allocation, or None."""
        remaining = self.tranche.remaining
        return -remaining if remaining < 0 else None


class SpendView(AwardMixin, TemplateView):
    """Spend against each tranche of the award, quarter by quarter."""

    template_name = "bids/portal/following/spend.html"

    def get(self, request, *args, **kwargs):
        self.award  # noqa: B018 - 404 before anything else
        return super().get(request, *args, **kwargs)

    def _quarters(self, tranche: Tranche, can_report: bool, today) -> list[QuarterRow]:
        returns = {r.quarter: r for r in tranche.spend_returns.all()}
        rows = []
        for quarter in range(1, 5):
            spend = returns.get(quarter)
            ended = quarter_bounds(tranche.financial_year, quarter)[1] < today
            row = QuarterRow(
                quarter=quarter,
                label=quarter_label(tranche.financial_year, quarter),
                spend_return=spend,
                due=ended and spend is None and tranche.status == Tranche.Status.RELEASED,
                ended=ended,
            )
            if tranche.status in SPENDABLE:
                href = reverse(
                    "portal:spend_return",
                    args=[self.bid.reference, tranche.financial_year, quarter],
                )
                if spend is None and can_report and ended:
                    row.href, row.action = href, "Report spend"
                elif spend is not None and spend.status == SpendReturn.Status.RETURNED:
                    row.href = href
                    row.action = "Correct and send again" if can_report else "View"
                elif spend is not None:
                    row.href, row.action = href, "View"
            rows.append(row)
        return rows

    def get_context_data(self, **kwargs):
        can_report = permissions.can_act_for_office(self.request.user, self.bid)
        today = timezone.localdate()
        return super().get_context_data(
            tranches=[
                TrancheSpend(t, self._quarters(t, can_report, today))
                for t in tranches_with_spend(self.award)
            ],
            **kwargs,
        )


class SpendReturnView(ServiceFormMixin, AwardMixin, FormView):
    """One quarter's return: the form while it can be sent, read-only once it is in."""

    template_name = "bids/portal/following/spend_return.html"
    form_class = SpendReturnForm

    @cached_property
    def tranche(self) -> Tranche:
        if self.kwargs["quarter"] not in (1, 2, 3, 4):
            raise Http404("A financial year has four quarters.")
        tranche = (
            tranches_with_spend(self.award)
            .filter(financial_year=self.kwargs["year"], status__in=SPENDABLE)
            .first()
        )
        if tranche is None:
            raise Http404("The award has no released tranche for this year.")
        return tranche

    @cached_property
    def spend_return(self) -> SpendReturn | None:
        quarter = self.kwargs["quarter"]
        return next((r for r in self.tranche.spend_returns.all() if r.quarter == quarter), None)

    @property
    def can_submit(self) -> bool:
        spend = self.spend_return
        return permissions.can_act_for_office(self.request.user, self.bid) and (
            spend is None or spend.status == SpendReturn.Status.RETURNED
        )

    def get(self, request, *args, **kwargs):
        self.tranche  # noqa: B018 - 404 before anything else
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.tranche  # noqa: B018
        return super().post(request, *args, **kwargs)

    @property
    def quarter_end(self) -> datetime.date:
        return quarter_bounds(self.tranche.financial_year, self.kwargs["quarter"])[1]

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "quarter_end": self.quarter_end,
            "today": timezone.localdate(),
        }

    def get_initial(self):
        spend = self.spend_return
        if spend is not None and spend.status == SpendReturn.Status.RETURNED:
            return {"amount_spent": spend.amount_spent, "narrative": spend.narrative}
        return {}

    def get_context_data(self, **kwargs):
        tranche, spend = self.tranche, self.spend_return
        counted = spend is not None and spend.status != SpendReturn.Status.RETURNED
        return super().get_context_data(
            tranche=tranche,
            quarter=self.kwargs["quarter"],
            quarter_label=quarter_label(tranche.financial_year, self.kwargs["quarter"]),
            spend_return=spend,
            status_row=QuarterRow(
                quarter=self.kwargs["quarter"],
                label="",
                spend_return=spend,
                due=False,
                ended=True,
            ),
            can_submit=self.can_submit,
            quarter_ended=self.quarter_end < timezone.localdate(),
            reportable_from=self.quarter_end + datetime.timedelta(days=1),
            # What the other quarters have reported: the total before this return counts.
            reported_elsewhere=tranche.reported - (spend.amount_spent if counted else ZERO),
            back_url=reverse("portal:spend", args=[self.bid.reference])
            + f"#tranche-{tranche.financial_year}",
            **kwargs,
        )

    def service_call(self, form):
        tranche = self.tranche
        label = f"Q{self.kwargs['quarter']} {fy_label(tranche.financial_year)}"
        services.spend_return_submit(
            tranche=tranche,
            quarter=self.kwargs["quarter"],
            amount_spent=form.cleaned_data["amount_spent"],
            narrative=form.cleaned_data["narrative"],
            by=self.request.user,
        )
        messages.success(
            self.request,
            f"Your {label} spend return is sent: "
            f"{format_gbp(form.cleaned_data['amount_spent'])} spent. "
            "The Home Office will check it.",
        )
        after = tranches_with_spend(self.award).get(pk=tranche.pk)
        if after.reported > after.amount:
            messages.warning(
                self.request,
                f"Spend reported against the {fy_label(tranche.financial_year)} tranche is now "
                f"{format_gbp(after.reported)}: {format_gbp(after.reported - after.amount)} more "
                f"than its allocation of {format_gbp(after.amount)}. The Home Office may ask "
                "you about it.",
            )
        return redirect(
            reverse("portal:spend", args=[self.bid.reference])
            + f"#tranche-{tranche.financial_year}"
        )


# A reference always has a hyphen (PTF-2016-0007), so the bid's own page leaves the other
# portal pages under bids/ (such as bids/start/) to their views, whatever order they mount in.
BID_PAGE = r"^bids/(?P<reference>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+)/$"

urlpatterns = [
    path("", PortalHomeView.as_view(), name="home"),
    re_path(BID_PAGE, BidDetailView.as_view(), name="bid"),
    path("bids/<str:reference>/withdraw/", WithdrawView.as_view(), name="withdraw"),
    path(
        "bids/<str:reference>/clarifications/<int:pk>/",
        ClarificationAnswerView.as_view(),
        name="clarification_answer",
    ),
    path("bids/<str:reference>/spend/", SpendView.as_view(), name="spend"),
    path(
        "bids/<str:reference>/spend/<int:year>/q<int:quarter>/",
        SpendReturnView.as_view(),
        name="spend_return",
    ),
]

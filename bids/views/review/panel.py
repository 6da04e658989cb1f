"""Review pages of the panel: rounds, moderation, funding line, decisions, publication.

Analysts moderate, move the funding line to see what if, and publish a round's results;
approvers decide. Every POST is one service per bid; the funding line, its CSV and the panel
pack are reads only, built from ``bids.funding_line`` over what the database returns.
"""

import csv
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from bids import panel_pack, permissions, services
from bids.forms.panel import (
    BatchDecisionForm,
    DecisionForm,
    FundingLineForm,
    ModerationForm,
    PublishForm,
)
from bids.funding_line import LINE_RULE, RANKING_RULE, Candidate, funding_line
from bids.models import (
    Award,
    Bid,
    BidEvent,
    Criterion,
    Envelope,
    FundingRound,
    Review,
    SpendCategory,
    Tranche,
)
from bids.moderation import (
    LARGE_SPREAD,
    Moderation,
    ModerationSheet,
    moderation_sheet,
    person,
)
from bids.views.review.base import AnalystMixin, ApproverMixin, CaseworkerMixin, ReviewBidMixin
from fundtracker.money import ZERO, format_gbp
from fundtracker.years import fy_label

Status = Bid.Status
Action = BidEvent.Action


class ServiceFormMixin:
    """A form page that changes things through one service; its refusals become form errors."""

    def service_call(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            return self.service_call(form)
        except (services.WorkflowError, permissions.PermissionDenied) as error:
            refusal = error.messages if hasattr(error, "messages") else [str(error)]
            for message in refusal:
                form.add_error(None, message)
            return self.form_invalid(form)


def latest_decision(bid: Bid) -> BidEvent | None:
    """The event that decided the bid (approval, rejection or an imported award)."""
    return (
        bid.events.filter(action__in=[Action.APPROVED, Action.REJECTED, Action.IMPORTED])
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )


def latest_moderation(bid: Bid) -> Moderation | None:
    event = (
        bid.events.filter(action=Action.MODERATED)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    return Moderation.from_event(event, bid)


# --------------------------------------------------------------------------- rounds


class RoundMixin:
    """A round from the ``slug`` in the URL."""

    @cached_property
    def funding_round(self) -> FundingRound:
        return get_object_or_404(
            FundingRound.objects.select_related("fund"), slug=self.kwargs["slug"]
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(funding_round=self.funding_round, **kwargs)


class RoundListView(CaseworkerMixin, ListView):
    """Every round with its dates, its bids by stage and whether its results are public."""

    template_name = "bids/review/panel/round_list.html"
    context_object_name = "rounds"

    def get_queryset(self):
        return (
            FundingRound.objects.with_bid_counts()
            .select_related("fund")
            .order_by("-first_financial_year", "-opens_at", "name")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(review_section="rounds", **kwargs)


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int
    queue_url: str


@dataclass(frozen=True)
class CategoryEnvelopes:
    category: SpendCategory
    amounts: list[Decimal | None]  # one per financial year of the round
    total: Decimal
    recommended: int
    funding_line_url: str


class RoundDetailView(RoundMixin, CaseworkerMixin, TemplateView):
    """One round: its bids by status, envelopes by category and year, and what to do next."""

    template_name = "bids/review/panel/round_detail.html"

    def _status_counts(self) -> list[StatusCount]:
        counts = dict(
            self.funding_round.bids.exclude(status=Status.DRAFT)
            .values_list("status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        queue = reverse("review:queue")
        slug = self.funding_round.slug
        return [
            StatusCount(
                status=value,
                label=label,
                count=counts.get(value, 0),
                queue_url=f"{queue}?{urlencode({'round': slug, 'status': value})}",
            )
            for value, label in Status.choices
            if value != Status.DRAFT
        ]

    def _envelopes(self) -> list[CategoryEnvelopes]:
        funding_round = self.funding_round
        years = list(funding_round.financial_years)
        round_envelopes = Envelope.objects.filter(round=funding_round)
        envelopes = {}
        for envelope in round_envelopes.select_related("category"):
            envelopes.setdefault(envelope.category, {})[envelope.financial_year] = envelope.amount
        totals = {row["category"]: row["envelope"] for row in round_envelopes.totals_by("category")}
        recommended = dict(
            funding_round.bids.filter(status=Status.RECOMMENDED)
            .values_list("spend_category")
            .annotate(n=Count("pk"))
            .order_by()
        )
        categories = set(envelopes) | set(
            SpendCategory.objects.filter(pk__in=[pk for pk in recommended if pk])
        )
        line_url = reverse("review:funding_line", args=[funding_round.slug])
        rows = []
        for category in sorted(categories, key=lambda c: (c.order, c.name)):
            amounts = [envelopes.get(category, {}).get(year) for year in years]
            rows.append(
                CategoryEnvelopes(
                    category=category,
                    amounts=amounts,
                    total=totals.get(category.pk, ZERO),
                    recommended=recommended.get(category.pk, 0),
                    funding_line_url=f"{line_url}?{urlencode({'category': category.slug})}",
                )
            )
        return rows

    def get_context_data(self, **kwargs):
        funding_round = self.funding_round
        statuses = self._status_counts()
        envelopes = self._envelopes()
        years = list(funding_round.financial_years)
        round_envelopes = Envelope.objects.filter(round=funding_round)
        by_year = {
            row["financial_year"]: row["envelope"]
            for row in round_envelopes.totals_by("financial_year")
        }
        awards = Award.objects.filter(bid__round=funding_round).aggregate(
            count=Count("pk"), total=Sum("total")
        )
        return super().get_context_data(
            review_section="rounds",
            statuses=statuses,
            submitted_count=sum(s.count for s in statuses),
            undecided=sum(
                s.count
                for s in statuses
                if s.status
                in {
                    Status.SUBMITTED,
                    Status.UNDER_REVIEW,
                    Status.CLARIFICATION_REQUESTED,
                    Status.RECOMMENDED,
                    Status.NOT_RECOMMENDED,
                }
            ),
            years=years,
            envelopes=envelopes,
            year_totals=[by_year.get(year, ZERO) for year in years],
            envelope_total=round_envelopes.total(),
            award_count=awards["count"],
            award_total=awards["total"] or ZERO,
            queue_url=f"{reverse('review:queue')}?{urlencode({'round': funding_round.slug})}",
            **kwargs,
        )


class RoundPublishView(ServiceFormMixin, AnalystMixin, RoundMixin, FormView):
    """Confirm, then make the round's awards public (refused while bids await a decision)."""

    template_name = "bids/review/panel/round_publish.html"
    form_class = PublishForm

    def get_context_data(self, **kwargs):
        funding_round = self.funding_round
        undecided = funding_round.bids.exclude(
            status__in=[Status.APPROVED, Status.REJECTED, Status.WITHDRAWN, Status.DRAFT]
        ).count()
        awards = Award.objects.filter(bid__round=funding_round).aggregate(
            count=Count("pk"), total=Sum("total")
        )
        return super().get_context_data(
            review_section="rounds",
            undecided=undecided,
            round_open=funding_round.is_open(),
            award_count=awards["count"],
            award_total=awards["total"] or ZERO,
            **kwargs,
        )

    def service_call(self, form):
        funding_round = services.round_publish_results(
            funding_round=self.funding_round, by=self.request.user
        )
        awards = Award.objects.filter(bid__round=funding_round).aggregate(
            count=Count("pk"), total=Sum("total")
        )
        count = awards["count"]
        messages.success(
            self.request,
            f"The results of {funding_round} are published: "
            f"{'1 award' if count == 1 else f'{count} awards'} totalling "
            f"{format_gbp(awards['total'] or ZERO)} "
            f"{'is' if count == 1 else 'are'} now public.",
        )
        return redirect("review:round", slug=funding_round.slug)


# --------------------------------------------------------------------------- moderation


class ModerateView(ServiceFormMixin, AnalystMixin, ReviewBidMixin, FormView):
    """The reviews side by side and the analyst's moderated score, outcome and reason."""

    template_name = "bids/review/panel/moderate.html"
    form_class = ModerationForm

    @cached_property
    def reviews(self) -> list[Review]:
        return list(self.bid.reviews.with_scores())

    @cached_property
    def sheet(self) -> ModerationSheet:
        criteria = list(Criterion.objects.filter(round_id=self.bid.round_id))
        active = [r for r in self.reviews if r.has_conflict is not True and r.is_submitted]
        return moderation_sheet(criteria, active)

    @property
    def outstanding(self) -> list[Review]:
        return [r for r in self.reviews if r.has_conflict is not True and not r.is_submitted]

    @property
    def can_moderate(self) -> bool:
        return (
            self.bid.status == Status.UNDER_REVIEW
            and bool(self.sheet.reviews)
            and not self.outstanding
        )

    def get(self, request, *args, **kwargs):
        self.refuse_reviewer_still_reviewing()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.refuse_reviewer_still_reviewing()
        return super().post(request, *args, **kwargs)

    def refuse_reviewer_still_reviewing(self) -> None:
        """404 for an unknown reference or a draft, and for a reviewer of the bid whose own
        review is not in: the sheet shows every review, which a reviewer sees only after
        submitting theirs (design §3), and a conflicted reviewer never submits one."""
        if any(r.reviewer_id == self.request.user.pk and not r.is_submitted for r in self.reviews):
            raise Http404("You are reviewing this bid, so you cannot moderate it.")

    def get_initial(self):
        mean = self.sheet.mean
        return {"moderated_score": mean} if mean is not None else {}

    def get_context_data(self, **kwargs):
        moderation = None
        if self.bid.status not in {Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED}:
            moderation = latest_moderation(self.bid)
        return super().get_context_data(
            review_section="queue",
            sheet=self.sheet,
            outstanding=self.outstanding,
            conflicted=[r for r in self.reviews if r.has_conflict is True],
            can_moderate=self.can_moderate,
            moderation=moderation,
            large_spread=LARGE_SPREAD,
            back_url=reverse("review:bid", args=[self.bid.reference]),
            **kwargs,
        )

    def service_call(self, form):
        bid = services.bid_moderate(
            bid=self.bid,
            moderated_score=form.cleaned_data["moderated_score"],
            recommended=form.recommended,
            reason=form.cleaned_data["reason"],
            by=self.request.user,
        )
        outcome = "recommended" if bid.status == Status.RECOMMENDED else "not recommended"
        messages.success(
            self.request,
            f"Bid {bid.reference} is moderated at {bid.moderated_score} and {outcome} to the "
            "funding panel.",
        )
        return redirect("review:bid", reference=bid.reference)


# --------------------------------------------------------------------------- funding line


@dataclass(frozen=True)
class ApprovedRow:
    """An award already approved in the category, and what it takes in each year."""

    award: Award
    amounts: list[Decimal]


class FundingLineMixin(RoundMixin, CaseworkerMixin):
    """The ranked recommended bids of one category of the round, and where the line falls.

    The category comes from ``category`` in the query (the first category with recommended
    bids by default), a what-if position of the line from ``line``. Bad values are reported
    by ``form`` and the defaults used. A constant number of queries, however many bids.
    """

    bid_queryset_method = "for_funding_line"

    @cached_property
    def categories(self) -> list[SpendCategory]:
        """Categories with envelopes in the round or bids recommended in it, in order, each
        with ``has_recommended``."""
        funding_round = self.funding_round
        recommended = Bid.objects.filter(
            round=funding_round, status=Status.RECOMMENDED, spend_category=OuterRef("pk")
        )
        with_envelope = Envelope.objects.filter(round=funding_round, category=OuterRef("pk"))
        return list(
            SpendCategory.objects.annotate(
                has_recommended=Exists(recommended), has_envelope=Exists(with_envelope)
            )
            .filter(Q(has_recommended=True) | Q(has_envelope=True))
            .order_by("order", "name")
        )

    @cached_property
    def form(self) -> FundingLineForm:
        form = FundingLineForm(self.request.GET, categories=self.categories)
        form.is_valid()
        return form

    @cached_property
    def category(self) -> SpendCategory | None:
        chosen = self.form.cleaned_data.get("category")
        by_slug = {c.slug: c for c in self.categories}
        if chosen in by_slug:
            return by_slug[chosen]
        return next((c for c in self.categories if c.has_recommended), None) or next(
            iter(self.categories), None
        )

    @cached_property
    def approved(self) -> list[ApprovedRow]:
        years = list(self.funding_round.financial_years)
        awards = (
            Award.objects.filter(
                bid__round=self.funding_round,
                bid__spend_category=self.category,
                bid__status=Status.APPROVED,
            )
            .select_related("bid__lead_force")
            .prefetch_related("tranches")
            .order_by("bid__reference")
        )
        rows = []
        for award in awards:
            by_year = {t.financial_year: t.amount for t in award.tranches.all()}
            rows.append(ApprovedRow(award, [by_year.get(year, ZERO) for year in years]))
        return rows

    @cached_property
    def bids(self) -> list[Bid]:
        queryset = Bid.objects.filter(
            round=self.funding_round, spend_category=self.category, status=Status.RECOMMENDED
        )
        return list(getattr(queryset, self.bid_queryset_method)())

    @cached_property
    def result(self):
        funding_round, category = self.funding_round, self.category
        years = list(funding_round.financial_years)
        envelopes = dict(
            Envelope.objects.filter(round=funding_round, category=category).values_list(
                "financial_year", "amount"
            )
        )
        committed = {
            row["financial_year"]: row["allocated"]
            for row in Tranche.objects.filter(
                award__bid__round=funding_round,
                award__bid__spend_category=category,
                award__bid__status=Status.APPROVED,
            ).totals_by("financial_year")
        }
        candidates = [
            Candidate(
                reference=bid.reference,
                score=bid.moderated_score,
                requested={line.financial_year: line.amount for line in bid.funding_lines.all()},
                item=bid,
            )
            for bid in self.bids
        ]
        self.form.set_bid_count(len(candidates))
        return funding_line(
            candidates,
            years=years,
            envelopes=envelopes,
            committed=committed,
            line=self.form.cleaned_data.get("line"),
        )

    def query(self, **changes) -> str:
        """The query string of this view's choices, with ``changes`` (``None`` drops one)."""
        params = {}
        if self.category is not None:
            params["category"] = self.category.slug
        line = self.form.cleaned_data.get("line")
        if line is not None and self.category is not None and self.result.is_moved:
            params["line"] = line
        params.update(changes)
        params = {k: v for k, v in params.items() if v is not None}
        return f"?{urlencode(params)}" if params else ""

    def has_bad_choices(self) -> bool:
        if self.category is not None:
            self.result  # noqa: B018 - checks the line against the bids ranked
        return bool(self.form.errors)

    def funding_line_context(self) -> dict:
        funding_round = self.funding_round
        years = list(funding_round.financial_years)
        result = self.result if self.category is not None else None
        return {
            "category": self.category,
            "categories": self.categories,
            "years": years,
            "year_labels": [fy_label(y) for y in years],
            # Rank, bid, score, total and position, and a running total for each year.
            "line_columns": 5 + len(years),
            "result": result,
            "approved": self.approved if self.category is not None else [],
            "ranking_rule": RANKING_RULE,
            "line_rule": LINE_RULE,
        }


class FundingLineView(FundingLineMixin, TemplateView):
    """The ranked list with its running totals against the envelope, and the line."""

    template_name = "bids/review/panel/funding_line.html"

    def get_context_data(self, **kwargs):
        context = self.funding_line_context()
        funding_round = self.funding_round
        not_recommended = 0
        if self.category is not None:
            not_recommended = Bid.objects.filter(
                round=funding_round, spend_category=self.category, status=Status.NOT_RECOMMENDED
            ).count()
        base = reverse("review:funding_line", args=[funding_round.slug])
        return super().get_context_data(
            review_section="rounds",
            form=self.form,
            not_recommended=not_recommended,
            csv_url=reverse("review:funding_line_csv", args=[funding_round.slug]) + self.query(),
            pdf_url=reverse("review:panel_pack", args=[funding_round.slug]) + self.query(),
            reset_url=base + self.query(line=None),
            batch_url=reverse("review:decide_batch", args=[funding_round.slug])
            + (f"?{urlencode({'category': self.category.slug})}" if self.category else ""),
            **context,
            **kwargs,
        )


class FundingLineDownloadMixin(FundingLineMixin):
    """A download of the funding line: bad choices go back to the page, which explains them."""

    def get(self, request, *args, **kwargs):
        if self.category is None or self.has_bad_choices():
            url = reverse("review:funding_line", args=[self.funding_round.slug])
            query = request.GET.urlencode()
            return redirect(f"{url}?{query}" if query else url)
        return self.download()

    def filename(self, extension: str) -> str:
        return f"funding-line-{self.funding_round.slug}-{self.category.slug}.{extension}"


# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    # Titles come from PCC offices: one that starts like a formula must stay text.
    return f"'{value}" if value.startswith(FORMULA_START) else value


class FundingLineCsvView(FundingLineDownloadMixin, View):
    """The ranked list as CSV (RFC 4180, UTF-8, money as plain decimals)."""

    def download(self):
        result = self.result
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.filename("csv")}"'
        response["Cache-Control"] = "private, no-store"
        writer = csv.writer(response, lineterminator="\r\n")
        labels = [fy_label(y.year) for y in result.years]
        writer.writerow(
            [
                "rank",
                "reference",
                "title",
                "lead_force",
                "moderated_score",
                *(f"requested_{label}" for label in labels),
                *(f"running_total_{label}" for label in labels),
                "requested_total",
                "position",
            ]
        )
        for row in result.rows:
            bid = row.item
            writer.writerow(
                [
                    row.position,
                    bid.reference,
                    spreadsheet_text(bid.title),
                    bid.lead_force.name,
                    "" if bid.moderated_score is None else f"{bid.moderated_score:.2f}",
                    *(f"{cell.requested:.2f}" for cell in row.cells),
                    *(f"{cell.running:.2f}" for cell in row.cells),
                    f"{row.candidate.total:.2f}",
                    row.tag,
                ]
            )
        return response


PANEL_PACK_CACHE_SECONDS = 60 * 60
# The ranked list is laid out in parts of this many rows, side by side: in one part, the 199
# bids of the benchmark's pack took longer to lay out than everything else of a first download.
# Each part after the first starts a page.
RANKED_ROWS_A_PART = 70


class PanelPackView(FundingLineDownloadMixin, View):
    """The funding panel's pack as PDF (``bids.panel_pack``): cover, the ranked list with the
    line, then a page for each bid with its reviews and moderation. A constant number of
    queries."""

    bid_queryset_method = "for_panel_pack"

    def download(self):
        funding_round = self.funding_round
        generated_at = timezone.localdate()
        context = {
            **self.funding_line_context(),
            "funding_round": funding_round,
            "generated_at": generated_at,
            "footer": f"{funding_round.fund.code} {funding_round.name} · {self.category.name}"
            f" · panel pack produced {date_format(generated_at, 'j F Y')}"
            " · Official – sensitive: not for publication",
        }
        rows = self.result.rows
        criteria = list(Criterion.objects.filter(round=funding_round))
        # Whoever declared a conflict of interest on a bid sees neither its reviews nor the
        # moderator's reasons, in the pack as on the moderation page.
        withheld = set(
            Review.objects.filter(
                reviewer=self.request.user,
                has_conflict=True,
                bid__in=[row.item.pk for row in rows],
            ).values_list("bid", flat=True)
        )
        cover = self.render_part(context, "cover")
        ranked = [
            self.render_part(
                {
                    **context,
                    "ranked_rows": rows[start : start + RANKED_ROWS_A_PART],
                    "offset": start,
                    "first": start == 0,
                    "last": start + RANKED_ROWS_A_PART >= len(rows),
                },
                "ranked",
            )
            for start in range(0, max(len(rows), 1), RANKED_ROWS_A_PART)
        ]
        footer = self.render_part(context, "footer")
        pages = panel_pack.bid_pages(rows, criteria, withheld)
        # A panel's members download the same pack: the PDF is kept under a digest of what it
        # shows, so any change to that makes a new one.
        digest = hashlib.sha256()
        for text in [footer, cover, *ranked]:
            digest.update(hashlib.sha256(text.encode()).digest())
        for page in pages:
            digest.update(f"{panel_pack.caption(page.row)}\0{page.digest}\0".encode())
        key = f"panel-pack:{digest.hexdigest()}"
        pdf = cache.get(key)
        if pdf is None:
            pdf = panel_pack.pack_pdf(
                cover=cover, ranked=ranked, footer=footer, pages=pages, request=self.request
            )
            cache.set(key, pdf, PANEL_PACK_CACHE_SECONDS)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{self.filename("pdf")}"'
        response["Cache-Control"] = "private, no-store"
        return response

    def render_part(self, context: dict, part: str) -> str:
        return render_to_string(
            panel_pack.TEMPLATE, {**context, "part": part}, request=self.request
        )


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class ReviewSummary:
    reviewer: str
    total: Decimal | None
    recommendation: str


class DecideView(ServiceFormMixin, ApproverMixin, ReviewBidMixin, FormView):
    """An approver approves the bid with its tranches, or rejects it with reasons."""

    template_name = "bids/review/panel/decide.html"
    form_class = DecisionForm

    @cached_property
    def funding_lines(self):
        return list(self.bid.funding_lines.order_by("financial_year"))

    def get(self, request, *args, **kwargs):
        self.bid  # noqa: B018 - 404 before anything else
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.bid  # noqa: B018
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "bid": self.bid, "funding_lines": self.funding_lines}

    def get_context_data(self, **kwargs):
        bid = self.bid
        user = self.request.user
        decision = latest_decision(bid) if bid.is_decided else None
        reviews = list(bid.reviews.active().submitted().with_scores())
        return super().get_context_data(
            review_section="queue",
            funding_lines=self.funding_lines,
            can_decide=permissions.can_decide(user, bid),
            awaiting_decision=bid.status in {Status.RECOMMENDED, Status.NOT_RECOMMENDED},
            decision=decision,
            decided_by=person(decision.actor) if decision and decision.actor else "",
            moderation=latest_moderation(bid),
            reviews=[
                ReviewSummary(
                    person(r.reviewer), r.weighted_score(), r.get_recommendation_display()
                )
                for r in reviews
            ],
            back_url=reverse("review:bid", args=[bid.reference]),
            **kwargs,
        )

    def service_call(self, form):
        approve = form.cleaned_data["decision"] == DecisionForm.APPROVE
        if approve:
            bid = services.bid_decide(
                bid=self.bid,
                approve=True,
                by=self.request.user,
                tranches=form.tranches(),
                total=form.cleaned_data["total"],
                conditions=form.cleaned_data["conditions"],
                reasons=form.cleaned_data["notes"],
            )
            award = Award.objects.get(bid=bid)
            tranches = ", ".join(
                f"{fy_label(t.financial_year)} {format_gbp(t.amount)}"
                for t in award.tranches.order_by("financial_year")
            )
            messages.success(
                self.request,
                f"Bid {bid.reference} is approved: an award of {format_gbp(award.total)} "
                f"({tranches}).",
            )
        else:
            bid = services.bid_decide(
                bid=self.bid,
                approve=False,
                by=self.request.user,
                reasons=form.cleaned_data["reasons"],
            )
            messages.success(self.request, f"Bid {bid.reference} is rejected.")
        return redirect("review:bid", reference=bid.reference)


@dataclass(frozen=True)
class BatchOutcome:
    reference: str
    title: str
    text: str


class DecideBatchView(ApproverMixin, RoundMixin, FormView):
    """The round's moderated bids (optionally one category) with boxes to tick: approve the
    ticked ones at their requested profile, or reject them with one reason. Each bid is
    decided by ``bid_decide`` in its own transaction, so one refusal stops no other."""

    template_name = "bids/review/panel/decide_batch.html"
    form_class = BatchDecisionForm

    @cached_property
    def category(self) -> SpendCategory | None:
        slug = self.request.GET.get("category")
        if not slug:
            return None
        return SpendCategory.objects.filter(slug=slug).first()

    def scoped(self):
        bids = Bid.objects.filter(round=self.funding_round).exclude(status=Status.DRAFT)
        if self.category is not None:
            bids = bids.filter(spend_category=self.category)
        return bids

    @cached_property
    def bids(self) -> list[Bid]:
        reviewed = Review.objects.filter(bid=OuterRef("pk"), reviewer=self.request.user)
        bids = list(
            self.scoped()
            .awaiting_decision()
            .select_related("lead_force", "spend_category")
            .annotate(reviewed_by_me=Exists(reviewed))
            .order_by("-moderated_score", "reference")
        )
        # The error summary links to the first box, ``id_bids_0``: recommended bids come first.
        bids.sort(key=lambda bid: bid.status != Status.RECOMMENDED)
        eligible = (bid for bid in bids if not bid.reviewed_by_me)
        for index, bid in enumerate(eligible):
            bid.checkbox_id = f"id_bids_{index}"
        return bids

    @property
    def session_key(self) -> str:
        return f"decide-batch-{self.funding_round.pk}"

    def get_form_kwargs(self):
        # Any submitted bid of the round may be ticked: one decided since the page was shown
        # is refused by the service, which says who decided it.
        return {
            **super().get_form_kwargs(),
            "references": self.scoped().values_list("reference", flat=True),
        }

    def get_context_data(self, **kwargs):
        bids = self.bids
        return super().get_context_data(
            review_section="rounds",
            category=self.category,
            unknown_category=bool(self.request.GET.get("category")) and self.category is None,
            categories=SpendCategory.objects.filter(
                bids__in=Bid.objects.filter(round=self.funding_round).awaiting_decision()
            )
            .distinct()
            .order_by("order", "name"),
            recommended=[b for b in bids if b.status == Status.RECOMMENDED],
            not_recommended=[b for b in bids if b.status == Status.NOT_RECOMMENDED],
            eligible_count=sum(1 for b in bids if not b.reviewed_by_me),
            outcome=self.request.session.pop(self.session_key, None),
            selected=set(self.request.POST.getlist("bids")),
            **kwargs,
        )

    def form_valid(self, form):
        approve = form.cleaned_data["action"] == BatchDecisionForm.APPROVE
        references = list(dict.fromkeys(form.cleaned_data["bids"]))
        found = {
            bid.reference: bid
            for bid in Bid.objects.filter(round=self.funding_round, reference__in=references)
        }
        decided, refused = [], []
        for reference in references:
            bid = found[reference]
            try:
                bid = services.bid_decide(
                    bid=bid,
                    approve=approve,
                    by=self.request.user,
                    reasons="" if approve else form.cleaned_data["reason"],
                )
            except (services.WorkflowError, permissions.PermissionDenied) as error:
                refusal = error.messages if hasattr(error, "messages") else [str(error)]
                refused.append(BatchOutcome(reference, bid.title, " ".join(refusal)))
                continue
            if approve:
                total = Award.objects.filter(bid=bid).values_list("total", flat=True).first()
                text = f"Approved: an award of {format_gbp(total)}"
            else:
                text = "Rejected"
            decided.append(BatchOutcome(reference, bid.title, text))
        self.request.session[self.session_key] = {
            "decided": [vars(o) for o in decided],
            "refused": [vars(o) for o in refused],
        }
        return redirect(self.request.get_full_path())


urlpatterns = [
    path("rounds/", RoundListView.as_view(), name="rounds"),
    path("rounds/<slug:slug>/", RoundDetailView.as_view(), name="round"),
    path("rounds/<slug:slug>/publish/", RoundPublishView.as_view(), name="round_publish"),
    path("rounds/<slug:slug>/funding-line/", FundingLineView.as_view(), name="funding_line"),
    path(
        "rounds/<slug:slug>/funding-line.csv",
        FundingLineCsvView.as_view(),
        name="funding_line_csv",
    ),
    path("rounds/<slug:slug>/panel-pack.pdf", PanelPackView.as_view(), name="panel_pack"),
    path("rounds/<slug:slug>/decisions/", DecideBatchView.as_view(), name="decide_batch"),
    path("bids/<str:reference>/moderation/", ModerateView.as_view(), name="moderate"),
    path("bids/<str:reference>/decision/", DecideView.as_view(), name="decide"),
]

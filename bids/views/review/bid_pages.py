"""Review pages about one bid: the bid, reviewers, interests, scoring, questions.

Every page finds the bid through ``ReviewBidMixin``: submitted bids only, and only for analysts
and approvers (anyone else signed in gets 404). Interests and scores are the assigned reviewer's
own pages; assigning reviewers and asking questions are analysts'. Every POST is one service
call, whose refusals are shown as form errors.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.models import User
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.views.generic import FormView, TemplateView, View

from bids import permissions, services
from bids.derived import cached_review_figure
from bids.forms.review import (
    AssignReviewersForm,
    ClarificationAskForm,
    DeclareInterestsForm,
    ScoreForm,
)
from bids.models import Award, Bid, BidEvent, Criterion, Document, Envelope, Review
from bids.similar import similar_bids
from bids.timeline import distinct_names, person_name, review_events, review_timeline
from bids.views.portal.base import bid_answers_context
from bids.views.portal.documents import bid_pdf_response, document_file_response
from bids.views.review.base import AnalystMixin, ReviewBidMixin, is_review_user
from fundtracker.money import ZERO

Status = Bid.Status
Action = BidEvent.Action

# Where reviewers can still be added, and where reviewers declare, score and analysts ask.
ASSIGNABLE = frozenset({Status.SUBMITTED, Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED})
IN_REVIEW = frozenset({Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED})
DECIDABLE = frozenset({Status.RECOMMENDED, Status.NOT_RECOMMENDED})


class BidPageMixin(ReviewBidMixin):
    """``ReviewBidMixin`` that answers 404 for an unknown reference or a draft before anything
    else, on every method."""

    review_section = "queue"

    def dispatch(self, request, *args, **kwargs):
        if is_review_user(request.user):
            self.bid  # noqa: B018
        return super().dispatch(request, *args, **kwargs)

    @property
    def bid_url(self) -> str:
        return reverse("review:bid", args=[self.bid.reference])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            review_section=self.review_section, back_url=self.bid_url, **kwargs
        )


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
        except permissions.PermissionDenied as error:
            form.add_error(None, str(error))
        return self.form_invalid(form)


def _percent(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return (part / whole * 100).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class EnvelopeRow:
    """One financial year of the bid's funding profile, set against the round's envelope for
    the bid's spend category and what every competing bid in that category asks for."""

    financial_year: int
    envelope: Decimal | None
    requested: Decimal
    requested_by_all: Decimal
    bids: int

    @property
    def share(self) -> Decimal | None:
        return _percent(self.requested, self.envelope)

    @property
    def share_by_all(self) -> Decimal | None:
        return _percent(self.requested_by_all, self.envelope)

    @property
    def oversubscribed(self) -> bool:
        return self.envelope is not None and self.requested_by_all > self.envelope


def envelope_and_requests(round_id: int, category_id: int) -> tuple[dict, dict]:
    """The round's envelope for the category by financial year, and what its competing bids of
    the category ask for: rows of ``requested`` and ``bids`` by financial year (two queries).
    The second sums every funding line of hundreds of bids, the same for each of them, so both
    are cached until a submitted bid or an envelope changes (``bids.derived``)."""

    def work_out() -> tuple[dict, dict]:
        envelopes = dict(
            Envelope.objects.filter(round_id=round_id, category_id=category_id)
            .order_by()
            .values_list("financial_year", "amount")
        )
        totals = {
            row["financial_year"]: row
            for row in Bid.objects.in_round(round_id)
            .filter(spend_category_id=category_id)
            .competing()
            .requested_by_year()
        }
        return envelopes, totals

    return cached_review_figure(f"envelope:{round_id}:{category_id}", work_out)


def envelope_rows(bid: Bid, funding_lines) -> list[EnvelopeRow]:
    """The bid's years (the round's, and any other it asks money for) against the envelope
    (at most two queries; none without a spend category)."""
    requested = {line.financial_year: line.amount for line in funding_lines}
    years = sorted(set(bid.round.financial_years) | requested.keys())
    envelopes, totals = {}, {}
    if bid.spend_category_id is not None:
        envelopes, totals = envelope_and_requests(bid.round_id, bid.spend_category_id)
    return [
        EnvelopeRow(
            financial_year=year,
            envelope=envelopes.get(year),
            requested=requested.get(year, ZERO),
            requested_by_all=totals.get(year, {}).get("requested", ZERO),
            bids=totals.get(year, {}).get("bids", 0),
        )
        for year in years
    ]


@dataclass(frozen=True)
class ReviewerRow:
    """An assigned reviewer whose review is not on show: not submitted, or hidden from a
    reviewer who has not submitted their own yet."""

    review: Review
    name: str
    state: str


def _latest(events: list[BidEvent], action: str) -> BidEvent | None:
    return next((e for e in events if e.action == action), None)


class BidDetailView(BidPageMixin, TemplateView):
    """Everything about the bid for analysts and approvers: what the office submitted, the money
    against the envelope, reviews, questions, moderation, decision, similar bids, timeline."""

    template_name = "bids/review/bid/bid_detail.html"

    def _reviews(self, reviews: list[Review], mine: Review | None):
        """The reviews on show and the reviewers listed without their review.

        A reviewer who has not submitted (or cannot, having declared a conflict) sees no other
        reviewer's review, only who is assigned; everyone else sees every submitted review.
        """
        if mine is not None and not mine.is_submitted:
            others = [
                ReviewerRow(r, person_name(r.reviewer), "Assigned")
                for r in reviews
                if r.pk != mine.pk
            ]
            return [], others
        shown = [r for r in reviews if r.is_submitted]
        waiting = []
        for review in reviews:
            if review.is_submitted:
                continue
            if review.has_conflict:
                state = f"Declared a conflict of interest: {review.conflict_details}"
            elif review.conflict_declared_at is None:
                state = "Assigned, has not declared interests yet"
            elif review.scores.all():
                state = "Scoring, not submitted yet"
            else:
                state = "No conflict declared, not scored yet"
            waiting.append(ReviewerRow(review, person_name(review.reviewer), state))
        return shown, waiting

    def get_context_data(self, **kwargs):
        bid, user = self.bid, self.request.user
        is_analyst, is_approver = permissions.is_analyst(user), permissions.is_approver(user)
        answers = bid_answers_context(bid)
        reviews = list(bid.reviews.with_scores())
        mine = next((r for r in reviews if r.reviewer_id == user.pk), None)
        shown, waiting = self._reviews(reviews, mine)
        active = [r for r in reviews if not r.has_conflict]
        events = list(review_events(bid))
        award = None
        if bid.status == Status.APPROVED:
            award = Award.objects.filter(bid=bid).select_related("decided_by").with_money().first()
        in_review = bid.status in IN_REVIEW
        return super().get_context_data(
            **answers,
            change_links=False,
            envelope_rows=envelope_rows(bid, answers["funding_lines"]),
            documents=list(bid.documents.order_by("uploaded_at", "pk")),
            clarifications=list(
                bid.clarifications.select_related("asked_by", "answered_by").order_by(
                    "asked_at", "pk"
                )
            ),
            reviews_shown=shown,
            reviewers_waiting=waiting,
            my_review=mine,
            conflicted=[r for r in reviews if r.has_conflict],
            timeline=review_timeline(
                events, reviewing=user if mine is not None and not mine.is_submitted else None
            ),
            submission=_latest(events, Action.SUBMITTED),
            moderation=_latest(events, Action.MODERATED),
            rejection=_latest(events, Action.REJECTED),
            withdrawal=_latest(events, Action.WITHDRAWN),
            award=award,
            similar=similar_bids(bid),
            can_assign=is_analyst and bid.status in ASSIGNABLE,
            can_declare=mine is not None and mine.conflict_declared_at is None and in_review,
            can_score=mine is not None
            and mine.has_conflict is False
            and not mine.is_submitted
            and in_review,
            can_ask=is_analyst and in_review,
            can_moderate=is_analyst
            and bid.status == Status.UNDER_REVIEW
            and bool(active)
            and all(r.is_submitted for r in active),
            reviews_outstanding=sum(1 for r in active if not r.is_submitted),
            # permissions.can_decide, on the reviews already loaded: never one's own review.
            can_decide=is_approver and bid.status in DECIDABLE and mine is None,
            reviewed_own=is_approver and bid.status in DECIDABLE and mine is not None,
            **kwargs,
        )


class BidPdfView(BidPageMixin, View):
    """The whole bid as a PDF download."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        return bid_pdf_response(self.bid, request)


class DocumentView(BidPageMixin, View):
    """One document of the bid; an id that is not a document of this bid is 404."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        document = get_object_or_404(Document.objects.filter(bid=self.bid), pk=kwargs["pk"])
        return document_file_response(document)


# --------------------------------------------------------------------------- reviewers


def analysts_with_workload():
    """Active analysts by name, each with ``open_reviews``: reviews assigned to them that they
    have not submitted nor declared a conflict on, of bids still in review."""
    open_review = (
        Q(reviews__submitted_at__isnull=True)
        & (Q(reviews__has_conflict__isnull=True) | Q(reviews__has_conflict=False))
        & Q(reviews__bid__status__in=IN_REVIEW)
    )
    return (
        User.objects.filter(groups__name=permissions.ANALYSTS, is_active=True)
        .annotate(open_reviews=Count("reviews", filter=open_review))
        .order_by("first_name", "last_name", "username")
    )


@dataclass(frozen=True)
class AnalystOption:
    """A checkbox of the assignment form: an analyst not assigned to the bid yet."""

    id: str
    user: User
    name: str
    checked: bool


@dataclass(frozen=True)
class AssignedAnalyst:
    """An analyst already assigned, with how far their review has got."""

    user: User
    name: str
    review: Review


class AssignView(AnalystMixin, ServiceFormMixin, BidPageMixin, FormView):
    """Analysts choose who reviews the bid; those already assigned are shown as such."""

    template_name = "bids/review/bid/assign.html"
    form_class = AssignReviewersForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "analysts": analysts_with_workload()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        field = context["form"]["reviewers"]
        chosen = {str(value) for value in field.value() or []}
        reviews = list(self.bid.reviews.select_related("reviewer").order_by("assigned_at", "pk"))
        taken = {r.reviewer_id for r in reviews}
        everyone = list(field.field.queryset)
        options = [user for user in everyone if user.pk not in taken]
        names = distinct_names([*everyone, *(r.reviewer for r in reviews)])
        context.update(
            can_assign=self.bid.status in ASSIGNABLE,
            assigned=[AssignedAnalyst(r.reviewer, names[r.reviewer_id], r) for r in reviews],
            # Numbered like Django's own checkboxes, so the error summary links to the first.
            options=[
                AnalystOption(
                    f"{field.auto_id}_{index}", user, names[user.pk], str(user.pk) in chosen
                )
                for index, user in enumerate(options)
            ],
        )
        return context

    def service_call(self, form):
        created = services.bid_assign_reviewers(
            bid=self.bid, reviewers=form.cleaned_data["reviewers"], by=self.request.user
        )
        names = ", ".join(person_name(r.reviewer) for r in created)
        messages.success(self.request, f"{names} will review bid {self.bid.reference}.")
        return redirect(self.bid_url + "#reviews")


# --------------------------------------------------------------------------- the reviewer


class ReviewerMixin(BidPageMixin):
    """Pages of the analyst assigned to review the bid; anyone else gets 404."""

    @cached_property
    def review(self) -> Review:
        review = (
            Review.objects.filter(bid=self.bid, reviewer=self.request.user).with_scores().first()
        )
        if review is None:
            raise Http404("You are not assigned to review this bid.")
        review.bid = self.bid
        return review

    def dispatch(self, request, *args, **kwargs):
        if is_review_user(request.user):
            self.review  # noqa: B018
        return super().dispatch(request, *args, **kwargs)

    def refusal(self) -> str:
        """Why the reviewer cannot act on this page now, or "" when they can."""
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        refusal = self.refusal()
        if refusal:
            messages.info(request, refusal)
            return redirect(request.path)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            review=self.review,
            refusal=self.refusal(),
            in_review=self.bid.status in IN_REVIEW,
            **kwargs,
        )


def _not_in_review(bid: Bid) -> str:
    return (
        f"Bid {bid.reference} is {bid.get_status_display().lower()}, so it is no longer "
        "being reviewed."
    )


class DeclareInterestsView(ReviewerMixin, ServiceFormMixin, FormView):
    """The reviewer says whether they have a conflict of interest, before they can score."""

    template_name = "bids/review/bid/declare_interests.html"
    form_class = DeclareInterestsForm

    def refusal(self) -> str:
        if self.review.conflict_declared_at is not None:
            return "You have already declared your interests for this bid."
        if self.bid.status not in IN_REVIEW:
            return _not_in_review(self.bid)
        return ""

    def service_call(self, form):
        has_conflict = form.cleaned_data["has_conflict"]
        services.review_declare_conflict(
            review=self.review,
            has_conflict=has_conflict,
            details=form.cleaned_data["details"],
            by=self.request.user,
        )
        if has_conflict:
            messages.success(
                self.request,
                "You declared a conflict of interest, so you will not review this bid. "
                "An analyst will assign another reviewer.",
            )
            return redirect(self.bid_url)
        messages.success(self.request, "You declared no conflict of interest. Score the bid.")
        return redirect("review:score", reference=self.bid.reference)


class ScoreView(ReviewerMixin, ServiceFormMixin, FormView):
    """The reviewer scores each criterion with a justification and recommends; a draft can be
    saved as often as needed; once submitted the review is read-only."""

    template_name = "bids/review/bid/score.html"
    form_class = ScoreForm

    @cached_property
    def criteria(self) -> list[Criterion]:
        return list(Criterion.objects.filter(round_id=self.bid.round_id))

    def refusal(self) -> str:
        review = self.review
        if review.has_conflict:
            return "You declared a conflict of interest, so you cannot score this bid."
        if review.is_submitted:
            return "You have submitted your review. It can no longer be changed."
        if review.conflict_declared_at is None:
            if self.bid.status in IN_REVIEW:
                return "Declare any conflict of interest before you score the bid."
            return _not_in_review(self.bid)
        if self.bid.status not in IN_REVIEW:
            return _not_in_review(self.bid)
        return ""

    def get(self, request, *args, **kwargs):
        review = self.review
        if review.conflict_declared_at is None and self.bid.status in IN_REVIEW:
            messages.info(request, "Declare any conflict of interest before you score the bid.")
            return redirect("review:declare_interests", reference=self.bid.reference)
        return super().get(request, *args, **kwargs)

    @property
    def submitting(self) -> bool:
        return self.request.method == "POST" and self.request.POST.get("action") == "submit"

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "criteria": self.criteria,
            "submitting": self.submitting,
        }

    def get_initial(self):
        review = self.review
        initial = {"recommendation": review.recommendation, "comments": review.comments}
        for score in review.scores.all():
            initial[f"score_{score.criterion_id}"] = score.value
            initial[f"justification_{score.criterion_id}"] = score.justification
        return initial

    def get_context_data(self, **kwargs):
        scored = {s.criterion_id for s in self.review.scores.all()}
        return super().get_context_data(
            criteria=self.criteria,
            weighted_score=self.review.weighted_score(),
            scored_count=sum(1 for c in self.criteria if c.pk in scored),
            **kwargs,
        )

    def service_call(self, form):
        data = form.cleaned_data
        # Without the scores prefetched for the page: the service computes the weighted score
        # from the scores it has just written.
        review = Review.objects.get(pk=self.review.pk)
        review.bid = self.bid
        arguments = {
            "review": review,
            "scores": form.scores(),
            "recommendation": data["recommendation"],
            "comments": data["comments"],
            "by": self.request.user,
        }
        if self.submitting:
            services.review_submit(**arguments)
            messages.success(
                self.request, f"Your review of bid {self.bid.reference} has been submitted."
            )
            return redirect(self.bid_url + "#reviews")
        services.review_save(**arguments)
        messages.success(self.request, "Your draft review has been saved. It is not submitted yet.")
        return redirect("review:score", reference=self.bid.reference)


# --------------------------------------------------------------------------- questions


class ClarificationAskView(AnalystMixin, ServiceFormMixin, BidPageMixin, FormView):
    """An analyst asks the PCC office a question; the bid waits for the answer."""

    template_name = "bids/review/bid/clarification_ask.html"
    form_class = ClarificationAskForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            can_ask=self.bid.status in IN_REVIEW,
            open_questions=list(
                self.bid.clarifications.filter(answered_at__isnull=True).order_by("asked_at", "pk")
            ),
            **kwargs,
        )

    def service_call(self, form):
        services.clarification_ask(
            bid=self.bid, question=form.cleaned_data["question"], by=self.request.user
        )
        messages.success(
            self.request,
            f"Your question has been sent to {self.bid.lead_force.short_name}’s PCC office. "
            "The bid is paused until they answer.",
        )
        return redirect(self.bid_url + "#questions")


bid = BidDetailView.as_view()
bid_pdf = BidPdfView.as_view()
document = DocumentView.as_view()
assign = AssignView.as_view()
declare_interests = DeclareInterestsView.as_view()
score = ScoreView.as_view()
clarification_ask = ClarificationAskView.as_view()

urlpatterns = [
    path("bids/<str:reference>/", bid, name="bid"),
    path("bids/<str:reference>/bid.pdf", bid_pdf, name="bid_pdf"),
    path("bids/<str:reference>/documents/<int:pk>/", document, name="document"),
    path("bids/<str:reference>/reviewers/", assign, name="assign"),
    path("bids/<str:reference>/review/interests/", declare_interests, name="declare_interests"),
    path("bids/<str:reference>/review/", score, name="score"),
    path("bids/<str:reference>/questions/new/", clarification_ask, name="clarification_ask"),
]

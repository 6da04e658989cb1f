"""Review: reviewers, conflicts of interest, scores, clarifications and moderation."""

from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from functools import partial

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from bids import panel_pack, permissions
from bids.models import (
    Bid,
    Clarification,
    Criterion,
    Review,
    Score,
)
from bids.permissions import require
from bids.services.base import (
    Action,
    Status,
    WorkflowError,
    expect_status,
    lock_bid,
    move_bid,
    record_event,
    require_text,
)


@transaction.atomic
def bid_assign_reviewers(*, bid: Bid, reviewers: Iterable[User], by: User) -> list[Review]:
    """Assign analysts to review a bid; the bid moves to under review."""
    bid = lock_bid(bid)
    require(permissions.is_analyst(by), "Only analysts can assign reviewers.")
    expect_status(
        bid,
        [Status.SUBMITTED, Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED],
        "assign reviewers to",
    )
    reviewers = list(reviewers)
    if not reviewers:
        raise WorkflowError("Choose at least one reviewer.")
    not_analysts = [r.get_username() for r in reviewers if not permissions.is_analyst(r)]
    if not_analysts:
        raise WorkflowError(f"Only analysts can review: {', '.join(not_analysts)} is not one.")
    already = set(bid.reviews.values_list("reviewer_id", flat=True))
    new = [r for r in reviewers if r.pk not in already]
    if not new:
        raise WorkflowError("Every reviewer chosen is already assigned to this bid.")
    created = [Review.objects.create(bid=bid, reviewer=r, assigned_by=by) for r in new]
    names = ", ".join(r.get_full_name() or r.get_username() for r in new)
    fields = {"needs_reassignment": False}
    if bid.status == Status.SUBMITTED:
        move_bid(bid, Status.UNDER_REVIEW, Action.REVIEWERS_ASSIGNED, by, note=names, **fields)
    else:
        bid.needs_reassignment = False
        bid._history_user = by
        bid.save()
        record_event(bid, Action.REVIEWERS_ASSIGNED, by, note=names)
    return created


@transaction.atomic
def review_declare_conflict(
    *, review: Review, has_conflict: bool, details: str = "", by: User
) -> Review:
    """The reviewer declares a conflict of interest, or none, before scoring.

    A conflicted reviewer cannot score; the bid is flagged for reassignment.
    """
    require(review.reviewer_id == by.pk, "Only the assigned reviewer can declare their interests.")
    if review.conflict_declared_at is not None:
        raise WorkflowError("You have already declared your interests for this bid.")
    expect_status(
        review.bid,
        [Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED],
        "declare an interest in",
    )
    if has_conflict:
        details = require_text(details, "Describe the conflict of interest.")
    review.has_conflict = has_conflict
    review.conflict_details = details
    review.conflict_declared_at = timezone.now()
    review.save()
    if has_conflict:
        bid = lock_bid(review.bid)
        bid.needs_reassignment = True
        bid._history_user = by
        bid.save()
        record_event(bid, Action.CONFLICT_DECLARED, by, note=details)
    return review


def _check_scores(review: Review, scores: Mapping[int, tuple[int, str]]) -> list[Score]:
    criteria = {c.pk: c for c in Criterion.objects.filter(round_id=review.bid.round_id)}
    unknown = set(scores) - criteria.keys()
    if unknown:
        raise WorkflowError("A score was given for a criterion that is not one of this round's.")
    errors, rows = [], []
    for criterion_id, (value, justification) in scores.items():
        criterion = criteria[criterion_id]
        if not isinstance(value, int) or not 0 <= value <= criterion.max_score:
            errors.append(f"{criterion.name}: give a whole number from 0 to {criterion.max_score}.")
        if not (justification or "").strip():
            errors.append(f"{criterion.name}: give a justification for the score.")
        rows.append(
            Score(review=review, criterion=criterion, value=value, justification=justification)
        )
    if errors:
        raise WorkflowError(errors)
    return rows


def _guard_review(review: Review, by: User) -> Review:
    require(review.reviewer_id == by.pk, "Only the assigned reviewer can score this bid.")
    require(permissions.is_analyst(by), "Only analysts can review bids.")
    if review.conflict_declared_at is None:
        raise WorkflowError("Declare any conflict of interest before you score the bid.")
    if review.has_conflict:
        raise WorkflowError("You declared a conflict of interest, so you cannot score this bid.")
    if review.submitted_at is not None:
        raise WorkflowError("This review has been submitted and can no longer be changed.")
    expect_status(review.bid, [Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED], "review")
    return review


@transaction.atomic
def review_save(
    *,
    review: Review,
    scores: Mapping[int, tuple[int, str]],
    recommendation: str = "",
    comments: str = "",
    by: User,
) -> Review:
    """Save a draft review: scores per criterion id as ``(value, justification)``."""
    _guard_review(review, by)
    rows = _check_scores(review, scores)
    review.scores.exclude(criterion_id__in=scores).delete()
    for row in rows:
        Score.objects.update_or_create(
            review=review,
            criterion=row.criterion,
            defaults={"value": row.value, "justification": row.justification},
        )
    review.recommendation = recommendation
    review.comments = comments
    review.save()
    return review


@transaction.atomic
def review_submit(
    *,
    review: Review,
    scores: Mapping[int, tuple[int, str]],
    recommendation: str,
    comments: str = "",
    by: User,
) -> Review:
    """Submit a review: every criterion scored and justified, and a recommendation. Final."""
    review_save(
        review=review, scores=scores, recommendation=recommendation, comments=comments, by=by
    )
    missing = Criterion.objects.filter(round_id=review.bid.round_id).exclude(pk__in=scores)
    if missing.exists():
        names = ", ".join(missing.values_list("name", flat=True))
        raise WorkflowError(f"Score every criterion before you submit: {names} missing.")
    if recommendation not in Review.Recommendation.values:
        raise WorkflowError("Choose a recommendation: fund, fund with conditions or do not fund.")
    review.submitted_at = timezone.now()
    review.save()
    # From the scores just saved: a review passed in with its scores prefetched still holds
    # the draft's.
    score = Review.objects.prefetch_related("scores__criterion").get(pk=review.pk).weighted_score()
    record_event(
        review.bid,
        Action.REVIEW_SUBMITTED,
        by,
        note=f"{review.get_recommendation_display()}, weighted score {score}",
    )
    return review


@transaction.atomic
def clarification_ask(*, bid: Bid, question: str, by: User) -> Clarification:
    """An analyst asks the PCC office a question; the bid waits for the answer."""
    bid = lock_bid(bid)
    require(permissions.is_analyst(by), "Only analysts can ask for clarification.")
    expect_status(
        bid, [Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED], "ask a question about"
    )
    question = require_text(question, "Enter the question for the PCC office.")
    clarification = Clarification.objects.create(bid=bid, question=question, asked_by=by)
    if bid.status == Status.UNDER_REVIEW:
        move_bid(bid, Status.CLARIFICATION_REQUESTED, Action.CLARIFICATION_ASKED, by, note=question)
    else:
        record_event(bid, Action.CLARIFICATION_ASKED, by, note=question)
    return clarification


@transaction.atomic
def clarification_answer(*, clarification: Clarification, answer: str, by: User) -> Clarification:
    """The lead force's office answers; with every question answered the bid returns to review."""
    bid = lock_bid(clarification.bid)
    require(permissions.can_act_for_office(by, bid), "Only the lead force's office can answer.")
    expect_status(bid, [Status.CLARIFICATION_REQUESTED], "answer a question about")
    # Re-read under the bid's lock: two answers sent at once must not both be taken.
    clarification.refresh_from_db()
    if clarification.is_answered:
        raise WorkflowError("This question has already been answered.")
    clarification.answer = require_text(answer, "Enter your answer.")
    clarification.answered_by = by
    clarification.answered_at = timezone.now()
    clarification.save()
    if bid.clarifications.filter(answered_at__isnull=True).exists():
        record_event(bid, Action.CLARIFICATION_ANSWERED, by, note=clarification.answer)
    else:
        move_bid(
            bid,
            Status.UNDER_REVIEW,
            Action.CLARIFICATION_ANSWERED,
            by,
            note=clarification.answer,
        )
    return clarification


@transaction.atomic
def bid_moderate(
    *, bid: Bid, moderated_score: Decimal, recommended: bool, reason: str, by: User
) -> Bid:
    """With every assigned review in, an analyst records the moderated score and the outcome."""
    bid = lock_bid(bid)
    require(permissions.is_analyst(by), "Only analysts can moderate.")
    # A declared conflict keeps the analyst out of the outcome, not only out of the scoring.
    require(
        not bid.reviews.filter(reviewer=by, has_conflict=True).exists(),
        "You declared a conflict of interest on this bid, so another analyst must moderate it.",
    )
    expect_status(bid, [Status.UNDER_REVIEW], "moderate")
    reviews = bid.reviews.active()
    if not reviews.exists():
        raise WorkflowError("No reviewer without a conflict of interest has been assigned.")
    outstanding = reviews.filter(submitted_at__isnull=True).count()
    if outstanding:
        raise WorkflowError(
            "1 assigned review has not been submitted yet."
            if outstanding == 1
            else f"{outstanding} assigned reviews have not been submitted yet."
        )
    try:
        score = Decimal(str(moderated_score).strip())
        in_range = score.is_finite() and Decimal(0) <= score <= Decimal(100)
    except (InvalidOperation, ValueError):
        in_range = False
    if not in_range:
        raise WorkflowError("The moderated score is out of 100: enter a number from 0 to 100.")
    if score != score.quantize(Decimal("0.01"), rounding=ROUND_DOWN):
        raise WorkflowError("The moderated score can have at most two decimal places.")
    score = score.quantize(Decimal("0.01"))
    reason = require_text(reason, "Give the reason for the moderation outcome.")
    to = Status.RECOMMENDED if recommended else Status.NOT_RECOMMENDED
    bid = move_bid(
        bid,
        to,
        Action.MODERATED,
        by,
        note=f"Moderated score {score}. {reason}",
        moderated_score=score,
    )
    if recommended:
        # The bid is in the panel's pack from now on: its page is laid out now, once the
        # moderation has committed, rather than by the first panel member to download the pack.
        transaction.on_commit(partial(panel_pack.lay_out_ahead_quietly, [bid.pk]))
    return bid

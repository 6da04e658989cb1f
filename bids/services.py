"""Every change to a bid and its money (design §4). One service a transition.

Each service is atomic, checks the actor's role through ``bids.permissions``, refuses a
transition the bid's state does not allow with a ``WorkflowError`` that says why, and records
a ``BidEvent``.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Length
from django.utils import timezone

from bids import permissions
from bids.models import (
    Award,
    AwardShare,
    Bid,
    BidEvent,
    Clarification,
    Criterion,
    Fund,
    FundingLine,
    FundingRound,
    Payment,
    Review,
    Score,
    SpendReturn,
    Tranche,
)
from bids.permissions import require
from forces.models import Force
from fundtracker.money import ZERO, format_gbp, to_money
from fundtracker.years import fy_label

Status = Bid.Status
Action = BidEvent.Action


class WorkflowError(ValidationError):
    """A transition or write the current state does not allow; its messages say why."""


@dataclass(frozen=True)
class Problem:
    """Something that stops a bid being submitted, and the section of the bid to fix it in."""

    section: str
    message: str


# --------------------------------------------------------------------------- helpers


def _lock(bid: Bid) -> Bid:
    """Lock the bid's row for this transaction and reload it, so two requests cannot race."""
    Bid.objects.select_for_update().filter(pk=bid.pk).values_list("pk").get()
    bid.refresh_from_db()
    return bid


def _record(
    bid: Bid, action: str, by: User | None, *, from_status: str = "", note: str = ""
) -> BidEvent:
    return BidEvent.objects.create(
        bid=bid,
        action=action,
        from_status=from_status or bid.status,
        to_status=bid.status,
        actor=by,
        note=note,
    )


def _move(bid: Bid, to: str, action: str, by: User | None, note: str = "", **fields) -> Bid:
    """Change the bid's status (and ``fields``), save with history, and record the event."""
    before = bid.status
    bid.status = to
    for name, value in fields.items():
        setattr(bid, name, value)
    bid._history_user = by
    bid.save()
    _record(bid, action, by, from_status=before, note=note)
    return bid


def _expect(bid: Bid, allowed: Iterable[str], doing: str) -> None:
    allowed = set(allowed)
    if bid.status not in allowed:
        labels = " or ".join(sorted(Status(s).label.lower() for s in allowed))
        raise WorkflowError(
            f"You cannot {doing} bid {bid.reference}: it is {bid.get_status_display().lower()}, "
            f"and this can only be done when it is {labels}."
        )


def _require_text(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise WorkflowError(message)
    return value


def _next_reference(fund: Fund, year: int) -> str:
    """``PTF-2016-0007``: the next number for the fund and the round's first year."""
    Fund.objects.select_for_update().filter(pk=fund.pk).values_list("pk").get()
    prefix = f"{fund.code}-{year}-"
    last = (
        Bid.objects.filter(reference__startswith=prefix)
        .order_by(Length("reference").desc(), "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


# --------------------------------------------------------------------------- drafting


BID_EDITABLE_FIELDS = frozenset(
    {
        "title",
        "summary",
        "case_for_change",
        "spend_category",
        "bid_type",
        "collaboration",
        "local_match_contribution",
        "pcc_signoff_name",
        "pcc_signoff_date",
        "cfo_signoff_name",
        "cfo_signoff_date",
    }
)


@transaction.atomic
def bid_create(*, funding_round: FundingRound, lead_force: Force, title: str, by: User) -> Bid:
    """Start a draft bid for the user's own force in an open round."""
    require(
        permissions.office_force_id(by) == lead_force.pk,
        "Only the force's own PCC office can start a bid for it.",
    )
    if not funding_round.is_open():
        raise WorkflowError(f"{funding_round} is not open for bids.")
    bid = Bid(
        reference=_next_reference(funding_round.fund, funding_round.first_financial_year),
        round=funding_round,
        lead_force=lead_force,
        title=_require_text(title, "Enter a title for the bid."),
        created_by=by,
    )
    bid._history_user = by
    bid.save()
    _record(bid, Action.CREATED, by)
    return bid


@transaction.atomic
def bid_update(*, bid: Bid, by: User, **fields) -> Bid:
    """Change answers of a draft bid; only the lead force's office may."""
    unknown = set(fields) - BID_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Not an editable field of a bid: {', '.join(sorted(unknown))}")
    bid = _lock(bid)
    require(permissions.can_edit_bid(by, bid), "Only the lead force's office can change a draft.")
    _expect(bid, [Status.DRAFT], "change")
    if "title" in fields:
        fields["title"] = _require_text(fields["title"], "Enter a title for the bid.")
    if "local_match_contribution" in fields:
        fields["local_match_contribution"] = _amount(
            fields["local_match_contribution"], "The local match contribution"
        )
    for name, value in fields.items():
        setattr(bid, name, value)
    bid._history_user = by
    bid.save()
    return bid


@transaction.atomic
def bid_set_partners(*, bid: Bid, partners: Iterable[Force], by: User) -> Bid:
    """Name the partner forces of a draft bid (never the lead force itself)."""
    bid = _lock(bid)
    require(permissions.can_edit_bid(by, bid), "Only the lead force's office can change a draft.")
    _expect(bid, [Status.DRAFT], "change the partners of")
    partners = list(partners)
    if any(force.pk == bid.lead_force_id for force in partners):
        raise WorkflowError("The lead force cannot also be a partner.")
    bid._history_user = by
    bid.partner_forces.set(partners)
    return bid


@transaction.atomic
def bid_set_funding_profile(*, bid: Bid, amounts: Mapping[int, Decimal], by: User) -> Bid:
    """Replace a draft bid's funding profile: amount requested per financial year of the round."""
    bid = _lock(bid)
    require(permissions.can_edit_bid(by, bid), "Only the lead force's office can change a draft.")
    _expect(bid, [Status.DRAFT], "change the funding profile of")
    years = bid.round.financial_years
    outside = sorted(y for y in amounts if y not in years)
    if outside:
        raise WorkflowError(
            f"{', '.join(fy_label(y) for y in outside)} is outside the round's years "
            f"({bid.round.years_label})."
        )
    clean = {
        year: _amount(amount, f"The amount for {fy_label(year)}")
        for year, amount in amounts.items()
    }
    bid.funding_lines.exclude(financial_year__in=clean).delete()
    for year, amount in clean.items():
        FundingLine.objects.update_or_create(
            bid=bid, financial_year=year, defaults={"amount": amount}
        )
    return bid


def _amount(value, what: str) -> Decimal:
    try:
        amount = to_money(value)
    except (TypeError, ValueError) as error:
        raise WorkflowError(f"{what} must be an amount in pounds, like 250000.") from error
    if amount < 0:
        raise WorkflowError(f"{what} cannot be negative.")
    return amount


# --------------------------------------------------------------------------- submission


def bid_submission_problems(bid: Bid, at: datetime.datetime | None = None) -> list[Problem]:
    """Everything that stops ``bid`` being submitted now, each with its section; empty when none."""
    problems = []
    if not bid.round.is_open(at):
        problems.append(Problem("round", f"{bid.round} is not open for bids."))
    required = [
        ("about", "title", "Enter a title for the bid"),
        ("about", "summary", "Enter a summary of the bid"),
        ("about", "case_for_change", "Enter the case for change"),
        ("about", "spend_category_id", "Choose the spend category"),
        ("about", "bid_type", "Choose the bid type"),
        ("signoffs", "pcc_signoff_name", "Enter the name of the PCC who signed off the bid"),
        ("signoffs", "pcc_signoff_date", "Enter the date the PCC signed off the bid"),
        ("signoffs", "cfo_signoff_name", "Enter the name of the chief finance officer"),
        ("signoffs", "cfo_signoff_date", "Enter the date the chief finance officer signed off"),
    ]
    for section, field, message in required:
        value = getattr(bid, field)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(Problem(section, message))
    lines = list(bid.funding_lines.all())
    if not lines or sum((line.amount for line in lines), ZERO) <= 0:
        problems.append(Problem("funding", "Enter the amount requested for at least one year"))
    outside = [line for line in lines if line.financial_year not in bid.round.financial_years]
    if outside:
        problems.append(
            Problem(
                "funding", f"Remove funding outside the round's years ({bid.round.years_label})"
            )
        )
    return problems


@transaction.atomic
def bid_submit(*, bid: Bid, by: User, at: datetime.datetime | None = None) -> Bid:
    """Submit a complete draft to the Home Office: round open, every answer, both sign-offs."""
    bid = _lock(bid)
    require(permissions.can_act_for_office(by, bid), "Only the lead force's office can submit.")
    _expect(bid, [Status.DRAFT], "submit")
    problems = bid_submission_problems(bid, at)
    if problems:
        raise WorkflowError([p.message for p in problems])
    now = timezone.now()
    return _move(bid, Status.SUBMITTED, Action.SUBMITTED, by, submitted_by=by, submitted_at=now)


@transaction.atomic
def bid_withdraw(*, bid: Bid, by: User, reason: str) -> Bid:
    """The lead force's office withdraws its bid, at any point before the decision."""
    bid = _lock(bid)
    require(permissions.can_act_for_office(by, bid), "Only the lead force's office can withdraw.")
    _expect(bid, Bid.WITHDRAWABLE, "withdraw")
    reason = _require_text(reason, "Say why the bid is withdrawn.")
    return _move(bid, Status.WITHDRAWN, Action.WITHDRAWN, by, note=reason)


# --------------------------------------------------------------------------- review


@transaction.atomic
def bid_assign_reviewers(*, bid: Bid, reviewers: Iterable[User], by: User) -> list[Review]:
    """Assign analysts to review a bid; the bid moves to under review."""
    bid = _lock(bid)
    require(permissions.is_analyst(by), "Only analysts can assign reviewers.")
    _expect(
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
        _move(bid, Status.UNDER_REVIEW, Action.REVIEWERS_ASSIGNED, by, note=names, **fields)
    else:
        bid.needs_reassignment = False
        bid._history_user = by
        bid.save()
        _record(bid, Action.REVIEWERS_ASSIGNED, by, note=names)
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
    _expect(
        review.bid,
        [Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED],
        "declare an interest in",
    )
    if has_conflict:
        details = _require_text(details, "Describe the conflict of interest.")
    review.has_conflict = has_conflict
    review.conflict_details = details
    review.conflict_declared_at = timezone.now()
    review.save()
    if has_conflict:
        bid = _lock(review.bid)
        bid.needs_reassignment = True
        bid._history_user = by
        bid.save()
        _record(bid, Action.CONFLICT_DECLARED, by, note=details)
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
    _expect(review.bid, [Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED], "review")
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
    score = review.weighted_score()
    _record(
        review.bid,
        Action.REVIEW_SUBMITTED,
        by,
        note=f"{review.get_recommendation_display()}, weighted score {score}",
    )
    return review


@transaction.atomic
def clarification_ask(*, bid: Bid, question: str, by: User) -> Clarification:
    """An analyst asks the PCC office a question; the bid waits for the answer."""
    bid = _lock(bid)
    require(permissions.is_analyst(by), "Only analysts can ask for clarification.")
    _expect(bid, [Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED], "ask a question about")
    question = _require_text(question, "Enter the question for the PCC office.")
    clarification = Clarification.objects.create(bid=bid, question=question, asked_by=by)
    if bid.status == Status.UNDER_REVIEW:
        _move(bid, Status.CLARIFICATION_REQUESTED, Action.CLARIFICATION_ASKED, by, note=question)
    else:
        _record(bid, Action.CLARIFICATION_ASKED, by, note=question)
    return clarification


@transaction.atomic
def clarification_answer(*, clarification: Clarification, answer: str, by: User) -> Clarification:
    """The lead force's office answers; with every question answered the bid returns to review."""
    bid = _lock(clarification.bid)
    require(permissions.can_act_for_office(by, bid), "Only the lead force's office can answer.")
    _expect(bid, [Status.CLARIFICATION_REQUESTED], "answer a question about")
    if clarification.is_answered:
        raise WorkflowError("This question has already been answered.")
    clarification.answer = _require_text(answer, "Enter your answer.")
    clarification.answered_by = by
    clarification.answered_at = timezone.now()
    clarification.save()
    if bid.clarifications.filter(answered_at__isnull=True).exists():
        _record(bid, Action.CLARIFICATION_ANSWERED, by, note=clarification.answer)
    else:
        _move(
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
    bid = _lock(bid)
    require(permissions.is_analyst(by), "Only analysts can moderate.")
    _expect(bid, [Status.UNDER_REVIEW], "moderate")
    reviews = bid.reviews.active()
    if not reviews.exists():
        raise WorkflowError("No reviewer without a conflict of interest has been assigned.")
    outstanding = reviews.filter(submitted_at__isnull=True).count()
    if outstanding:
        raise WorkflowError(f"{outstanding} assigned review(s) have not been submitted yet.")
    score = Decimal(moderated_score)
    if not Decimal(0) <= score <= Decimal(100):
        raise WorkflowError("The moderated score is out of 100: enter a number from 0 to 100.")
    reason = _require_text(reason, "Give the reason for the moderation outcome.")
    to = Status.RECOMMENDED if recommended else Status.NOT_RECOMMENDED
    return _move(
        bid,
        to,
        Action.MODERATED,
        by,
        note=f"Moderated score {score}. {reason}",
        moderated_score=score,
    )


# --------------------------------------------------------------------------- decision and money


def _check_tranches(bid: Bid, tranches: Mapping[int, Decimal], total: Decimal | None) -> dict:
    if not tranches:
        raise WorkflowError("Set the amount for at least one financial year.")
    years = bid.round.financial_years
    errors = [
        f"{fy_label(year)} is outside the round's years ({bid.round.years_label})."
        for year in sorted(tranches)
        if year not in years
    ]
    clean = {}
    for year, amount in sorted(tranches.items()):
        try:
            clean[year] = _amount(amount, f"The tranche for {fy_label(year)}")
        except WorkflowError as error:
            errors.extend(error.messages)
    if errors:
        raise WorkflowError(errors)
    if total is not None and sum(clean.values(), ZERO) != to_money(total):
        raise WorkflowError(
            f"The tranches add up to {format_gbp(sum(clean.values(), ZERO))}, "
            f"not the award of {format_gbp(total)}."
        )
    return clean


def _check_shares(bid: Bid, shares: Mapping[Force, Decimal]) -> dict:
    involved = {bid.lead_force_id, *bid.partner_forces.values_list("pk", flat=True)}
    if any(force.pk not in involved for force in shares):
        raise WorkflowError("Only the lead and partner forces can share an award.")
    clean = {force: Decimal(percent) for force, percent in shares.items()}
    if any(p <= 0 for p in clean.values()) or sum(clean.values()) != 100:
        raise WorkflowError("The forces' shares must be more than 0 % each and add up to 100 %.")
    return clean


def award_create(
    *,
    bid: Bid,
    tranches: Mapping[int, Decimal],
    by: User,
    total: Decimal | None = None,
    conditions: str = "",
    notes: str = "",
    shares: Mapping[Force, Decimal] | None = None,
    decided_at: datetime.datetime | None = None,
) -> Award:
    """Create the award and its yearly tranches; they must add up and lie in the round's years.

    Call it inside a transaction that also moves the bid (``bid_decide``, the award import).
    """
    clean = _check_tranches(bid, tranches, total)
    clean_shares = _check_shares(bid, shares) if shares else {}
    award = Award(
        bid=bid,
        total=sum(clean.values(), ZERO),
        conditions=conditions,
        decision_notes=notes,
        decided_by=by,
        decided_at=decided_at or timezone.now(),
    )
    award._history_user = by
    award.save()
    for year, amount in clean.items():
        tranche = Tranche(award=award, financial_year=year, amount=amount)
        tranche._history_user = by
        tranche.save()
    AwardShare.objects.bulk_create(
        AwardShare(award=award, force=force, percent=percent)
        for force, percent in clean_shares.items()
    )
    return award


@transaction.atomic
def bid_decide(
    *,
    bid: Bid,
    approve: bool,
    by: User,
    reasons: str = "",
    tranches: Mapping[int, Decimal] | None = None,
    total: Decimal | None = None,
    conditions: str = "",
    shares: Mapping[Force, Decimal] | None = None,
) -> Bid:
    """An approver who did not review the bid approves it, creating the award, or rejects it.

    ``tranches`` default to the requested funding profile; they must add up to ``total`` when
    it is given and lie inside the round's years.
    """
    bid = _lock(bid)
    require(permissions.is_approver(by), "Only approvers can decide on bids.")
    require(
        permissions.can_decide(by, bid),
        "You reviewed this bid, so another approver must decide it.",
    )
    _expect(bid, [Status.RECOMMENDED, Status.NOT_RECOMMENDED], "decide on")
    if not approve:
        reasons = _require_text(reasons, "Give the reasons for rejecting the bid.")
        return _move(bid, Status.REJECTED, Action.REJECTED, by, note=reasons)
    if tranches is None:
        tranches = dict(bid.funding_lines.values_list("financial_year", "amount"))
    award = award_create(
        bid=bid,
        tranches=tranches,
        total=total,
        conditions=conditions,
        notes=reasons,
        shares=shares,
        by=by,
    )
    note = ", ".join(
        f"{fy_label(t.financial_year)} {format_gbp(t.amount)}" for t in award.tranches.all()
    )
    return _move(
        bid, Status.APPROVED, Action.APPROVED, by, note=f"Award {format_gbp(award.total)}: {note}"
    )


def _lock_tranche(tranche: Tranche) -> Tranche:
    return Tranche.objects.select_for_update().select_related("award__bid").get(pk=tranche.pk)


@transaction.atomic
def tranche_set_status(*, tranche: Tranche, status: str, by: User, reason: str = "") -> Tranche:
    """Release, withhold or close a tranche (analysts)."""
    tranche = _lock_tranche(tranche)
    require(permissions.is_analyst(by), "Only analysts can release or withhold tranches.")
    allowed = {
        Tranche.Status.RELEASED: {Tranche.Status.SCHEDULED, Tranche.Status.WITHHELD},
        Tranche.Status.WITHHELD: {Tranche.Status.SCHEDULED, Tranche.Status.RELEASED},
        Tranche.Status.CLOSED: {Tranche.Status.RELEASED},
    }
    if tranche.status not in allowed.get(status, set()):
        raise WorkflowError(
            f"A {tranche.get_status_display().lower()} tranche cannot be made "
            f"{Tranche.Status(status).label.lower()}."
        )
    if status == Tranche.Status.WITHHELD:
        reason = _require_text(reason, "Say why the tranche is withheld.")
    tranche.status = status
    tranche._history_user = by
    tranche.save()
    action = {
        Tranche.Status.RELEASED: Action.TRANCHE_RELEASED,
        Tranche.Status.WITHHELD: Action.TRANCHE_WITHHELD,
        Tranche.Status.CLOSED: Action.TRANCHE_CLOSED,
    }[status]
    _record(tranche.award.bid, action, by, note=f"{tranche.financial_year_label}. {reason}".strip())
    return tranche


@transaction.atomic
def payment_record(
    *, tranche: Tranche, amount: Decimal, paid_on: datetime.date, by: User, reference: str = ""
) -> Payment:
    """Record money paid against a released tranche; payments never exceed its allocation."""
    tranche = _lock_tranche(tranche)
    require(permissions.is_analyst(by), "Only analysts can record payments.")
    if tranche.status != Tranche.Status.RELEASED:
        raise WorkflowError(
            f"The {tranche.financial_year_label} tranche is "
            f"{tranche.get_status_display().lower()}: release it before recording a payment."
        )
    if paid_on > timezone.localdate():
        raise WorkflowError("The payment date is in the future: record a payment once it is made.")
    amount = _amount(amount, "The payment")
    if amount == 0:
        raise WorkflowError("The payment must be more than £0.00.")
    if tranche.paid + amount > tranche.amount:
        raise WorkflowError(
            f"This payment would take the {tranche.financial_year_label} tranche to "
            f"{format_gbp(tranche.paid + amount)}, more than its allocation of "
            f"{format_gbp(tranche.amount)}."
        )
    payment = Payment(
        tranche=tranche, amount=amount, paid_on=paid_on, reference=reference, recorded_by=by
    )
    payment._history_user = by
    payment.save()
    tranche.paid += amount  # the row is locked, so this cannot lose a concurrent payment
    tranche._history_user = by
    tranche.save()
    _record(
        tranche.award.bid,
        Action.PAYMENT_RECORDED,
        by,
        note=f"{format_gbp(amount)} against {tranche.financial_year_label}, "
        f"paid {paid_on:%d %B %Y}",
    )
    return payment


@transaction.atomic
def spend_return_submit(
    *, tranche: Tranche, quarter: int, amount_spent: Decimal, narrative: str, by: User
) -> SpendReturn:
    """The lead force's office reports a quarter's spend against a released tranche.

    A return sent back may be submitted again; a submitted or verified one may not.
    """
    tranche = _lock_tranche(tranche)
    bid = tranche.award.bid
    require(
        permissions.can_act_for_office(by, bid), "Only the lead force's office can report spend."
    )
    if tranche.status not in {Tranche.Status.RELEASED, Tranche.Status.CLOSED}:
        raise WorkflowError(
            f"The {tranche.financial_year_label} tranche has not been released, so there is no "
            "spend to report yet."
        )
    if quarter not in (1, 2, 3, 4):
        raise WorkflowError("Choose a quarter from Q1 (April to June) to Q4 (January to March).")
    amount = _amount(amount_spent, "The amount spent")
    existing = tranche.spend_returns.filter(quarter=quarter).first()
    if existing and existing.status != SpendReturn.Status.RETURNED:
        raise WorkflowError(
            f"The Q{quarter} return for {tranche.financial_year_label} has already been "
            f"{existing.get_status_display().lower()}."
        )
    spend = existing or SpendReturn(tranche=tranche, quarter=quarter)
    spend.amount_spent = amount
    spend.narrative = narrative.strip()
    spend.status = SpendReturn.Status.SUBMITTED
    spend.submitted_by = by
    spend.submitted_at = timezone.now()
    spend.returned_reason = ""
    spend._history_user = by
    spend.save()
    _record(
        bid,
        Action.SPEND_RETURN_SUBMITTED,
        by,
        note=f"{tranche.financial_year_label} Q{quarter}: {format_gbp(amount)} spent",
    )
    return spend


@transaction.atomic
def spend_return_verify(
    *, spend_return: SpendReturn, by: User, accept: bool = True, reason: str = ""
) -> SpendReturn:
    """An analyst verifies a submitted return (its spend then counts) or sends it back."""
    spend = SpendReturn.objects.select_for_update().get(pk=spend_return.pk)
    tranche = _lock_tranche(spend.tranche)
    require(permissions.is_analyst(by), "Only analysts can verify spend returns.")
    if spend.status != SpendReturn.Status.SUBMITTED:
        raise WorkflowError(
            f"This return is {spend.get_status_display().lower()}; only a submitted return can "
            "be verified or sent back."
        )
    label = f"{tranche.financial_year_label} Q{spend.quarter}"
    spend._history_user = by
    if accept:
        spend.status = SpendReturn.Status.VERIFIED
        spend.verified_by = by
        spend.verified_at = timezone.now()
        spend.save()
        tranche.spent += spend.amount_spent
        tranche._history_user = by
        tranche.save()
        _record(tranche.award.bid, Action.SPEND_RETURN_VERIFIED, by, note=label)
    else:
        spend.status = SpendReturn.Status.RETURNED
        spend.returned_reason = _require_text(reason, "Say why the return is sent back.")
        spend.save()
        _record(tranche.award.bid, Action.SPEND_RETURN_RETURNED, by, note=f"{label}: {reason}")
    return spend


@transaction.atomic
def round_publish_results(*, funding_round: FundingRound, by: User) -> FundingRound:
    """Make a round's awards public. Once published, results stay published."""
    require(permissions.is_analyst(by), "Only analysts can publish a round's results.")
    funding_round = FundingRound.objects.select_for_update().get(pk=funding_round.pk)
    if funding_round.results_published_at is not None:
        raise WorkflowError(f"The results of {funding_round} are already published.")
    undecided = funding_round.bids.exclude(
        status__in=[Status.APPROVED, Status.REJECTED, Status.WITHDRAWN, Status.DRAFT]
    ).count()
    if undecided:
        raise WorkflowError(f"{undecided} bid(s) in {funding_round} still await a decision.")
    funding_round.results_published_at = timezone.now()
    funding_round.status = FundingRound.Status.DECIDED
    funding_round.save()
    return funding_round

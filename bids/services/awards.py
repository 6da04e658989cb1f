"""The decision and the money after it: awards, tranches, payments, spend and publication."""

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from bids import permissions
from bids.allocations import money_summaries_changed, money_summaries_deferred
from bids.models import (
    Award,
    AwardShare,
    Bid,
    BidEvent,
    FundingRound,
    Payment,
    SpendReturn,
    Tranche,
)
from bids.permissions import require
from bids.services.base import (
    Action,
    Status,
    WorkflowError,
    expect_status,
    lock_bid,
    lock_tranche,
    move_bid,
    parse_amount,
    record_event,
    require_text,
)
from forces.models import Force
from fundtracker.cache import public_data_changed
from fundtracker.money import ZERO, format_gbp, to_money
from fundtracker.years import fy_label, quarter_bounds, quarter_label


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
            clean[year] = parse_amount(amount, f"The tranche for {fy_label(year)}")
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
    # The award, its tranches and its shares reach the dashboard's summaries in one refresh;
    # the shares are inserted in bulk, which sends no signal of its own.
    with money_summaries_deferred():
        award = _award_write(bid, clean, clean_shares, by, conditions, notes, decided_at)
        money_summaries_changed([award.pk])
    return award


def _award_write(bid, clean, clean_shares, by, conditions, notes, decided_at) -> Award:
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
    bid = lock_bid(bid)
    require(permissions.is_approver(by), "Only approvers can decide on bids.")
    if bid.is_decided:
        # Two approvers on the same bid: the second waited for the lock and is told who won.
        decision = (
            bid.events.filter(action__in=[Action.APPROVED, Action.REJECTED, Action.IMPORTED])
            .select_related("actor")
            .order_by("-at", "-id")
            .first()
        )
        who, when = "another approver", ""
        if decision is not None:
            at = timezone.localtime(decision.at)
            when = f" on {at.day} {at:%B %Y}"
            if decision.actor is not None:
                who = decision.actor.get_full_name() or decision.actor.get_username()
        raise WorkflowError(
            f"Bid {bid.reference} has already been decided by {who}: it was "
            f"{bid.get_status_display().lower()}{when}."
        )
    require(
        permissions.can_decide(by, bid),
        "You reviewed this bid, so another approver must decide it.",
    )
    expect_status(bid, [Status.RECOMMENDED, Status.NOT_RECOMMENDED], "decide on")
    if not approve:
        reasons = require_text(reasons, "Give the reasons for rejecting the bid.")
        return move_bid(bid, Status.REJECTED, Action.REJECTED, by, note=reasons)
    if tranches is None:
        # The requested profile, without years that ask for nothing: a £0 tranche pays nothing.
        tranches = dict(
            bid.funding_lines.filter(amount__gt=0).values_list("financial_year", "amount")
        )
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
    return move_bid(
        bid, Status.APPROVED, Action.APPROVED, by, note=f"Award {format_gbp(award.total)}: {note}"
    )


@transaction.atomic
def tranche_set_status(*, tranche: Tranche, status: str, by: User, reason: str = "") -> Tranche:
    """Release, withhold or close a tranche (analysts)."""
    tranche = lock_tranche(tranche)
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
        reason = require_text(reason, "Say why the tranche is withheld.")
    tranche.status = status
    tranche._history_user = by
    tranche.save()
    action = {
        Tranche.Status.RELEASED: Action.TRANCHE_RELEASED,
        Tranche.Status.WITHHELD: Action.TRANCHE_WITHHELD,
        Tranche.Status.CLOSED: Action.TRANCHE_CLOSED,
    }[status]
    record_event(
        tranche.award.bid, action, by, note=f"{tranche.financial_year_label}. {reason}".strip()
    )
    public_data_changed()
    return tranche


@transaction.atomic
def payment_record(
    *, tranche: Tranche, amount: Decimal, paid_on: datetime.date, by: User, reference: str = ""
) -> Payment:
    """Record money paid against a released tranche; payments never exceed its allocation."""
    tranche = lock_tranche(tranche)
    require(permissions.is_analyst(by), "Only analysts can record payments.")
    if tranche.status != Tranche.Status.RELEASED:
        raise WorkflowError(
            f"The {tranche.financial_year_label} tranche is "
            f"{tranche.get_status_display().lower()}: release it before recording a payment."
        )
    if paid_on > timezone.localdate():
        raise WorkflowError("The payment date is in the future: record a payment once it is made.")
    amount = parse_amount(amount, "The payment")
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
    record_event(
        tranche.award.bid,
        Action.PAYMENT_RECORDED,
        by,
        note=f"{format_gbp(amount)} against {tranche.financial_year_label}, "
        f"paid {paid_on:%d %B %Y}",
    )
    public_data_changed()
    return payment


@transaction.atomic
def spend_return_submit(
    *, tranche: Tranche, quarter: int, amount_spent: Decimal, narrative: str, by: User
) -> SpendReturn:
    """The lead force's office reports a quarter's spend against a released tranche.

    A return sent back may be submitted again; a submitted or verified one may not.
    """
    tranche = lock_tranche(tranche)
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
    if quarter_bounds(tranche.financial_year, quarter)[1] >= timezone.localdate():
        raise WorkflowError(
            f"{quarter_label(tranche.financial_year, quarter)} has not ended yet: report its "
            "spend once the quarter is over."
        )
    amount = parse_amount(amount_spent, "The amount spent")
    existing = tranche.spend_returns.filter(quarter=quarter).first()
    if existing and existing.status != SpendReturn.Status.RETURNED:
        raise WorkflowError(
            f"The Q{quarter} return for {tranche.financial_year_label} has already been "
            f"{existing.get_status_display().lower()}."
        )
    spend = existing or SpendReturn(tranche=tranche, quarter=quarter)
    spend.amount_spent = amount
    spend.narrative = (narrative or "").strip()
    spend.status = SpendReturn.Status.SUBMITTED
    spend.submitted_by = by
    spend.submitted_at = timezone.now()
    spend.returned_reason = ""
    spend._history_user = by
    spend.save()
    record_event(
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
    tranche = lock_tranche(spend.tranche)
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
        record_event(
            tranche.award.bid,
            Action.SPEND_RETURN_VERIFIED,
            by,
            note=f"{label}: {format_gbp(spend.amount_spent)} verified",
        )
    else:
        spend.status = SpendReturn.Status.RETURNED
        spend.returned_reason = require_text(reason, "Say why the return is sent back.")
        spend.save()
        record_event(tranche.award.bid, Action.SPEND_RETURN_RETURNED, by, note=f"{label}: {reason}")
    public_data_changed()
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
        bids = "1 bid" if undecided == 1 else f"{undecided} bids"
        raise WorkflowError(
            f"{bids} in {funding_round} still {'awaits' if undecided == 1 else 'await'} a "
            "decision: every submitted bid must be approved, rejected or withdrawn before the "
            "results are published."
        )
    if funding_round.is_open():
        raise WorkflowError(
            f"{funding_round} is still open for bids: publish its results once it has closed "
            "and every bid is decided."
        )
    funding_round.results_published_at = timezone.now()
    funding_round.status = FundingRound.Status.DECIDED
    funding_round.save()
    # Each decided bid's timeline shows when its result went public, and who published it.
    note = f"Results of {funding_round} published"
    BidEvent.objects.bulk_create(
        BidEvent(
            bid_id=bid_id,
            action=Action.RESULTS_PUBLISHED,
            from_status=status,
            to_status=status,
            actor=by,
            at=funding_round.results_published_at,
            note=note,
        )
        for bid_id, status in funding_round.bids.filter(
            status__in=[Status.APPROVED, Status.REJECTED]
        ).values_list("pk", "status")
    )
    public_data_changed()
    return funding_round

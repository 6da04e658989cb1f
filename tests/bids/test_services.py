"""Every workflow service: what it allows, what it refuses, and the event it records."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from bids import services
from bids.models import Award, Bid, BidEvent, FundingLine, Review, SpendReturn, Tranche
from bids.permissions import PermissionDenied
from bids.services import WorkflowError
from fundtracker.years import fy_of
from tests.factories import (
    BidFactory,
    ClarificationFactory,
    CriterionFactory,
    FundingRoundFactory,
    ReviewFactory,
    TrancheFactory,
    category,
    force,
)

pytestmark = pytest.mark.django_db

S = Bid.Status


def last_event(bid: Bid) -> BidEvent:
    return bid.events.order_by("-id").first()


# --------------------------------------------------------------------------- drafting


def test_bid_create_gives_the_next_reference_of_the_fund_and_year(office_user):
    funding_round = FundingRoundFactory()
    first = services.bid_create(
        funding_round=funding_round, lead_force=force("nottinghamshire"), title="A", by=office_user
    )
    second = services.bid_create(
        funding_round=funding_round, lead_force=force("nottinghamshire"), title="B", by=office_user
    )
    assert (first.reference, second.reference) == ("PTF-2016-0001", "PTF-2016-0002")
    assert first.status == S.DRAFT
    assert last_event(first).action == BidEvent.Action.CREATED


def test_bid_create_refuses_another_forces_bid(office_user):
    with pytest.raises(PermissionDenied):
        services.bid_create(
            funding_round=FundingRoundFactory(), lead_force=force("kent"), title="A", by=office_user
        )


def test_bid_create_refuses_a_closed_round(office_user):
    with pytest.raises(WorkflowError, match="not open for bids"):
        services.bid_create(
            funding_round=FundingRoundFactory(closed=True),
            lead_force=force("nottinghamshire"),
            title="A",
            by=office_user,
        )


def test_bid_update_changes_a_draft_and_records_history(office_user):
    bid = BidFactory()
    services.bid_update(bid=bid, title="New title", by=office_user)
    bid.refresh_from_db()
    assert bid.title == "New title"
    assert bid.history.first().history_user == office_user


@pytest.mark.parametrize("status", [S.SUBMITTED, S.APPROVED])
def test_bid_update_refuses_a_bid_that_is_not_a_draft(office_user, status):
    bid = BidFactory(status=status)
    with pytest.raises(PermissionDenied):
        services.bid_update(bid=bid, title="New title", by=office_user)


def test_bid_update_refuses_a_partner_office(partner_office_user):
    bid = BidFactory(partners=["leicestershire"])
    with pytest.raises(PermissionDenied):
        services.bid_update(bid=bid, title="Hijacked", by=partner_office_user)


def test_bid_update_refuses_a_negative_match_contribution(office_user):
    with pytest.raises(WorkflowError, match="cannot be negative"):
        services.bid_update(bid=BidFactory(), local_match_contribution="-1", by=office_user)


def test_bid_set_partners_refuses_the_lead_force(office_user):
    with pytest.raises(WorkflowError, match="lead force cannot also be a partner"):
        services.bid_set_partners(
            bid=BidFactory(), partners=[force("nottinghamshire")], by=office_user
        )


def test_bid_set_funding_profile_replaces_the_lines(office_user):
    bid = BidFactory()
    services.bid_set_funding_profile(bid=bid, amounts={2017: Decimal("100.50")}, by=office_user)
    assert list(bid.funding_lines.values_list("financial_year", "amount")) == [
        (2017, Decimal("100.50"))
    ]


def test_bid_set_funding_profile_stores_the_requested_total(office_user):
    bid = BidFactory(profile={2016: Decimal("1000.00"), 2017: Decimal("2000.00")})
    assert Bid.objects.get(pk=bid.pk).requested_total == Decimal("3000.00")
    changed = services.bid_set_funding_profile(
        bid=bid, amounts={2016: Decimal("250.25"), 2017: Decimal("100.00")}, by=office_user
    )
    assert changed.requested_total == Decimal("350.25")
    assert Bid.objects.get(pk=bid.pk).requested_total == Decimal("350.25")
    services.bid_set_funding_profile(bid=bid, amounts={}, by=office_user)
    assert Bid.objects.get(pk=bid.pk).requested_total == Decimal("0.00")


def test_bid_set_funding_profile_refuses_a_year_outside_the_round(office_user):
    bid = BidFactory()
    with pytest.raises(WorkflowError, match="2018/19 is outside the round's years"):
        services.bid_set_funding_profile(bid=bid, amounts={2018: Decimal(1)}, by=office_user)
    assert bid.funding_lines.count() == 2


# --------------------------------------------------------------------------- submit and withdraw


def test_bid_submit_moves_a_complete_draft_to_submitted(office_user):
    bid = services.bid_submit(bid=BidFactory(), by=office_user)
    assert bid.status == S.SUBMITTED
    assert bid.submitted_by == office_user
    assert bid.submitted_at is not None
    event = last_event(bid)
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        BidEvent.Action.SUBMITTED,
        S.DRAFT,
        S.SUBMITTED,
        office_user,
    )


def test_bid_submit_lists_every_missing_answer(office_user):
    bid = BidFactory(summary="", pcc_signoff_name="", cfo_signoff_date=None, profile={})
    with pytest.raises(WorkflowError) as error:
        services.bid_submit(bid=bid, by=office_user)
    assert error.value.messages == [
        "Enter a summary of the bid",
        "Enter the name of the PCC who signed off the bid",
        "Enter the date the chief finance officer signed off",
        "Enter the amount requested for at least one year",
    ]
    bid.refresh_from_db()
    assert bid.status == S.DRAFT
    assert not bid.events.exists()


def test_bid_submit_refuses_when_the_round_has_closed(office_user):
    bid = BidFactory(round=FundingRoundFactory(closed=True))
    with pytest.raises(WorkflowError, match="is not open for bids"):
        services.bid_submit(bid=bid, by=office_user)


def test_bid_submit_refuses_a_profile_outside_the_rounds_years(office_user):
    bid = BidFactory()
    FundingLine.objects.create(bid=bid, financial_year=2019, amount=Decimal(10))
    with pytest.raises(WorkflowError, match="outside the round's years"):
        services.bid_submit(bid=bid, by=office_user)


def test_bid_submit_refuses_a_bid_already_submitted(office_user):
    with pytest.raises(WorkflowError, match="it is submitted"):
        services.bid_submit(bid=BidFactory(submitted=True), by=office_user)


def test_bid_submit_refuses_another_forces_office(other_office_user):
    with pytest.raises(PermissionDenied):
        services.bid_submit(bid=BidFactory(), by=other_office_user)


@pytest.mark.parametrize("status", sorted(Bid.WITHDRAWABLE))
def test_bid_withdraw_from_any_state_before_the_decision(office_user, status):
    bid = services.bid_withdraw(bid=BidFactory(status=status), reason="Merged", by=office_user)
    assert bid.status == S.WITHDRAWN
    assert last_event(bid).note == "Merged"


@pytest.mark.parametrize("status", [S.APPROVED, S.REJECTED, S.WITHDRAWN])
def test_bid_withdraw_refuses_after_the_decision(office_user, status):
    with pytest.raises(WorkflowError, match="cannot withdraw"):
        services.bid_withdraw(bid=BidFactory(status=status), reason="Late", by=office_user)


def test_bid_withdraw_needs_a_reason(office_user):
    with pytest.raises(WorkflowError, match="Say why"):
        services.bid_withdraw(bid=BidFactory(submitted=True), reason=" ", by=office_user)


def test_bid_withdraw_refuses_an_analyst(analyst):
    with pytest.raises(PermissionDenied):
        services.bid_withdraw(bid=BidFactory(submitted=True), reason="x", by=analyst)


# --------------------------------------------------------------------------- review


def test_bid_assign_reviewers_starts_the_review(analyst, second_analyst):
    bid = BidFactory(submitted=True)
    reviews = services.bid_assign_reviewers(bid=bid, reviewers=[second_analyst], by=analyst)
    bid.refresh_from_db()
    assert bid.status == S.UNDER_REVIEW
    assert [r.reviewer for r in reviews] == [second_analyst]
    assert last_event(bid).action == BidEvent.Action.REVIEWERS_ASSIGNED


def test_bid_assign_reviewers_refuses_a_draft(analyst):
    with pytest.raises(WorkflowError, match="cannot assign reviewers"):
        services.bid_assign_reviewers(bid=BidFactory(), reviewers=[analyst], by=analyst)


def test_bid_assign_reviewers_refuses_someone_who_is_not_an_analyst(analyst, approver):
    with pytest.raises(WorkflowError, match="Only analysts can review"):
        services.bid_assign_reviewers(
            bid=BidFactory(submitted=True), reviewers=[approver], by=analyst
        )


def test_bid_assign_reviewers_is_for_analysts_only(approver, analyst):
    with pytest.raises(PermissionDenied):
        services.bid_assign_reviewers(
            bid=BidFactory(submitted=True), reviewers=[analyst], by=approver
        )


def test_a_conflicted_reviewer_flags_the_bid_and_cannot_score(analyst):
    review = ReviewFactory(reviewer=analyst)
    services.review_declare_conflict(
        review=review, has_conflict=True, details="Former employee", by=analyst
    )
    review.bid.refresh_from_db()
    assert review.bid.needs_reassignment
    assert last_event(review.bid).action == BidEvent.Action.CONFLICT_DECLARED
    with pytest.raises(WorkflowError, match="conflict of interest"):
        services.review_save(review=review, scores={}, by=analyst)


def test_reassigning_clears_the_flag(analyst, second_analyst):
    review = ReviewFactory(reviewer=analyst)
    services.review_declare_conflict(review=review, has_conflict=True, details="x", by=analyst)
    services.bid_assign_reviewers(bid=review.bid, reviewers=[second_analyst], by=analyst)
    review.bid.refresh_from_db()
    assert not review.bid.needs_reassignment


def test_a_reviewer_must_declare_before_scoring(analyst):
    review = ReviewFactory(reviewer=analyst)
    with pytest.raises(WorkflowError, match="Declare any conflict"):
        services.review_save(review=review, scores={}, by=analyst)


def _declared_review(reviewer, **kwargs):
    review = ReviewFactory(reviewer=reviewer, **kwargs)
    services.review_declare_conflict(review=review, has_conflict=False, by=reviewer)
    return review


def test_review_submit_scores_every_criterion_and_computes_the_weighted_score(analyst):
    review = _declared_review(analyst)
    fit = CriterionFactory(round=review.bid.round, weight=Decimal(3), max_score=5)
    value = CriterionFactory(round=review.bid.round, weight=Decimal(1), max_score=10)
    services.review_submit(
        review=review,
        scores={fit.pk: (4, "Strong fit"), value.pk: (5, "Average value")},
        recommendation=Review.Recommendation.FUND,
        by=analyst,
    )
    review.refresh_from_db()
    assert review.is_submitted
    # (4/5 × 3 + 5/10 × 1) / 4 × 100 = 72.50
    assert review.weighted_score() == Decimal("72.50")
    assert last_event(review.bid).action == BidEvent.Action.REVIEW_SUBMITTED


def test_review_submit_records_the_submitted_score_not_a_prefetched_draft(analyst):
    review = _declared_review(analyst)
    fit = CriterionFactory(round=review.bid.round, weight=Decimal(1), max_score=5)
    services.review_save(review=review, scores={fit.pk: (1, "Weak")}, by=analyst)
    # A page that showed the draft holds its scores in the prefetch cache.
    loaded = Review.objects.prefetch_related("scores__criterion").get(pk=review.pk)
    assert loaded.weighted_score() == Decimal("20.00")
    services.review_submit(
        review=loaded,
        scores={fit.pk: (5, "Strong after the answer")},
        recommendation=Review.Recommendation.FUND,
        by=analyst,
    )
    assert last_event(review.bid).note == "Fund, weighted score 100.00"


def test_review_submit_refuses_a_missing_criterion_or_justification(analyst):
    review = _declared_review(analyst)
    fit = CriterionFactory(round=review.bid.round, name="Strategic fit")
    CriterionFactory(round=review.bid.round, name="Deliverability")
    with pytest.raises(WorkflowError, match="Deliverability missing"):
        services.review_submit(
            review=review, scores={fit.pk: (4, "ok")}, recommendation="fund", by=analyst
        )
    with pytest.raises(WorkflowError, match="give a justification"):
        services.review_save(review=review, scores={fit.pk: (4, " ")}, by=analyst)
    review.refresh_from_db()
    assert not review.is_submitted


def test_review_save_refuses_a_score_above_the_maximum(analyst):
    review = _declared_review(analyst)
    fit = CriterionFactory(round=review.bid.round, name="Strategic fit", max_score=5)
    with pytest.raises(WorkflowError, match="from 0 to 5"):
        services.review_save(review=review, scores={fit.pk: (6, "Great")}, by=analyst)


def test_a_submitted_review_is_final(analyst):
    review = _declared_review(analyst)
    fit = CriterionFactory(round=review.bid.round)
    scores = {fit.pk: (3, "ok")}
    services.review_submit(review=review, scores=scores, recommendation="fund", by=analyst)
    with pytest.raises(WorkflowError, match="can no longer be changed"):
        services.review_save(review=review, scores=scores, by=analyst)


def test_only_the_assigned_reviewer_scores(analyst, second_analyst):
    review = _declared_review(analyst)
    with pytest.raises(PermissionDenied):
        services.review_save(review=review, scores={}, by=second_analyst)


def test_clarification_round_trip(analyst, office_user):
    bid = BidFactory(under_review=True)
    clarification = services.clarification_ask(bid=bid, question="Running costs?", by=analyst)
    bid.refresh_from_db()
    assert bid.status == S.CLARIFICATION_REQUESTED
    services.clarification_answer(
        clarification=clarification, answer="Shared three ways.", by=office_user
    )
    bid.refresh_from_db()
    assert bid.status == S.UNDER_REVIEW
    assert [e.action for e in bid.events.all()] == [
        BidEvent.Action.CLARIFICATION_ASKED,
        BidEvent.Action.CLARIFICATION_ANSWERED,
    ]


def test_the_bid_stays_paused_until_every_question_is_answered(analyst, office_user):
    bid = BidFactory(under_review=True)
    first = services.clarification_ask(bid=bid, question="One?", by=analyst)
    services.clarification_ask(bid=bid, question="Two?", by=analyst)
    services.clarification_answer(clarification=first, answer="Yes.", by=office_user)
    bid.refresh_from_db()
    assert bid.status == S.CLARIFICATION_REQUESTED


def test_clarification_ask_refuses_a_draft(analyst):
    with pytest.raises(WorkflowError, match="cannot ask a question"):
        services.clarification_ask(bid=BidFactory(), question="?", by=analyst)


def test_clarification_answer_refuses_a_partner_office(partner_office_user):
    clarification = ClarificationFactory(
        bid=BidFactory(status=S.CLARIFICATION_REQUESTED, partners=["leicestershire"])
    )
    with pytest.raises(PermissionDenied):
        services.clarification_answer(
            clarification=clarification, answer="x", by=partner_office_user
        )


def test_clarification_answer_refuses_when_no_question_is_open(office_user):
    clarification = ClarificationFactory(bid=BidFactory(under_review=True))
    with pytest.raises(WorkflowError, match="cannot answer a question"):
        services.clarification_answer(clarification=clarification, answer="x", by=office_user)


def _reviewed_bid(reviewer):
    review = _declared_review(reviewer)
    criterion = CriterionFactory(round=review.bid.round)
    services.review_submit(
        review=review, scores={criterion.pk: (4, "Good")}, recommendation="fund", by=reviewer
    )
    return review.bid


def test_bid_moderate_recommends_once_every_review_is_in(analyst):
    bid = _reviewed_bid(analyst)
    services.bid_moderate(
        bid=bid, moderated_score=Decimal("78.5"), recommended=True, reason="Strong", by=analyst
    )
    bid.refresh_from_db()
    assert (bid.status, bid.moderated_score) == (S.RECOMMENDED, Decimal("78.50"))
    assert "Strong" in last_event(bid).note


def test_bid_moderate_waits_for_outstanding_reviews(analyst, second_analyst):
    bid = _reviewed_bid(analyst)
    ReviewFactory(bid=bid, reviewer=second_analyst)
    with pytest.raises(WorkflowError, match="1 assigned review"):
        services.bid_moderate(
            bid=bid, moderated_score=Decimal(50), recommended=False, reason="x", by=analyst
        )


def test_bid_moderate_ignores_conflicted_reviews(analyst, second_analyst):
    bid = _reviewed_bid(analyst)
    conflicted = ReviewFactory(bid=bid, reviewer=second_analyst)
    services.review_declare_conflict(
        review=conflicted, has_conflict=True, details="x", by=second_analyst
    )
    services.bid_moderate(
        bid=bid, moderated_score=Decimal(40), recommended=False, reason="Weak", by=analyst
    )
    bid.refresh_from_db()
    assert bid.status == S.NOT_RECOMMENDED


def test_an_analyst_who_declared_a_conflict_cannot_moderate(analyst, second_analyst):
    bid = _reviewed_bid(analyst)
    conflicted = ReviewFactory(bid=bid, reviewer=second_analyst)
    services.review_declare_conflict(
        review=conflicted, has_conflict=True, details="My brother leads it", by=second_analyst
    )
    with pytest.raises(PermissionDenied, match="declared a conflict of interest"):
        services.bid_moderate(
            bid=bid, moderated_score=Decimal(90), recommended=True, reason="x", by=second_analyst
        )
    bid.refresh_from_db()
    assert bid.status == S.UNDER_REVIEW


def test_bid_moderate_refuses_without_reviews(analyst):
    with pytest.raises(WorkflowError, match="No reviewer"):
        services.bid_moderate(
            bid=BidFactory(under_review=True),
            moderated_score=Decimal(50),
            recommended=True,
            reason="x",
            by=analyst,
        )


def test_bid_moderate_refuses_a_score_over_100(analyst):
    bid = _reviewed_bid(analyst)
    with pytest.raises(WorkflowError, match="from 0 to 100"):
        services.bid_moderate(
            bid=bid, moderated_score=Decimal(101), recommended=True, reason="x", by=analyst
        )


# --------------------------------------------------------------------------- decision


def test_bid_decide_approves_with_the_requested_profile_by_default(approver):
    bid = services.bid_decide(bid=BidFactory(recommended=True), approve=True, by=approver)
    award = Award.objects.get(bid=bid)
    assert bid.status == S.APPROVED
    assert award.total == Decimal("5740000.00")
    assert list(award.tranches.values_list("financial_year", "amount", "status")) == [
        (2016, Decimal("2240000.00"), Tranche.Status.SCHEDULED),
        (2017, Decimal("3500000.00"), Tranche.Status.SCHEDULED),
    ]
    assert last_event(bid).action == BidEvent.Action.APPROVED
    assert "£5,740,000.00" in last_event(bid).note


def test_bid_decide_refuses_tranches_that_do_not_add_up(approver):
    bid = BidFactory(recommended=True)
    with pytest.raises(WorkflowError, match=r"add up to £1,000\.00, not the award of £2,000\.00"):
        services.bid_decide(
            bid=bid,
            approve=True,
            by=approver,
            total=Decimal(2000),
            tranches={2016: Decimal(500), 2017: Decimal(500)},
        )
    assert not Award.objects.exists()
    bid.refresh_from_db()
    assert bid.status == S.RECOMMENDED


def test_bid_decide_refuses_tranches_outside_the_rounds_years(approver):
    with pytest.raises(WorkflowError, match="2019/20 is outside the round's years"):
        services.bid_decide(
            bid=BidFactory(recommended=True),
            approve=True,
            by=approver,
            tranches={2016: Decimal(500), 2019: Decimal(500)},
        )
    assert not Award.objects.exists()
    assert not Tranche.objects.exists()


def test_bid_decide_splits_an_award_between_forces(approver):
    bid = BidFactory(recommended=True, partners=["leicestershire"])
    shares = {force("nottinghamshire"): Decimal(60), force("leicestershire"): Decimal(40)}
    services.bid_decide(bid=bid, approve=True, by=approver, shares=shares)
    assert sorted(bid.award.shares.values_list("force__slug", "percent")) == [
        ("leicestershire", Decimal("40.00")),
        ("nottinghamshire", Decimal("60.00")),
    ]


def test_bid_decide_refuses_shares_that_are_not_100_percent(approver):
    bid = BidFactory(recommended=True, partners=["leicestershire"])
    shares = {force("nottinghamshire"): Decimal(60), force("leicestershire"): Decimal(30)}
    with pytest.raises(WorkflowError, match="add up to 100"):
        services.bid_decide(bid=bid, approve=True, by=approver, shares=shares)


def test_bid_decide_rejects_with_reasons(approver):
    bid = services.bid_decide(
        bid=BidFactory(status=S.NOT_RECOMMENDED), approve=False, reasons="Weak", by=approver
    )
    assert bid.status == S.REJECTED
    assert not Award.objects.exists()
    with pytest.raises(WorkflowError, match="Give the reasons"):
        services.bid_decide(bid=BidFactory(recommended=True), approve=False, by=approver)


def test_bid_decide_refuses_an_approver_who_reviewed_the_bid(approver):
    bid = BidFactory(recommended=True)
    ReviewFactory(bid=bid, reviewer=approver)
    with pytest.raises(PermissionDenied, match="another approver"):
        services.bid_decide(bid=bid, approve=True, by=approver)


def test_bid_decide_is_for_approvers_only(analyst):
    with pytest.raises(PermissionDenied):
        services.bid_decide(bid=BidFactory(recommended=True), approve=True, by=analyst)


def test_bid_decide_refuses_a_bid_under_review(approver):
    with pytest.raises(WorkflowError, match="cannot decide on"):
        services.bid_decide(bid=BidFactory(under_review=True), approve=True, by=approver)


# --------------------------------------------------------------------------- money


def test_tranche_release_and_withhold(analyst):
    tranche = TrancheFactory(status=Tranche.Status.SCHEDULED)
    tranche = services.tranche_set_status(
        tranche=tranche, status=Tranche.Status.RELEASED, by=analyst
    )
    assert tranche.status == Tranche.Status.RELEASED
    with pytest.raises(WorkflowError, match="Say why"):
        services.tranche_set_status(tranche=tranche, status=Tranche.Status.WITHHELD, by=analyst)
    services.tranche_set_status(
        tranche=tranche, status=Tranche.Status.WITHHELD, reason="Milestone missed", by=analyst
    )
    assert last_event(tranche.award.bid).action == BidEvent.Action.TRANCHE_WITHHELD


def test_payment_record_adds_to_the_tranche(analyst):
    tranche = TrancheFactory(amount=Decimal("1000.00"))
    services.payment_record(
        tranche=tranche, amount=Decimal("600.00"), paid_on=datetime.date(2016, 9, 1), by=analyst
    )
    services.payment_record(
        tranche=tranche, amount="400", paid_on=datetime.date(2017, 1, 9), by=analyst
    )
    tranche.refresh_from_db()
    assert tranche.paid == Decimal("1000.00")
    assert last_event(tranche.award.bid).action == BidEvent.Action.PAYMENT_RECORDED
    assert tranche.history.first().history_user == analyst


def test_payment_record_refuses_more_than_the_allocation(analyst):
    tranche = TrancheFactory(amount=Decimal("1000.00"))
    with pytest.raises(WorkflowError, match=r"more than its allocation of £1,000\.00"):
        services.payment_record(
            tranche=tranche, amount=Decimal("1000.01"), paid_on=datetime.date.today(), by=analyst
        )
    tranche.refresh_from_db()
    assert tranche.paid == 0
    assert not tranche.payments.exists()


@pytest.mark.parametrize("amount", ["0", "-5", "lots"])
def test_payment_record_refuses_a_bad_amount(analyst, amount):
    with pytest.raises(WorkflowError):
        services.payment_record(
            tranche=TrancheFactory(), amount=amount, paid_on=datetime.date.today(), by=analyst
        )


def test_payment_record_refuses_a_tranche_not_released(analyst):
    with pytest.raises(WorkflowError, match="release it before"):
        services.payment_record(
            tranche=TrancheFactory(status=Tranche.Status.SCHEDULED),
            amount=Decimal(1),
            paid_on=datetime.date.today(),
            by=analyst,
        )


def test_payment_record_is_for_analysts(office_user):
    with pytest.raises(PermissionDenied):
        services.payment_record(
            tranche=TrancheFactory(), amount=1, paid_on=datetime.date.today(), by=office_user
        )


def test_spend_return_submit_and_verify(office_user, analyst):
    tranche = TrancheFactory()
    spend = services.spend_return_submit(
        tranche=tranche, quarter=2, amount_spent="125000", narrative="Licences", by=office_user
    )
    assert spend.status == SpendReturn.Status.SUBMITTED
    tranche.refresh_from_db()
    assert tranche.spent == 0  # counts once verified
    services.spend_return_verify(spend_return=spend, by=analyst)
    tranche.refresh_from_db()
    assert tranche.spent == Decimal("125000.00")
    assert last_event(tranche.award.bid).action == BidEvent.Action.SPEND_RETURN_VERIFIED


def test_spend_return_sent_back_can_be_submitted_again(office_user, analyst):
    tranche = TrancheFactory()
    spend = services.spend_return_submit(
        tranche=tranche, quarter=1, amount_spent=10, narrative="", by=office_user
    )
    services.spend_return_verify(spend_return=spend, accept=False, reason="No receipts", by=analyst)
    spend.refresh_from_db()
    assert (spend.status, spend.returned_reason) == (SpendReturn.Status.RETURNED, "No receipts")
    again = services.spend_return_submit(
        tranche=tranche, quarter=1, amount_spent=12, narrative="Receipts", by=office_user
    )
    assert again.pk == spend.pk
    assert again.status == SpendReturn.Status.SUBMITTED


def test_spend_return_submit_refuses_a_second_return_for_the_quarter(office_user):
    tranche = TrancheFactory()
    services.spend_return_submit(
        tranche=tranche, quarter=1, amount_spent=10, narrative="", by=office_user
    )
    with pytest.raises(WorkflowError, match="already been submitted"):
        services.spend_return_submit(
            tranche=tranche, quarter=1, amount_spent=10, narrative="", by=office_user
        )


@pytest.mark.parametrize(("quarter", "status"), [(5, Tranche.Status.RELEASED), (1, "scheduled")])
def test_spend_return_submit_refuses_bad_quarter_or_tranche(office_user, quarter, status):
    with pytest.raises(WorkflowError):
        services.spend_return_submit(
            tranche=TrancheFactory(status=status),
            quarter=quarter,
            amount_spent=1,
            narrative="",
            by=office_user,
        )


def test_spend_return_submit_refuses_another_office(other_office_user):
    with pytest.raises(PermissionDenied):
        services.spend_return_submit(
            tranche=TrancheFactory(), quarter=1, amount_spent=1, narrative="", by=other_office_user
        )


def test_spend_return_verify_refuses_a_verified_return(office_user, analyst):
    spend = services.spend_return_submit(
        tranche=TrancheFactory(), quarter=1, amount_spent=10, narrative="", by=office_user
    )
    services.spend_return_verify(spend_return=spend, by=analyst)
    with pytest.raises(WorkflowError, match="only a submitted return"):
        services.spend_return_verify(spend_return=spend, by=analyst)


def test_round_publish_results_needs_every_bid_decided(analyst, approver):
    funding_round = FundingRoundFactory(closed=True)
    bid = BidFactory(round=funding_round, recommended=True)
    with pytest.raises(WorkflowError, match="1 bid"):
        services.round_publish_results(funding_round=funding_round, by=analyst)
    services.bid_decide(bid=bid, approve=True, by=approver)
    published = services.round_publish_results(funding_round=funding_round, by=analyst)
    assert published.results_published_at <= timezone.now()
    assert list(Bid.objects.published()) == [bid]


def test_publishing_a_round_records_when_on_each_decided_bid(analyst, approver):
    funding_round = FundingRoundFactory(closed=True)
    approved = BidFactory(round=funding_round, recommended=True)
    rejected = BidFactory(round=funding_round, recommended=True)
    withdrawn = BidFactory(round=funding_round, status=Bid.Status.WITHDRAWN)
    services.bid_decide(bid=approved, approve=True, by=approver)
    services.bid_decide(bid=rejected, approve=False, reasons="Weak case.", by=approver)
    published = services.round_publish_results(funding_round=funding_round, by=analyst)
    events = BidEvent.objects.filter(action=BidEvent.Action.RESULTS_PUBLISHED)
    assert {(e.bid_id, e.from_status, e.to_status, e.actor_id, e.at) for e in events} == {
        (approved.pk, "approved", "approved", analyst.pk, published.results_published_at),
        (rejected.pk, "rejected", "rejected", analyst.pk, published.results_published_at),
    }
    assert not withdrawn.events.filter(action=BidEvent.Action.RESULTS_PUBLISHED).exists()


# --------------------------------------------------------------------------- the whole way


def test_a_bid_from_draft_to_last_pound(office_user, analyst, second_analyst, approver):
    bid = services.bid_create(
        funding_round=FundingRoundFactory(),
        lead_force=force("nottinghamshire"),
        title="East Midlands integrated technology plan",
        by=office_user,
    )
    services.bid_update(
        bid=bid,
        by=office_user,
        summary="One platform",
        case_for_change="Three systems",
        spend_category=category("digital"),
        bid_type=Bid.BidType.IMPLEMENTATION_READY,
        pcc_signoff_name="P",
        pcc_signoff_date=datetime.date(2016, 3, 1),
        cfo_signoff_name="C",
        cfo_signoff_date=datetime.date(2016, 3, 1),
    )
    services.bid_set_funding_profile(
        bid=bid, amounts={2016: Decimal("2240000"), 2017: Decimal("3500000")}, by=office_user
    )
    services.bid_submit(bid=bid, by=office_user)
    (review,) = services.bid_assign_reviewers(bid=bid, reviewers=[second_analyst], by=analyst)
    criterion = CriterionFactory(round=bid.round)
    services.review_declare_conflict(review=review, has_conflict=False, by=second_analyst)
    services.review_submit(
        review=review, scores={criterion.pk: (5, "Yes")}, recommendation="fund", by=second_analyst
    )
    services.bid_moderate(
        bid=bid, moderated_score=Decimal(90), recommended=True, reason="Best", by=analyst
    )
    services.bid_decide(bid=bid, approve=True, by=approver)
    tranche = bid.award.tranches.get(financial_year=2016)
    services.tranche_set_status(tranche=tranche, status=Tranche.Status.RELEASED, by=analyst)
    services.payment_record(
        tranche=tranche, amount=Decimal("2240000"), paid_on=datetime.date(2016, 9, 1), by=analyst
    )
    spend = services.spend_return_submit(
        tranche=tranche, quarter=1, amount_spent="2000000", narrative="Done", by=office_user
    )
    services.spend_return_verify(spend_return=spend, by=analyst)
    assert [e.to_status for e in bid.events.all()] == [
        S.DRAFT,
        S.SUBMITTED,
        S.UNDER_REVIEW,
        S.UNDER_REVIEW,
        S.RECOMMENDED,
        S.APPROVED,
        S.APPROVED,
        S.APPROVED,
        S.APPROVED,
        S.APPROVED,
    ]
    assert Tranche.objects.totals() == {
        "allocated": Decimal("5740000.00"),
        "paid": Decimal("2240000.00"),
        "spent": Decimal("2000000.00"),
    }


def test_closing_a_tranche_is_recorded(analyst):
    tranche = services.tranche_set_status(
        tranche=TrancheFactory(), status=Tranche.Status.CLOSED, by=analyst
    )
    assert last_event(tranche.award.bid).action == BidEvent.Action.TRANCHE_CLOSED
    with pytest.raises(WorkflowError, match="closed tranche cannot be made released"):
        services.tranche_set_status(tranche=tranche, status=Tranche.Status.RELEASED, by=analyst)


def test_payment_record_refuses_a_date_in_the_future(analyst):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(WorkflowError, match="in the future"):
        services.payment_record(tranche=TrancheFactory(), amount=1, paid_on=tomorrow, by=analyst)


def test_review_declare_conflict_refuses_a_decided_bid(analyst):
    review = ReviewFactory(reviewer=analyst, bid=BidFactory(approved=True))
    with pytest.raises(WorkflowError, match="cannot declare an interest"):
        services.review_declare_conflict(review=review, has_conflict=False, by=analyst)


def test_spend_return_submit_refuses_a_quarter_not_yet_over(office_user):
    this_year = fy_of(timezone.localdate())
    with pytest.raises(WorkflowError, match="has not ended yet"):
        services.spend_return_submit(
            tranche=TrancheFactory(financial_year=this_year + 1),
            quarter=1,
            amount_spent=1,
            narrative="",
            by=office_user,
        )


@pytest.mark.parametrize(("amount", "message"), [("1e5", "like 250000"), ("10.001", "two decimal")])
def test_payment_amounts_are_never_rounded_or_read_as_exponents(analyst, amount, message):
    with pytest.raises(WorkflowError, match=message):
        services.payment_record(
            tranche=TrancheFactory(), amount=amount, paid_on=datetime.date.today(), by=analyst
        )


def test_a_clarification_answered_meanwhile_is_not_answered_twice(analyst, office_user):
    bid = BidFactory(under_review=True)
    clarification = services.clarification_ask(bid=bid, question="One?", by=analyst)
    services.clarification_ask(bid=bid, question="Two?", by=analyst)
    stale = type(clarification).objects.get(pk=clarification.pk)
    services.clarification_answer(clarification=clarification, answer="First", by=office_user)
    with pytest.raises(WorkflowError, match="already been answered"):
        services.clarification_answer(clarification=stale, answer="Second", by=office_user)


def test_bid_update_refuses_a_collaboration_the_lead_is_not_in(office_user):
    from tests.factories import CollaborationFactory

    with pytest.raises(WorkflowError, match="is not a member of"):
        services.bid_update(bid=BidFactory(), collaboration=CollaborationFactory(), by=office_user)

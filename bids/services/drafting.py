"""Drafting, submitting and withdrawing a bid: the PCC office's part of the workflow."""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.functions import Length
from django.utils import timezone

from bids import permissions
from bids.models import (
    Bid,
    Fund,
    FundingLine,
    FundingRound,
)
from bids.permissions import require
from bids.services.base import (
    Action,
    Problem,
    Status,
    WorkflowError,
    expect_status,
    lock_bid,
    move_bid,
    parse_amount,
    record_event,
    require_text,
)
from forces.models import Force
from fundtracker.money import ZERO
from fundtracker.years import fy_label


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
        title=require_text(title, "Enter a title for the bid."),
        created_by=by,
    )
    bid._history_user = by
    bid.save()
    record_event(bid, Action.CREATED, by)
    return bid


@transaction.atomic
def bid_update(*, bid: Bid, by: User, **fields) -> Bid:
    """Change answers of a draft bid; only the lead force's office may."""
    unknown = set(fields) - BID_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Not an editable field of a bid: {', '.join(sorted(unknown))}")
    bid = lock_bid(bid)
    require(permissions.can_edit_bid(by, bid), "Only the lead force's office can change a draft.")
    expect_status(bid, [Status.DRAFT], "change")
    if "title" in fields:
        fields["title"] = require_text(fields["title"], "Enter a title for the bid.")
    collaboration = fields.get("collaboration")
    if (
        collaboration is not None
        and not collaboration.members.filter(pk=bid.lead_force_id).exists()
    ):
        raise WorkflowError(f"{bid.lead_force} is not a member of {collaboration}.")
    if "local_match_contribution" in fields:
        fields["local_match_contribution"] = parse_amount(
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
    bid = lock_bid(bid)
    require(permissions.can_edit_bid(by, bid), "Only the lead force's office can change a draft.")
    expect_status(bid, [Status.DRAFT], "change the partners of")
    partners = list(partners)
    if any(force.pk == bid.lead_force_id for force in partners):
        raise WorkflowError("The lead force cannot also be a partner.")
    bid._history_user = by
    bid.partner_forces.set(partners)
    return bid


@transaction.atomic
def bid_set_funding_profile(*, bid: Bid, amounts: Mapping[int, Decimal], by: User) -> Bid:
    """Replace a draft bid's funding profile: amount requested per financial year of the round."""
    bid = lock_bid(bid)
    require(permissions.can_edit_bid(by, bid), "Only the lead force's office can change a draft.")
    expect_status(bid, [Status.DRAFT], "change the funding profile of")
    years = bid.round.financial_years
    outside = sorted(y for y in amounts if y not in years)
    if outside:
        raise WorkflowError(
            f"{', '.join(fy_label(y) for y in outside)} is outside the round's years "
            f"({bid.round.years_label})."
        )
    clean = {
        year: parse_amount(amount, f"The amount for {fy_label(year)}")
        for year, amount in amounts.items()
    }
    bid.funding_lines.exclude(financial_year__in=clean).delete()
    for year, amount in clean.items():
        FundingLine.objects.update_or_create(
            bid=bid, financial_year=year, defaults={"amount": amount}
        )
    # Each line written has stored the bid's total (``bids.derived``); the bid handed back
    # carries it too.
    bid.refresh_from_db(fields=["requested_total"])
    return bid


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
    bid = lock_bid(bid)
    require(permissions.can_act_for_office(by, bid), "Only the lead force's office can submit.")
    expect_status(bid, [Status.DRAFT], "submit")
    problems = bid_submission_problems(bid, at)
    if problems:
        raise WorkflowError([p.message for p in problems])
    now = timezone.now()
    return move_bid(bid, Status.SUBMITTED, Action.SUBMITTED, by, submitted_by=by, submitted_at=now)


@transaction.atomic
def bid_withdraw(*, bid: Bid, by: User, reason: str) -> Bid:
    """The lead force's office withdraws its bid, at any point before the decision."""
    bid = lock_bid(bid)
    require(permissions.can_act_for_office(by, bid), "Only the lead force's office can withdraw.")
    expect_status(bid, Bid.WITHDRAWABLE, "withdraw")
    reason = require_text(reason, "Say why the bid is withdrawn.")
    return move_bid(bid, Status.WITHDRAWN, Action.WITHDRAWN, by, note=reason)

"""What the services share: the error they raise, the bid lock and the event record."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from bids.models import (
    Bid,
    BidEvent,
    Tranche,
)
from fundtracker.money import to_money

Status = Bid.Status
Action = BidEvent.Action


class WorkflowError(ValidationError):
    """A transition or write the current state does not allow; its messages say why."""


@dataclass(frozen=True)
class Problem:
    """Something that stops a bid being submitted, and the section of the bid to fix it in."""

    section: str
    message: str


def lock_bid(bid: Bid) -> Bid:
    """Lock the bid's row for this transaction and reload it, so two requests cannot race."""
    Bid.objects.select_for_update().filter(pk=bid.pk).values_list("pk").get()
    bid.refresh_from_db()
    return bid


def record_event(
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


def move_bid(bid: Bid, to: str, action: str, by: User | None, note: str = "", **fields) -> Bid:
    """Change the bid's status (and ``fields``), save with history, and record the event."""
    before = bid.status
    bid.status = to
    for name, value in fields.items():
        setattr(bid, name, value)
    bid._history_user = by
    bid.save()
    record_event(bid, action, by, from_status=before, note=note)
    return bid


def expect_status(bid: Bid, allowed: Iterable[str], doing: str) -> None:
    allowed = set(allowed)
    if bid.status not in allowed:
        labels = " or ".join(sorted(Status(s).label.lower() for s in allowed))
        raise WorkflowError(
            f"You cannot {doing} bid {bid.reference}: it is {bid.get_status_display().lower()}, "
            f"and this can only be done when it is {labels}."
        )


def require_text(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise WorkflowError(message)
    return value


def parse_amount(value, what: str) -> Decimal:
    """Pounds and pence, refused (never rounded) when they have more than two decimals."""
    message = f"{what} must be an amount in pounds, like 250000 or 250000.50."
    if isinstance(value, str) and re.search(r"[eE]", value):
        raise WorkflowError(message)
    try:
        exact = Decimal(value.replace(",", "").strip() if isinstance(value, str) else value)
        amount = to_money(value)
    except (TypeError, ValueError, InvalidOperation) as error:
        raise WorkflowError(message) from error
    if exact != amount:
        raise WorkflowError(f"{what} can have at most two decimal places (pence).")
    if amount < 0:
        raise WorkflowError(f"{what} cannot be negative.")
    return amount


def lock_tranche(tranche: Tranche) -> Tranche:
    return Tranche.objects.select_for_update().select_related("award__bid").get(pk=tranche.pk)

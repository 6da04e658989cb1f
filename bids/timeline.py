"""A bid's history in plain words: what happened, who did it, when and why.

The PCC office (``timeline``) sees every step of its bid except the inside of the assessment:
who reviews it, individual reviews and scores, declared conflicts of interest and the
moderation notes stay with the Home Office. People at the Home Office appear as "Home Office";
people in a PCC office by name (see docs/decisions/0008-portal-following.md).

The review workspace (``review_timeline``) sees every event, everyone by name, and each change
of status.
"""

import datetime
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bids.models import Bid, BidEvent

Action = BidEvent.Action
Status = Bid.Status

HOME_OFFICE = "Home Office"

# Tranche events carry "2016/17." or "2016/17. reason" as their note; spend return events
# "2016/17 Q1", "2016/17 Q1: £500.00 spent" or "2016/17 Q1: reason".
_TRANCHE_NOTE = re.compile(r"^(?P<year>\d{4}/\d{2})\.?\s*(?P<rest>.*)$", re.DOTALL)
_SPEND_NOTE = re.compile(
    r"^(?P<year>\d{4}/\d{2}) Q(?P<quarter>[1-4])(?::\s*(?P<rest>.*))?$", re.DOTALL
)

_TITLES = {
    Action.CREATED: "Bid started",
    Action.SUBMITTED: "Bid submitted",
    Action.WITHDRAWN: "Bid withdrawn",
    Action.REVIEWERS_ASSIGNED: "Assessment started",
    Action.CLARIFICATION_ASKED: "Clarification asked",
    Action.CLARIFICATION_ANSWERED: "Clarification answered",
    Action.MODERATED: "Assessment finished",
    Action.APPROVED: "Bid approved",
    Action.REJECTED: "Bid rejected",
    Action.RESULTS_PUBLISHED: "Results published",
    Action.TRANCHE_RELEASED: "Tranche released",
    Action.TRANCHE_WITHHELD: "Tranche withheld",
    Action.TRANCHE_CLOSED: "Tranche closed",
    Action.PAYMENT_RECORDED: "Payment made",
    Action.SPEND_RETURN_SUBMITTED: "Spend return sent",
    Action.SPEND_RETURN_VERIFIED: "Spend return verified",
    Action.SPEND_RETURN_RETURNED: "Spend return sent back",
    Action.IMPORTED: "Award recorded",
}


@dataclass(frozen=True)
class TimelineItem:
    """One entry of the MOJ Frontend timeline."""

    title: str
    by: str
    at: datetime.datetime
    description: str = ""


def bid_events(bid: Bid):
    """The bid's events, newest first, with what ``actor_name`` needs (one query)."""
    return bid.events.select_related("actor__office").order_by("-at", "-id")


def actor_name(event: BidEvent) -> str:
    """The name of an office member; "Home Office" for everyone else and for the system."""
    actor = event.actor
    # The membership was selected with the event, so this asks the database nothing.
    if actor is None or not hasattr(actor, "office"):
        return HOME_OFFICE
    return actor.get_full_name() or actor.get_username()


def timeline_item(event: BidEvent) -> TimelineItem | None:
    """``event`` in plain words, or ``None`` for what stays inside the Home Office."""
    action = event.action
    if action in {Action.REVIEW_SUBMITTED, Action.CONFLICT_DECLARED}:
        return None
    # Assigning reviewers shows only as the start of the assessment; later reassignments
    # would tell the office that a reviewer declared a conflict.
    if action == Action.REVIEWERS_ASSIGNED and event.from_status == event.to_status:
        return None
    title = _TITLES.get(action, event.get_action_display())
    description = event.note
    if action == Action.REVIEWERS_ASSIGNED:
        description = "The Home Office started assessing the bid."
    elif action == Action.MODERATED:
        description = (
            "The bid is recommended to the funding panel."
            if event.to_status == Status.RECOMMENDED
            else "The bid is not recommended to the funding panel."
        )
    elif action == Action.RESULTS_PUBLISHED:
        description = (
            "The round’s results are public: the award shows on the allocation pages and in the "
            "open data."
            if event.to_status == Status.APPROVED
            else "The round’s results are public. Bids that were not funded are not published."
        )
    elif action == Action.CLARIFICATION_ANSWERED and event.to_status == Status.UNDER_REVIEW:
        description = f"{event.note}\n\nEvery question is answered: the bid is back under review."
    elif action in {Action.TRANCHE_RELEASED, Action.TRANCHE_WITHHELD, Action.TRANCHE_CLOSED}:
        match = _TRANCHE_NOTE.match(event.note)
        if match:
            title = f"{match['year']} {title[0].lower()}{title[1:]}"
            description = match["rest"].strip()
    elif action in {
        Action.SPEND_RETURN_SUBMITTED,
        Action.SPEND_RETURN_VERIFIED,
        Action.SPEND_RETURN_RETURNED,
    }:
        match = _SPEND_NOTE.match(event.note)
        if match:
            title = f"Q{match['quarter']} {match['year']} {title[0].lower()}{title[1:]}"
            rest = (match["rest"] or "").strip()
            description = rest[0].upper() + rest[1:] if rest else ""
    return TimelineItem(title=title, by=actor_name(event), at=event.at, description=description)


def timeline(events: Iterable[BidEvent]) -> list[TimelineItem]:
    """``events`` (from ``bid_events``) as timeline items, in the same order."""
    return [item for item in map(timeline_item, events) if item is not None]


# --------------------------------------------------------------------------- review workspace

SYSTEM = "The system"


def review_events(bid: Bid):
    """Every event of the bid, newest first, with who acted and their office (one query)."""
    return bid.events.select_related("actor__office__force").order_by("-at", "-id")


def person_name(user) -> str:
    """A user's full name, or their username when they have not given one."""
    return user.get_full_name() or user.get_username()


def distinct_names(users) -> dict[int, str]:
    """Each user's name by id, with their email address (or username) after it when another of
    ``users`` has the same name: two analysts called Laura Jones must not look alike in a list
    from which one of them is chosen."""
    users = list(users)
    names = {user.pk: person_name(user) for user in users}
    shared = {name for name, n in Counter(names.values()).items() if n > 1}
    return {
        user.pk: f"{names[user.pk]} ({user.email or user.get_username()})"
        if names[user.pk] in shared
        else names[user.pk]
        for user in users
    }


def review_actor_name(event: BidEvent) -> str:
    """Whoever acted, by name, with the force whose PCC office they work in."""
    actor = event.actor
    if actor is None:
        return SYSTEM
    office = getattr(actor, "office", None)
    if office is None:
        return person_name(actor)
    return f"{person_name(actor)} ({office.force.short_name} PCC office)"


def review_timeline_item(event: BidEvent, *, hide_note: bool = False) -> TimelineItem:
    """``event`` with its note (unless ``hide_note``) and, when it moved the bid, the statuses
    before and after."""
    parts = []
    if event.from_status and event.to_status and event.from_status != event.to_status:
        parts.append(
            f"Status changed from {Status(event.from_status).label.lower()} "
            f"to {Status(event.to_status).label.lower()}."
        )
    if event.note and not hide_note:
        parts.append(event.note)
    return TimelineItem(
        title=event.get_action_display(),
        by=review_actor_name(event),
        at=event.at,
        description="\n\n".join(parts),
    )


def review_timeline(events: Iterable[BidEvent], *, reviewing=None) -> list[TimelineItem]:
    """``events`` (from ``review_events``) as timeline items, in the same order.

    ``reviewing``: a reviewer who has not submitted their own review yet, who must not learn
    the recommendation and score of anyone else's, noted on "Review submitted".
    """
    return [
        review_timeline_item(
            event,
            hide_note=reviewing is not None
            and event.action == Action.REVIEW_SUBMITTED
            and event.actor_id != reviewing.pk,
        )
        for event in events
    ]

"""Reads for the portal's drafting pages: which rounds take bids, and how far a draft has got.

A section is *completed* when ``bid_submission_problems`` finds nothing missing in it, so the
task list and the submission check never disagree.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from bids.models import Bid
from bids.services import Problem, bid_submission_problems

NOT_STARTED = "Not started"
IN_PROGRESS = "In progress"
COMPLETED = "Completed"

# Where the user fixes each kind of problem; the round is nobody's to fix.
SECTION_URLS = {
    "about": "portal:about",
    "involved": "portal:involved",
    "funding": "portal:funding",
    "signoffs": "portal:signoffs",
}
# The task list's order, which lists of problems follow; the round's own comes first.
SECTION_ORDER = {"round": 0, "about": 1, "involved": 2, "funding": 3, "documents": 4, "signoffs": 5}
# Sections a bid cannot be submitted without.
REQUIRED_SECTIONS = ("about", "funding", "signoffs")


@dataclass(frozen=True)
class Progress:
    statuses: dict[str, str]
    problems: list[Problem]

    @property
    def required_completed(self) -> int:
        return sum(self.statuses[section] == COMPLETED for section in REQUIRED_SECTIONS)

    @property
    def required_total(self) -> int:
        return len(REQUIRED_SECTIONS)


def _answered(*values) -> bool:
    return any(v not in (None, "") and not (isinstance(v, str) and not v.strip()) for v in values)


def task_statuses(bid: Bid, problems: Iterable[Problem] | None = None) -> Progress:
    """Each section's status: Not started, In progress or Completed.

    Prefetch ``funding_lines``, ``partner_forces`` and ``documents`` to keep this to no queries.
    The optional sections (who is involved, documents) are completed once they have anything.
    """
    problems = list(bid_submission_problems(bid) if problems is None else problems)
    missing = {problem.section for problem in problems}
    lines = list(bid.funding_lines.all())

    def status(section: str, started: bool) -> str:
        if section not in missing:
            return COMPLETED
        return IN_PROGRESS if started else NOT_STARTED

    statuses = {
        "about": status(
            "about",
            _answered(bid.title, bid.summary, bid.case_for_change, bid.bid_type)
            or bid.spend_category_id is not None,
        ),
        "involved": (
            COMPLETED if bid.collaboration_id or list(bid.partner_forces.all()) else NOT_STARTED
        ),
        "funding": status("funding", bool(lines) or bool(bid.local_match_contribution)),
        "documents": COMPLETED if list(bid.documents.all()) else NOT_STARTED,
        "signoffs": status(
            "signoffs",
            _answered(
                bid.pcc_signoff_name,
                bid.pcc_signoff_date,
                bid.cfo_signoff_name,
                bid.cfo_signoff_date,
            ),
        ),
    }
    return Progress(statuses=statuses, problems=problems)

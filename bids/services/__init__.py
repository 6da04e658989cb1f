"""Every change to a bid and its money (design §4). One service a transition.

Each service is atomic, checks the actor's role through ``bids.permissions``, refuses a
transition the bid's state does not allow with a ``WorkflowError`` that says why, and records
a ``BidEvent``.
"""

from bids.services.awards import (
    award_create,
    bid_decide,
    payment_record,
    round_publish_results,
    spend_return_submit,
    spend_return_verify,
    tranche_set_status,
)
from bids.services.base import Problem, WorkflowError
from bids.services.drafting import (
    BID_EDITABLE_FIELDS,
    bid_create,
    bid_set_funding_profile,
    bid_set_partners,
    bid_submission_problems,
    bid_submit,
    bid_update,
    bid_withdraw,
)
from bids.services.review import (
    bid_assign_reviewers,
    bid_moderate,
    clarification_answer,
    clarification_ask,
    review_declare_conflict,
    review_save,
    review_submit,
)

__all__ = [
    "BID_EDITABLE_FIELDS",
    "Problem",
    "WorkflowError",
    "award_create",
    "bid_assign_reviewers",
    "bid_create",
    "bid_decide",
    "bid_moderate",
    "bid_set_funding_profile",
    "bid_set_partners",
    "bid_submission_problems",
    "bid_submit",
    "bid_update",
    "bid_withdraw",
    "clarification_answer",
    "clarification_ask",
    "payment_record",
    "review_declare_conflict",
    "review_save",
    "review_submit",
    "round_publish_results",
    "spend_return_submit",
    "spend_return_verify",
    "tranche_set_status",
]

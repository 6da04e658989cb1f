"""The admin: reference data, rounds, criteria and envelopes, and corrections to the record.

Every change of workflow state — a bid's status, a review, a decision, a payment, a verified
spend return — goes through ``bids.services``, which checks it and records a ``BidEvent``.
The admin shows those records with their field-level history and leaves the fields the services
keep read-only; what an administrator may correct here is the wording and reference data.
"""

from bids.admin import bids, money, rounds  # noqa: F401  (registers the pages)

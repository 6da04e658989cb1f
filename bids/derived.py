"""What the review pages keep rather than work out on every request, and how it is kept right
(docs/decisions/0023-review-pages-under-load.md).

- ``Bid.requested_total``, the funding profile summed: stored on the bid, so that the review
  queue sorts bids by it and narrows them to a band of it from an index instead of summing
  every funding line. ``store_requested_totals`` recomputes it from the funding lines.
- Figures of the review pages cached under one *generation* token
  (``review_figures_generation``): the bids most like a bid, what a round's bids of a category
  ask for each year against its envelope, the review queue's counts by status under each set
  of filters and the choices of its filter panel. A save or delete of any bid that is not a
  draft, of a funding line of one, of a review, of an envelope, or of the reference data the
  filters list (rounds, funds, categories, forces, regions, collaborations) replaces the token,
  and every such figure is worked out afresh; drafts are the office's own, so none of them
  counts.

Both follow every write through signals, as the money summaries do
(docs/decisions/0016-money-summaries.md): funding lines and bids are written by the services,
the admin, the award import and the tests' factories, and a stored total that disagreed with the
funding lines would put a bid in the wrong band. Bulk inserts send no signals: ``seed_demo``
stores the totals of its bids and replaces the generation itself.
"""

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from bids.models import Bid, FundingLine, Review
from forces.models import Force
from fundtracker.cache import generation, new_generation, replace_generation
from fundtracker.money import MONEY_FIELD, ZERO

REVIEW_FIGURES_KEY = "review-figures:generation"
# A cached figure is replaced as soon as what it comes from changes; the timeout only lets the
# cache drop figures nobody asks for.
CACHE_TIMEOUT = 6 * 60 * 60
# Ids per statement: well below SQLite's limit on parameters.
_CHUNK = 500

T = TypeVar("T")


def review_figures_generation() -> str:
    """The token that the review pages' cached figures are stored under."""
    return generation(REVIEW_FIGURES_KEY)


def review_figures_changed() -> None:
    """Every cached figure of the review pages is out of date.

    The token is replaced at once, so that the rest of this transaction reads figures of its
    own changes, and again once it commits, so that a figure another request works out in the
    meantime, from the data as it was before the commit, is not kept."""
    replace_generation(REVIEW_FIGURES_KEY)
    new_generation(REVIEW_FIGURES_KEY)


def review_figures_key(name: str) -> str:
    """The cache key of a figure of the review pages, ``name`` saying which: never read again
    once anything it comes from changes."""
    return f"review-figures:{review_figures_generation()}:{name}"


def cached_review_figure(name: str, compute: Callable[[], T]) -> T:
    """``compute()``, from the cache while nothing it comes from has changed."""
    key = review_figures_key(name)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_TIMEOUT)
    return value


def requested_total_expression() -> Coalesce:
    """The funding profile of the bid in the outer query, summed (£0 without one)."""
    money = DecimalField(**MONEY_FIELD)
    lines = (
        FundingLine.objects.filter(bid=OuterRef("pk"))
        .order_by()
        .values("bid")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(lines, output_field=money), Value(ZERO), output_field=money)


def store_requested_totals(bid_ids: Iterable[int]) -> None:
    """Store the requested total of each of these bids, summed from its funding lines in the
    database (one statement for up to 500 bids)."""
    ids = sorted(set(bid_ids))
    for start in range(0, len(ids), _CHUNK):
        Bid.objects.filter(pk__in=ids[start : start + _CHUNK]).update(
            requested_total=requested_total_expression()
        )


def store_requested_total(bid_id: int) -> Decimal | None:
    """Store one bid's requested total and return it; ``None`` if the bid is gone.

    The bid's row is locked first, so that two transactions changing the lines of one bid
    store their sums in turn, the second seeing the first's lines once they are committed.
    Tells the cache when the bid is not a draft."""
    with transaction.atomic():
        return _store_requested_total(bid_id)


def _store_requested_total(bid_id: int) -> Decimal | None:
    status = (
        Bid.objects.select_for_update().filter(pk=bid_id).values_list("status", flat=True).first()
    )
    if status is None:
        return None
    total = FundingLine.objects.filter(bid_id=bid_id).aggregate(
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=DecimalField(**MONEY_FIELD))
    )["total"]
    Bid.objects.filter(pk=bid_id).update(requested_total=total)
    if status != Bid.Status.DRAFT:
        review_figures_changed()
    return total


def _funding_line_changed(sender, instance, **kwargs):
    total = store_requested_total(instance.bid_id)
    # The bid the line was written through (a service's, a factory's) holds the new total too,
    # so that saving that bid later does not put back the old one.
    if total is not None and FundingLine.bid.is_cached(instance):
        instance.bid.requested_total = total


def _bid_changed(sender, instance, **kwargs):
    if instance.status != Bid.Status.DRAFT:
        review_figures_changed()


def _changed(sender, instance, **kwargs):
    # Reviews are only ever of submitted bids; a force moved to another region moves its bids;
    # reference data is what the queue's filters list.
    review_figures_changed()


def connect_derived() -> None:
    """Keep the stored totals and the cached figures right on every save and delete of a
    funding line, a bid, a review or reference data, whoever makes it."""
    from django.db.models.signals import post_delete, post_save

    from bids.models import Envelope, Fund, FundingRound, SpendCategory
    from forces.models import Collaboration, Region

    also = (Review, Envelope, Force, Region, Collaboration, FundingRound, Fund, SpendCategory)
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(_funding_line_changed, sender=FundingLine, dispatch_uid=f"line_{name}")
        signal.connect(_bid_changed, sender=Bid, dispatch_uid=f"submitted_bid_{name}")
        for model in also:
            signal.connect(_changed, sender=model, dispatch_uid=f"{model.__name__}_{name}")

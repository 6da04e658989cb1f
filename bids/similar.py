"""Bids like a given one, by how far their titles and summaries overlap, so that an analyst sees
when two forces bid for the same work (docs/decisions/0010-similar-bids.md).

On PostgreSQL the figure is pg_trgm's trigram similarity; the candidates come from
nearest-neighbour scans of the GiST trigram indexes on title and summary (migration
``0005_similar_bids_search``), so the cost does not grow with the number of bids. Elsewhere
(SQLite, the embedded default) the candidates are bids sharing the rarest significant words of
the bid, ranked here by the overlap of their word sets (Jaccard).

Either way the title counts twice as much as the summary, drafts are never compared (they are
the office's own work until submitted) and nothing under ``THRESHOLD`` is shown.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.lookups import TrigramSimilar
from django.contrib.postgres.search import TrigramDistance, TrigramSimilarity
from django.core.cache import cache
from django.db import connections
from django.db.models import Case, Count, F, Q, QuerySet, When

from bids.derived import CACHE_TIMEOUT, review_figures_key
from bids.models import Bid

# pg_trgm's own default for "similar"; below it titles share little more than common words.
THRESHOLD = 0.3
# How many nearest bids each index offers before they are ranked on title and summary.
CANDIDATES = 30
TITLE_WEIGHT = 2

# Words every bid uses, which say nothing about what a bid is for.
_COMMON = """
    about across after all also and any are been being both but can each for from had has have
    into its more new not now off once one only other our out over per than that the their them
    then there these they this those through under until upon very was were what when where
    which while who will with within without would
    force forces police policing partner partners phase
"""
STOP_WORDS = frozenset(_COMMON.split())
# At most this many words of a bid are looked up on SQLite: the rarest of them find candidates.
MAX_WORDS = 12
RAREST_TITLE_WORDS = 3
RAREST_SUMMARY_WORDS = 2
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class SimilarBid:
    """Another bid and how similar it is, from 0 (nothing shared) to 1 (the same words)."""

    bid: Bid
    similarity: float

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)


def similar_bids(bid: Bid, limit: int = 5) -> list[SimilarBid]:
    """Up to ``limit`` submitted bids of any round most like ``bid``, the most similar first.

    The search (one query on PostgreSQL, at most two elsewhere) is the costliest part of a
    review page, and its answer changes only when a submitted bid does: the bids it found, with
    their lead force and round, are cached until then (``bids.derived``: any save of a
    submitted bid, a force or a round starts a new generation), so a page that finds them in
    the cache makes no query for them."""
    key = review_figures_key(f"similar-bids:{bid.pk}:{limit}")
    found = cache.get(key)
    if found is None:
        found = _search(bid, limit)
        cache.set(key, found, CACHE_TIMEOUT)
    return found


def _search(bid: Bid, limit: int) -> list[SimilarBid]:
    if connections[Bid.objects.db].vendor == "postgresql":
        return [SimilarBid(found, found.similarity) for found in postgresql_queryset(bid, limit)]
    return _by_shared_words(bid, limit)


def _others(bid: Bid) -> QuerySet:
    return Bid.objects.exclude(status=Bid.Status.DRAFT).exclude(pk=bid.pk)


# --------------------------------------------------------------------------- PostgreSQL


def postgresql_queryset(bid: Bid, limit: int = 5) -> QuerySet:
    """The similar bids with a ``similarity`` annotation (pg_trgm ``similarity()``).

    The nearest ``CANDIDATES`` bids by title distance (``<->``), and as many by summary when
    the bid has one, are each an index scan that stops after that many rows; only those are
    ranked. A weighted mean reaches ``THRESHOLD`` only when the title or the summary does on
    its own, so nothing is lost when a scan skips what is less similar than that (``%``,
    whose threshold is pg_trgm's ``similarity_threshold``, 0.3 unless the database is set
    otherwise).
    """
    title = TrigramSimilarity("title", bid.title)
    # On summaries the planner's estimate of ``%`` costs more time than the filter saves.
    candidates = _nearest(bid, "title", TrigramSimilar(F("title"), bid.title))
    similarity = title
    if bid.summary.strip():
        candidates = candidates.union(_nearest(bid, "summary", ~Q(summary="")))
        both = (title * TITLE_WEIGHT + TrigramSimilarity("summary", bid.summary)) / (
            TITLE_WEIGHT + 1
        )
        similarity = Case(When(summary="", then=title), default=both)
    return (
        Bid.objects.filter(pk__in=candidates)
        .annotate(similarity=similarity)
        .filter(similarity__gte=THRESHOLD)
        .select_related("lead_force", "round__fund")
        .order_by("-similarity", "reference")[:limit]
    )


def _nearest(bid: Bid, field: str, *conditions) -> QuerySet:
    """The ids of the ``CANDIDATES`` bids meeting ``conditions`` nearest ``bid`` by trigram
    distance on ``field``: an index scan (``<->`` on the GiST index) that stops once it has
    them."""
    text = getattr(bid, field)
    return (
        _others(bid)
        .filter(*conditions)
        .order_by(TrigramDistance(field, text))
        .values("pk")[:CANDIDATES]
    )


# --------------------------------------------------------------------------- other databases

_WORD = re.compile(r"[a-z0-9]+")


def significant_words(text: str) -> set[str]:
    """The words of ``text`` that say what a bid is about: lower case, a plural's final "s"
    dropped (so that each word is also the start of its plural), without numbers, short words
    and ``STOP_WORDS``."""
    words = set()
    for word in _WORD.findall(text.lower()):
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if len(word) >= 3 and not word.isdigit() and word not in STOP_WORDS:
            words.add(word)
    return words


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def word_similarity(bid: Bid, other: Bid) -> float:
    """Word overlap of the titles, with the summaries counting half as much when both have one."""
    title = _jaccard(significant_words(bid.title), significant_words(other.title))
    mine, theirs = significant_words(bid.summary), significant_words(other.summary)
    if not (mine and theirs):
        return title
    return (title * TITLE_WEIGHT + _jaccard(mine, theirs)) / (TITLE_WEIGHT + 1)


def _by_shared_words(bid: Bid, limit: int) -> list[SimilarBid]:
    title_words = sorted(significant_words(bid.title), key=lambda w: (-len(w), w))[:MAX_WORDS]
    summary_words = sorted(
        significant_words(bid.summary) - set(title_words), key=lambda w: (-len(w), w)
    )[:MAX_WORDS]
    if not title_words and not summary_words:
        return []
    others = _others(bid)
    # One pass over the table counts every word: the rarest say the most about the bid.
    counts = others.aggregate(
        **{
            f"t{i}": Count("pk", filter=Q(title__icontains=word))
            for i, word in enumerate(title_words)
        },
        **{
            f"s{i}": Count("pk", filter=Q(summary__icontains=word))
            for i, word in enumerate(summary_words)
        },
    )
    match = Q()
    for prefix, field, words, keep in (
        ("t", "title", title_words, RAREST_TITLE_WORDS),
        ("s", "summary", summary_words, RAREST_SUMMARY_WORDS),
    ):
        found = [(counts[f"{prefix}{i}"], word) for i, word in enumerate(words)]
        for _, word in sorted(c for c in found if c[0])[:keep]:
            match |= Q(**{f"{field}__icontains": word})
    if not match:
        return []
    candidates = (
        others.filter(match)
        .select_related("lead_force", "round__fund")
        .order_by("-submitted_at", "-pk")[:MAX_CANDIDATES]
    )
    scored = [SimilarBid(other, word_similarity(bid, other)) for other in candidates]
    scored = [s for s in scored if s.similarity >= THRESHOLD]
    scored.sort(key=lambda s: (-s.similarity, s.bid.reference))
    return scored[:limit]

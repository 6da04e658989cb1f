"""Similar bids: other submitted bids, of any round and force, whose title and summary overlap a
bid's. The behaviour tests run on every database; the PostgreSQL ones (trigram similarity served
by the GiST indexes) are skipped elsewhere, the SQLite ones (shared rare words) on PostgreSQL."""

import pytest
from django.db import connection

from bids import similar
from bids.models import Bid
from bids.similar import significant_words, similar_bids, word_similarity
from tests.factories import BidFactory, FundingRoundFactory, force

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram search needs PostgreSQL"
)
not_postgresql = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="the word-overlap fallback of other databases"
)

BODY_WORN = "Body-worn video for frontline officers"
BODY_WORN_SUMMARY = (
    "Nottinghamshire will issue body-worn cameras to every response officer, so that more "
    "suspects plead guilty early and fewer complaints are made."
)


def a_bid(title: str, summary: str = "", *, lead: str = "nottinghamshire", **kwargs) -> Bid:
    kwargs.setdefault("status", Bid.Status.SUBMITTED)
    return BidFactory(title=title, summary=summary, lead_force=force(lead), **kwargs)


@pytest.fixture
def bid():
    return a_bid(BODY_WORN, BODY_WORN_SUMMARY)


def found(bid: Bid, **kwargs) -> list[Bid]:
    return [row.bid for row in similar_bids(bid, **kwargs)]


# --------------------------------------------------------------------------- every database


def test_similar_bids_across_rounds_and_forces(bid):
    next_year = FundingRoundFactory(name="2017/18 round 1", first_financial_year=2017)
    kent = a_bid(
        f"{BODY_WORN}, phase 2", BODY_WORN_SUMMARY.replace("Nottinghamshire", "Kent"), lead="kent"
    )
    surrey = a_bid(
        "Body-worn video cameras for officers",
        "Surrey will buy cameras for officers.",
        lead="surrey",
        round=next_year,
        status=Bid.Status.APPROVED,
    )
    a_bid("Armed response vehicle uplift", "More armed crews on rural roads.", lead="kent")
    rows = similar_bids(bid)
    assert [row.bid for row in rows] == [kent, surrey]
    assert 1 >= rows[0].similarity > rows[1].similarity >= similar.THRESHOLD
    assert 0 < rows[1].percent <= rows[0].percent <= 100


def test_never_the_bid_itself_nor_drafts(bid):
    a_bid(BODY_WORN, BODY_WORN_SUMMARY, status=Bid.Status.DRAFT)
    assert found(bid) == []
    withdrawn = a_bid(BODY_WORN, BODY_WORN_SUMMARY, status=Bid.Status.WITHDRAWN)
    assert found(bid) == [withdrawn]


def test_same_work_under_another_title_is_found_by_its_summary(bid):
    other = a_bid("Evidence capture on patrol", BODY_WORN_SUMMARY, lead="essex")
    assert found(bid) == [other]


def test_nothing_alike_finds_nothing(bid):
    a_bid("Armed response vehicle uplift", "More armed crews on rural roads.")
    a_bid("Firearms training facility", "A new indoor range shared by neighbouring forces.")
    assert found(bid) == []


def test_most_similar_first_up_to_the_limit(bid):
    same = [a_bid(BODY_WORN, BODY_WORN_SUMMARY, lead=lead) for lead in ("kent", "essex", "surrey")]
    near = a_bid(f"{BODY_WORN} and their supervisors", lead="sussex")
    assert set(found(bid, limit=3)) == set(same)
    assert found(bid, limit=4)[-1] == near


def test_one_or_two_queries(bid, django_assert_max_num_queries):
    for n in range(8):
        a_bid(f"{BODY_WORN} {n}", BODY_WORN_SUMMARY, reference=f"PTF-2016-9{n:03d}")
    with django_assert_max_num_queries(2):
        rows = similar_bids(bid)
        assert [row.bid.lead_force.name for row in rows]
        assert [row.bid.round.fund.name for row in rows]
    assert len(rows) == 5


# --------------------------------------------------------------------------- word overlap


def test_significant_words_drop_common_words_and_plurals():
    assert significant_words("Body-worn cameras for the Police, phase 2") == {
        "body",
        "worn",
        "camera",
    }
    assert significant_words("Digital Evidence: process and analysis") == {
        "digital",
        "evidence",
        "process",
        "analysi",
    }
    assert significant_words("") == set()


def test_word_similarity_weighs_the_title_twice():
    bid = Bid(title="Digital evidence transfer", summary="Send files to prosecutors.")
    same = Bid(title="Digital evidence transfer", summary="Send files to prosecutors.")
    other_summary = Bid(title="Digital evidence transfer", summary="Drones for search.")
    no_summary = Bid(title="Digital evidence management", summary="")
    assert word_similarity(bid, same) == 1
    assert word_similarity(bid, other_summary) == pytest.approx(2 / 3)
    assert word_similarity(bid, no_summary) == pytest.approx(2 / 4)


@not_postgresql
def test_rarest_words_find_an_old_duplicate_among_many_alike(bid, monkeypatch):
    monkeypatch.setattr(similar, "MAX_CANDIDATES", 5)
    duplicate = a_bid("Digital fingerprint bureau upgrade", reference="PTF-2016-8000")
    for n in range(10):
        a_bid(f"Digital case file {n}", reference=f"PTF-2016-81{n:02d}")
    query = a_bid("Digital fingerprint bureau upgrade, phase 2")
    assert found(query) == [duplicate]


@not_postgresql
def test_a_title_of_common_words_only_asks_nothing(django_assert_num_queries):
    bid = a_bid("The police force", "")
    a_bid("The police force", "")
    with django_assert_num_queries(0):
        assert similar_bids(bid) == []


# --------------------------------------------------------------------------- PostgreSQL


@postgresql_only
def test_similarity_is_pg_trgm_similarity(bid):
    twin = a_bid(BODY_WORN, BODY_WORN_SUMMARY, lead="kent")
    title_only = a_bid(BODY_WORN, "", lead="essex")
    rows = {row.bid: row.similarity for row in similar_bids(bid)}
    assert rows[twin] == pytest.approx(1.0)
    # Without a summary on both sides the title alone counts.
    assert rows[title_only] == pytest.approx(1.0)


@postgresql_only
def test_candidates_come_from_the_trigram_indexes(bid):
    for n in range(20):
        a_bid(f"Project {n}", f"Summary number {n}.", reference=f"PTF-2016-7{n:03d}")
    with connection.cursor() as cursor:
        # On a handful of rows, reading every non-draft bid (by any scan) and sorting them is
        # cheaper; this asks whether the indexes can serve the query at all, as they must on
        # 50,000 bids.
        off = ("enable_seqscan", "enable_bitmapscan", "enable_sort")
        for setting in off:
            cursor.execute(f"SET LOCAL {setting} = off")
        plan = similar.postgresql_queryset(bid).explain()
        for setting in off:
            cursor.execute(f"RESET {setting}")
    assert "bid_title_trgm" in plan
    assert "bid_summary_trgm" in plan
    assert "<->" in plan


@postgresql_only
def test_without_a_summary_only_the_title_index_is_used(bid):
    bid.summary = ""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = similar.postgresql_queryset(bid).explain()
        cursor.execute("RESET enable_seqscan")
    assert "bid_title_trgm" in plan
    assert "bid_summary_trgm" not in plan

"""The funding line's arithmetic: ranking, running totals and where the money runs out."""

from decimal import Decimal

import pytest

from bids.funding_line import (
    BELOW,
    FUNDED,
    FUNDED_OVER,
    NOT_FUNDED,
    Candidate,
    funding_line,
    line_position,
    rank,
    running_totals,
    year_positions,
)

D = Decimal
YEARS = [2016, 2017]


def bid(reference: str, score: str | None, y2016: str = "0", y2017: str = "0") -> Candidate:
    requested = {2016: D(y2016), 2017: D(y2017)}
    return Candidate(reference, D(score) if score is not None else None, requested)


def refs(candidates) -> list[str]:
    return [c.reference for c in candidates]


# --------------------------------------------------------------------------- ranking


def test_bids_rank_by_moderated_score_highest_first():
    ranked = rank([bid("B", "61.50"), bid("A", "80.00"), bid("C", "72.25")])
    assert refs(ranked) == ["A", "C", "B"]


def test_equal_scores_rank_the_smaller_request_first_then_the_reference():
    ranked = rank(
        [
            bid("PTF-3", "70", "500", "500"),
            bid("PTF-2", "70", "300", "300"),
            bid("PTF-1", "70", "500", "500"),
        ]
    )
    assert refs(ranked) == ["PTF-2", "PTF-1", "PTF-3"]


def test_a_bid_without_a_moderated_score_comes_last():
    ranked = rank([bid("A", None, "1"), bid("B", "0.00", "1"), bid("C", "55", "1")])
    assert refs(ranked) == ["C", "B", "A"]


def test_ranking_does_not_depend_on_the_order_given():
    bids = [bid(f"PTF-{n}", str(50 + n % 3), str(n * 10)) for n in range(1, 10)]
    assert refs(rank(bids)) == refs(rank(list(reversed(bids))))


# --------------------------------------------------------------------------- running totals


def test_running_totals_add_each_bid_to_what_is_committed_year_by_year():
    ranked = [bid("A", "90", "100", "50"), bid("B", "80", "30", "0"), bid("C", "70", "0", "25")]
    totals = running_totals(ranked, YEARS, {2016: D("1000"), 2017: D("0")})
    assert totals == [
        {2016: D("1100"), 2017: D("50")},
        {2016: D("1130"), 2017: D("50")},
        {2016: D("1130"), 2017: D("75")},
    ]


def test_running_totals_keep_pence_exactly():
    ranked = [bid("A", "90", "0.10"), bid("B", "80", "0.20")]
    assert running_totals(ranked, YEARS, {})[-1][2016] == D("0.30")


# --------------------------------------------------------------------------- the line


ENVELOPE = {2016: D("1000"), 2017: D("1000")}


def test_the_line_falls_before_the_first_bid_that_goes_over_the_envelope():
    ranked = [
        bid("A", "90", "400", "400"),
        bid("B", "80", "400", "400"),
        bid("C", "70", "300", "100"),  # 2016 reaches 1,100
        bid("D", "60", "100", "100"),
    ]
    assert line_position(ranked, YEARS, ENVELOPE, {}) == 2


def test_a_bid_that_exactly_uses_the_envelope_is_funded():
    ranked = [bid("A", "90", "600", "0"), bid("B", "80", "400", "1000")]
    assert line_position(ranked, YEARS, ENVELOPE, {}) == 2


def test_going_over_in_any_one_year_is_enough():
    ranked = [bid("A", "90", "100", "900"), bid("B", "80", "100", "200")]
    assert line_position(ranked, YEARS, ENVELOPE, {}) == 1


def test_no_bid_below_the_line_is_skipped_to_fit_a_cheaper_one():
    ranked = [bid("A", "90", "900"), bid("B", "80", "200"), bid("C", "70", "50")]
    result = funding_line(ranked, years=YEARS, envelopes=ENVELOPE)
    assert [row.tag for row in result.rows] == [FUNDED, BELOW, BELOW]


def test_money_already_awarded_counts_first():
    ranked = [bid("A", "90", "300"), bid("B", "80", "300")]
    assert line_position(ranked, YEARS, ENVELOPE, {2016: D("500")}) == 1
    assert line_position(ranked, YEARS, ENVELOPE, {2016: D("400")}) == 2


def test_an_overcommitted_year_does_not_stop_bids_that_ask_nothing_in_it():
    ranked = [bid("A", "90", "0", "300"), bid("B", "80", "10", "0")]
    assert line_position(ranked, YEARS, ENVELOPE, {2016: D("1200")}) == 1


def test_every_bid_fits_when_the_envelope_is_large_enough():
    ranked = [bid("A", "90", "100", "100"), bid("B", "80", "100", "100")]
    result = funding_line(ranked, years=YEARS, envelopes=ENVELOPE)
    assert result.envelope_line == 2
    assert [row.tag for row in result.rows] == [FUNDED, FUNDED]
    assert [y.left for y in result.years] == [D("800"), D("800")]


def test_equal_scores_fund_the_smaller_request_first():
    result = funding_line(
        [bid("PTF-1", "75", "700"), bid("PTF-2", "75", "400")],
        years=YEARS,
        envelopes=ENVELOPE,
    )
    assert [(row.candidate.reference, row.tag) for row in result.rows] == [
        ("PTF-2", FUNDED),
        ("PTF-1", BELOW),
    ]


def test_an_empty_envelope_funds_only_bids_that_ask_nothing_in_its_year():
    envelopes = {2016: D("0.00"), 2017: D("1000")}
    ranked = [bid("A", "90", "0", "500"), bid("B", "80", "1", "0"), bid("C", "70", "0", "1")]
    result = funding_line(ranked, years=YEARS, envelopes=envelopes)
    assert result.envelope_line == 1
    assert result.years[0].left == D("0.00")
    assert result.rows[1].cells[0].over is True


def test_a_year_without_an_envelope_counts_as_nothing_set_aside():
    envelopes = {2016: D("1000")}  # no envelope for 2017/18
    ranked = [bid("A", "90", "500", "0"), bid("B", "80", "100", "50"), bid("C", "70", "100")]
    result = funding_line(ranked, years=YEARS, envelopes=envelopes)
    assert result.envelope_line == 1
    assert result.missing_envelopes == [2017]
    assert result.years[1].envelope is None
    assert result.years[1].left == D("0")


def test_no_bids_leaves_the_whole_envelope():
    result = funding_line([], years=YEARS, envelopes=ENVELOPE, committed={2017: D("250")})
    assert result.rows == []
    assert result.envelope_line == result.line == 0
    assert [y.left for y in result.years] == [D("1000"), D("750")]


# --------------------------------------------------------------------------- moving the line


RANKED = [
    bid("A", "90", "400", "300"),
    bid("B", "80", "400", "300"),
    bid("C", "70", "400", "300"),
    bid("D", "60", "100", "100"),
]


def test_the_page_shows_what_is_left_at_the_envelope_line():
    result = funding_line(RANKED, years=YEARS, envelopes=ENVELOPE)
    assert result.line == result.envelope_line == 2
    assert not result.is_moved
    assert [(y.funded, y.left, y.overspend) for y in result.years] == [
        (D("800"), D("200"), D("0")),
        (D("600"), D("400"), D("0")),
    ]


def test_moving_the_line_down_shows_the_overspend_per_year():
    result = funding_line(RANKED, years=YEARS, envelopes=ENVELOPE, line=3)
    assert result.is_moved
    assert result.overspent
    assert [(y.left, y.overspend) for y in result.years] == [
        (D("-200"), D("200")),
        (D("100"), D("0")),
    ]
    assert [row.tag for row in result.rows] == [FUNDED, FUNDED, FUNDED_OVER, BELOW]


def test_moving_the_line_up_leaves_more_of_the_envelope():
    result = funding_line(RANKED, years=YEARS, envelopes=ENVELOPE, line=1)
    assert [y.left for y in result.years] == [D("600"), D("700")]
    assert [row.tag for row in result.rows] == [FUNDED, NOT_FUNDED, BELOW, BELOW]
    assert not result.overspent


def test_the_line_at_the_top_funds_nothing_and_at_the_bottom_everything():
    top = funding_line(RANKED, years=YEARS, envelopes=ENVELOPE, line=0)
    bottom = funding_line(RANKED, years=YEARS, envelopes=ENVELOPE, line=4)
    assert [y.funded for y in top.years] == [D("0"), D("0")]
    assert [y.funded for y in bottom.years] == [D("1300"), D("1000")]


def test_moving_the_line_leaves_the_ranking_and_running_totals_alone():
    placed = funding_line(RANKED, years=YEARS, envelopes=ENVELOPE)
    moved = funding_line(RANKED, years=YEARS, envelopes=ENVELOPE, line=4)
    assert [r.cells for r in placed.rows] == [r.cells for r in moved.rows]
    assert moved.envelope_line == placed.envelope_line == 2


@pytest.mark.parametrize("line", [-1, 5])
def test_a_line_outside_the_list_is_refused(line):
    with pytest.raises(ValueError, match="between 0 and 4"):
        year_positions(RANKED, YEARS, ENVELOPE, {}, line)


def test_committed_money_counts_in_what_is_left():
    result = funding_line(RANKED[:1], years=YEARS, envelopes=ENVELOPE, committed={2016: D("500")})
    assert [(y.committed, y.total, y.left) for y in result.years] == [
        (D("500"), D("900"), D("100")),
        (D("0"), D("300"), D("700")),
    ]

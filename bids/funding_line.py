"""The funding line: where a spend category's money runs out down the ranked list of bids.

Pure arithmetic over ``Decimal``, with no database: the views load the bids, the envelope and
the money already awarded, and these functions rank the bids and draw the line.

The rules, which the funding line page and the panel pack state in words:

- Bids are ranked by moderated score, highest first. Equal scores are ranked by the smaller
  requested total first (more bids funded for the same money), then by reference, so the
  order never changes from one page load to the next. A bid without a moderated score comes
  last.
- Awards already approved in the round and category take their money from the envelope first.
- Going down the list, each bid's request is added to a running total for every financial
  year of the round. The first bid that asks for money in a year where its running total is
  then over that year's envelope falls below the line, and so does every bid after it: the
  panel funds in rank order and never skips a bid to fit a cheaper one.
- A year without an envelope has no money set aside for the category: it counts as £0, so a
  bid asking for money in that year falls below the line.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fundtracker.money import ZERO

RANKING_RULE = (
    "Bids are ranked by moderated score, highest first. Where scores are equal, the bid "
    "asking for less in total comes first, then the lower reference."
)
LINE_RULE = (
    "Awards already approved take their money from the envelope first. Going down the list, "
    "each bid’s request is added to a running total for each financial year. The first bid "
    "that takes the running total over the envelope in any year it asks for money falls "
    "below the line, and so does every bid after it. A year without an envelope counts "
    "as £0."
)

FUNDED = "Funded within envelope"
BELOW = "Below the line"
FUNDED_OVER = "Funded over the envelope"
NOT_FUNDED = "Not funded at this line"


@dataclass(frozen=True)
class Candidate:
    """A bid to place on the line: its moderated score and what it asks for in each year.

    ``item`` carries whatever the caller ranks (a ``Bid``) through to the rows untouched.
    """

    reference: str
    score: Decimal | None
    requested: Mapping[int, Decimal]
    item: Any = field(default=None, compare=False, repr=False)

    @property
    def total(self) -> Decimal:
        return sum(self.requested.values(), ZERO)


def rank_key(candidate: Candidate) -> tuple:
    """Score highest first (none last), then the smaller total, then the reference."""
    highest_first = -candidate.score if candidate.score is not None else ZERO
    return (candidate.score is None, highest_first, candidate.total, candidate.reference)


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The candidates in funding order (see ``RANKING_RULE``)."""
    return sorted(candidates, key=rank_key)


def running_totals(
    ranked: Sequence[Candidate], years: Sequence[int], committed: Mapping[int, Decimal]
) -> list[dict[int, Decimal]]:
    """For each ranked candidate, the money taken in each year once it is funded: what is
    already committed plus the requests of every candidate down to and including it."""
    running = {year: committed.get(year, ZERO) for year in years}
    totals = []
    for candidate in ranked:
        for year in years:
            running[year] += candidate.requested.get(year, ZERO)
        totals.append(dict(running))
    return totals


def _over(candidate: Candidate, running: Mapping[int, Decimal], envelopes, years) -> list[int]:
    """The years in which ``candidate`` asks for money and the running total is over the
    envelope (a missing envelope counts as £0)."""
    return [
        year
        for year in years
        if candidate.requested.get(year, ZERO) > 0 and running[year] > (envelopes.get(year) or ZERO)
    ]


def line_position(
    ranked: Sequence[Candidate],
    years: Sequence[int],
    envelopes: Mapping[int, Decimal | None],
    committed: Mapping[int, Decimal],
) -> int:
    """How many ranked candidates are funded within the envelope (see ``LINE_RULE``)."""
    for index, (candidate, running) in enumerate(
        zip(ranked, running_totals(ranked, years, committed), strict=True)
    ):
        if _over(candidate, running, envelopes, years):
            return index
    return len(ranked)


@dataclass(frozen=True)
class YearPosition:
    """One financial year at a position of the line."""

    year: int
    envelope: Decimal | None  # None: no envelope set for the year
    committed: Decimal  # awards already approved
    funded: Decimal  # requested by the bids above the line

    @property
    def total(self) -> Decimal:
        return self.committed + self.funded

    @property
    def left(self) -> Decimal:
        """What is left of the envelope; negative when it is overspent."""
        return (self.envelope or ZERO) - self.total

    @property
    def overspend(self) -> Decimal:
        return max(-self.left, ZERO)


def year_positions(
    ranked: Sequence[Candidate],
    years: Sequence[int],
    envelopes: Mapping[int, Decimal | None],
    committed: Mapping[int, Decimal],
    line: int,
) -> list[YearPosition]:
    """Each year's envelope, commitments and the requests of the first ``line`` candidates."""
    if not 0 <= line <= len(ranked):
        raise ValueError(f"The line must be between 0 and {len(ranked)} bids.")
    return [
        YearPosition(
            year=year,
            envelope=envelopes.get(year),
            committed=committed.get(year, ZERO),
            funded=sum((c.requested.get(year, ZERO) for c in ranked[:line]), ZERO),
        )
        for year in years
    ]


@dataclass(frozen=True)
class YearCell:
    """A candidate's request in one year and the running total down to it."""

    year: int
    requested: Decimal
    running: Decimal
    over: bool  # asks for money in a year whose envelope the running total is over


@dataclass(frozen=True)
class Row:
    position: int  # 1 for the top of the list
    candidate: Candidate
    cells: tuple[YearCell, ...]
    within_envelope: bool  # above the line the envelope draws
    funded: bool  # above the line as placed (moved or not)

    @property
    def item(self) -> Any:
        return self.candidate.item

    @property
    def tag(self) -> str:
        if self.within_envelope:
            return FUNDED if self.funded else NOT_FUNDED
        return FUNDED_OVER if self.funded else BELOW


@dataclass(frozen=True)
class FundingLine:
    rows: list[Row]
    years: list[YearPosition]  # at the line as placed
    envelope_line: int  # bids funded within the envelope
    line: int  # bids funded as placed: the envelope line unless moved

    @property
    def is_moved(self) -> bool:
        return self.line != self.envelope_line

    @property
    def missing_envelopes(self) -> list[int]:
        return [y.year for y in self.years if y.envelope is None]

    @property
    def overspent(self) -> bool:
        return any(y.left < 0 for y in self.years)


def funding_line(
    candidates: Iterable[Candidate],
    *,
    years: Iterable[int],
    envelopes: Mapping[int, Decimal | None],
    committed: Mapping[int, Decimal] | None = None,
    line: int | None = None,
) -> FundingLine:
    """Rank ``candidates``, draw the line where the envelope runs out, and place it at ``line``
    bids instead when given (a what-if: nothing is decided)."""
    years = list(years)
    committed = committed or {}
    ranked = rank(candidates)
    envelope_line = line_position(ranked, years, envelopes, committed)
    line = envelope_line if line is None else line
    positions = year_positions(ranked, years, envelopes, committed, line)
    rows = []
    for index, (candidate, running) in enumerate(
        zip(ranked, running_totals(ranked, years, committed), strict=True)
    ):
        over = set(_over(candidate, running, envelopes, years))
        rows.append(
            Row(
                position=index + 1,
                candidate=candidate,
                cells=tuple(
                    YearCell(
                        year=year,
                        requested=candidate.requested.get(year, ZERO),
                        running=running[year],
                        over=year in over,
                    )
                    for year in years
                ),
                within_envelope=index < envelope_line,
                funded=index < line,
            )
        )
    return FundingLine(rows=rows, years=positions, envelope_line=envelope_line, line=line)

"""A bid's moderation as the panel reads it: the reviewers' scores side by side with their
spreads (``moderation_sheet``), and the moderation recorded on the bid (``Moderation``), in the
words the moderation page, the decision page and the panel pack share."""

import datetime
import re
import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from bids.models import Bid, BidEvent, Criterion, Review, weighted
from fundtracker.money import ZERO

# Reviewers more than this many points of 100 apart are flagged for the moderator's attention.
LARGE_SPREAD = Decimal(20)
HUNDRED = Decimal(100)
POINTS = Decimal("0.01")


def person(user) -> str:
    return user.get_full_name() or user.get_username()


_MODERATION_NOTE = re.compile(r"^Moderated score [\d.]+\.\s*", re.DOTALL)


@dataclass(frozen=True)
class Moderation:
    """The moderation of a bid as the approvers read it: score, outcome, reason, who, when."""

    score: Decimal | None
    recommended: bool
    reason: str
    by: str
    at: datetime.datetime

    @classmethod
    def from_event(cls, event: BidEvent | None, bid: Bid) -> "Moderation | None":
        if event is None:
            return None
        return cls(
            score=bid.moderated_score,
            recommended=event.to_status == Bid.Status.RECOMMENDED,
            reason=_MODERATION_NOTE.sub("", event.note).strip(),
            by=person(event.actor) if event.actor else "",
            at=event.at,
        )


@dataclass(frozen=True)
class ScoreCell:
    reviewer: str
    value: int | None
    justification: str


@dataclass(frozen=True)
class CriterionRow:
    criterion: Criterion
    cells: list[ScoreCell]  # one per reviewer
    spread: int | None  # max − min of the reviewers' scores
    spread_points: Decimal | None  # the spread as points of 100
    large: bool


@dataclass(frozen=True)
class ModerationSheet:
    """The submitted reviews of a bid side by side: one column per reviewer."""

    reviews: list[Review]
    rows: list[CriterionRow]
    totals: list[Decimal | None]  # weighted totals, one per reviewer
    total_spread: Decimal | None
    large_total_spread: bool
    mean: Decimal | None  # the suggested moderated score
    total_weight: Decimal

    @property
    def has_large_spread(self) -> bool:
        return self.large_total_spread or any(row.large for row in self.rows)


def moderation_sheet(criteria: list[Criterion], reviews: list[Review]) -> ModerationSheet:
    """Scores by criterion and reviewer, the spreads, each weighted total and their mean,
    from reviews fetched with ``ReviewQuerySet.with_scores``."""
    by_review = [{s.criterion_id: s for s in review.scores.all()} for review in reviews]
    names = [person(review.reviewer) for review in reviews]
    rows = []
    for criterion in criteria:
        cells = []
        for name, scores in zip(names, by_review, strict=True):
            score = scores.get(criterion.pk)
            cells.append(
                ScoreCell(name, score.value, score.justification)
                if score
                else ScoreCell(name, None, "")
            )
        values = [cell.value for cell in cells if cell.value is not None]
        spread = max(values) - min(values) if len(values) > 1 else None
        points = (
            (Decimal(spread) / criterion.max_score * HUNDRED).quantize(POINTS)
            if spread is not None
            else None
        )
        rows.append(
            CriterionRow(
                criterion=criterion,
                cells=cells,
                spread=spread,
                spread_points=points,
                large=points is not None and points > LARGE_SPREAD,
            )
        )
    totals = [
        weighted([(s.value, s.criterion.max_score, s.criterion.weight) for s in scores.values()])
        for scores in by_review
    ]
    known = [t for t in totals if t is not None]
    total_spread = max(known) - min(known) if len(known) > 1 else None
    return ModerationSheet(
        reviews=reviews,
        rows=rows,
        totals=totals,
        total_spread=total_spread,
        large_total_spread=total_spread is not None and total_spread > LARGE_SPREAD,
        mean=Decimal(statistics.mean(known)).quantize(POINTS) if known else None,
        total_weight=sum((c.weight for c in criteria), ZERO),
    )


def moderated_text(bid: Bid, moderation: Moderation | None) -> str:
    if moderation is None:
        return "not moderated" if bid.moderated_score is None else f"{bid.moderated_score}"
    outcome = "recommended" if moderation.recommended else "not recommended"
    by = f" by {moderation.by}" if moderation.by else ""
    at = timezone.localtime(moderation.at)
    return f"{moderation.score} out of 100, {outcome}{by} on {at.day} {at:%B %Y}"


def criterion_text(row: CriterionRow) -> str:
    """A criterion and each reviewer's score and justification, one to a line."""
    criterion = row.criterion
    weight = f"{criterion.weight.normalize():f}"
    lines = [f"{criterion.name} · weight {weight} · out of {criterion.max_score}"]
    for cell in row.cells:
        if cell.value is None:
            lines.append(f"{cell.reviewer}: not scored")
        else:
            lines.append(
                f"{cell.reviewer}: {cell.value} / {criterion.max_score}. {cell.justification}"
            )
    return "\n".join(lines)

"""Replays a bid's life, from draft to spend returns, as rows dated in the demo's past."""

import datetime
import random
from decimal import Decimal

from bids.demo.accounts import FIRST_NAMES, LAST_NAMES
from bids.demo.base import AS_OF, DAY, LONDON, UTC, D, london_time
from bids.demo.context import Batch, BidSpec, Context
from bids.demo.text import (
    APPROVAL_NOTES,
    CASE,
    CLARIFICATION_ANSWERS,
    CLARIFICATION_QUESTIONS,
    CONDITIONS,
    CONFLICT_DETAILS,
    JUSTIFICATIONS,
    MODERATION,
    NIL_RETURN,
    REJECTIONS,
    RETURN_REASONS,
    REVIEW_COMMENTS,
    SPEND_NARRATIVES,
    WITHDRAWALS,
    WITHHOLD_REASONS,
)
from bids.models import (
    Award,
    AwardShare,
    Bid,
    BidEvent,
    Clarification,
    FundingLine,
    Payment,
    Review,
    Score,
    SpendReturn,
    Tranche,
    weighted,
)
from fundtracker.money import format_gbp
from fundtracker.years import fy_label

Status = Bid.Status
Action = BidEvent.Action
TrancheStatus = Tranche.Status
Recommendation = Review.Recommendation


STAGE = {
    Status.DRAFT: 0,
    Status.SUBMITTED: 1,
    Status.UNDER_REVIEW: 2,
    Status.CLARIFICATION_REQUESTED: 2,
    Status.RECOMMENDED: 3,
    Status.NOT_RECOMMENDED: 3,
    Status.APPROVED: 4,
    Status.REJECTED: 4,
}


def money(pence: int) -> Decimal:
    return Decimal(pence).scaleb(-2)


# Rows are written with ``bulk_create``, not through ``bids.services``: the services stamp the
# present time on every event, while a demo needs a history that runs from 2014 to the present,
# and a benchmark needs tens of thousands of bids in minutes. The builder therefore replays what
# the services would have written — the same statuses, events, notes and the same
# ``Tranche.paid`` / ``Tranche.spent`` sums — with dates of its own.
# docs/decisions/0006-demo-data.md explains the choices.
class Builder:
    """Replays one bid's life — the rows and events the services would have written."""

    def __init__(self, ctx: Context, rng: random.Random, batch: Batch) -> None:
        self.ctx = ctx
        self.rng = rng
        self.b = batch

    # ----------------------------------------------------------------- time

    def between(self, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
        """A moment in working hours between ``start`` and ``end``, just after ``start`` if the
        window is empty, so a chain of calls never goes back in time."""
        rng = self.rng
        if end <= start:
            return start + datetime.timedelta(minutes=rng.randint(5, 90))
        moment = start + (end - start) * rng.random()
        if end - start > DAY:
            local = moment.astimezone(LONDON)
            moment = local.replace(
                hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=0, microsecond=0
            ).astimezone(UTC)
            moment = min(max(moment, start), end)
        return moment

    def event(self, bid, action, before, after, actor, at, note="") -> None:
        self.b.events.append(
            BidEvent(
                bid=bid,
                action=action,
                from_status=before,
                to_status=after,
                actor_id=actor.pk,
                at=at,
                note=note,
            )
        )

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    # ----------------------------------------------------------------- the bid

    def build(self, s: BidSpec) -> Bid:
        rng, r = self.rng, s.round
        office = self.ctx.office[s.lead.pk]
        reach = s.withdraw_from or s.status
        stage = STAGE[reach]
        tranches = None
        if s.status == Status.APPROVED:
            tranches = self.award_amounts(s)
            if tranches is None:  # no room left in a fixed envelope
                s.status = reach = Status.REJECTED
        # Submissions stop two days before AS_OF so a withdrawal can still follow.
        sub_end = min(r.closes_at, AS_OF - 2 * DAY)
        created = self.between(r.opens_at + DAY, sub_end - 6 * DAY)
        complete = stage >= 1 or rng.random() < 0.4
        submitted = self.between(created + 2 * DAY, sub_end) if stage >= 1 else None
        signed = max(
            (submitted or created + 3 * DAY) - datetime.timedelta(days=rng.randint(1, 9)), created
        )
        total_requested = sum(s.requested.values())
        bid = Bid(
            reference=s.reference,
            round_id=r.obj.pk,
            lead_force_id=s.lead.pk,
            collaboration_id=s.collaboration.pk if s.collaboration else None,
            title=s.title,
            summary=s.summary if complete or rng.random() < 0.5 else "",
            case_for_change=f"{s.theme.problem} {rng.choice(CASE)}" if complete else "",
            spend_category_id=self.ctx.categories[s.theme.category].pk,
            bid_type=s.bid_type,
            local_match_contribution=Decimal(
                int(total_requested * rng.choice([0, 0, 0.05, 0.1, 0.2]) // 1000 * 1000)
            ),
            status=s.status,
            created_by_id=office.pk,
            created_at=created,
            pcc_signoff_name=self.person() if complete else "",
            pcc_signoff_date=signed.date() if complete else None,
            cfo_signoff_name=self.person() if complete else "",
            cfo_signoff_date=signed.date() if complete else None,
        )
        self.b.bids.append(bid)
        self.event(bid, Action.CREATED, Status.DRAFT, Status.DRAFT, office, created)
        through = Bid.partner_forces.through
        self.b.partners.extend(through(bid=bid, force_id=f.pk) for f in s.partners)
        if complete or rng.random() < 0.5:
            self.b.lines.extend(
                FundingLine(bid=bid, financial_year=year, amount=Decimal(amount))
                for year, amount in s.requested.items()
            )
        status, t = Status.DRAFT, created
        if stage >= 1:
            bid.submitted_by_id, bid.submitted_at, t = office.pk, submitted, submitted
            self.event(bid, Action.SUBMITTED, Status.DRAFT, Status.SUBMITTED, office, t)
            status = Status.SUBMITTED
        if stage >= 2:
            status, t = self.assess(bid, s, reach, t)
        if stage == 4:
            approver = rng.choice(self.ctx.approvers)
            if r.decide_at is not None:
                decided = r.decide_at + datetime.timedelta(minutes=rng.randint(0, 180))
            else:
                decided = self.between(t + DAY, AS_OF - datetime.timedelta(hours=2))
            if s.status == Status.APPROVED:
                self.approve(bid, s, tranches, approver, decided, office, status)
            else:
                self.event(
                    bid,
                    Action.REJECTED,
                    status,
                    Status.REJECTED,
                    approver,
                    decided,
                    rng.choice(REJECTIONS),
                )
            if r.published:
                # The lead analyst published every round's results.
                after = Status.APPROVED if s.status == Status.APPROVED else Status.REJECTED
                publisher, at = self.ctx.analysts[0], r.spec.published
                note = f"Results of {r.obj} published"
                self.event(bid, Action.RESULTS_PUBLISHED, after, after, publisher, at, note)
        if s.withdraw_from:
            end = (r.decide_at - DAY) if r.decide_at else AS_OF - datetime.timedelta(hours=1)
            at = self.between(t + datetime.timedelta(hours=2), end)
            self.event(
                bid, Action.WITHDRAWN, status, Status.WITHDRAWN, office, at, rng.choice(WITHDRAWALS)
            )
        return bid

    def award_amounts(self, s: BidSpec) -> dict | None:
        """Tranches in pounds: usually what was asked, sometimes less; they must fit any fixed
        envelope of the round, or the bid cannot be funded."""
        rng = self.rng
        category = self.ctx.categories[s.theme.category]
        keys = {y: (s.round.obj.pk, category.pk, y) for y in s.requested}
        if s.real:
            amounts = dict(s.requested)
        else:
            factor = 1.0 if rng.random() < 0.75 else rng.uniform(0.7, 0.95)
            amounts = {y: int(a * factor) // 1000 * 1000 for y, a in s.requested.items()}
            room = [
                self.ctx.budgets[k] / (amounts[y] * 100)
                for y, k in keys.items()
                if k in self.ctx.budgets and amounts[y]
            ]
            fit = min([1.0, *room])
            if fit < 0.3:
                return None
            if fit < 1.0:
                amounts = {y: int(a * fit * 0.9) // 1000 * 1000 for y, a in amounts.items()}
        for y, k in keys.items():
            if k in self.ctx.budgets:
                self.ctx.budgets[k] -= amounts[y] * 100
        return amounts

    # ----------------------------------------------------------------- review

    def assess(self, bid: Bid, s: BidSpec, reach: str, t: datetime.datetime):
        """Reviewers, clarifications, reviews and moderation, up to the state ``reach``."""
        rng, r, ctx = self.rng, s.round, self.ctx
        office = ctx.office[s.lead.pk]
        live = r.decide_at is None
        # Live bids must leave time before AS_OF for everything that follows.
        end = AS_OF - 5 * DAY if live else r.decide_at - 7 * DAY
        assign_from = max(t, r.closes_at) + DAY
        assigned = self.between(assign_from, min(assign_from + 12 * DAY, end - 20 * DAY))
        assigner = ctx.analysts[0]
        reviewers = rng.sample(ctx.analysts, rng.choice([3, 4]) + 1)
        spare = reviewers.pop()
        if s.pinned_conflict and ctx.analysts[1] not in reviewers:
            reviewers[0] = ctx.analysts[1]
        status = Status.UNDER_REVIEW
        names = ", ".join(u.get_full_name() for u in reviewers)
        self.event(
            bid, Action.REVIEWERS_ASSIGNED, Status.SUBMITTED, status, assigner, assigned, names
        )
        reviews = [
            Review(bid=bid, reviewer_id=u.pk, assigned_by_id=assigner.pk, assigned_at=assigned)
            for u in reviewers
        ]
        people = {u.pk: u for u in ctx.analysts}
        self.b.reviews.extend(reviews)
        t = assigned
        if s.pinned_conflict or rng.random() < 0.03:
            conflicted = reviews.pop(reviewers.index(ctx.analysts[1]) if s.pinned_conflict else 0)
            t = self.between(t + DAY, t + 3 * DAY)
            details = rng.choice(CONFLICT_DETAILS)
            conflicted.has_conflict, conflicted.conflict_details = True, details
            conflicted.conflict_declared_at = t
            self.event(
                bid,
                Action.CONFLICT_DECLARED,
                status,
                status,
                people[conflicted.reviewer_id],
                t,
                details,
            )
            bid.needs_reassignment = True
            if not s.pinned_conflict:  # the pinned bid still waits for a new reviewer
                t = self.between(t + DAY, t + 4 * DAY)
                replacement = Review(
                    bid=bid, reviewer_id=spare.pk, assigned_by_id=assigner.pk, assigned_at=t
                )
                self.b.reviews.append(replacement)
                reviews.append(replacement)
                self.event(
                    bid,
                    Action.REVIEWERS_ASSIGNED,
                    status,
                    status,
                    assigner,
                    t,
                    spare.get_full_name(),
                )
                bid.needs_reassignment = False
        # An answered question comes before the reviews are submitted, so every review event
        # happens while the bid is under review.
        asks = STAGE[reach] >= 3 or reach == Status.UNDER_REVIEW or rng.random() < 0.2
        if asks and rng.random() < 0.25:
            t = self.clarify(bid, office, t, end - 10 * DAY, answered=True)
        quality = self.quality(s.status)
        all_in = STAGE[reach] >= 3
        submitted_times = []
        for review in reviews:
            state = (
                "submitted"
                if all_in
                else rng.choices(["submitted", "draft", "new"], [45, 30, 25])[0]
            )
            if state == "new":
                continue
            declared = self.between(review.assigned_at, review.assigned_at + 3 * DAY)
            review.has_conflict, review.conflict_declared_at = False, max(declared, t)
            values = self.scores(review, s.round.criteria, quality, partial=state == "draft")
            if state == "draft":
                continue
            score = weighted(values)
            review.recommendation = (
                Recommendation.FUND
                if score >= 65
                else Recommendation.FUND_WITH_CONDITIONS
                if score >= 50
                else Recommendation.DO_NOT_FUND
            )
            review.comments = REVIEW_COMMENTS[review.recommendation]
            review.submitted_at = self.between(review.conflict_declared_at + DAY, end - 3 * DAY)
            submitted_times.append((review.submitted_at, review, score))
        for at, review, score in sorted(submitted_times, key=lambda x: x[0]):
            self.event(
                bid,
                Action.REVIEW_SUBMITTED,
                status,
                status,
                people[review.reviewer_id],
                at,
                f"{review.get_recommendation_display()}, weighted score {score}",
            )
        t = max([t, *(at for at, _, _ in submitted_times)])
        if reach == Status.CLARIFICATION_REQUESTED:
            t = self.clarify(bid, office, t, AS_OF - DAY, answered=False)
            return Status.CLARIFICATION_REQUESTED, t
        if STAGE[reach] < 3:
            return status, t
        recommended = s.status in {Status.RECOMMENDED, Status.APPROVED} or (
            s.status == Status.REJECTED and rng.random() < 0.15
        )
        mean = sum(score for _, _, score in submitted_times) / len(submitted_times)
        moderated = min(max(mean + Decimal(rng.randint(-300, 300)) / 100, Decimal(0)), Decimal(100))
        bid.moderated_score = moderated.quantize(Decimal("0.01"))
        to = Status.RECOMMENDED if recommended else Status.NOT_RECOMMENDED
        t = self.between(t + DAY, end)
        self.event(
            bid,
            Action.MODERATED,
            status,
            to,
            assigner,
            t,
            f"Moderated score {bid.moderated_score}. {rng.choice(MODERATION[recommended])}",
        )
        return to, t

    def clarify(self, bid, office, t, end, *, answered: bool) -> datetime.datetime:
        rng = self.rng
        asker = rng.choice(self.ctx.analysts[:4])
        pick = rng.randrange(len(CLARIFICATION_QUESTIONS))
        asked = self.between(t + DAY, min(t + 8 * DAY, end))
        question = Clarification(
            bid=bid, question=CLARIFICATION_QUESTIONS[pick], asked_by_id=asker.pk, asked_at=asked
        )
        self.b.clarifications.append(question)
        self.event(
            bid,
            Action.CLARIFICATION_ASKED,
            Status.UNDER_REVIEW,
            Status.CLARIFICATION_REQUESTED,
            asker,
            asked,
            question.question,
        )
        if not answered:
            return asked
        question.answer = CLARIFICATION_ANSWERS[pick]
        question.answered_by_id = office.pk
        question.answered_at = self.between(asked + DAY, asked + 8 * DAY)
        self.event(
            bid,
            Action.CLARIFICATION_ANSWERED,
            Status.CLARIFICATION_REQUESTED,
            Status.UNDER_REVIEW,
            office,
            question.answered_at,
            question.answer,
        )
        return question.answered_at

    def quality(self, status: str) -> float:
        if status in {Status.APPROVED, Status.RECOMMENDED}:
            return self.rng.uniform(0.62, 0.95)
        if status in {Status.REJECTED, Status.NOT_RECOMMENDED}:
            return self.rng.uniform(0.2, 0.55)
        return self.rng.uniform(0.3, 0.9)

    def scores(self, review, criteria, quality: float, *, partial: bool) -> list[tuple]:
        """Scores for ``criteria`` around ``quality``; returns what ``weighted`` needs."""
        rng = self.rng
        chosen = criteria[: rng.randint(1, len(criteria) - 1)] if partial else criteria
        rows, values = [], []
        for criterion in chosen:
            top = criterion.max_score
            value = round(quality * top + rng.gauss(0, 0.12 * top))
            value = min(max(value, 0), top)
            share = value / top
            band = 0 if share >= 0.8 else 1 if share >= 0.6 else 2 if share >= 0.4 else 3
            text = JUSTIFICATIONS.get(criterion.name, JUSTIFICATIONS["Strategic fit"])[band]
            rows.append(
                Score(review=review, criterion_id=criterion.pk, value=value, justification=text)
            )
            values.append((value, top, criterion.weight))
        self.b.scores.extend(rows)
        return values

    # ----------------------------------------------------------------- money

    def approve(self, bid, s, tranches, approver, decided, office, before) -> None:
        rng, r = self.rng, s.round
        total = sum(tranches.values())
        reduced = sum(s.requested.values()) != total
        award = Award(
            bid=bid,
            total=Decimal(total),
            conditions=rng.choice(CONDITIONS) if reduced or rng.random() < 0.3 else "",
            decided_by_id=approver.pk,
            decided_at=decided,
            decision_notes=rng.choice(APPROVAL_NOTES),
        )
        self.b.awards.append(award)
        note = ", ".join(f"{fy_label(y)} {format_gbp(a)}" for y, a in sorted(tranches.items()))
        self.event(
            bid,
            Action.APPROVED,
            before,
            Status.APPROVED,
            approver,
            decided,
            f"Award {format_gbp(total)}: {note}",
        )
        if s.partners and not s.real and rng.random() < 0.35:
            self.shares(award, s.lead, s.partners)
        for year, amount in sorted(tranches.items()):
            tranche = Tranche(award=award, financial_year=year, amount=Decimal(amount))
            self.b.tranches.append(tranche)
            if r.published:
                self.tranche_life(bid, tranche, amount * 100, decided, r, office, s.real)

    def shares(self, award, lead, partners) -> None:
        lead_share = self.rng.randint(40, 60) * 100  # hundredths of a per cent
        weights = [max(f.population or 0, 400_000) for f in partners]
        rest = 10_000 - lead_share
        parts = [rest * w // sum(weights) for w in weights]
        parts[0] += rest - sum(parts)
        self.b.shares.append(AwardShare(award=award, force_id=lead.pk, percent=money(lead_share)))
        self.b.shares.extend(
            AwardShare(award=award, force_id=f.pk, percent=money(p))
            for f, p in zip(partners, parts, strict=True)
            if p > 0
        )

    def tranche_life(self, bid, tranche, amount, decided, r, office, real) -> None:
        """Release, payments and quarterly spend returns up to ``AS_OF``; sets paid and spent."""
        rng = self.rng
        year = tranche.financial_year
        label = fy_label(year)
        released = max(london_time(D(year, 4, 1), 9), r.spec.published + 3 * DAY)
        if released > AS_OF:
            return  # a future year: scheduled, nothing paid
        analyst = rng.choice(self.ctx.analysts)
        current = D(year + 1, 3, 31) >= AS_OF.date()
        roll = rng.random()
        if real:
            kind = "closed"
        elif current:
            kind = "withheld" if roll < 0.07 else "released"
        elif year >= 2024:
            kind = "withheld" if roll < 0.05 else "released" if roll < 0.2 else "closed"
        else:
            kind = "withheld" if roll < 0.04 else "closed"
        approved = Status.APPROVED
        self.event(bid, Action.TRANCHE_RELEASED, approved, approved, analyst, released, f"{label}.")
        # Payments: in full, or half at the start of the year and half in the autumn.
        paid = 0
        first_on = (released + datetime.timedelta(days=rng.randint(5, 20))).date()
        halves = kind == "withheld" or rng.random() < (0.5 if current else 0.2)
        plan = [(first_on, amount // 2 if halves else amount)]
        if halves and kind != "withheld":
            second_on = D(year, 10, rng.randint(1, 20))
            if second_on < AS_OF.date():
                plan.append((second_on, amount - amount // 2))
        for number, (paid_on, pence) in enumerate(plan, start=1):
            recorded = london_time(paid_on, rng.randint(9, 16), rng.randint(0, 59))
            self.b.payments.append(
                Payment(
                    tranche=tranche,
                    amount=money(pence),
                    paid_on=paid_on,
                    reference=f"HO/{bid.reference}/{year}/{number}",
                    recorded_by_id=analyst.pk,
                    recorded_at=recorded,
                )
            )
            self.event(
                bid,
                Action.PAYMENT_RECORDED,
                approved,
                approved,
                analyst,
                recorded,
                f"{format_gbp(money(pence))} against {label}, paid {paid_on:%d %B %Y}",
            )
            paid += pence
        # Quarterly spend: nil before the award, then a profile that rises through the year.
        quarter_ends = [D(year, 6, 30), D(year, 9, 30), D(year, 12, 31), D(year + 1, 3, 31)]
        weights = [
            0 if london_time(end, 23) < decided else w * rng.uniform(0.8, 1.2)
            for end, w in zip(quarter_ends, [0.14, 0.22, 0.28, 0.36], strict=True)
        ]
        target = amount * rng.uniform(0.82, 1.0)
        spent, last = 0, released
        for quarter, end in enumerate(quarter_ends, start=1):
            submitted = london_time(end + datetime.timedelta(days=rng.randint(7, 28)), 11) + (
                datetime.timedelta(minutes=rng.randint(0, 300))
            )
            submitted = max(submitted, last + datetime.timedelta(hours=1))
            if submitted > AS_OF:
                break
            if kind == "withheld" and quarter > 2:
                break
            share = weights[quarter - 1] / (sum(weights) or 1)
            pence = min(int(target * share), paid - spent) if weights[quarter - 1] else 0
            pence = max(pence, 0)
            final = quarter == 4 and kind == "released" and not current
            if final or (current and quarter == 2):
                state = rng.choices(["verified", "submitted", "returned"], [30, 45, 25])[0]
                if final:
                    state = rng.choice(["submitted", "returned"])
            elif current:
                state = rng.choices(["verified", "submitted", "returned"], [80, 12, 8])[0]
            else:
                state = "verified"
            verified = self.between(submitted + 4 * DAY, submitted + 20 * DAY)
            if state == "verified" and verified > AS_OF:
                state = "submitted"
            spend = SpendReturn(
                tranche=tranche,
                quarter=quarter,
                amount_spent=money(pence),
                narrative=NIL_RETURN if not weights[quarter - 1] else rng.choice(SPEND_NARRATIVES),
                status=state,
                submitted_by_id=office.pk,
                submitted_at=submitted,
            )
            where = f"{label} Q{quarter}"
            submitted_note = f"{where}: {format_gbp(money(pence))} spent"
            if state == "verified" and rng.random() < 0.05:
                # Sent back once, then resubmitted and verified.
                reason = rng.choice(RETURN_REASONS)
                back = self.between(submitted + DAY, submitted + 5 * DAY)
                again = self.between(back + DAY, back + 6 * DAY)
                self.event(
                    bid, Action.SPEND_RETURN_SUBMITTED, approved, approved, office, submitted,
                    submitted_note,
                )  # fmt: skip
                self.event(
                    bid, Action.SPEND_RETURN_RETURNED, approved, approved, analyst, back,
                    f"{where}: {reason}",
                )  # fmt: skip
                spend.submitted_at = submitted = again
                verified = self.between(again + 2 * DAY, again + 14 * DAY)
            self.event(
                bid, Action.SPEND_RETURN_SUBMITTED, approved, approved, office, submitted,
                submitted_note,
            )  # fmt: skip
            last = submitted
            if state == "verified":
                spend.verified_by_id, spend.verified_at = analyst.pk, verified
                self.event(
                    bid, Action.SPEND_RETURN_VERIFIED, approved, approved, analyst, verified, where
                )
                spent += pence
                last = verified
            elif state == "returned":
                reason = rng.choice(RETURN_REASONS)
                spend.returned_reason = reason
                back = min(self.between(submitted + DAY, submitted + 7 * DAY), AS_OF)
                self.event(
                    bid, Action.SPEND_RETURN_RETURNED, approved, approved, analyst, back,
                    f"{where}: {reason}",
                )  # fmt: skip
            self.b.returns.append(spend)
        if kind == "withheld":
            at = self.between(last + 5 * DAY, min(last + 30 * DAY, AS_OF))
            self.event(
                bid,
                Action.TRANCHE_WITHHELD,
                approved,
                approved,
                analyst,
                at,
                f"{label}. {rng.choice(WITHHOLD_REASONS)}",
            )
        elif kind == "closed":
            at = self.between(last + 5 * DAY, min(last + 30 * DAY, AS_OF))
            self.event(bid, Action.TRANCHE_CLOSED, approved, approved, analyst, at, f"{label}.")
        tranche.status = {
            "closed": TrancheStatus.CLOSED,
            "released": TrancheStatus.RELEASED,
            "withheld": TrancheStatus.WITHHELD,
        }[kind]
        tranche.paid, tranche.spent = money(paid), money(spent)

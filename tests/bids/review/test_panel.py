"""The panel pages of the review workspace: rounds, moderation, the funding line with its CSV
and panel pack, decisions one by one and in a batch, and publishing a round's results.

Each role's answer for each page, what each page shows, the four-eyes rule, and that bad input
changes nothing while every change goes through its service and records a ``BidEvent``."""

import csv
import html as htmllib
import io
import re
import threading
from decimal import Decimal

import pikepdf
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bids.models import (
    Award,
    Bid,
    BidEvent,
    Criterion,
    FundingLine,
    FundingRound,
    PanelPackPage,
    PdfFontFile,
    Review,
    Score,
    Tranche,
)
from bids.views.review import panel
from fundtracker import pdf
from tests.bids.portal.test_bid_pdf import page_count
from tests.factories import (
    AwardFactory,
    BidFactory,
    EnvelopeFactory,
    FundingRoundFactory,
    ReviewFactory,
    ScoreFactory,
    TrancheFactory,
    UserFactory,
    category,
    force,
)
from tests.fundtracker.test_pdf import pages_text

pytestmark = pytest.mark.django_db

D = Decimal
S = Bid.Status
Action = BidEvent.Action


def text(response) -> str:
    """The page's text without tags and with spaces collapsed: what a reader sees."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    words = htmllib.unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"\s+", " ", words).replace(" .", ".").replace(" ,", ",")


def pdf_text(pdf: bytes, tmp_path) -> str:
    return " ".join(pages_text(pdf, tmp_path))


@pytest.fixture
def funding_round(db):
    """A closed two-year round with a £1m digital envelope each year and two criteria."""
    funding_round = FundingRoundFactory(closed=True, name="2016/17 round 1", slug="ptf-2016-r1")
    for year in (2016, 2017):
        EnvelopeFactory(round=funding_round, financial_year=year, amount=D("1000000.00"))
    return funding_round


def recommended(funding_round, score, y2016="400000", y2017="300000", **kwargs) -> Bid:
    kwargs.setdefault("status", S.RECOMMENDED)
    return BidFactory(
        round=funding_round,
        moderated_score=D(score),
        profile={2016: D(y2016), 2017: D(y2017)},
        submitted_at=timezone.now(),
        **kwargs,
    )


def criteria(funding_round) -> list[Criterion]:
    """The round's two criteria, made on first use: weights 40 and 60, out of 5 and 10."""
    return [
        Criterion.objects.get_or_create(
            round=funding_round, name=name, defaults={"weight": D(weight), "max_score": top}
        )[0]
        for name, weight, top in [("Strategic fit", "40", 5), ("Value for money", "60", 10)]
    ]


def review(bid, reviewer, values, *, submitted=True, recommendation="fund", **kwargs) -> Review:
    """A review of ``bid`` by ``reviewer`` scoring the round's criteria with ``values``."""
    row = ReviewFactory(
        bid=bid,
        reviewer=reviewer,
        has_conflict=False,
        conflict_declared_at=timezone.now(),
        recommendation=recommendation if submitted else "",
        submitted_at=timezone.now() if submitted else None,
        **kwargs,
    )
    for criterion, value in zip(bid.round.criteria.order_by("order", "name"), values, strict=True):
        ScoreFactory(
            review=row,
            criterion=criterion,
            value=value,
            justification=f"{reviewer.username} on {criterion.name}: evidence is {value}.",
        )
    return row


# --------------------------------------------------------------------------- who gets what


def _urls(funding_round, bid) -> dict[str, str]:
    slug, ref = funding_round.slug, bid.reference
    return {
        "rounds": reverse("review:rounds"),
        "round": reverse("review:round", args=[slug]),
        "round_publish": reverse("review:round_publish", args=[slug]),
        "funding_line": reverse("review:funding_line", args=[slug]),
        "funding_line_csv": reverse("review:funding_line_csv", args=[slug]),
        "panel_pack": reverse("review:panel_pack", args=[slug]),
        "decide_batch": reverse("review:decide_batch", args=[slug]),
        "moderate": reverse("review:moderate", args=[ref]),
        "decide": reverse("review:decide", args=[ref]),
    }


ANALYST_ANSWERS = {
    "rounds": 200,
    "round": 200,
    "round_publish": 200,
    "funding_line": 200,
    "funding_line_csv": 200,
    "panel_pack": 200,
    "decide_batch": 404,
    "moderate": 200,
    "decide": 404,
}
APPROVER_ANSWERS = {
    **ANALYST_ANSWERS,
    "round_publish": 404,
    "moderate": 404,
    "decide_batch": 200,
    "decide": 200,
}


@pytest.mark.parametrize("name", sorted(ANALYST_ANSWERS))
def test_each_role_gets_its_answer(client, funding_round, analyst, approver, office_user, name):
    bid = recommended(funding_round, "70")
    url = _urls(funding_round, bid)[name]

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

    client.force_login(office_user)
    assert client.get(url).status_code == 404

    client.force_login(analyst)
    assert client.get(url).status_code == ANALYST_ANSWERS[name]

    client.force_login(approver)
    assert client.get(url).status_code == APPROVER_ANSWERS[name]


def test_the_wrong_role_cannot_post_either(client, funding_round, analyst, approver):
    bid = recommended(funding_round, "70")
    client.force_login(analyst)
    decision = {"decision": "approve", "tranche_2016": "1", "tranche_2017": "0", "total": "1"}
    assert client.post(reverse("review:decide", args=[bid.reference]), decision).status_code == 404
    batch = {"bids": [bid.reference], "action": "approve"}
    url = reverse("review:decide_batch", args=[funding_round.slug])
    assert client.post(url, batch).status_code == 404
    client.force_login(approver)
    moderation = {"moderated_score": "1", "outcome": "recommended", "reason": "No."}
    url = reverse("review:moderate", args=[bid.reference])
    assert client.post(url, moderation).status_code == 404
    bid.refresh_from_db()
    assert (bid.status, bid.moderated_score) == (S.RECOMMENDED, D("70.00"))
    assert not Award.objects.exists()
    assert not BidEvent.objects.exists()


def test_a_user_without_a_role_gets_404(client, funding_round):
    bid = recommended(funding_round, "70")
    client.force_login(UserFactory())
    for url in _urls(funding_round, bid).values():
        assert client.get(url).status_code == 404


def test_unknown_rounds_and_bids_are_404(client, analyst, approver):
    client.force_login(analyst)
    assert client.get(reverse("review:round", args=["no-such-round"])).status_code == 404
    assert client.get(reverse("review:funding_line", args=["no-such-round"])).status_code == 404
    assert client.get(reverse("review:moderate", args=["PTF-1999-0001"])).status_code == 404
    client.force_login(approver)
    assert client.get(reverse("review:decide", args=["PTF-1999-0001"])).status_code == 404


def test_drafts_are_404_on_the_bid_pages(client, analyst, approver, funding_round):
    draft = BidFactory(round=funding_round)
    client.force_login(analyst)
    assert client.get(reverse("review:moderate", args=[draft.reference])).status_code == 404
    client.force_login(approver)
    assert client.get(reverse("review:decide", args=[draft.reference])).status_code == 404


# --------------------------------------------------------------------------- rounds


def test_rounds_list_counts_bids_by_stage(client, analyst, funding_round):
    BidFactory(round=funding_round)  # a draft: the office's own work, not counted
    BidFactory(round=funding_round, submitted=True)
    BidFactory(round=funding_round, under_review=True)
    BidFactory(round=funding_round, status=S.CLARIFICATION_REQUESTED)
    recommended(funding_round, "70")
    recommended(funding_round, "40", status=S.NOT_RECOMMENDED)
    BidFactory(round=funding_round, approved=True)
    FundingRoundFactory(published=True, name="2015/16 round 1")
    client.force_login(analyst)

    response = client.get(reverse("review:rounds"))

    page = text(response)
    assert "PTF 2016/17 round 1 2016/17 to 2017/18 Closed, in assessment" in page
    # Waiting for reviewers, in review, awaiting decision, approved, rejected, withdrawn.
    assert "1 2 2 1 0 0 Not published" in page
    assert "PTF 2015/16 round 1" in page
    assert "Published" in page


def test_rounds_list_queries_do_not_grow_with_rounds(
    client, analyst, django_assert_max_num_queries
):
    client.force_login(analyst)
    FundingRoundFactory()
    with django_assert_max_num_queries(3):
        assert client.get(reverse("review:rounds")).status_code == 200
    for _ in range(8):
        BidFactory(round=FundingRoundFactory(), submitted=True)
    with django_assert_max_num_queries(3):
        assert client.get(reverse("review:rounds")).status_code == 200


def test_round_page_shows_statuses_envelopes_and_links(client, analyst, funding_round):
    recommended(funding_round, "70")
    recommended(funding_round, "65")
    BidFactory(round=funding_round, under_review=True)
    EnvelopeFactory(
        round=funding_round, category=category("forensics"), financial_year=2016, amount=D("5")
    )
    client.force_login(analyst)

    response = client.get(reverse("review:round", args=[funding_round.slug]))

    page = text(response)
    assert "3 bids submitted to this round" in page
    assert "Recommended 2" in page
    assert "Under review 1" in page
    assert "Digital funding line £1,000,000.00 £1,000,000.00 £2,000,000.00 2" in page
    assert "Forensics funding line £5.00 Not set £5.00 0" in page
    html = response.content.decode()
    assert f"{reverse('review:queue')}?round={funding_round.slug}" in html
    assert f"{reverse('review:funding_line', args=[funding_round.slug])}?category=digital" in html
    assert reverse("review:round_publish", args=[funding_round.slug]) in html
    assert "3 bids still await a decision" in page


def test_approvers_see_decisions_not_publishing_on_the_round_page(client, approver, funding_round):
    client.force_login(approver)
    html = client.get(reverse("review:round", args=[funding_round.slug])).content.decode()
    assert reverse("review:decide_batch", args=[funding_round.slug]) in html
    assert reverse("review:round_publish", args=[funding_round.slug]) not in html


# --------------------------------------------------------------------------- publishing


def test_publishing_is_refused_while_bids_await_a_decision(client, analyst, funding_round):
    waiting = recommended(funding_round, "70")
    AwardFactory(bid=BidFactory(round=funding_round, approved=True))
    url = reverse("review:round_publish", args=[funding_round.slug])
    client.force_login(analyst)

    page = text(client.get(url))
    assert "1 bid in this round still awaits a decision" in page
    assert "Publish the results" in page

    response = client.post(url)

    assert response.status_code == 200
    assert (
        "1 bid in PTF 2016/17 round 1 still awaits a decision: every submitted bid must be "
        "approved, rejected or withdrawn before the results are published." in text(response)
    )
    funding_round.refresh_from_db()
    assert funding_round.results_published_at is None
    assert funding_round.status == FundingRound.Status.CLOSED
    assert not Award.objects.published().exists()

    waiting.status = S.REJECTED
    waiting.save()
    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("review:round", args=[funding_round.slug])
    funding_round.refresh_from_db()
    assert funding_round.results_published_at is not None
    assert funding_round.status == FundingRound.Status.DECIDED
    assert Award.objects.published().count() == 1
    page = text(client.get(response["Location"]))
    assert "1 award totalling £5,740,000.00 is now public" in page


def test_publishing_an_open_round_is_refused(client, analyst):
    open_round = FundingRoundFactory()
    client.force_login(analyst)
    url = reverse("review:round_publish", args=[open_round.slug])
    response = client.get(url)
    assert "This round is open for bids until" in text(response)
    assert "Publish the results</button>" not in response.content.decode()
    response = client.post(url)
    assert response.status_code == 200
    assert "is still open for bids" in text(response)
    open_round.refresh_from_db()
    assert open_round.results_published_at is None


def test_approvers_cannot_publish(client, approver, funding_round):
    client.force_login(approver)
    response = client.post(reverse("review:round_publish", args=[funding_round.slug]))
    assert response.status_code == 404
    funding_round.refresh_from_db()
    assert funding_round.results_published_at is None


def test_published_results_stay_published(client, analyst):
    published = FundingRoundFactory(published=True)
    before = published.results_published_at
    client.force_login(analyst)
    url = reverse("review:round_publish", args=[published.slug])
    assert "Published results stay published" in text(client.get(url))
    response = client.post(url)
    assert "already published" in text(response)
    published.refresh_from_db()
    assert published.results_published_at == before


# --------------------------------------------------------------------------- moderation


@pytest.fixture
def reviewed(funding_round, analyst, second_analyst):
    """A bid under review with two submitted reviews that are far apart."""
    criteria(funding_round)
    bid = BidFactory(round=funding_round, under_review=True)
    review(bid, analyst, [2, 4], recommendation="do_not_fund")
    review(bid, second_analyst, [5, 9], recommendation="fund")
    return bid


def test_moderation_shows_the_reviews_side_by_side(client, analyst, reviewed):
    client.force_login(analyst)

    response = client.get(reverse("review:moderate", args=[reviewed.reference]))

    page = text(response)
    names = [r.reviewer.get_full_name() for r in reviewed.reviews.order_by("assigned_at", "pk")]
    assert f"Criterion Weight {names[0]} {names[1]} Spread" in page
    # 2/5 and 5/5: 3 points apart, 60 of 100; 4/10 and 9/10: 50 of 100.
    assert "Strategic fit 40 2 / 5 5 / 5 3 (60 of 100) Large" in page
    assert "Value for money 60 4 / 10 9 / 10 5 (50 of 100) Large" in page
    # (2/5×40 + 4/10×60) = 40.00; (5/5×40 + 9/10×60) = 94.00.
    assert "Weighted total, out of 100 100 40.00 94.00 54.00 Large" in page
    assert "Recommendation Do not fund Fund" in page
    assert "The mean of the weighted totals is 67.00" in page
    assert "more than 20 points of 100 apart" in page
    assert "analyst on Strategic fit: evidence is 2." in page
    assert 'value="67.00"' in response.content.decode()


def test_moderating_records_the_score_outcome_and_event(client, analyst, reviewed):
    client.force_login(analyst)

    response = client.post(
        reverse("review:moderate", args=[reviewed.reference]),
        {"moderated_score": "68.5", "outcome": "recommended", "reason": "Strong case."},
    )

    assert response.status_code == 302
    reviewed.refresh_from_db()
    assert reviewed.status == S.RECOMMENDED
    assert reviewed.moderated_score == D("68.50")
    event = reviewed.events.get(action=Action.MODERATED)
    assert (event.from_status, event.to_status, event.actor) == (
        S.UNDER_REVIEW,
        S.RECOMMENDED,
        analyst,
    )
    assert event.note == "Moderated score 68.50. Strong case."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"moderated_score": "100.5"}, "The moderated score must be 100 or less"),
        ({"moderated_score": "-1"}, "The moderated score must be 0 or more"),
        ({"moderated_score": "seventy"}, "must be a number from 0 to 100"),
        ({"moderated_score": "72.555"}, "at most 2 decimal places"),
        ({"moderated_score": ""}, "Enter the moderated score"),
        ({"reason": ""}, "Enter the reason for the moderation outcome"),
        ({"outcome": ""}, "Select whether the bid is recommended"),
    ],
)
def test_bad_moderation_input_changes_nothing(client, analyst, reviewed, data, message):
    client.force_login(analyst)
    form = {"moderated_score": "70", "outcome": "recommended", "reason": "Agreed.", **data}

    response = client.post(reverse("review:moderate", args=[reviewed.reference]), form)

    assert response.status_code == 200
    assert message in text(response)
    reviewed.refresh_from_db()
    assert reviewed.status == S.UNDER_REVIEW
    assert reviewed.moderated_score is None
    assert not reviewed.events.filter(action=Action.MODERATED).exists()


def test_moderation_waits_for_every_review(client, analyst, second_analyst, funding_round):
    criteria(funding_round)
    bid = BidFactory(round=funding_round, under_review=True)
    review(bid, analyst, [3, 6])
    review(bid, second_analyst, [3, 6], submitted=False)
    client.force_login(analyst)
    url = reverse("review:moderate", args=[bid.reference])

    page = text(client.get(url))
    assert f"1 assigned review has not been submitted yet: {second_analyst.get_full_name()}" in page
    assert "Record the moderation" not in page

    response = client.post(
        url, {"moderated_score": "60", "outcome": "recommended", "reason": "Go."}
    )

    assert response.status_code == 200
    assert "1 assigned review has not been submitted yet." in text(response)
    bid.refresh_from_db()
    assert bid.status == S.UNDER_REVIEW
    assert not bid.events.exists()


def test_a_conflicted_reviewer_is_not_counted(client, analyst, second_analyst, funding_round):
    criteria(funding_round)
    bid = BidFactory(round=funding_round, under_review=True)
    review(bid, analyst, [4, 8])
    ReviewFactory(bid=bid, reviewer=second_analyst, has_conflict=True, conflict_details="Ex-PCC")
    client.force_login(analyst)

    page = text(client.get(reverse("review:moderate", args=[bid.reference])))

    assert "1 reviewer declared a conflict of interest and is not counted" in page
    assert "Record the moderation" in page
    assert "The mean of the weighted totals is 80.00" in page


def test_a_moderated_bid_shows_its_moderation(client, analyst, reviewed):
    client.force_login(analyst)
    client.post(
        reverse("review:moderate", args=[reviewed.reference]),
        {"moderated_score": "55", "outcome": "not_recommended", "reason": "Weak on value."},
    )

    page = text(client.get(reverse("review:moderate", args=[reviewed.reference])))

    assert "score 55.00 out of 100, not recommended to the funding panel" in page
    assert "Weak on value." in page
    assert "Record the moderation" not in page


def test_moderation_page_queries_do_not_grow_with_reviews(
    client, analyst, funding_round, django_assert_max_num_queries
):
    criteria(funding_round)
    bid = BidFactory(round=funding_round, under_review=True)
    review(bid, analyst, [3, 5])
    client.force_login(analyst)
    url = reverse("review:moderate", args=[bid.reference])
    with django_assert_max_num_queries(6):
        assert client.get(url).status_code == 200
    for _ in range(5):
        review(bid, UserFactory(analyst=True), [4, 7])
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert "Record the moderation" in text(response)


# --------------------------------------------------------------------------- funding line


def ranked_round(funding_round):
    """Three recommended digital bids: 400k + 300k a year each against £1m a year."""
    top = recommended(funding_round, "82.50", title="Top bid")
    middle = recommended(funding_round, "75", title="Middle bid")
    bottom = recommended(funding_round, "60", title="Bottom bid")
    return top, middle, bottom


def test_the_funding_line_ranks_and_draws_the_line(client, analyst, funding_round):
    top, middle, bottom = ranked_round(funding_round)
    client.force_login(analyst)

    response = client.get(reverse("review:funding_line", args=[funding_round.slug]))

    page = text(response)
    assert (
        f"1 {top.reference} Top bid Nottinghamshire Police 82.50 £400,000.00 asks £400,000.00 "
        "£300,000.00 asks £300,000.00 £700,000.00 Funded within envelope" in page
    )
    assert (
        f"2 {middle.reference} Middle bid Nottinghamshire Police 75.00 £800,000.00 asks "
        "£400,000.00 £600,000.00 asks £300,000.00 £700,000.00 Funded within envelope "
        "Funding line: the envelope runs out here "
        f"3 {bottom.reference} Bottom bid Nottinghamshire Police 60.00 £1,200,000.00, over the "
        "envelope asks £400,000.00 £900,000.00 asks £300,000.00 £700,000.00 Below the line" in page
    )
    assert "Left, or overspent £200,000.00 left £400,000.00 left" in page
    assert "the bid asking for less in total comes first, then the lower reference" in page
    assert "The first bid that takes the running total over the envelope" in page


def test_approved_awards_take_their_money_first(client, analyst, funding_round):
    ranked_round(funding_round)
    award = AwardFactory(
        bid=BidFactory(round=funding_round, approved=True, title="Already funded"),
        total=D("250000"),
    )
    TrancheFactory(award=award, financial_year=2016, amount=D("250000"))
    client.force_login(analyst)

    page = text(client.get(reverse("review:funding_line", args=[funding_round.slug])))

    assert "Already approved £250,000.00 £0.00" in page
    assert f"{award.bid.reference} Already funded Nottinghamshire Police £250,000.00" in page
    # 250k + 400k fits 2016/17; 250k + 800k does not.
    assert "£650,000.00 asks £400,000.00" in page
    assert "£1,050,000.00, over the envelope asks £400,000.00" in page
    assert page.count("Funded within envelope") == 1
    assert "Left, or overspent £350,000.00 left £700,000.00 left" in page


def test_moving_the_line_shows_the_overspend_and_changes_nothing(client, analyst, funding_round):
    bids = ranked_round(funding_round)
    client.force_login(analyst)
    url = reverse("review:funding_line", args=[funding_round.slug])

    page = text(client.get(url, {"category": "digital", "line": "3"}))

    assert "The line is moved to 3 bids funded. The envelope puts it at 2." in page
    assert "Left, or overspent £200,000.00 overspent £100,000.00 left" in page
    assert "Funded over the envelope" in page
    assert "What-if line" in page

    page = text(client.get(url, {"category": "digital", "line": "1"}))
    assert "Left, or overspent £600,000.00 left £700,000.00 left" in page
    assert "Not funded at this line" in page
    assert [b.status for b in Bid.objects.filter(pk__in=[b.pk for b in bids])] == [
        S.RECOMMENDED
    ] * 3
    assert not BidEvent.objects.exists()
    assert client.post(url, {"line": "3"}).status_code == 405


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"line": "three"}, "The number of bids funded must be a whole number"),
        ({"line": "-1"}, "The number of bids funded must be 0 or more"),
        ({"line": "9"}, "must be between 0 and 3, the number of bids ranked"),
        ({"category": "nonsense"}, "Choose a spend category from the list"),
    ],
)
def test_bad_choices_are_explained_and_the_defaults_used(
    client, approver, funding_round, query, message
):
    ranked_round(funding_round)
    client.force_login(approver)

    response = client.get(reverse("review:funding_line", args=[funding_round.slug]), query)

    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page
    assert message in page
    assert "Funding line: Digital" in page
    assert "Left, or overspent £200,000.00 left" in page


def test_the_default_category_is_the_first_with_recommended_bids(client, analyst, funding_round):
    EnvelopeFactory(round=funding_round, category=category("armed-policing"), amount=D("9"))
    ranked_round(funding_round)
    client.force_login(analyst)
    url = reverse("review:funding_line", args=[funding_round.slug])

    assert "Funding line: Digital" in text(client.get(url))
    page = text(client.get(url, {"category": "armed-policing"}))
    assert "Funding line: Armed policing" in page
    assert "No bid in Armed policing is recommended in this round" in page
    assert "No envelope is set for Armed policing in 2017/18" in page


def test_funding_line_queries_do_not_grow_with_bids(
    client, analyst, funding_round, django_assert_max_num_queries
):
    def add(count):
        for n in range(count):
            recommended(funding_round, str(50 + n), partners=["leicestershire"])
            bid = BidFactory(round=funding_round, approved=True)
            award = AwardFactory(bid=bid, total=D("1"))
            TrancheFactory(award=award, financial_year=2017, amount=D("1"))

    ranked_round(funding_round)
    add(1)
    client.force_login(analyst)
    url = reverse("review:funding_line", args=[funding_round.slug])
    with django_assert_max_num_queries(11):
        assert client.get(url).status_code == 200
    add(10)
    with django_assert_max_num_queries(11):
        response = client.get(url, {"line": "4"})
    assert text(response).count("Funded within envelope") == 2


# --------------------------------------------------------------------------- CSV


def test_the_ranked_list_downloads_as_csv(client, approver, funding_round):
    top, _, bottom = ranked_round(funding_round)
    bottom.title = '=Bottom, "quoted" bid'
    bottom.save()
    client.force_login(approver)

    response = client.get(
        reverse("review:funding_line_csv", args=[funding_round.slug]), {"category": "digital"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="funding-line-ptf-2016-r1-digital.csv"'
    )
    body = response.content.decode("utf-8")
    assert body.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [
        "rank",
        "reference",
        "title",
        "lead_force",
        "moderated_score",
        "requested_2016/17",
        "requested_2017/18",
        "running_total_2016/17",
        "running_total_2017/18",
        "requested_total",
        "position",
    ]
    assert rows[1] == [
        "1",
        top.reference,
        "Top bid",
        "Nottinghamshire Police",
        "82.50",
        "400000.00",
        "300000.00",
        "400000.00",
        "300000.00",
        "700000.00",
        "Funded within envelope",
    ]
    # A title that starts like a formula stays text in a spreadsheet.
    assert rows[3][:3] == ["3", bottom.reference, '\'=Bottom, "quoted" bid']
    assert rows[3][-3:] == ["900000.00", "700000.00", "Below the line"]
    assert len(rows) == 4


def test_the_csv_follows_a_moved_line(client, analyst, funding_round):
    ranked_round(funding_round)
    client.force_login(analyst)
    response = client.get(
        reverse("review:funding_line_csv", args=[funding_round.slug]), {"line": "3"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [row[-1] for row in rows[1:]] == [
        "Funded within envelope",
        "Funded within envelope",
        "Funded over the envelope",
    ]


def test_a_download_with_bad_choices_goes_back_to_the_page(client, analyst, funding_round):
    ranked_round(funding_round)
    client.force_login(analyst)
    for name in ("review:funding_line_csv", "review:panel_pack"):
        response = client.get(reverse(name, args=[funding_round.slug]), {"line": "x"})
        assert response.status_code == 302
        assert response["Location"] == (
            reverse("review:funding_line", args=[funding_round.slug]) + "?line=x"
        )


# --------------------------------------------------------------------------- panel pack


def panel_world(funding_round, reviewers, count: int) -> list[Bid]:
    criteria(funding_round)
    bids = []
    for n in range(count):
        bid = recommended(
            funding_round, str(80 - n), title=f"Panel bid {n + 1}", partners=["leicestershire"]
        )
        for reviewer in reviewers:
            review(bid, reviewer, [3, 7])
        BidEvent.objects.create(
            bid=bid,
            action=Action.MODERATED,
            from_status=S.UNDER_REVIEW,
            to_status=S.RECOMMENDED,
            actor=reviewers[0],
            note=f"Moderated score {80 - n}.00. Reason number {n + 1}.",
        )
        bids.append(bid)
    return bids


def test_the_panel_pack_has_a_cover_the_list_and_a_page_a_bid(
    client, analyst, second_analyst, funding_round, tmp_path
):
    bids = panel_world(funding_round, [analyst, second_analyst], 3)
    client.force_login(analyst)

    response = client.get(reverse("review:panel_pack", args=[funding_round.slug]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="funding-line-ptf-2016-r1-digital.pdf"'
    )
    assert response["Cache-Control"] == "private, no-store"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 1 + 1 + len(bids)
    words = pdf_text(pdf, tmp_path)
    assert "2016/17 round 1: Digital" in words
    assert "Recommended bids 3, of which 2 are above the line" in words
    assert "Funding line: the envelope runs out here" in words
    for bid in bids:
        assert bid.title in words
    assert "Moderated score: 80.00 out of 100, recommended" in words
    assert "Reason number 1." in words
    assert "Strategic fit · weight 40 · out of 5" in words
    assert f"{analyst.get_full_name()}: 3 / 5. analyst on Strategic fit: evidence is 3." in words
    assert f"{second_analyst.get_full_name()}: 66.00 out of 100, fund." in words
    assert "Lead force: Nottinghamshire Police, with Leicestershire Police" in words


def test_a_caseworker_with_a_conflict_gets_the_pack_without_that_bids_reviews(
    client, analyst, second_analyst, funding_round, tmp_path
):
    third = UserFactory(username="analyst3", analyst=True, first_name="Ola", last_name="Nwosu")
    first, second = panel_world(funding_round, [analyst, second_analyst], 2)
    ReviewFactory(
        bid=second, reviewer=third, has_conflict=True, conflict_declared_at=timezone.now()
    )
    client.force_login(third)

    response = client.get(reverse("review:panel_pack", args=[funding_round.slug]))

    assert response.status_code == 200
    pages = pages_text(response.content, tmp_path)
    first_page, second_page = pages[-2], pages[-1]
    assert first.title in first_page
    assert "Reason number 1." in first_page
    assert f"{analyst.get_full_name()}: 3 / 5." in first_page
    assert second.title in second_page
    assert "You declared a conflict of interest on this bid" in second_page
    assert "Reason number 2." not in second_page
    assert "/ 5." not in second_page
    assert "out of 100, fund." not in second_page
    # Whoever declared nothing still gets every bid's reviews.
    client.force_login(analyst)
    response = client.get(reverse("review:panel_pack", args=[funding_round.slug]))
    assert "Reason number 2." in pages_text(response.content, tmp_path)[-1]


def test_panel_pack_queries_do_not_grow_with_bids(
    client, analyst, second_analyst, funding_round, django_assert_max_num_queries
):
    panel_world(funding_round, [analyst], 1)
    client.force_login(analyst)
    url = reverse("review:panel_pack", args=[funding_round.slug])
    # The page laid out is kept, with the whole fonts it was set in.
    with django_assert_max_num_queries(18):
        assert client.get(url).status_code == 200
    panel_world(funding_round, [analyst, second_analyst], 6)
    # The page kept from the first pack is used again: its fonts are read, not kept again.
    with django_assert_max_num_queries(18):
        response = client.get(url)
    assert page_count(response.content) == 1 + 1 + 7


def test_a_pack_is_laid_out_again_only_when_what_it_shows_changes(
    client, analyst, funding_round, monkeypatch
):

    laid_out = []

    def pack_pdf(*, cover, ranked, footer, pages, request=None):
        laid_out.append(pages)
        return b"%PDF-1.7 pack " + str(len(laid_out)).encode()

    monkeypatch.setattr(panel.panel_pack, "pack_pdf", pack_pdf)
    (bid,) = panel_world(funding_round, [analyst], 1)
    client.force_login(analyst)
    url = reverse("review:panel_pack", args=[funding_round.slug])

    first = client.get(url).content
    assert client.get(url).content == first
    assert len(laid_out) == 1

    bid.title = "Panel bid, retitled"
    bid.save()
    assert client.get(url).content != first
    assert client.get(url, {"line": "0"}).content != first
    assert len(laid_out) == 3


def test_a_pack_laid_out_in_parts_keeps_every_bid_in_rank_order_and_numbers_its_pages(
    client, analyst, second_analyst, funding_round, tmp_path
):
    count = 23
    bids = panel_world(funding_round, [analyst, second_analyst], count)
    client.force_login(analyst)

    response = client.get(reverse("review:panel_pack", args=[funding_round.slug]))

    pages = pages_text(response.content, tmp_path)

    total = len(pages)
    footer = "PTF 2016/17 round 1 · Digital · panel pack produced"
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
        assert footer in page
    assert "Recommended bids, ranked" in pages[1]
    # The cover, the ranked list (over two pages at this length), then a page a bid.
    bid_pages = pages[-count:]
    assert not any(re.match(r"Rank \d+ · ", page) for page in pages[:-count])
    for rank, (bid, page) in enumerate(zip(bids, bid_pages, strict=True), start=1):
        assert page.startswith(f"Rank {rank} · ")
        assert bid.reference in page
        assert bid.title in page
        assert f"Reason number {rank}." in page
        for reviewer in (analyst, second_analyst):
            name = re.escape(reviewer.get_full_name())
            assert re.search(rf"{name}: \d+\.\d\d out of 100, fund\.", page)


def test_a_ranked_list_laid_out_in_parts_reads_as_one_list(
    client, analyst, funding_round, tmp_path, monkeypatch
):
    monkeypatch.setattr(panel, "RANKED_ROWS_A_PART", 10)
    count = 23
    bids = panel_world(funding_round, [analyst], count)
    client.force_login(analyst)

    response = client.get(reverse("review:panel_pack", args=[funding_round.slug]))

    pages = pages_text(response.content, tmp_path)
    # The cover, then the ranked list in three parts, each starting a page.
    ranked = pages[1:-count]
    assert len(ranked) >= 3
    assert ranked[0].startswith("Recommended bids, ranked")
    text = " ".join(ranked)
    assert text.count("Recommended bids, ranked") == 1
    assert text.count("Funding line:") == 1
    assert text.count("A running total in bold") == 1
    assert "A running total in bold" in ranked[-1]
    places = [text.index(bid.reference) for bid in bids]
    assert places == sorted(places)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page


def test_a_bid_moderated_into_the_pack_is_in_the_next_download(
    client, analyst, second_analyst, funding_round, tmp_path
):
    panel_world(funding_round, [analyst], 2)
    late = BidFactory(round=funding_round, under_review=True, title="Late moderated bid")
    review(late, second_analyst, [4, 8])
    client.force_login(analyst)
    url = reverse("review:panel_pack", args=[funding_round.slug])
    before = pages_text(client.get(url).content, tmp_path)

    client.post(
        reverse("review:moderate", args=[late.reference]),
        {"moderated_score": "90", "outcome": "recommended", "reason": "Best value of the call."},
    )
    after = pages_text(client.get(url).content, tmp_path)

    assert len(after) == len(before) + 1
    assert "Late moderated bid" not in " ".join(before)
    first_bid_page = after[2]
    assert first_bid_page.startswith("Rank 1 · ")
    assert "Late moderated bid" in first_bid_page
    assert "Best value of the call." in first_bid_page
    assert f"Page {len(after)} of {len(after)}" in after[-1]


@pytest.fixture
def layouts(monkeypatch):
    """The HTML of every part laid out, in this process (one CPU) so that it can be counted."""
    laid_out = []
    lay_out = pdf._lay_out

    def counted(html, base_url):
        laid_out.append(html)
        return lay_out(html, base_url)

    monkeypatch.setattr(pdf.os, "cpu_count", lambda: 1)
    monkeypatch.setattr(pdf, "_lay_out", counted)
    return laid_out


def test_a_bids_page_is_kept_and_laid_out_again_only_when_it_changes(
    client, analyst, funding_round, layouts, tmp_path
):
    _, second, third = panel_world(funding_round, [analyst], 3)
    client.force_login(analyst)
    url = reverse("review:panel_pack", args=[funding_round.slug])

    client.get(url)
    # The footer, the cover, the ranked list and the three bids' pages.
    assert len(layouts) == 6
    assert PanelPackPage.objects.filter(withheld=False).count() == 3

    second.title = "Panel bid 2, retitled"
    second.save()
    layouts.clear()
    pages = pages_text(client.get(url).content, tmp_path)

    assert len(layouts) == 4
    assert "Panel bid 2, retitled" in layouts[-1]
    assert pages[3].startswith(f"Rank 2 · Funded within envelope · {second.reference}")
    assert "Panel bid 2, retitled" in pages[3]
    assert pages[4].startswith("Rank 3 · ")
    assert third.title in pages[4]


def test_a_bid_moderated_into_the_pack_has_its_page_laid_out_at_once(
    client, analyst, second_analyst, funding_round, layouts, django_capture_on_commit_callbacks
):
    panel_world(funding_round, [analyst], 1)
    late = BidFactory(round=funding_round, under_review=True, title="Late moderated bid")
    review(late, second_analyst, [4, 8])
    client.force_login(analyst)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("review:moderate", args=[late.reference]),
            {"moderated_score": "90", "outcome": "recommended", "reason": "Best value."},
        )

    assert PanelPackPage.objects.filter(bid=late, withheld=False).exists()
    assert len(layouts) == 1
    assert "<h2>Late moderated bid</h2>" in layouts[0]
    layouts.clear()
    client.get(reverse("review:panel_pack", args=[funding_round.slug]))
    # The other bid's page was never laid out: it is laid out with the cover, ranked list and
    # footer, and the moderated bid's kept page is used.
    assert len(layouts) == 4
    assert not any("<h2>Late moderated bid</h2>" in html for html in layouts)


def test_a_pack_embeds_each_whole_font_once_for_all_its_pages(client, analyst, funding_round):
    panel_world(funding_round, [analyst], 12)
    client.force_login(analyst)

    response = client.get(reverse("review:panel_pack", args=[funding_round.slug]))

    files = set()
    names = set()
    for page in pikepdf.open(io.BytesIO(response.content)).pages:
        for font in page.Resources.Font.values():
            for descendant in font.get("/DescendantFonts", ()):
                descriptor = descendant.FontDescriptor
                files.add(descriptor.FontFile2.objgen)
                names.add(str(descriptor.FontName).split("+")[-1])
    assert len(files) == len(names)


def test_the_whole_fonts_of_every_kept_page_are_kept(client, analyst, funding_round):
    # The pages are laid out side by side with the cover, ranked list and footer: a font comes
    # back with the first part a worker lays out in it, which is often not a bid's page.
    panel_world(funding_round, [analyst], 3)
    client.force_login(analyst)

    client.get(reverse("review:panel_pack", args=[funding_round.slug]))

    kept = PanelPackPage.objects.all()
    assert len(kept) == 3
    needed = {digest for page in kept for digest in page.fonts.values()}
    assert needed
    assert needed <= set(PdfFontFile.objects.values_list("digest", flat=True))


def _bulk_round(funding_round, reviewers, count: int) -> None:
    """``count`` recommended bids with two reviews each, written in bulk."""
    crits = criteria(funding_round)
    nottinghamshire = force("nottinghamshire")
    bids = Bid.objects.bulk_create(
        Bid(
            reference=f"PTF-2016-{n + 1:04d}",
            round=funding_round,
            lead_force=nottinghamshire,
            title=f"Bulk bid {n + 1}",
            summary="One technology platform for three forces, replacing three systems.",
            spend_category=category(),
            bid_type=Bid.BidType.IMPLEMENTATION_READY,
            status=S.RECOMMENDED,
            moderated_score=D(40 + n % 50),
            submitted_at=timezone.now(),
        )
        for n in range(count)
    )
    FundingLine.objects.bulk_create(
        FundingLine(bid=bid, financial_year=year, amount=D("150000"))
        for bid in bids
        for year in (2016, 2017)
    )
    reviews = Review.objects.bulk_create(
        Review(
            bid=bid,
            reviewer=reviewer,
            assigned_by=reviewer,
            has_conflict=False,
            recommendation="fund",
            submitted_at=timezone.now(),
        )
        for bid in bids
        for reviewer in reviewers
    )
    Score.objects.bulk_create(
        Score(
            review=row,
            criterion=criterion,
            value=3,
            justification="Clear evidence and a credible plan, with gaps in the benefits.",
        )
        for row in reviews
        for criterion in crits
    )


def test_a_200_bid_panel_pack_is_fetched_in_constant_queries(
    client, analyst, second_analyst, funding_round, django_assert_max_num_queries
):
    _bulk_round(funding_round, [analyst, second_analyst], 200)
    client.force_login(analyst)
    # The 200 pages laid out are kept in two inserts on SQLite, one on PostgreSQL (18 queries),
    # and their whole fonts in one.
    with django_assert_max_num_queries(19):
        response = client.get(reverse("review:panel_pack", args=[funding_round.slug]))
    assert response.status_code == 200
    # The cover, the ranked list over several pages, then one page a bid.
    assert page_count(response.content) > 200 + 2


# --------------------------------------------------------------------------- one decision


def decide_url(bid) -> str:
    return reverse("review:decide", args=[bid.reference])


APPROVE = {
    "decision": "approve",
    "tranche_2016": "400000",
    "tranche_2017": "300000",
    "total": "700000",
}


def test_the_decision_page_starts_from_the_requested_profile(client, approver, funding_round):
    bid = recommended(funding_round, "70")
    client.force_login(approver)

    response = client.get(decide_url(bid))

    html = response.content.decode()
    assert 'name="tranche_2016" value="400000"' in html
    assert 'name="tranche_2017" value="300000"' in html
    assert 'name="total" value="700000"' in html
    page = text(response)
    assert "Total: £700,000.00" in page
    assert "Approve the bid" in page
    assert "Reject the bid" in page


def test_approving_at_the_requested_profile_makes_the_award(client, approver, funding_round):
    bid = recommended(funding_round, "70")
    client.force_login(approver)

    response = client.post(decide_url(bid), {**APPROVE, "conditions": "Report each quarter."})

    assert response.status_code == 302
    bid.refresh_from_db()
    assert bid.status == S.APPROVED
    award = Award.objects.get(bid=bid)
    assert award.total == D("700000.00")
    assert award.conditions == "Report each quarter."
    assert award.decided_by == approver
    assert dict(award.tranches.values_list("financial_year", "amount")) == {
        2016: D("400000.00"),
        2017: D("300000.00"),
    }
    event = bid.events.get(action=Action.APPROVED)
    assert event.actor == approver
    assert event.to_status == S.APPROVED
    assert "£700,000.00" in event.note
    assert response["Location"] == reverse("review:bid", args=[bid.reference])


def test_approving_with_edited_tranches(client, approver, funding_round):
    bid = recommended(funding_round, "70")
    client.force_login(approver)

    response = client.post(
        decide_url(bid),
        {
            "decision": "approve",
            "tranche_2016": "£350,000.50",
            "tranche_2017": "",
            "total": "350000.50",
            "notes": "Year two to be bid for again.",
        },
    )

    assert response.status_code == 302
    award = Award.objects.get(bid=bid)
    assert award.total == D("350000.50")
    assert award.decision_notes == "Year two to be bid for again."
    assert list(award.tranches.values_list("financial_year", "amount")) == [(2016, D("350000.50"))]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tranche_2016": "lots"}, "The tranche for 2016/17 must be a number in pounds"),
        ({"tranche_2017": "-300000"}, "The tranche for 2017/18 must be 0 or more"),
        ({"tranche_2016": "400000.123"}, "no more than 2 decimal places"),
        ({"total": "800000"}, "The tranches add up to £700,000.00, not the award total"),
        ({"total": ""}, "Enter the award total"),
        ({"tranche_2030": "5"}, "a tranche for 2030/31 cannot be awarded"),
        ({"tranche_2016": "0", "tranche_2017": "0", "total": "0"}, "To fund nothing, reject"),
        ({"decision": ""}, "Select whether to approve or reject the bid"),
        ({"decision": "maybe"}, "Select a valid choice"),
        ({"decision": "reject", "reasons": "  "}, "Enter the reasons for rejecting the bid"),
    ],
)
def test_bad_decision_input_changes_nothing(client, approver, funding_round, changes, message):
    bid = recommended(funding_round, "70")
    client.force_login(approver)

    response = client.post(decide_url(bid), {**APPROVE, **changes})

    assert response.status_code == 200
    assert message in text(response)
    bid.refresh_from_db()
    assert bid.status == S.RECOMMENDED
    assert not Award.objects.exists()
    assert not Tranche.objects.exists()
    assert not BidEvent.objects.exists()


def test_rejecting_needs_reasons_and_records_them(client, approver, funding_round):
    bid = recommended(funding_round, "40", status=S.NOT_RECOMMENDED)
    client.force_login(approver)

    response = client.post(
        decide_url(bid), {"decision": "reject", "reasons": "Outside the fund's priorities."}
    )

    assert response.status_code == 302
    bid.refresh_from_db()
    assert bid.status == S.REJECTED
    assert not Award.objects.exists()
    event = bid.events.get(action=Action.REJECTED)
    assert (event.actor, event.note) == (approver, "Outside the fund's priorities.")


def test_an_approver_who_reviewed_the_bid_cannot_decide_it(client, approver, funding_round):
    bid = recommended(funding_round, "70")
    Review.objects.create(bid=bid, reviewer=approver, assigned_by=approver)
    client.force_login(approver)

    page = text(client.get(decide_url(bid)))
    assert "You reviewed this bid, so another approver must decide it." in page
    assert "Record the decision" not in page

    response = client.post(decide_url(bid), APPROVE)

    assert response.status_code == 200
    assert "You reviewed this bid, so another approver must decide it." in text(response)
    bid.refresh_from_db()
    assert bid.status == S.RECOMMENDED
    assert not Award.objects.exists()
    assert not BidEvent.objects.exists()


def test_a_decided_bid_says_who_decided_it(client, approver, funding_round):
    bid = recommended(funding_round, "70")
    other = UserFactory(approver=True, first_name="Priya", last_name="Shah")
    client.force_login(other)
    client.post(decide_url(bid), APPROVE)
    client.force_login(approver)

    page = text(client.get(decide_url(bid)))
    assert "This bid has already been decided by Priya Shah" in page
    assert "it was approved" in page

    response = client.post(decide_url(bid), {"decision": "reject", "reasons": "No."})
    assert "has already been decided by Priya Shah: it was approved on" in text(response)
    assert Award.objects.count() == 1
    assert BidEvent.objects.filter(action=Action.REJECTED).count() == 0


def test_a_bid_still_in_review_cannot_be_decided(client, approver, funding_round):
    bid = BidFactory(round=funding_round, under_review=True)
    client.force_login(approver)
    assert "It can be decided once an analyst has moderated it" in text(client.get(decide_url(bid)))
    response = client.post(decide_url(bid), APPROVE)
    assert "You cannot decide on bid" in text(response)
    bid.refresh_from_db()
    assert bid.status == S.UNDER_REVIEW


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Needs PostgreSQL's row locks: SQLite has no select_for_update.",
)
# Real commits, so two connections see each other's work; the reference data that migrations
# load is put back afterwards for the tests that follow.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_approvers_deciding_at_once_make_one_award():
    funding_round = FundingRoundFactory(closed=True)
    bid = recommended(funding_round, "70")
    approvers = [
        UserFactory(username="first-approver", approver=True),
        UserFactory(username="second-approver", approver=True),
    ]
    start = threading.Barrier(len(approvers))
    answers = {}

    def decide(user):
        # Each thread has its own database connection, as two web requests would.
        try:
            client = Client()
            client.force_login(user)
            start.wait(timeout=10)
            answers[user.username] = client.post(decide_url(bid), APPROVE)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=[user]) for user in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    codes = sorted(response.status_code for response in answers.values())
    assert codes == [200, 302]
    assert Award.objects.filter(bid=bid).count() == 1
    assert Tranche.objects.count() == 2
    assert BidEvent.objects.filter(bid=bid, action=Action.APPROVED).count() == 1
    loser = next(r for r in answers.values() if r.status_code == 200)
    winner = Award.objects.get(bid=bid).decided_by
    assert f"has already been decided by {winner.get_full_name()}" in text(loser)


# --------------------------------------------------------------------------- batch decisions


def batch_url(funding_round, **query) -> str:
    url = reverse("review:decide_batch", args=[funding_round.slug])
    return url + (f"?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else "")


def test_batch_lists_moderated_bids_and_who_may_not_decide(client, approver, funding_round):
    top, middle, _ = ranked_round(funding_round)
    weak = recommended(funding_round, "30", status=S.NOT_RECOMMENDED, title="Weak bid")
    BidFactory(round=funding_round, under_review=True, title="Still in review")
    Review.objects.create(bid=middle, reviewer=approver, assigned_by=approver)
    client.force_login(approver)

    response = client.get(batch_url(funding_round))

    page = text(response)
    assert "Recommended (3)" in page
    assert "Not recommended (1)" in page
    assert weak.reference in page
    assert "Still in review" not in page
    assert f"Not eligible You reviewed this bid {middle.reference}" in page
    html = response.content.decode()
    assert f'value="{top.reference}"' in html
    assert f'value="{middle.reference}"' not in html


def test_batch_approves_the_ticked_bids_at_their_requested_profile(client, approver, funding_round):
    top, middle, bottom = ranked_round(funding_round)
    client.force_login(approver)

    response = client.post(
        batch_url(funding_round),
        {"bids": [top.reference, middle.reference], "action": "approve"},
    )

    assert response.status_code == 302
    assert {b.reference for b in Bid.objects.filter(status=S.APPROVED)} == {
        top.reference,
        middle.reference,
    }
    bottom.refresh_from_db()
    assert bottom.status == S.RECOMMENDED
    for bid in (top, middle):
        award = Award.objects.get(bid=bid)
        assert dict(award.tranches.values_list("financial_year", "amount")) == {
            2016: D("400000.00"),
            2017: D("300000.00"),
        }
        assert bid.events.filter(action=Action.APPROVED, actor=approver).count() == 1
    page = text(client.get(response["Location"]))
    assert "2 bids decided" in page
    assert f"{top.reference} Top bid: Approved: an award of £700,000.00" in page
    assert "not decided" not in page
    # The banner is shown once.
    assert "2 bids decided" not in text(client.get(response["Location"]))


def test_batch_rejects_with_one_reason(client, approver, funding_round):
    _, middle, bottom = ranked_round(funding_round)
    client.force_login(approver)

    response = client.post(
        batch_url(funding_round),
        {"bids": [middle.reference, bottom.reference], "action": "reject", "reason": "Budget."},
    )

    assert response.status_code == 302
    assert set(Bid.objects.filter(status=S.REJECTED)) == {middle, bottom}
    assert set(
        BidEvent.objects.filter(action=Action.REJECTED, note="Budget.").values_list(
            "bid", flat=True
        )
    ) == {middle.pk, bottom.pk}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "approve"}, "Select at least one bid to decide"),
        ({"bids": ["TOP"]}, "Select whether to approve or reject the selected bids"),
        ({"bids": ["TOP"], "action": "reject"}, "Enter the reason for rejecting"),
        ({"bids": ["PTF-1999-0001"], "action": "approve"}, "is not one of them"),
    ],
)
def test_bad_batch_input_changes_nothing(client, approver, funding_round, data, message):
    top, *_ = ranked_round(funding_round)
    if data.get("bids") == ["TOP"]:
        data = {**data, "bids": [top.reference]}
    client.force_login(approver)

    response = client.post(batch_url(funding_round), data)

    assert response.status_code == 200
    assert message in text(response)
    assert not Award.objects.exists()
    assert not BidEvent.objects.exists()


def test_batch_refuses_a_bid_the_approver_reviewed_and_decides_the_rest(
    client, approver, funding_round
):
    top, middle, _ = ranked_round(funding_round)
    Review.objects.create(bid=middle, reviewer=approver, assigned_by=approver)
    client.force_login(approver)

    response = client.post(
        batch_url(funding_round), {"bids": [top.reference, middle.reference], "action": "approve"}
    )

    page = text(client.get(response["Location"]))
    assert "1 bid decided" in page
    assert (
        f"1 bid not decided {middle.reference} Middle bid: You reviewed this bid, so another "
        "approver must decide it." in page
    )
    middle.refresh_from_db()
    assert middle.status == S.RECOMMENDED
    assert not middle.events.exists()
    assert Award.objects.get().bid == top


def test_batch_can_show_one_category(client, approver, funding_round):
    digital = recommended(funding_round, "70")
    forensics = recommended(funding_round, "70", spend_category=category("forensics"))
    client.force_login(approver)

    html = client.get(batch_url(funding_round, category="forensics")).content.decode()
    assert f'value="{forensics.reference}"' in html
    assert f'value="{digital.reference}"' not in html

    page = text(client.get(batch_url(funding_round, category="nonsense")))
    assert "There is no spend category “nonsense”: showing every category" in page
    assert digital.reference in page


def test_batch_page_queries_do_not_grow_with_bids(
    client, approver, funding_round, django_assert_max_num_queries
):
    ranked_round(funding_round)
    client.force_login(approver)
    with django_assert_max_num_queries(6):
        assert client.get(batch_url(funding_round)).status_code == 200
    for n in range(10):
        recommended(funding_round, str(n), status=S.NOT_RECOMMENDED)
    with django_assert_max_num_queries(6):
        assert client.get(batch_url(funding_round)).status_code == 200

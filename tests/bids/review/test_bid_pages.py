"""The review workspace's pages about one bid: the bid page, its PDF and documents, assigning
reviewers, declaring interests, scoring and asking the PCC office a question. Each role's
answer, what each page shows to whom, and that every POST changes things only through its
service (bad input changes nothing)."""

import html as htmllib
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from bids import services
from bids.models import Bid, BidEvent, Clarification, Review, Score
from tests.factories import (
    AwardFactory,
    BidFactory,
    ClarificationFactory,
    CriterionFactory,
    DocumentFactory,
    EnvelopeFactory,
    FundingRoundFactory,
    TrancheFactory,
    UserFactory,
    category,
    force,
)

pytestmark = pytest.mark.django_db

S = Bid.Status
Action = BidEvent.Action
VIEWS = [
    "bid",
    "bid_pdf",
    "document",
    "assign",
    "declare_interests",
    "score",
    "clarification_ask",
]


def text(response) -> str:
    """The page's text without tags and with spaces collapsed: what a reader sees."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    words = htmllib.unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"\s+", " ", words).replace(" .", ".")


def name(user) -> str:
    return user.get_full_name() or user.get_username()


def url(view: str, bid: Bid, document=None) -> str:
    if view == "document":
        return reverse("review:document", args=[bid.reference, document.pk])
    return reverse(f"review:{view}", args=[bid.reference])


def criteria_round(**kwargs):
    funding_round = FundingRoundFactory(closed=True, **kwargs)
    fit = CriterionFactory(
        round=funding_round,
        name="Strategic fit",
        guidance="How well the bid meets the fund's priorities.",
        weight=Decimal("2.00"),
        max_score=5,
        order=1,
    )
    value = CriterionFactory(
        round=funding_round,
        name="Value for money",
        weight=Decimal("1.00"),
        max_score=10,
        order=2,
    )
    return funding_round, fit, value


def submitted_bid(**kwargs) -> Bid:
    """A submitted East Midlands bid (Leicestershire a partner) in a round with two criteria."""
    funding_round, _, _ = criteria_round()
    kwargs.setdefault("partners", ["leicestershire"])
    return BidFactory(submitted=True, round=funding_round, **kwargs)


def assigned(bid: Bid, *reviewers, by) -> Bid:
    services.bid_assign_reviewers(bid=bid, reviewers=reviewers, by=by)
    bid.refresh_from_db()
    return bid


def review_of(bid: Bid, reviewer) -> Review:
    return Review.objects.get(bid=bid, reviewer=reviewer)


def scores_for(bid: Bid, *values, justification="Sound evidence.") -> dict:
    criteria = list(bid.round.criteria.order_by("order", "name"))
    return {c.pk: (v, justification) for c, v in zip(criteria, values, strict=True)}


def submit_review(bid: Bid, reviewer, *values, recommendation="fund", comments="") -> Review:
    review = review_of(bid, reviewer)
    services.review_declare_conflict(review=review, has_conflict=False, by=reviewer)
    return services.review_submit(
        review=review,
        scores=scores_for(bid, *values),
        recommendation=recommendation,
        comments=comments,
        by=reviewer,
    )


def score_data(bid: Bid, values, justifications, **extra) -> dict:
    data = {}
    criteria = list(bid.round.criteria.order_by("order", "name"))
    for criterion, value, why in zip(criteria, values, justifications, strict=True):
        data[f"score_{criterion.pk}"] = value
        data[f"justification_{criterion.pk}"] = why
    return {**data, **extra}


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", analyst=True)


@pytest.fixture
def in_review(analyst, reviewer):
    """A bid under review with ``reviewer`` assigned (not declared yet) and a document."""
    bid = assigned(submitted_bid(), reviewer, by=analyst)
    DocumentFactory(bid=bid)
    return bid


# --------------------------------------------------------------------------- who gets what


@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_users_are_sent_to_sign_in(client, in_review, view):
    response = client.get(url(view, in_review, in_review.documents.first()))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("who", ["office_user", "partner_office_user", "other_office_user"])
def test_pcc_office_users_get_404(client, in_review, view, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url(view, in_review, in_review.documents.first()))
    assert response.status_code == 404
    post = client.post(url(view, in_review, in_review.documents.first()), {"question": "Why?"})
    assert post.status_code in (404, 405)
    assert not Clarification.objects.exists()


# What each caseworker gets: 200, 404, or a redirect (the reviewer who has not declared their
# interests is sent to declare them before scoring).
ANSWERS = {
    "analyst": {
        "bid": 200,
        "bid_pdf": 200,
        "document": 200,
        "assign": 200,
        "declare_interests": 404,
        "score": 404,
        "clarification_ask": 200,
    },
    "approver": {
        "bid": 200,
        "bid_pdf": 200,
        "document": 200,
        "assign": 404,
        "declare_interests": 404,
        "score": 404,
        "clarification_ask": 404,
    },
    "reviewer": {
        "bid": 200,
        "bid_pdf": 200,
        "document": 200,
        "assign": 200,
        "declare_interests": 200,
        "score": 302,
        "clarification_ask": 200,
    },
}


@pytest.mark.parametrize("who", ANSWERS)
@pytest.mark.parametrize("view", VIEWS)
def test_each_caseworker_answer(client, in_review, who, view, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url(view, in_review, in_review.documents.first()))
    assert response.status_code == ANSWERS[who][view]
    if response.status_code == 302:
        assert response.url == reverse("review:declare_interests", args=[in_review.reference])


@pytest.mark.parametrize("view", VIEWS)
def test_drafts_and_unknown_references_are_404(client, analyst, view):
    draft = BidFactory()
    document = DocumentFactory(bid=draft)
    client.force_login(analyst)
    assert client.get(url(view, draft, document)).status_code == 404
    missing = reverse(
        f"review:{view}", args=["PTF-1999-9999", *([1] if view == "document" else [])]
    )
    assert client.get(missing).status_code == 404


def test_document_of_another_bid_is_404(client, analyst, in_review):
    other = DocumentFactory(bid=BidFactory(submitted=True))
    client.force_login(analyst)
    assert client.get(url("document", in_review, other)).status_code == 404


def test_document_downloads_privately(client, approver, in_review):
    client.force_login(approver)
    response = client.get(url("document", in_review, in_review.documents.first()))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]


def test_bid_pdf_is_the_whole_bid(client, analyst, in_review):
    client.force_login(analyst)
    response = client.get(url("bid_pdf", in_review))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert f"{in_review.reference}.pdf" in response["Content-Disposition"]


# --------------------------------------------------------------------------- the bid page


def test_bid_page_shows_what_the_office_submitted(client, approver):
    bid = submitted_bid(
        title="Digital transmission of crime-scene images",
        summary="Fingerprints and footwear marks sent digitally.",
    )
    DocumentFactory(bid=bid, original_name="business-case.pdf")
    client.force_login(approver)
    page = text(client.get(url("bid", bid)))
    assert "Digital transmission of crime-scene images" in page
    assert "Fingerprints and footwear marks sent digitally." in page
    assert "Submitted" in page
    assert "Leicestershire Police" in page
    assert "£5,740,000.00" in page  # requested in all (2016/17 £2.24m and 2017/18 £3.5m)
    assert "Paddy Tipping" in page
    assert "business-case.pdf" in page
    html = client.get(url("bid", bid)).content.decode()
    assert url("document", bid, bid.documents.get()) in html
    assert reverse("review:bid_pdf", args=[bid.reference]) in html


def test_funding_profile_against_the_envelope(client, analyst):
    bid = submitted_bid()
    digital = category("digital")
    EnvelopeFactory(round=bid.round, category=digital, financial_year=2016, amount=Decimal(4480000))
    # Another bid of the round in the same category, one withdrawn (not counted), one in
    # another category (not counted) and one in another round (not counted).
    BidFactory(submitted=True, round=bid.round, profile={2016: Decimal("2240000.00")})
    BidFactory(round=bid.round, status=S.WITHDRAWN, profile={2016: Decimal("9000000.00")})
    BidFactory(
        submitted=True,
        round=bid.round,
        spend_category=category("armed-policing"),
        profile={2016: Decimal("7000000.00")},
    )
    BidFactory(submitted=True, profile={2016: Decimal("8000000.00")})
    client.force_login(analyst)
    response = client.get(url("bid", bid))
    rows = {row.financial_year: row for row in response.context["envelope_rows"]}
    assert rows[2016].envelope == Decimal("4480000.00")
    assert rows[2016].requested == Decimal("2240000.00")
    assert rows[2016].share == Decimal("50.0")
    assert rows[2016].requested_by_all == Decimal("4480000.00")
    assert rows[2016].bids == 2
    assert rows[2016].share_by_all == Decimal("100.0")
    assert not rows[2016].oversubscribed
    assert rows[2017].envelope is None
    assert rows[2017].requested == Decimal("3500000.00")
    page = text(response)
    assert "£4,480,000.00" in page
    assert "50.0%" in page
    assert "None set" in page


def test_oversubscribed_envelope_is_flagged(client, analyst):
    bid = submitted_bid()
    EnvelopeFactory(round=bid.round, financial_year=2016, amount=Decimal(1000000))
    client.force_login(analyst)
    page = text(client.get(url("bid", bid)))
    assert "224.0%" in page
    assert "Oversubscribed" in page


def test_the_money_and_similar_bids_follow_changes_to_other_bids(client, analyst, office_user):
    """Both are cached between requests; a change to another submitted bid shows at once."""
    bid = submitted_bid(title="Body-worn video for frontline officers")
    envelope = EnvelopeFactory(round=bid.round, financial_year=2016, amount=Decimal(9000000))
    other = BidFactory(
        submitted=True,
        round=bid.round,
        title="Armed response vehicle uplift",
        summary="Armed crews.",
        profile={2016: Decimal("1000000.00")},
    )
    client.force_login(analyst)
    first = client.get(url("bid", bid)).context
    assert first["envelope_rows"][0].requested_by_all == Decimal("3240000.00")
    assert first["similar"] == []

    envelope.amount = Decimal(6000000)
    envelope.save()
    services.bid_withdraw(bid=other, by=office_user, reason="Funded locally.")
    twin = BidFactory(
        submitted=True, lead_force=force("kent"), title="Body-worn video for frontline officers"
    )
    again = client.get(url("bid", bid)).context
    assert again["envelope_rows"][0].envelope == Decimal("6000000.00")
    assert again["envelope_rows"][0].requested_by_all == Decimal("2240000.00")
    assert [row.bid for row in again["similar"]] == [twin]

    twin.status = S.WITHDRAWN
    twin.save()
    [row] = client.get(url("bid", bid)).context["similar"]
    assert row.bid.status == S.WITHDRAWN


def test_timeline_names_who_did_what_and_why(client, analyst, reviewer, office_user):
    bid = assigned(submitted_bid(), reviewer, by=analyst)
    review = review_of(bid, reviewer)
    services.review_declare_conflict(
        review=review, has_conflict=True, details="I used to work for Leicestershire.", by=reviewer
    )
    services.clarification_ask(bid=bid, question="Who pays after 2018?", by=analyst)
    clarification = bid.clarifications.get()
    services.clarification_answer(
        clarification=clarification, answer="The three forces, shared.", by=office_user
    )
    client.force_login(analyst)
    page = text(client.get(url("bid", bid)))
    timeline = page[page.rindex("Timeline") :]
    assert "Reviewers assigned" in timeline
    assert f"by {name(analyst)}" in timeline
    assert "Conflict of interest declared" in timeline
    assert "I used to work for Leicestershire." in timeline
    assert f"by {name(reviewer)}" in timeline
    assert "Status changed from under review to clarification requested." in timeline
    assert "Who pays after 2018?" in timeline
    assert f"by {name(office_user)} (Nottinghamshire PCC office)" in timeline
    assert "The three forces, shared." in timeline


def test_conflict_flags_the_bid_for_analysts(client, analyst, reviewer, approver):
    bid = assigned(submitted_bid(), reviewer, by=analyst)
    services.review_declare_conflict(
        review=review_of(bid, reviewer),
        has_conflict=True,
        details="My brother leads it.",
        by=reviewer,
    )
    client.force_login(analyst)
    page = text(client.get(url("bid", bid)))
    assert f"{name(reviewer)} declared a conflict of interest. Assign another reviewer." in page
    assert "My brother leads it." in page
    client.force_login(reviewer)
    page = text(client.get(url("bid", bid)))
    assert "You declared a conflict of interest with this bid" in page
    assert "Score this bid" not in page


def test_clarifications_show_question_and_answer(client, analyst, office_user):
    bid = BidFactory(under_review=True)
    ClarificationFactory(bid=bid, question="How will running costs be shared?", asked_by=analyst)
    answered = ClarificationFactory(bid=bid, question="Who signs off?", asked_by=analyst)
    answered.answer, answered.answered_by = "The PCC.", office_user
    answered.answered_at = answered.asked_at
    answered.save()
    client.force_login(analyst)
    page = text(client.get(url("bid", bid)))
    assert "How will running costs be shared?" in page
    assert "Not answered yet" in page
    assert "The PCC." in page
    assert f"Answered by {name(office_user)}" in page


def test_moderation_award_and_decision_shown(client, approver, analyst):
    bid = BidFactory(approved=True, moderated_score=Decimal("71.50"))
    BidEvent.objects.create(
        bid=bid,
        action=Action.MODERATED,
        from_status=S.UNDER_REVIEW,
        to_status=S.RECOMMENDED,
        actor=analyst,
        note="Moderated score 71.50. Strong delivery plan.",
    )
    award = AwardFactory(bid=bid, conditions="Report benefits yearly.", decided_by=approver)
    TrancheFactory(award=award, financial_year=2016, amount=Decimal("2240000.00"))
    client.force_login(approver)
    response = client.get(url("bid", bid))
    page = text(response)
    assert "71.50 out of 100" in page
    assert "Strong delivery plan." in page
    assert "Decision: approved" in page
    assert "£5,740,000.00" in page
    assert "Report benefits yearly." in page
    assert reverse("review:award", args=[bid.reference]) in response.content.decode()


def test_rejection_reason_shown(client, analyst, approver):
    bid = BidFactory(status=S.REJECTED, submitted_at=None)
    BidEvent.objects.create(
        bid=bid,
        action=Action.REJECTED,
        from_status=S.NOT_RECOMMENDED,
        to_status=S.REJECTED,
        actor=approver,
        note="Outside the fund's priorities.",
    )
    client.force_login(analyst)
    page = text(client.get(url("bid", bid)))
    assert "Decision: rejected" in page
    assert "Outside the fund's priorities." in page


# --------------------------------------------------------------------------- reviews on the page


@pytest.fixture
def two_reviewers(analyst, reviewer, second_analyst):
    """A bid with ``reviewer`` and ``second_analyst`` assigned; the second has submitted."""
    bid = assigned(submitted_bid(), reviewer, second_analyst, by=analyst)
    submit_review(
        bid, second_analyst, 4, 8, recommendation="do_not_fund", comments="Weak benefits case."
    )
    return bid


def test_reviewer_sees_no_other_review_before_submitting(client, two_reviewers, reviewer):
    client.force_login(reviewer)
    response = client.get(url("bid", two_reviewers))
    page = text(response)
    assert "Weak benefits case." not in page
    assert "Do not fund" not in page
    assert "Sound evidence." not in page
    assert "out of 100" not in page
    assert "Also assigned:" in page
    assert response.context["reviews_shown"] == []


def test_reviewer_sees_every_submitted_review_after_submitting(
    client, two_reviewers, reviewer, second_analyst
):
    submit_review(two_reviewers, reviewer, 5, 10, comments="Excellent.")
    client.force_login(reviewer)
    page = text(client.get(url("bid", two_reviewers)))
    assert "Weak benefits case." in page
    assert "Do not fund" in page
    assert "Excellent." in page
    assert f"{name(reviewer)} (your review)" in page
    assert name(second_analyst) in page


@pytest.mark.parametrize("who", ["analyst", "approver"])
def test_others_see_every_submitted_review(
    client, two_reviewers, reviewer, second_analyst, who, request
):
    # The reviewer's saved draft stays private until submitted.
    review = review_of(two_reviewers, reviewer)
    services.review_declare_conflict(review=review, has_conflict=False, by=reviewer)
    services.review_save(
        review=review,
        scores=scores_for(two_reviewers, 1, 1, justification="Draft note."),
        by=reviewer,
    )
    client.force_login(request.getfixturevalue(who))
    page = text(client.get(url("bid", two_reviewers)))
    assert name(second_analyst) in page
    assert "Weak benefits case." in page
    assert "Do not fund" in page
    # Strategic fit 4/5 × 2 + value for money 8/10 × 1, over 3: 80.00.
    assert "80.00 out of 100" in page
    assert "4 out of 5" in page
    assert "None declared" in page
    assert "Draft note." not in page
    assert f"{name(reviewer)}: Scoring, not submitted yet" in page


# --------------------------------------------------------------------------- actions by role


def buttons(response) -> set[str]:
    html = response.content.decode()
    group = re.search(r'<div class="govuk-button-group">(.*?)</div>', html, re.DOTALL)[1]
    return {
        htmllib.unescape(re.sub(r"<[^>]+>", "", b)).strip()
        for b in re.findall(r">([^<]+)</a>", group)
    }


def test_actions_of_an_analyst_and_an_approver(client, in_review, analyst, approver):
    client.force_login(analyst)
    assert buttons(client.get(url("bid", in_review))) == {
        "Assign reviewers",
        "Ask the PCC office a question",
        "Download as PDF",
    }
    client.force_login(approver)
    assert buttons(client.get(url("bid", in_review))) == {"Download as PDF"}


def test_actions_of_the_reviewer_follow_their_progress(client, in_review, reviewer):
    client.force_login(reviewer)
    assert "Declare interests" in buttons(client.get(url("bid", in_review)))
    review = review_of(in_review, reviewer)
    services.review_declare_conflict(review=review, has_conflict=False, by=reviewer)
    assert "Score this bid" in buttons(client.get(url("bid", in_review)))
    services.review_save(review=review, scores=scores_for(in_review, 3, 3), by=reviewer)
    assert "Continue scoring this bid" in buttons(client.get(url("bid", in_review)))
    services.review_submit(
        review=review, scores=scores_for(in_review, 3, 3), recommendation="fund", by=reviewer
    )
    actions = buttons(client.get(url("bid", in_review)))
    assert "View your review" in actions
    assert "Score this bid" not in actions


def test_moderate_offered_once_every_active_review_is_in(client, analyst, reviewer, second_analyst):
    bid = assigned(submitted_bid(), reviewer, second_analyst, by=analyst)
    submit_review(bid, reviewer, 3, 5)
    client.force_login(analyst)
    response = client.get(url("bid", bid))
    assert "Moderate" not in buttons(response)
    assert "Moderation can start once 1 more review is in." in text(response)
    services.review_declare_conflict(
        review=review_of(bid, second_analyst),
        has_conflict=True,
        details="Friend.",
        by=second_analyst,
    )
    response = client.get(url("bid", bid))
    assert "Moderate" in buttons(response)
    assert reverse("review:moderate", args=[bid.reference]) in response.content.decode()


def test_record_decision_only_for_an_approver_who_did_not_review(client, approver, analyst):
    bid = BidFactory(recommended=True)
    client.force_login(approver)
    response = client.get(url("bid", bid))
    assert "Record decision" in buttons(response)
    assert reverse("review:decide", args=[bid.reference]) in response.content.decode()
    client.force_login(analyst)
    assert "Record decision" not in buttons(client.get(url("bid", bid)))
    reviewing_approver = UserFactory(approver=True, analyst=True)
    Review.objects.create(bid=bid, reviewer=reviewing_approver, assigned_by=analyst)
    client.force_login(reviewing_approver)
    response = client.get(url("bid", bid))
    assert "Record decision" not in buttons(response)
    assert "another approver must record the decision" in text(response)


def test_award_link_when_approved(client, analyst):
    bid = BidFactory(approved=True)
    AwardFactory(bid=bid)
    client.force_login(analyst)
    assert "View award and money" in buttons(client.get(url("bid", bid)))


# --------------------------------------------------------------------------- similar bids


def test_similar_bids_listed_with_link_and_figure(client, analyst):
    bid = submitted_bid(title="Body-worn video for frontline officers")
    kent = BidFactory(
        approved=True,
        lead_force=force("kent"),
        title="Body-worn video for frontline officers, phase 2",
    )
    BidFactory(submitted=True, title="Armed response vehicle uplift", summary="Armed crews.")
    client.force_login(analyst)
    response = client.get(url("bid", bid))
    similar = response.context["similar"]
    assert [row.bid for row in similar] == [kent]
    page = text(response)
    assert "Kent Police" in page
    assert f"{similar[0].percent}%" in page
    assert reverse("review:bid", args=[kent.reference]) in response.content.decode()
    assert "Armed response vehicle uplift" not in page


# --------------------------------------------------------------------------- query counts


def _busy(bid: Bid, analyst, n: int) -> None:
    """``n`` more submitted reviews, documents, questions and events on ``bid``."""
    for _ in range(n):
        reviewer = UserFactory(analyst=True)
        assigned(bid, reviewer, by=analyst)
        submit_review(bid, reviewer, 3, 7, comments="Fine.")
        DocumentFactory(bid=bid)
        ClarificationFactory(bid=bid, asked_by=analyst)
        BidFactory(submitted=True, title=bid.title, lead_force=force("kent"))


# Session, the user with their roles and office, bid, funding lines, partners, reviews, scores,
# events, envelopes, requests in the category, documents, questions, similar bids (one query on
# PostgreSQL, two elsewhere); an approved bid's award instead of nothing else.
BID_PAGE_QUERIES = 14
# The same with the figures cached (envelopes, requests and similar bids): what most requests ask.
BID_PAGE_QUERIES_CACHED = 10


@pytest.mark.parametrize("who", ["analyst", "approver"])
def test_bid_page_queries_do_not_grow(
    client, analyst, approver, who, django_assert_max_num_queries
):
    bid = submitted_bid()
    EnvelopeFactory(round=bid.round, financial_year=2016)
    _busy(bid, analyst, 1)
    client.force_login(analyst if who == "analyst" else approver)
    with django_assert_max_num_queries(BID_PAGE_QUERIES):
        assert client.get(url("bid", bid)).status_code == 200
    _busy(bid, analyst, 6)
    assert bid.events.count() > 12
    with django_assert_max_num_queries(BID_PAGE_QUERIES):
        response = client.get(url("bid", bid))
    assert len(response.context["reviews_shown"]) == 7
    assert len(response.context["documents"]) == 7
    assert len(response.context["similar"]) == 5
    with django_assert_max_num_queries(BID_PAGE_QUERIES_CACHED):
        again = client.get(url("bid", bid))
    assert [row.bid.reference for row in again.context["similar"]] == [
        row.bid.reference for row in response.context["similar"]
    ]


def test_approved_bid_page_queries_are_pinned(client, approver, django_assert_max_num_queries):
    bid = BidFactory(approved=True)
    award = AwardFactory(bid=bid)
    for year in (2016, 2017):
        TrancheFactory(award=award, financial_year=year)
    client.force_login(approver)
    # No reviews, so no scores; no bid like it, so one query for similar bids on every database.
    with django_assert_max_num_queries(BID_PAGE_QUERIES - 1):
        assert client.get(url("bid", bid)).status_code == 200


# --------------------------------------------------------------------------- assigning reviewers


def test_assign_page_lists_analysts_and_who_is_assigned(client, analyst, reviewer, second_analyst):
    bid = assigned(submitted_bid(), reviewer, second_analyst, by=analyst)
    submit_review(bid, second_analyst, 3, 3)
    other = UserFactory(analyst=True, first_name="Ada", last_name="Byron")
    UserFactory(approver=True, first_name="Not", last_name="Ananalyst")
    client.force_login(analyst)
    response = client.get(url("assign", bid))
    page = text(response)
    assert "Not Ananalyst" not in page
    assert f"Already assigned {name(reviewer)}: has not declared interests yet" in page
    assert f"{name(second_analyst)}: review submitted" in page
    assert "Ada Byron 0 reviews in progress" in page
    html = response.content.decode()
    boxes = re.findall(
        r'<input class="govuk-checkboxes__input" id="([^"]+)"[^>]*value="(\d+)"', html
    )
    assert {int(pk) for _, pk in boxes} == {analyst.pk, other.pk}
    assert boxes[0][0] == "id_reviewers_0"
    # The reviewer's open review counts towards their workload on other bids' pages.
    response = client.get(url("assign", submitted_bid()))
    assert f"{name(reviewer)} 1 review in progress" in text(response)


def test_two_analysts_with_one_name_are_told_apart(client, analyst, reviewer):
    bid = assigned(submitted_bid(), reviewer, by=analyst)
    # A namesake of the reviewer already assigned, and someone whose name is theirs alone.
    UserFactory(
        analyst=True,
        first_name=reviewer.first_name,
        last_name=reviewer.last_name,
        email="namesake@ho.test",
    )
    UserFactory(analyst=True, first_name="Ada", last_name="Byron", email="ada@ho.test")
    client.force_login(analyst)

    page = text(client.get(url("assign", bid)))

    assert f"Already assigned {name(reviewer)} ({reviewer.email}): has not" in page
    assert f"{name(reviewer)} (namesake@ho.test) 0 reviews in progress" in page
    assert "Ada Byron 0 reviews in progress" in page
    assert f"{name(analyst)} 0 reviews in progress" in page


def test_assign_reviewers_puts_a_submitted_bid_under_review(
    client, analyst, reviewer, second_analyst
):
    bid = submitted_bid()
    client.force_login(analyst)
    response = client.post(url("assign", bid), {"reviewers": [reviewer.pk, second_analyst.pk]})
    assert response.status_code == 302
    assert response.url == url("bid", bid) + "#reviews"
    bid.refresh_from_db()
    assert bid.status == S.UNDER_REVIEW
    assert set(bid.reviews.values_list("reviewer", flat=True)) == {reviewer.pk, second_analyst.pk}
    event = bid.events.get(action=Action.REVIEWERS_ASSIGNED)
    assert event.actor == analyst
    page = text(client.get(response.url))
    assert "will review bid" in page


def test_assign_clears_the_reassignment_flag(client, analyst, reviewer, second_analyst):
    bid = assigned(submitted_bid(), reviewer, by=analyst)
    services.review_declare_conflict(
        review=review_of(bid, reviewer), has_conflict=True, details="Conflict.", by=reviewer
    )
    client.force_login(analyst)
    client.post(url("assign", bid), {"reviewers": [second_analyst.pk]})
    bid.refresh_from_db()
    assert not bid.needs_reassignment
    page = text(client.get(url("bid", bid)))
    assert "Assign another reviewer" not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Select at least one analyst to review the bid"),
        ({"reviewers": ["999999"]}, "Select analysts from the list"),
        ({"reviewers": ["not-a-number"]}, "Select analysts from the list"),
        ("office", "Select analysts from the list"),
        ("already", "Every reviewer chosen is already assigned to this bid."),
    ],
)
def test_assign_bad_input_changes_nothing(
    client, in_review, analyst, reviewer, office_user, data, message
):
    if data == "office":
        data = {"reviewers": [office_user.pk]}
    elif data == "already":
        data = {"reviewers": [reviewer.pk]}
    events = in_review.events.count()
    client.force_login(analyst)
    response = client.post(url("assign", in_review), data)
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert message in text(response)
    assert 'href="#id_reviewers_0"' in response.content.decode()
    assert in_review.reviews.count() == 1
    assert in_review.events.count() == events


def test_assign_refused_once_the_bid_has_moved_on(client, analyst, reviewer):
    bid = BidFactory(recommended=True)
    client.force_login(analyst)
    assert "reviewers can no longer be assigned" in text(client.get(url("assign", bid)))
    response = client.post(url("assign", bid), {"reviewers": [reviewer.pk]})
    assert response.status_code == 200
    assert "You cannot assign reviewers to bid" in text(response)
    assert not bid.reviews.exists()


def test_approver_cannot_assign(client, approver, reviewer):
    bid = submitted_bid()
    client.force_login(approver)
    assert client.post(url("assign", bid), {"reviewers": [reviewer.pk]}).status_code == 404
    assert not bid.reviews.exists()


# --------------------------------------------------------------------------- interests


def test_declaring_no_conflict_leads_to_scoring(client, in_review, reviewer):
    client.force_login(reviewer)
    response = client.post(url("declare_interests", in_review), {"has_conflict": "no"})
    assert response.status_code == 302
    assert response.url == url("score", in_review)
    review = review_of(in_review, reviewer)
    assert review.has_conflict is False
    assert review.conflict_declared_at is not None
    page = client.get(response.url)
    assert page.status_code == 200
    assert "You declared no conflict of interest" in text(page)


def test_declaring_a_conflict_stops_scoring_and_flags_the_bid(client, in_review, reviewer):
    client.force_login(reviewer)
    response = client.post(
        url("declare_interests", in_review),
        {"has_conflict": "yes", "details": "I advised the force on this bid."},
    )
    assert response.url == url("bid", in_review)
    in_review.refresh_from_db()
    assert in_review.needs_reassignment
    review = review_of(in_review, reviewer)
    assert review.has_conflict is True
    assert review.conflict_details == "I advised the force on this bid."
    assert in_review.events.filter(action=Action.CONFLICT_DECLARED, actor=reviewer).exists()
    # The reviewer cannot score now: a clear message, and nothing is saved.
    page = client.get(url("score", in_review))
    assert page.status_code == 200
    assert "You declared a conflict of interest, so you cannot score this bid." in text(page)
    assert 'name="action"' not in page.content.decode()
    post = client.post(
        url("score", in_review),
        score_data(
            in_review, ["5", "10"], ["Great.", "Great."], recommendation="fund", action="save"
        ),
    )
    assert post.status_code == 302
    assert not Score.objects.exists()
    assert "You declared a conflict of interest, so you cannot score this bid." in text(
        client.get(post.url)
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Select yes if you have a conflict of interest with this bid"),
        ({"has_conflict": "maybe"}, "Select yes if you have a conflict of interest with this bid"),
        ({"has_conflict": "yes", "details": "   "}, "Describe the conflict of interest"),
    ],
)
def test_declare_bad_input_changes_nothing(client, in_review, reviewer, data, message):
    client.force_login(reviewer)
    response = client.post(url("declare_interests", in_review), data)
    assert response.status_code == 200
    assert message in text(response)
    review = review_of(in_review, reviewer)
    assert review.conflict_declared_at is None
    assert not in_review.events.filter(action=Action.CONFLICT_DECLARED).exists()


def test_interests_are_declared_once(client, in_review, reviewer):
    client.force_login(reviewer)
    client.post(url("declare_interests", in_review), {"has_conflict": "no"})
    response = client.post(
        url("declare_interests", in_review), {"has_conflict": "yes", "details": "Changed my mind."}
    )
    assert response.status_code == 302
    review = review_of(in_review, reviewer)
    assert review.has_conflict is False
    page = text(client.get(url("declare_interests", in_review)))
    assert "You have already declared your interests for this bid." in page
    assert "Conflict of interest None" in page


def test_other_analysts_cannot_declare_or_score(client, in_review, reviewer, second_analyst):
    client.force_login(second_analyst)
    assert (
        client.post(url("declare_interests", in_review), {"has_conflict": "no"}).status_code == 404
    )
    data = score_data(in_review, ["4", "5"], ["Why.", "Why."], action="save")
    assert client.post(url("score", in_review), data).status_code == 404
    assert review_of(in_review, reviewer).conflict_declared_at is None
    assert not Score.objects.exists()


# --------------------------------------------------------------------------- scoring


@pytest.fixture
def declared(in_review, reviewer):
    services.review_declare_conflict(
        review=review_of(in_review, reviewer), has_conflict=False, by=reviewer
    )
    return in_review


def test_score_page_shows_each_criterion(client, declared, reviewer):
    client.force_login(reviewer)
    response = client.get(url("score", declared))
    page = text(response)
    assert "1. Strategic fit" in page
    assert "How well the bid meets the fund's priorities." in page
    assert "Weight 2. Score from 0 to 5." in page
    assert "2. Value for money" in page
    assert "Weight 1. Score from 0 to 10." in page
    assert "Fund with conditions" in page
    assert "Save draft" in page
    assert "Submit review" in page


def test_save_draft_then_submit(client, declared, reviewer):
    client.force_login(reviewer)
    response = client.post(
        url("score", declared),
        score_data(declared, ["4", ""], ["Fits the fund well.", ""], action="save"),
    )
    assert response.status_code == 302
    assert response.url == url("score", declared)
    review = review_of(declared, reviewer)
    assert not review.is_submitted
    assert [(s.value, s.justification) for s in review.scores.all()] == [(4, "Fits the fund well.")]
    page = text(client.get(response.url))
    assert "Your draft review has been saved" in page
    assert "Your saved draft scores 1 of 2 criteria: a weighted score of 80.00 out of 100" in page
    # The draft is shown again in the form.
    html = client.get(response.url).content.decode()
    assert 'value="4"' in html
    assert "Fits the fund well." in html

    response = client.post(
        url("score", declared),
        score_data(
            declared,
            ["4", "5"],
            ["Fits the fund well.", "Costs are high."],
            recommendation="fund_with_conditions",
            comments="Fund if the costs come down.",
            confirm="on",
            action="submit",
        ),
    )
    assert response.status_code == 302
    assert response.url == url("bid", declared) + "#reviews"
    review = review_of(declared, reviewer)
    assert review.is_submitted
    assert review.recommendation == "fund_with_conditions"
    # (4/5 × 2 + 5/10 × 1) / 3 × 100
    assert review.weighted_score() == Decimal("70.00")
    event = declared.events.get(action=Action.REVIEW_SUBMITTED)
    assert event.actor == reviewer
    assert "70.00" in event.note
    page = text(client.get(response.url))
    assert "Your review of bid" in page
    assert "70.00 out of 100" in page


def test_submitted_review_is_read_only(client, declared, reviewer):
    review = services.review_submit(
        review=review_of(declared, reviewer),
        scores=scores_for(declared, 3, 6),
        recommendation="fund",
        by=reviewer,
    )
    client.force_login(reviewer)
    page = client.get(url("score", declared))
    assert page.status_code == 200
    assert 'name="action"' not in page.content.decode()
    assert "It can no longer be changed." in text(page)
    response = client.post(
        url("score", declared),
        score_data(
            declared,
            ["0", "0"],
            ["Changed.", "Changed."],
            recommendation="do_not_fund",
            action="submit",
            confirm="on",
        ),
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.recommendation == "fund"
    assert sorted(review.scores.values_list("value", flat=True)) == [3, 6]
    assert "You have submitted your review. It can no longer be changed." in text(
        client.get(response.url)
    )


@pytest.mark.parametrize(
    ("values", "justifications", "extra", "message"),
    [
        (
            ["6", "5"],
            ["Why.", "Why."],
            {},
            "The score for Strategic fit must be a whole number from 0 to 5",
        ),
        (
            ["-1", "5"],
            ["Why.", "Why."],
            {},
            "The score for Strategic fit must be a whole number from 0 to 5",
        ),
        (
            ["4", "five"],
            ["Why.", "Why."],
            {},
            "The score for Value for money must be a whole number from 0 to 10",
        ),
        (
            ["4", "2.5"],
            ["Why.", "Why."],
            {},
            "The score for Value for money must be a whole number from 0 to 10",
        ),
        (["4", "5"], ["Why.", "  "], {}, "Give a justification for your score for Value for money"),
        (
            ["", "5"],
            ["Why.", "Why."],
            {},
            "Enter a score for Strategic fit to save its justification",
        ),
        (
            ["4", "5"],
            ["Why.", "Why."],
            {"recommendation": "maybe"},
            "Select a recommendation from the list",
        ),
    ],
)
@pytest.mark.parametrize("action", ["save", "submit"])
def test_score_bad_input_changes_nothing(
    client, declared, reviewer, values, justifications, extra, message, action
):
    review = review_of(declared, reviewer)
    services.review_save(
        review=review, scores=scores_for(declared, 1, 1, justification="Old."), by=reviewer
    )
    client.force_login(reviewer)
    data = score_data(declared, values, justifications, action=action, confirm="on", **extra)
    data.setdefault("recommendation", "fund")
    response = client.post(url("score", declared), data)
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page
    if action == "submit":
        message = message.replace(" to save its justification", "")
    assert message in page
    review.refresh_from_db()
    assert not review.is_submitted
    assert review.recommendation == ""
    assert sorted(review.scores.values_list("value", "justification")) == [(1, "Old."), (1, "Old.")]
    assert not declared.events.filter(action=Action.REVIEW_SUBMITTED).exists()


def test_error_summary_links_to_each_field(client, declared, reviewer):
    client.force_login(reviewer)
    response = client.post(url("score", declared), {"action": "submit"})
    html = response.content.decode()
    criteria = list(declared.round.criteria.order_by("order", "name"))
    for criterion in criteria:
        assert f'href="#id_score_{criterion.pk}"' in html
        assert f'id="id_score_{criterion.pk}"' in html
    assert 'href="#id_recommendation_0"' in html
    assert 'id="id_recommendation_0"' in html
    assert 'href="#id_confirm"' in html
    page = text(response)
    assert "Enter a score for Strategic fit" in page
    assert "Enter a score for Value for money" in page
    assert "Select your recommendation" in page
    assert "Confirm that your review is final to submit it" in page
    assert not Score.objects.exists()


def test_submit_needs_the_confirmation(client, declared, reviewer):
    client.force_login(reviewer)
    data = score_data(
        declared, ["4", "5"], ["Why.", "Why."], recommendation="fund", action="submit"
    )
    response = client.post(url("score", declared), data)
    assert response.status_code == 200
    assert "Confirm that your review is final to submit it" in text(response)
    assert not review_of(declared, reviewer).is_submitted


def test_scoring_refused_once_the_bid_has_moved_on(client, declared, reviewer):
    Bid.objects.filter(pk=declared.pk).update(status=S.WITHDRAWN)
    client.force_login(reviewer)
    page = text(client.get(url("score", declared)))
    assert "is withdrawn, so it is no longer being reviewed" in page
    response = client.post(
        url("score", declared),
        score_data(declared, ["4", "5"], ["Why.", "Why."], recommendation="fund", action="save"),
    )
    assert response.status_code == 302
    assert not Score.objects.exists()


# --------------------------------------------------------------------------- questions


def test_asking_a_question_pauses_the_bid(client, in_review, analyst, office_user):
    client.force_login(analyst)
    response = client.post(
        url("clarification_ask", in_review), {"question": "Who pays once the grant ends?"}
    )
    assert response.status_code == 302
    assert response.url == url("bid", in_review) + "#questions"
    in_review.refresh_from_db()
    assert in_review.status == S.CLARIFICATION_REQUESTED
    question = in_review.clarifications.get()
    assert question.asked_by == analyst
    event = in_review.events.get(action=Action.CLARIFICATION_ASKED)
    assert event.note == "Who pays once the grant ends?"
    page = text(client.get(response.url))
    assert "Your question has been sent to Nottinghamshire’s PCC office" in page
    assert "Clarification requested" in page
    assert "Waiting for an answer" in page
    # The answer appears in the questions and the timeline.
    services.clarification_answer(
        clarification=question, answer="The force budget.", by=office_user
    )
    page = text(client.get(url("bid", in_review)))
    assert page.count("The force budget.") == 2
    assert "Status changed from clarification requested to under review." in page


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_changes_nothing(client, in_review, analyst, question):
    client.force_login(analyst)
    response = client.post(url("clarification_ask", in_review), {"question": question})
    assert response.status_code == 200
    assert "Enter your question for the PCC office" in text(response)
    assert 'href="#id_question"' in response.content.decode()
    in_review.refresh_from_db()
    assert in_review.status == S.UNDER_REVIEW
    assert not in_review.clarifications.exists()


def test_no_question_once_the_bid_has_moved_on(client, analyst):
    bid = BidFactory(recommended=True)
    client.force_login(analyst)
    assert "Questions can be asked only while a bid is under review" in text(
        client.get(url("clarification_ask", bid))
    )
    response = client.post(url("clarification_ask", bid), {"question": "Too late?"})
    assert response.status_code == 200
    assert "You cannot ask a question about bid" in text(response)
    assert not bid.clarifications.exists()


def test_approver_cannot_ask(client, in_review, approver):
    client.force_login(approver)
    response = client.post(url("clarification_ask", in_review), {"question": "Why?"})
    assert response.status_code == 404
    assert not in_review.clarifications.exists()


def test_page_queries_of_the_forms_are_pinned(
    client, declared, analyst, reviewer, django_assert_max_num_queries
):
    for _ in range(5):
        UserFactory(analyst=True)
    client.force_login(analyst)
    with django_assert_max_num_queries(5):
        assert client.get(url("assign", declared)).status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(url("clarification_ask", declared)).status_code == 200
    client.force_login(reviewer)
    with django_assert_max_num_queries(6):
        assert client.get(url("score", declared)).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(url("declare_interests", declared)).status_code == 200


@pytest.mark.parametrize("view", ["score", "declare_interests", "assign", "clarification_ask"])
def test_pcc_office_posts_change_nothing(client, declared, office_user, reviewer, view):
    client.force_login(office_user)
    data = score_data(declared, ["4", "5"], ["Why.", "Why."], action="save")
    data.update(has_conflict="yes", details="x", reviewers=[reviewer.pk], question="Why?")
    assert client.post(url(view, declared), data).status_code == 404
    assert not Score.objects.exists()
    assert not Clarification.objects.exists()
    assert declared.reviews.count() == 1
    assert not review_of(declared, reviewer).has_conflict


def test_zero_is_a_score(client, declared, reviewer):
    client.force_login(reviewer)
    data = score_data(declared, ["0", "0"], ["None at all.", "None."], action="save")
    assert client.post(url("score", declared), data).status_code == 302
    review = review_of(declared, reviewer)
    assert sorted(review.scores.values_list("value", flat=True)) == [0, 0]
    assert review.weighted_score() == Decimal("0.00")

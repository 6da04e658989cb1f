"""A round through the review workspace in a real browser: an analyst assigns two reviewers,
both declare no conflict and score, an analyst moderates, an approver who did not review approves
with tranches, and an analyst publishes the round — with axe-core on every page."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bids.models import Award, Bid, BidEvent
from tests.factories import (
    BidFactory,
    CriterionFactory,
    EnvelopeFactory,
    FundingRoundFactory,
    UserFactory,
    category,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def round_in_review():
    funding_round = FundingRoundFactory(
        closed=True, name="2026/27 round 2", slug="ptf-2026-27-round-2"
    )
    CriterionFactory(round=funding_round, name="Strategic fit", weight=Decimal(2), max_score=5)
    CriterionFactory(round=funding_round, name="Value for money", weight=Decimal(1), max_score=5)
    EnvelopeFactory(
        round=funding_round, category=category("digital"), financial_year=2016, amount=10**6
    )
    bid = BidFactory(
        round=funding_round,
        submitted=True,
        title="Shared digital evidence store",
        spend_category=category("digital"),
        profile={2016: Decimal("400000.00"), 2017: Decimal("250000.00")},
    )
    # The lead analyst, two reviewers and an approver who reviews nothing.
    users = {
        "lead": UserFactory(
            username="lead-analyst", first_name="Lee", last_name="Lead", analyst=True
        ),
        "first": UserFactory(
            username="reviewer-one", first_name="Ria", last_name="One", analyst=True
        ),
        "second": UserFactory(
            username="reviewer-two", first_name="Rob", last_name="Two", analyst=True
        ),
        "approver": UserFactory(username="approver", approver=True),
    }
    assert all(user.pk for user in users.values())
    return bid


def sign_in(page, live_server, username, next_url):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}{next_url}")


def check(page, axe, screenshot, name):
    assert axe(page) == [], name
    # Wide tables scroll inside their pane; the page itself never scrolls sideways.
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ), name
    screenshot(page, f"review-journey-{name}")


def score(page, live_server, axe, screenshot, username, values, shot):
    bid_url = f"/review/bids/{page.bid_reference}/"
    sign_in(page, live_server, username, bid_url)
    page.get_by_role("link", name="Declare interests").click()
    page.get_by_label("No", exact=True).check()
    if shot:
        check(page, axe, screenshot, "interests")
    page.get_by_role("button", name="Continue").click()
    page.goto(live_server.url + bid_url)
    page.get_by_role("link", name="Score this bid").click()
    scores = page.get_by_label("Score, from 0 to 5")
    justifications = page.get_by_label("Justification")
    for index, value in enumerate(values):
        scores.nth(index).fill(str(value))
        justifications.nth(index).fill(f"Scored {value}: the case is argued with evidence.")
    page.get_by_label("Fund", exact=True).check()
    page.get_by_label("I understand that I cannot change my review once I submit it").check()
    if shot:
        check(page, axe, screenshot, "score")
    page.get_by_role("button", name="Submit review").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()


def test_assign_score_moderate_approve_and_publish(
    live_server, page, axe, screenshot, round_in_review
):
    bid = round_in_review
    page.bid_reference = bid.reference
    bid_url = f"/review/bids/{bid.reference}/"

    # The queue, then the bid; assign two reviewers.
    sign_in(page, live_server, "lead-analyst", "/review/")
    check(page, axe, screenshot, "queue")
    page.get_by_role("link", name=bid.reference).first.click()
    check(page, axe, screenshot, "bid")
    page.get_by_role("link", name="Assign reviewers").click()
    page.get_by_label("Ria One").check()
    page.get_by_label("Rob Two").check()
    check(page, axe, screenshot, "assign")
    page.get_by_role("button", name="Assign reviewers").click()
    expect(page.get_by_text("Under review").first).to_be_visible()

    # Each reviewer declares no conflict and scores independently.
    score(page, live_server, axe, screenshot, "reviewer-one", [4, 3], shot=True)
    score(page, live_server, axe, screenshot, "reviewer-two", [5, 4], shot=False)

    # Moderation: the scores side by side, then the moderated score and the outcome.
    sign_in(page, live_server, "lead-analyst", bid_url)
    page.get_by_role("link", name="Moderate").click()
    expect(page.get_by_text("Strategic fit").first).to_be_visible()
    check(page, axe, screenshot, "moderate")
    page.get_by_label("Moderated score, out of 100").fill("80")
    page.get_by_label("Recommended to the funding panel").check()
    page.get_by_label("Reason for the outcome").fill("Both reviewers found a strong case.")
    page.get_by_role("button", name="Record the moderation").click()
    expect(page.get_by_text("Recommended").first).to_be_visible()

    # The approver, who did not review, approves with the requested tranches.
    sign_in(page, live_server, "approver", bid_url)
    page.get_by_role("link", name="Record decision").click()
    page.get_by_label("Approve the bid").check()
    expect(page.get_by_label("2016/17")).to_have_value("400000")
    check(page, axe, screenshot, "decide")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Approved").first).to_be_visible()

    # An analyst publishes the round's results.
    sign_in(page, live_server, "lead-analyst", "/review/rounds/ptf-2026-27-round-2/")
    check(page, axe, screenshot, "round")
    page.get_by_role("link", name="Publish results").first.click()
    check(page, axe, screenshot, "publish")
    page.get_by_role("button", name="Publish the results").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    assert page.errors == []

    bid = Bid.objects.get(pk=bid.pk)
    assert bid.status == Bid.Status.APPROVED
    assert bid.moderated_score == Decimal("80.00")
    assert bid.round.results_published_at is not None
    award = Award.objects.get(bid=bid)
    assert dict(award.tranches.values_list("financial_year", "amount")) == {
        2016: Decimal("400000.00"),
        2017: Decimal("250000.00"),
    }
    actions = list(BidEvent.objects.filter(bid=bid).values_list("action", flat=True))
    assert actions.count(BidEvent.Action.REVIEW_SUBMITTED) == 2
    for action in [
        BidEvent.Action.REVIEWERS_ASSIGNED,
        BidEvent.Action.MODERATED,
        BidEvent.Action.APPROVED,
    ]:
        assert action in actions

    # And the award is public now.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/awards/{bid.reference}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shared digital evidence store")

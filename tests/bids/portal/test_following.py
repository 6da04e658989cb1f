"""The portal pages that follow a bid after submission: home, bid, withdraw, clarification
answers, spend and spend returns. Each role's answer, what each page shows, and that every
POST changes things only through its service."""

import datetime
import html as htmllib
import re
from decimal import Decimal

import pytest
from django.urls import resolve, reverse
from django.utils import timezone

from bids import services
from bids.models import Bid, BidEvent, SpendReturn, Tranche
from bids.views.portal.following import quarter_bounds, spend_returns_due
from fundtracker.years import fy_of
from tests.factories import (
    AwardFactory,
    BidEventFactory,
    BidFactory,
    ClarificationFactory,
    DocumentFactory,
    FundingRoundFactory,
    OfficeMemberFactory,
    SpendReturnFactory,
    TrancheFactory,
    UserFactory,
    force,
)

pytestmark = pytest.mark.django_db

S = Bid.Status
Action = BidEvent.Action
RETURNED = SpendReturn.Status.RETURNED
VERIFIED = SpendReturn.Status.VERIFIED


def text(response) -> str:
    """The page's text without tags and with spaces collapsed: what a reader sees."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    words = htmllib.unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"\s+", " ", words).replace(" .", ".")


def approved_bid(**kwargs) -> Bid:
    """An approved East Midlands bid (Leicestershire a partner) with its award."""
    bid = BidFactory(approved=True, partners=["leicestershire"], **kwargs)
    AwardFactory(bid=bid, conditions="Report benefits to the Home Office each year.")
    return bid


def released_tranche(bid=None, **kwargs) -> Tranche:
    bid = bid or approved_bid()
    kwargs.setdefault("financial_year", 2016)
    kwargs.setdefault("amount", Decimal("2240000.00"))
    return TrancheFactory(award=bid.award, **kwargs)


def spend_url(tranche: Tranche, quarter: int) -> str:
    return reverse(
        "portal:spend_return",
        args=[tranche.award.bid.reference, tranche.financial_year, quarter],
    )


# --------------------------------------------------------------------------- who sees what

SUBMITTED = "submitted"
DRAFT = "draft"


def _bid(state):
    if state == DRAFT:
        return BidFactory(partners=["leicestershire"])
    return BidFactory(submitted=True, partners=["leicestershire"])


def _clarification_url():
    bid = BidFactory(status=S.CLARIFICATION_REQUESTED, partners=["leicestershire"])
    return reverse(
        "portal:clarification_answer", args=[bid.reference, ClarificationFactory(bid=bid).pk]
    )


def _spend_return_url():
    return spend_url(released_tranche(), 1)


PAGES = {
    "bid": lambda: reverse("portal:bid", args=[_bid(SUBMITTED).reference]),
    "withdraw": lambda: reverse("portal:withdraw", args=[_bid(SUBMITTED).reference]),
    "clarification_answer": _clarification_url,
    "spend": lambda: reverse("portal:spend", args=[approved_bid().reference]),
    "spend_return": _spend_return_url,
}


@pytest.fixture
def analyst_user(db):
    return UserFactory(username="analyst-portal", analyst=True)


@pytest.mark.parametrize("page", PAGES)
def test_lead_office_sees_every_page_of_its_bid(client, office_user, page):
    url = PAGES[page]()
    client.force_login(office_user)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_partner_office_sees_every_page_of_a_submitted_bid(client, partner_office_user, page):
    url = PAGES[page]()
    client.force_login(partner_office_user)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_another_forces_office_gets_404_on_every_page(client, other_office_user, page):
    url = PAGES[page]()
    client.force_login(other_office_user)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("page", [*PAGES, "home"])
def test_an_analyst_is_told_the_portal_is_for_offices(client, analyst_user, page):
    url = reverse("portal:home") if page == "home" else PAGES[page]()
    client.force_login(analyst_user)
    response = client.get(url)
    assert response.status_code == 403
    assert "police and crime commissioners' offices" in text(response)


@pytest.mark.parametrize("page", [*PAGES, "home"])
def test_anonymous_users_are_sent_to_sign_in(client, page):
    url = reverse("portal:home") if page == "home" else PAGES[page]()
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", ["bid", "withdraw"])
def test_partner_office_gets_404_for_a_draft(client, partner_office_user, name):
    draft = _bid(DRAFT)
    client.force_login(partner_office_user)
    assert client.get(reverse(f"portal:{name}", args=[draft.reference])).status_code == 404


def test_a_users_office_never_sees_another_forces_draft_on_home(client, other_office_user):
    BidFactory(title="Nottinghamshire's secret draft")
    BidFactory(lead_force=force("kent"), title="Kent's own draft")
    client.force_login(other_office_user)
    page = text(client.get(reverse("portal:home")))
    assert "Kent's own draft" in page
    assert "Nottinghamshire's secret draft" not in page


def test_unknown_references_and_objects_answer_404(client, office_user):
    bid = BidFactory(status=S.CLARIFICATION_REQUESTED)
    elsewhere = ClarificationFactory(bid=BidFactory(status=S.CLARIFICATION_REQUESTED))
    tranche = released_tranche()
    reference = tranche.award.bid.reference
    client.force_login(office_user)
    urls = [
        reverse("portal:bid", args=["PTF-1999-9999"]),
        reverse("portal:clarification_answer", args=[bid.reference, elsewhere.pk]),
        reverse("portal:clarification_answer", args=[bid.reference, 2**70]),
        reverse("portal:spend", args=[bid.reference]),  # no award
        reverse("portal:spend_return", args=[reference, 2019, 1]),  # not a year of the award
        reverse("portal:spend_return", args=[reference, 99999999999999999999, 1]),
        reverse("portal:spend_return", args=[reference, 2016, 0]),
        reverse("portal:spend_return", args=[reference, 2016, 5]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_the_bid_page_leaves_other_portal_pages_under_bids_alone():
    assert resolve("/portal/bids/start/").url_name == "start"
    assert resolve("/portal/bids/PTF-2016-0007/").url_name == "bid"


@pytest.mark.parametrize("status", [Tranche.Status.SCHEDULED, Tranche.Status.WITHHELD])
def test_spend_return_of_a_tranche_not_released_is_404(client, office_user, status):
    tranche = released_tranche(status=status)
    client.force_login(office_user)
    assert client.get(spend_url(tranche, 1)).status_code == 404


# --------------------------------------------------------------------------- home


def test_home_names_the_office_and_its_force(client, office_user):
    client.force_login(office_user)
    page = text(client.get(reverse("portal:home")))
    assert "Nottinghamshire Police Nottinghamshire Police and Crime Commissioner" in page


def test_home_lists_the_offices_bids_with_role_status_and_links(client, office_user):
    draft = BidFactory(title="Our draft")
    led = BidFactory(submitted=True, title="Our submitted bid")
    partnered = BidFactory(
        lead_force=force("leicestershire"),
        partners=["nottinghamshire"],
        under_review=True,
        title="Leicestershire leads this one",
    )
    BidFactory(lead_force=force("leicestershire"), partners=["nottinghamshire"], title="Not yet")
    client.force_login(office_user)

    response = client.get(reverse("portal:home"))

    html = response.content.decode()
    page = text(response)
    assert "Our draft" in page
    assert "Our submitted bid" in page
    assert "Leicestershire leads this one" in page
    assert "Not yet" not in page  # a partner's draft
    assert f'href="{reverse("portal:task_list", args=[draft.reference])}"' in html
    assert f'href="{reverse("portal:bid", args=[led.reference])}"' in html
    assert f'href="{reverse("portal:bid", args=[partnered.reference])}"' in html
    row = re.search(rf"{partnered.reference}.*?</tr>", html, re.DOTALL).group(0)
    assert "Partner" in row
    assert "govuk-tag--purple" in row
    assert "Under review" in row
    assert "£5,740,000" in row


def test_home_shows_questions_and_spend_returns_waiting(client, office_user):
    asked = BidFactory(status=S.CLARIFICATION_REQUESTED, title="Asked bid")
    question = ClarificationFactory(bid=asked, question="Who pays after the grant ends?")
    ClarificationFactory(
        bid=asked, question="Already done", answer="Yes", answered_at=timezone.now()
    )
    tranche = released_tranche()
    SpendReturnFactory(tranche=tranche, quarter=1, status=VERIFIED)
    SpendReturnFactory(
        tranche=tranche, quarter=2, status=RETURNED, returned_reason="Figures do not add up."
    )
    SpendReturnFactory(tranche=tranche, quarter=3)
    client.force_login(office_user)

    response = client.get(reverse("portal:home"))

    html = response.content.decode()
    page = text(response)
    assert f"Answer a question about {asked.reference}" in page
    assert "Who pays after the grant ends?" in page
    assert "Already done" not in page
    assert reverse("portal:clarification_answer", args=[asked.reference, question.pk]) in html
    assert "Correct the spend return for Q2 (July to September 2016)" in page
    assert "Figures do not add up." in page
    assert "Report spend for Q4 (January to March 2017)" in page
    assert "Q1 (April to June 2016)" not in page  # verified
    assert "Q3 (October to December 2016)" not in page  # awaiting verification
    assert spend_url(tranche, 4) in html


def test_partner_office_has_no_actions_for_the_lead_offices_work(client, partner_office_user):
    asked = BidFactory(status=S.CLARIFICATION_REQUESTED, partners=["leicestershire"])
    ClarificationFactory(bid=asked)
    released_tranche()
    client.force_login(partner_office_user)
    page = text(client.get(reverse("portal:home")))
    assert "Nothing is waiting for your office" in page


def test_spend_returns_due_counts_only_ended_quarters_of_released_tranches(office_user):
    this_year = fy_of(timezone.localdate())
    current = released_tranche(financial_year=this_year, amount=Decimal("100.00"))
    released_tranche(
        bid=current.award.bid, financial_year=this_year - 1, status=Tranche.Status.SCHEDULED
    )
    today = timezone.localdate()
    ended = [q for q in range(1, 5) if quarter_bounds(this_year, q)[1] < today]

    due = spend_returns_due(force("nottinghamshire").pk, today)

    assert [(d.tranche, d.quarter) for d in due] == [(current, q) for q in ended]


def test_home_shows_open_rounds_with_days_left(client, office_user):
    today = timezone.localdate()
    at_five = datetime.time(17, 0, tzinfo=timezone.get_current_timezone())
    FundingRoundFactory(
        name="Ten days round",
        closes_at=datetime.datetime.combine(today, at_five) + datetime.timedelta(days=10),
    )
    FundingRoundFactory(
        name="Last day round",
        closes_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    FundingRoundFactory(name="Closed round", closed=True)
    client.force_login(office_user)

    response = client.get(reverse("portal:home"))

    page = text(response)
    assert re.search(r"Ten days round .*? 5pm on .*? 10 days left Start a bid", page)
    assert "Closed round" not in page
    # Five minutes before closing it is still today's last chance, whatever the time.
    assert re.search(r"Last day round .*? (Closes today|1 day left)", page)
    assert reverse("portal:start") in response.content.decode()


def test_home_shows_awards_with_tranche_progress(client, office_user):
    bid = approved_bid(title="Tri-force technology")
    released_tranche(
        bid=bid,
        amount=Decimal("2240000.00"),
        paid=Decimal("2240000.00"),
        spent=Decimal("1120000.00"),
    )
    released_tranche(
        bid=bid, financial_year=2017, amount=Decimal("3500000.00"), status=Tranche.Status.SCHEDULED
    )
    finished = approved_bid(title="All done")
    released_tranche(bid=finished, status=Tranche.Status.CLOSED)
    client.force_login(office_user)

    response = client.get(reverse("portal:home"))

    page = text(response)
    assert f"{bid.reference}: Tri-force technology" in page
    assert "Awarded £5,740,000: £2,240,000 paid, £1,120,000 spent (verified)" in page
    assert re.search(r"2016/17 Released £2,240,000 £2,240,000 £1,120,000 50%", page)
    assert re.search(r"2017/18 Scheduled £3,500,000 £0 £0 0%", page)
    assert "Finished awards (1)" in page
    assert reverse("portal:spend", args=[bid.reference]) in response.content.decode()


def test_home_paginates_25_bids_a_page_and_survives_a_bad_page(client, office_user):
    BidFactory.create_batch(27, submitted=True, profile={})
    client.force_login(office_user)

    first = client.get(reverse("portal:home"))
    second = client.get(reverse("portal:home"), {"page": 2})
    nonsense = client.get(reverse("portal:home"), {"page": "many"})

    assert first.content.decode().count('govuk-tag">Submitted') == 25
    assert second.content.decode().count('govuk-tag">Submitted') == 2
    assert nonsense.status_code == 200
    assert 'aria-label="Pagination"' in first.content.decode()


def _home_world(n: int):
    """``n`` of everything the home page lists: bids led and partnered, questions, awards
    with tranches, returns due and sent back, and open rounds."""
    for _ in range(n):
        ClarificationFactory(bid=BidFactory(status=S.CLARIFICATION_REQUESTED))
        BidFactory(lead_force=force("leicestershire"), partners=["nottinghamshire"], submitted=True)
        award = AwardFactory(bid=BidFactory(approved=True))
        TrancheFactory(award=award, financial_year=2016)
        later = TrancheFactory(award=award, financial_year=2017)
        SpendReturnFactory(tranche=later, status=RETURNED, returned_reason="Receipts")
        FundingRoundFactory()


HOME_QUERIES = 11


def test_home_queries_do_not_grow_with_bids(client, office_user, django_assert_max_num_queries):
    client.force_login(office_user)
    _home_world(2)
    with django_assert_max_num_queries(HOME_QUERIES):
        assert client.get(reverse("portal:home")).status_code == 200
    _home_world(12)
    with django_assert_max_num_queries(HOME_QUERIES):
        assert client.get(reverse("portal:home")).status_code == 200


# --------------------------------------------------------------------------- the bid


def test_lead_offices_draft_goes_to_its_task_list(client, office_user):
    draft = BidFactory()
    client.force_login(office_user)
    response = client.get(reverse("portal:bid", args=[draft.reference]))
    assert response.status_code == 302
    assert response.url == reverse("portal:task_list", args=[draft.reference])


def test_bid_page_shows_the_bid_read_only_with_actions_for_the_lead(client, office_user):
    bid = BidFactory(status=S.CLARIFICATION_REQUESTED, partners=["leicestershire"])
    question = ClarificationFactory(bid=bid, question="Who pays after the grant ends?")
    document = DocumentFactory(bid=bid, original_name="business-case.pdf")
    client.force_login(office_user)

    response = client.get(reverse("portal:bid", args=[bid.reference]))

    html = response.content.decode()
    page = text(response)
    assert response.status_code == 200
    assert "Clarification requested" in page
    assert "Lead" in page
    assert "One technology platform for three forces." in page  # the answers
    assert "Leicestershire Police" in page
    assert "£5,740,000.00" in page
    assert "Who pays after the grant ends?" in page
    assert "Answer this question" in page
    assert reverse("portal:clarification_answer", args=[bid.reference, question.pk]) in html
    assert reverse("portal:document_download", args=[bid.reference, document.pk]) in html
    assert "Withdraw this bid" in page
    assert reverse("portal:withdraw", args=[bid.reference]) in html
    assert reverse("portal:bid_pdf", args=[bid.reference]) in html
    main = html.split('id="main-content"')[1].split("</main>")[0]
    assert "<form" not in main  # read-only: nothing on the page changes the bid


def test_partner_office_sees_the_bid_without_actions(client, partner_office_user):
    bid = BidFactory(status=S.CLARIFICATION_REQUESTED, partners=["leicestershire"])
    ClarificationFactory(bid=bid, question="Who pays after the grant ends?")
    client.force_login(partner_office_user)

    response = client.get(reverse("portal:bid", args=[bid.reference]))

    html = response.content.decode()
    page = text(response)
    assert "Who pays after the grant ends?" in page
    assert "Waiting for Nottinghamshire Police’s office to answer" in page
    assert "Your force is a partner in this bid" in page
    assert "Answer this question" not in page
    assert "Withdraw this bid" not in page
    assert reverse("portal:withdraw", args=[bid.reference]) not in html


def test_approved_bid_shows_the_award_and_its_tranches(client, office_user):
    bid = approved_bid()
    released_tranche(bid=bid, paid=Decimal("1000000.00"), spent=Decimal("400000.00"))
    tranche = released_tranche(bid=bid, financial_year=2017, amount=Decimal("3500000.00"))
    SpendReturnFactory(tranche=tranche, quarter=1, amount_spent=Decimal("12.34"))
    client.force_login(office_user)

    response = client.get(reverse("portal:bid", args=[bid.reference]))

    page = text(response)
    assert "Decision" in page
    assert "with an award of £5,740,000.00" in page
    assert "Report benefits to the Home Office each year." in page
    assert re.search(r"2016/17 Released £2,240,000.00 £1,000,000.00 £400,000.00 £0.00", page)
    assert re.search(r"2017/18 Released £3,500,000.00 £0.00 £0.00 £12.34", page)
    assert reverse("portal:spend", args=[bid.reference]) in response.content.decode()
    assert "Withdraw this bid" not in page


def test_rejected_bid_shows_the_panels_reasons(client, office_user, approver):
    bid = BidFactory(recommended=True)
    services.bid_decide(bid=bid, approve=False, by=approver, reasons="Weak value for money.")
    client.force_login(office_user)
    page = text(client.get(reverse("portal:bid", args=[bid.reference])))
    assert "The bid was not approved on" in page
    assert "The funding panel’s reasons Weak value for money." in page


def test_timeline_says_when_the_result_went_public(client, office_user, analyst, approver):
    bid = BidFactory(recommended=True, round=FundingRoundFactory(closed=True))
    services.bid_decide(bid=bid, approve=True, by=approver)
    services.round_publish_results(funding_round=bid.round, by=analyst)
    client.force_login(office_user)
    timeline = text(client.get(reverse("portal:bid", args=[bid.reference])))
    assert re.search(
        r"Results published by Home Office .*? the award shows on the allocation pages .*?"
        r"Bid approved by Home Office",
        timeline,
    )


def test_withdrawn_bid_shows_the_reason(client, office_user):
    bid = BidFactory(submitted=True)
    services.bid_withdraw(bid=bid, by=office_user, reason="Merged into the regional bid.")
    client.force_login(office_user)
    page = text(client.get(reverse("portal:bid", args=[bid.reference])))
    assert "Withdrawal" in page
    assert "Reason given Merged into the regional bid." in page
    assert "Withdraw this bid" not in page


def test_timeline_tells_the_story_in_plain_words_newest_first(client, office_user, analyst):
    office_user.first_name, office_user.last_name = "Jo", "Bloggs"
    office_user.save()
    bid = BidFactory()
    services.bid_submit(bid=bid, by=office_user)
    services.bid_assign_reviewers(bid=bid, reviewers=[analyst], by=analyst)
    BidEventFactory(
        bid=bid,
        action=Action.REVIEW_SUBMITTED,
        actor=analyst,
        note="Fund, weighted score 67.00",
    )
    BidEventFactory(bid=bid, action=Action.CONFLICT_DECLARED, actor=analyst, note="My cousin")
    question = services.clarification_ask(
        bid=bid, question="Who pays after the grant ends?", by=analyst
    )
    services.clarification_answer(clarification=question, answer="The three PCCs.", by=office_user)
    client.force_login(office_user)

    page = text(client.get(reverse("portal:bid", args=[bid.reference])))

    timeline = page.split("What has happened", 1)[1]
    titles = re.findall(
        r"(Clarification answered|Clarification asked|Assessment started|Bid submitted|"
        r"Bid started) by ([A-Za-z ]+?) \d",
        timeline,
    )
    assert titles == [
        ("Clarification answered", "Jo Bloggs"),
        ("Clarification asked", "Home Office"),
        ("Assessment started", "Home Office"),
        ("Bid submitted", "Jo Bloggs"),
    ]
    assert "Who pays after the grant ends?" in timeline
    assert "The three PCCs. Every question is answered: the bid is back under review." in timeline
    # The inside of the assessment stays with the Home Office.
    assert "weighted score" not in page
    assert "My cousin" not in page
    assert analyst.get_full_name() not in page
    assert analyst.username not in page


def test_timeline_names_tranches_and_quarters(client, office_user, analyst):
    tranche = released_tranche(status=Tranche.Status.SCHEDULED)
    services.tranche_set_status(tranche=tranche, status=Tranche.Status.RELEASED, by=analyst)
    spend = services.spend_return_submit(
        tranche=tranche, quarter=2, amount_spent=Decimal("500"), narrative="Kit", by=office_user
    )
    services.spend_return_verify(spend_return=spend, by=analyst, accept=False, reason="too vague")
    client.force_login(office_user)

    timeline = text(client.get(reverse("portal:bid", args=[tranche.award.bid.reference])))

    assert re.search(
        r"Q2 2016/17 spend return sent back by Home Office .*? Too vague .*?"
        r"Q2 2016/17 spend return sent by .*? £500.00 spent .*?"
        r"2016/17 tranche released by Home Office",
        timeline,
    )


def test_bid_page_queries_are_pinned(client, office_user, django_assert_max_num_queries):
    bid = approved_bid()
    for year in (2016, 2017):
        tranche = released_tranche(bid=bid, financial_year=year)
        for quarter in (1, 2, 3):
            SpendReturnFactory(tranche=tranche, quarter=quarter)
    for _ in range(5):
        DocumentFactory(bid=bid)
        ClarificationFactory(bid=bid, answer="Yes", answered_at=timezone.now())
        BidEventFactory(bid=bid, action=Action.PAYMENT_RECORDED, actor=office_user)
    client.force_login(office_user)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("portal:bid", args=[bid.reference])).status_code == 200


# --------------------------------------------------------------------------- withdraw


def test_withdraw_needs_a_reason_and_changes_nothing_without_one(client, office_user):
    bid = BidFactory(submitted=True)
    client.force_login(office_user)
    url = reverse("portal:withdraw", args=[bid.reference])

    page = text(client.get(url))
    response = client.post(url, {"reason": "   "})

    assert "You cannot undo this." in page
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert "Enter why you are withdrawing the bid" in text(response)
    assert "<title>Error: Withdraw bid" in response.content.decode()
    bid.refresh_from_db()
    assert bid.status == S.SUBMITTED
    assert not bid.events.filter(action=Action.WITHDRAWN).exists()


def test_withdraw_records_the_reason_and_says_so(client, office_user):
    bid = BidFactory(under_review=True)
    client.force_login(office_user)

    response = client.post(
        reverse("portal:withdraw", args=[bid.reference]),
        {"reason": "Merged into the regional bid."},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("portal:bid", args=[bid.reference]), 302)]
    assert f"Bid {bid.reference} has been withdrawn." in text(response)
    assert "govuk-notification-banner--success" in response.content.decode()
    bid.refresh_from_db()
    assert bid.status == S.WITHDRAWN
    event = bid.events.get(action=Action.WITHDRAWN)
    assert (event.note, event.actor, event.from_status) == (
        "Merged into the regional bid.",
        office_user,
        S.UNDER_REVIEW,
    )


def test_a_draft_can_be_withdrawn_too(client, office_user):
    bid = BidFactory()
    client.force_login(office_user)
    assert "The draft can no longer be changed" in text(
        client.get(reverse("portal:withdraw", args=[bid.reference]))
    )
    client.post(reverse("portal:withdraw", args=[bid.reference]), {"reason": "Not needed."})
    bid.refresh_from_db()
    assert bid.status == S.WITHDRAWN


def test_a_decided_bid_cannot_be_withdrawn(client, office_user):
    bid = approved_bid()
    client.force_login(office_user)
    url = reverse("portal:withdraw", args=[bid.reference])

    page = text(client.get(url))
    response = client.post(url, {"reason": "Changed our minds."})

    assert "This bid is approved, so it can no longer be withdrawn." in page
    assert response.status_code == 200
    assert "You cannot withdraw bid" in text(response)
    bid.refresh_from_db()
    assert bid.status == S.APPROVED


def test_a_partner_office_cannot_withdraw(client, partner_office_user):
    bid = BidFactory(submitted=True, partners=["leicestershire"])
    client.force_login(partner_office_user)
    url = reverse("portal:withdraw", args=[bid.reference])

    page = text(client.get(url))
    response = client.post(url, {"reason": "We want out."})

    assert "Only Nottinghamshire Police’s office, which leads this bid, can withdraw it." in page
    assert 'name="reason"' not in page
    assert response.status_code == 403
    bid.refresh_from_db()
    assert bid.status == S.SUBMITTED


def test_withdraw_page_queries_are_pinned(client, office_user, django_assert_max_num_queries):
    bid = BidFactory(submitted=True)
    client.force_login(office_user)
    with django_assert_max_num_queries(4):
        assert client.get(reverse("portal:withdraw", args=[bid.reference])).status_code == 200


# --------------------------------------------------------------------------- clarifications


def _asked(*questions, partners=()):
    bid = BidFactory(status=S.CLARIFICATION_REQUESTED, partners=list(partners))
    return bid, [ClarificationFactory(bid=bid, question=q) for q in questions]


def test_answering_the_last_question_returns_the_bid_to_review(client, office_user):
    bid, (question,) = _asked("Who pays after the grant ends?")
    client.force_login(office_user)
    url = reverse("portal:clarification_answer", args=[bid.reference, question.pk])

    page = text(client.get(url))
    response = client.post(url, {"answer": "The three PCCs, equally."}, follow=True)

    assert "Who pays after the grant ends?" in page
    assert response.redirect_chain[-1][0] == reverse("portal:bid", args=[bid.reference])
    assert "Answer sent. The bid is back under review." in text(response)
    bid.refresh_from_db()
    question.refresh_from_db()
    assert bid.status == S.UNDER_REVIEW
    assert (question.answer, question.answered_by) == ("The three PCCs, equally.", office_user)


def test_with_another_question_open_the_bid_stays_paused(client, office_user):
    bid, (first, second) = _asked("First?", "Second?")
    client.force_login(office_user)

    response = client.post(
        reverse("portal:clarification_answer", args=[bid.reference, first.pk]),
        {"answer": "One."},
        follow=True,
    )

    assert "Answer sent. Answer the 1 more question and the bid goes back under review." in text(
        response
    )
    bid.refresh_from_db()
    assert bid.status == S.CLARIFICATION_REQUESTED
    assert bid.events.filter(action=Action.CLARIFICATION_ANSWERED).count() == 1
    second.refresh_from_db()
    assert not second.is_answered


def test_an_empty_answer_is_refused_and_changes_nothing(client, office_user):
    bid, (question,) = _asked("Who pays?")
    client.force_login(office_user)

    response = client.post(
        reverse("portal:clarification_answer", args=[bid.reference, question.pk]), {"answer": ""}
    )

    assert response.status_code == 200
    assert "Enter your answer to the question" in text(response)
    question.refresh_from_db()
    assert not question.is_answered
    assert not bid.events.exists()


def test_an_answered_question_is_read_only(client, office_user):
    bid, (question, _later) = _asked("Who pays?", "And then?")
    services.clarification_answer(clarification=question, answer="The PCCs.", by=office_user)
    client.force_login(office_user)
    url = reverse("portal:clarification_answer", args=[bid.reference, question.pk])

    page = text(client.get(url))
    response = client.post(url, {"answer": "Someone else."})

    assert "The PCCs." in page
    assert 'name="answer"' not in client.get(url).content.decode()
    assert "This question has already been answered." in text(response)
    question.refresh_from_db()
    assert question.answer == "The PCCs."


def test_a_partner_office_cannot_answer(client, partner_office_user):
    bid, (question,) = _asked("Who pays?", partners=["leicestershire"])
    client.force_login(partner_office_user)
    url = reverse("portal:clarification_answer", args=[bid.reference, question.pk])

    page = text(client.get(url))
    response = client.post(url, {"answer": "Us."})

    assert "Nottinghamshire Police’s office, which leads this bid, will answer" in page
    assert response.status_code == 403
    question.refresh_from_db()
    assert not question.is_answered


def test_clarification_page_queries_are_pinned(client, office_user, django_assert_max_num_queries):
    bid, (question,) = _asked("Who pays?")
    client.force_login(office_user)
    url = reverse("portal:clarification_answer", args=[bid.reference, question.pk])
    with django_assert_max_num_queries(5):
        assert client.get(url).status_code == 200


# --------------------------------------------------------------------------- spend


def test_spend_page_shows_each_tranche_and_its_quarters(client, office_user):
    tranche = released_tranche(paid=Decimal("2240000.00"), spent=Decimal("100000.00"))
    SpendReturnFactory(
        tranche=tranche,
        quarter=1,
        status=VERIFIED,
        amount_spent=Decimal("100000.00"),
        narrative="Licences",
    )
    SpendReturnFactory(tranche=tranche, quarter=2, amount_spent=Decimal("250000.50"))
    SpendReturnFactory(tranche=tranche, quarter=3, status=RETURNED, returned_reason="Add receipts.")
    released_tranche(bid=tranche.award.bid, financial_year=2017, status=Tranche.Status.SCHEDULED)
    client.force_login(office_user)
    bid = tranche.award.bid

    response = client.get(reverse("portal:spend", args=[bid.reference]))

    html = response.content.decode()
    page = text(response)
    assert re.search(
        r"Allocation £2,240,000.00 Paid so far £2,240,000.00 Spent \(verified\) £100,000.00 "
        r"Awaiting verification £250,000.50 Left of the allocation £1,889,999.50",
        page,
    )
    assert re.search(r"Q1 \(April to June 2016\) £100,000.00 Verified Licences", page)
    assert re.search(r"Q2 \(July to September 2016\) £250,000.50 Awaiting verification", page)
    assert re.search(r"Q3 .*? Sent back .*? Add receipts. Correct and send again", page)
    assert re.search(r"Q4 \(January to March 2017\) Due Report spend", page)
    assert spend_url(tranche, 4) in html
    assert "This tranche has not been released yet." in page
    assert "Warning" not in page


def test_spend_page_warns_when_reported_spend_passes_the_allocation(client, office_user):
    tranche = released_tranche(amount=Decimal("1000.00"), spent=Decimal("600.00"))
    SpendReturnFactory(tranche=tranche, quarter=1, status=VERIFIED, amount_spent=Decimal("600"))
    SpendReturnFactory(tranche=tranche, quarter=2, amount_spent=Decimal("400.01"))
    client.force_login(office_user)

    page = text(client.get(reverse("portal:spend", args=[tranche.award.bid.reference])))

    assert (
        "Warning Spend reported for 2016/17 is £1,000.01: £0.01 more than the allocation of "
        "£1,000.00." in page
    )
    assert "None: £0.01 over" in page


def test_partner_office_sees_spend_without_links_to_report(client, partner_office_user):
    tranche = released_tranche()
    SpendReturnFactory(tranche=tranche, quarter=1)
    client.force_login(partner_office_user)

    response = client.get(reverse("portal:spend", args=[tranche.award.bid.reference]))

    page = text(response)
    assert "Nottinghamshire Police’s office reports what was spent" in page
    assert "Report spend" not in page
    assert spend_url(tranche, 1) in response.content.decode()  # the return itself, to view


def test_spend_page_queries_are_pinned(client, office_user, django_assert_max_num_queries):
    bid = approved_bid()
    for year in (2016, 2017, 2018):
        tranche = released_tranche(bid=bid, financial_year=year)
        for quarter in (1, 2, 3, 4):
            SpendReturnFactory(tranche=tranche, quarter=quarter)
    client.force_login(office_user)
    with django_assert_max_num_queries(7):
        assert client.get(reverse("portal:spend", args=[bid.reference])).status_code == 200


# --------------------------------------------------------------------------- spend returns


def test_submitting_a_return_records_it_and_says_so(client, office_user):
    tranche = released_tranche()
    client.force_login(office_user)

    response = client.post(
        spend_url(tranche, 1),
        {"amount_spent": "£12,500.50", "narrative": "Licences for the first 200 users."},
        follow=True,
    )

    assert response.redirect_chain == [
        (reverse("portal:spend", args=[tranche.award.bid.reference]) + "#tranche-2016", 302)
    ]
    assert "Your Q1 2016/17 spend return is sent: £12,500.50 spent." in text(response)
    spend = tranche.spend_returns.get(quarter=1)
    assert spend.amount_spent == Decimal("12500.50")
    assert spend.status == SpendReturn.Status.SUBMITTED
    assert spend.narrative == "Licences for the first 200 users."
    assert tranche.award.bid.events.filter(action=Action.SPEND_RETURN_SUBMITTED).count() == 1


def test_a_return_sent_back_can_be_corrected_and_sent_again(client, office_user):
    tranche = released_tranche()
    SpendReturnFactory(
        tranche=tranche,
        quarter=2,
        status=RETURNED,
        amount_spent=Decimal("900.00"),
        narrative="Kit",
        returned_reason="Which kit?",
    )
    client.force_login(office_user)
    url = spend_url(tranche, 2)

    form = client.get(url)
    client.post(url, {"amount_spent": "950", "narrative": "Body-worn cameras"})

    assert "Which kit?" in text(form)
    assert 'value="900.00"' in form.content.decode()
    spend = tranche.spend_returns.get(quarter=2)
    assert (spend.status, spend.amount_spent, spend.returned_reason) == (
        SpendReturn.Status.SUBMITTED,
        Decimal("950.00"),
        "",
    )


@pytest.mark.parametrize("status", [VERIFIED, SpendReturn.Status.SUBMITTED])
def test_a_return_in_or_verified_is_read_only(client, office_user, status):
    tranche = released_tranche()
    SpendReturnFactory(tranche=tranche, quarter=1, status=status, amount_spent=Decimal("700"))
    client.force_login(office_user)
    url = spend_url(tranche, 1)

    page = client.get(url)
    response = client.post(url, {"amount_spent": "1", "narrative": "Changed"})

    assert 'name="amount_spent"' not in page.content.decode()
    assert "£700.00" in text(page)
    assert "has already been" in text(response)
    assert tranche.spend_returns.get(quarter=1).amount_spent == Decimal("700.00")


def test_spend_over_the_allocation_is_allowed_with_a_warning(client, office_user):
    tranche = released_tranche(amount=Decimal("1000.00"))
    SpendReturnFactory(tranche=tranche, quarter=1, amount_spent=Decimal("800.00"))
    client.force_login(office_user)

    form = text(client.get(spend_url(tranche, 2)))
    response = client.post(
        spend_url(tranche, 2), {"amount_spent": "300", "narrative": "Overtime"}, follow=True
    )

    assert "Other quarters have reported £800.00 of the £1,000.00 allocation." in form
    page = text(response)
    assert (
        "Spend reported against the 2016/17 tranche is now £1,100.00: £100.00 more than its "
        "allocation of £1,000.00." in page
    )
    assert "Warning Spend reported for 2016/17 is £1,100.00" in page
    assert tranche.spend_returns.get(quarter=2).amount_spent == Decimal("300.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Enter the amount spent in the quarter, in pounds"),
        ("lots", "must be an amount in pounds"),
        ("-5", "cannot be negative"),
        ("−5", "cannot be negative"),
        ("12.345", "at most 2 decimal places"),
        ("1e5", "must be an amount in pounds"),
        ("NaN", "must be an amount in pounds"),
        ("Infinity", "must be an amount in pounds"),
        ("1,00", "must be an amount in pounds"),
        ("1000000000000", "must be £999,999,999,999.99 or less"),
        ("9" * 400, "must be £999,999,999,999.99 or less"),
    ],
)
def test_bad_amounts_are_refused_with_nothing_changed(client, office_user, amount, message):
    tranche = released_tranche()
    client.force_login(office_user)

    response = client.post(spend_url(tranche, 1), {"amount_spent": amount, "narrative": "Kit"})

    assert response.status_code == 200
    assert message in text(response)
    assert 'href="#id_amount_spent"' in response.content.decode()
    assert not SpendReturn.objects.exists()
    assert not BidEvent.objects.filter(action=Action.SPEND_RETURN_SUBMITTED).exists()


def test_a_narrative_is_required(client, office_user):
    tranche = released_tranche()
    client.force_login(office_user)
    response = client.post(spend_url(tranche, 1), {"amount_spent": "0", "narrative": " "})
    assert "Describe what the money was spent on, or why nothing was spent" in text(response)
    assert not SpendReturn.objects.exists()


def test_a_quarter_that_has_not_ended_cannot_be_reported_yet(client, office_user):
    this_year = fy_of(timezone.localdate())
    tranche = released_tranche(financial_year=this_year)
    client.force_login(office_user)
    url = spend_url(tranche, 4)  # ends on 31 March, after today

    page = text(client.get(url))
    response = client.post(url, {"amount_spent": "10", "narrative": "Early"})

    assert f"once it has ended, from 1 April {this_year + 1}" in page
    assert f"once it has ended, from 1 April {this_year + 1}" in text(response)
    assert not SpendReturn.objects.exists()


def test_a_partner_office_sees_returns_but_cannot_send_them(client, partner_office_user):
    tranche = released_tranche()
    SpendReturnFactory(tranche=tranche, quarter=1, amount_spent=Decimal("321.00"))
    client.force_login(partner_office_user)

    sent = client.get(spend_url(tranche, 1))
    empty = client.get(spend_url(tranche, 2))
    response = client.post(spend_url(tranche, 2), {"amount_spent": "5", "narrative": "Us"})

    assert "£321.00" in text(sent)
    assert "No return has been sent for this quarter yet." in text(empty)
    assert 'name="amount_spent"' not in empty.content.decode()
    assert response.status_code == 403
    assert not tranche.spend_returns.filter(quarter=2).exists()


def test_spend_return_page_queries_are_pinned(client, office_user, django_assert_max_num_queries):
    tranche = released_tranche()
    for quarter in (1, 2, 3):
        SpendReturnFactory(tranche=tranche, quarter=quarter)
    client.force_login(office_user)
    with django_assert_max_num_queries(7):
        assert client.get(spend_url(tranche, 4)).status_code == 200


def test_office_members_of_other_forces_stay_out_of_each_others_returns(client):
    kent = OfficeMemberFactory(username="kent-2", office_force=force("kent"))
    tranche = released_tranche()
    client.force_login(kent)
    response = client.post(spend_url(tranche, 1), {"amount_spent": "1", "narrative": "x"})
    assert response.status_code == 404
    assert not SpendReturn.objects.exists()

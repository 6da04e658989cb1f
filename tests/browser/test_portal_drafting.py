"""A PCC office drafts and submits a bid in a real browser, with and without JavaScript."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bids import services
from bids.models import Bid, BidEvent
from forces.models import CollaborationMembership
from tests.bids.test_documents import pdf_bytes
from tests.browser.conftest import DESKTOP, MOBILE
from tests.factories import (
    CollaborationFactory,
    FundingRoundFactory,
    OfficeMemberFactory,
    UserFactory,
    force,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def office():
    """Nottinghamshire's office, an open 2027/28 round and the East Midlands collaboration."""
    FundingRoundFactory(
        name="2027/28 round 1", slug="ptf-2027", first_financial_year=2027, last_financial_year=2028
    )
    collaboration = CollaborationFactory(name="East Midlands tri-force")
    for slug in ["nottinghamshire", "leicestershire", "northamptonshire"]:
        CollaborationMembership.objects.create(collaboration=collaboration, force=force(slug))
    return OfficeMemberFactory(
        username="notts-office",
        first_name="Kevin",
        last_name="Dennis",
        office_force=force("nottinghamshire"),
    )


def sign_in(page, live_server, next_url):
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill("notts-office")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}{next_url}")


def task_status(page, name):
    item = page.locator(".govuk-task-list__item", has=page.get_by_role("link", name=name))
    return item.locator(".govuk-task-list__status").inner_text().strip()


def add_partner(page, name, javascript):
    if javascript:
        box = page.get_by_role("combobox", name="Add a partner force")
        box.fill(name.split()[0][:5])
        option = page.get_by_role("option", name=name)
        option.wait_for()
        option.click()
        assert box.input_value() == name
    else:
        select = page.get_by_label("Add a partner force")
        assert select.evaluate("el => el.tagName") == "SELECT"
        select.select_option(label=name)
    page.get_by_role("button", name="Add partner force").click()
    page.get_by_text(f"Added as partner forces: {name}.").wait_for()


def draft_and_submit(page, live_server, axe, screenshot, *, javascript):
    """The whole journey; axe scans and screenshots on the way when ``javascript`` is on."""
    shots = "portal" if javascript else "portal-nojs"
    sign_in(page, live_server, "/portal/bids/start/")

    # Start: a round and a title.
    page.get_by_label(re.compile(r"Police Transformation Fund: 2027/28 round 1")).check()
    page.get_by_label("Title of the bid").fill("East Midlands integrated technology plan")
    if javascript:
        screenshot(page, f"{shots}-start")
    page.get_by_role("button", name="Start bid").click()
    page.wait_for_url(re.compile(r"/portal/bids/PTF-2027-0001/draft/$"))
    assert page.get_by_role("heading", name="East Midlands integrated technology plan").is_visible()
    assert page.get_by_text("You can leave and come back: your answers are saved.").is_visible()
    assert task_status(page, "About the bid") == "In progress"
    assert task_status(page, "Sign-offs") == "Not started"
    if javascript:
        assert axe(page) == []
        screenshot(page, f"{shots}-task-list")
        page.set_viewport_size(MOBILE)
        screenshot(page, f"{shots}-task-list-mobile")
        page.set_viewport_size(DESKTOP)

    # Checking early lists what is missing, each linked to its section, and offers no submit.
    page.get_by_role("link", name="Check your answers and submit").click()
    missing = page.locator(".govuk-error-summary")
    assert (
        missing.get_by_role("link", name="Enter the case for change")
        .get_attribute("href")
        .endswith("/draft/about/")
    )
    assert page.get_by_role("button", name="Submit bid").count() == 0
    if javascript:
        assert axe(page) == []
        screenshot(page, f"{shots}-check-missing")
    page.get_by_role("link", name="Back to your bid", exact=True).click()

    # About the bid.
    page.get_by_role("link", name="About the bid").click()
    page.get_by_label("Summary").fill("One technology platform for three forces.")
    page.get_by_label("Case for change").fill("Three forces run three systems for the same work.")
    page.get_by_label("Implementation ready").check()
    page.get_by_label("Digital").check()
    page.get_by_role("button", name="Save and continue").click()
    assert task_status(page, "About the bid") == "Completed"

    # Who is involved: the collaboration and its two other forces, added one at a time.
    page.get_by_role("link", name="Who is involved").click()
    page.get_by_label("East Midlands tri-force").check()
    if javascript:
        box = page.get_by_role("combobox", name="Add a partner force")
        # The box that replaced the select is still described by the select's hint.
        hint = page.locator(f"#{box.get_attribute('aria-describedby')}")
        assert hint.text_content().startswith("Choose the force from the list")
        box.fill("Nor")
        page.get_by_role("option", name="Northamptonshire Police").wait_for()
        screenshot(page, f"{shots}-involved-autocomplete")
        box.fill("")
    add_partner(page, "Leicestershire Police", javascript)
    # Adding a partner saved the collaboration chosen with it.
    assert page.get_by_label("East Midlands tri-force").is_checked()
    add_partner(page, "Northamptonshire Police", javascript)
    partners = page.locator("#partner-forces th").all_inner_texts()
    assert partners == ["Leicestershire Police", "Northamptonshire Police"]
    screenshot(page, f"{shots}-involved")
    if javascript:
        assert axe(page) == []
    page.get_by_role("button", name="Save and continue").click()
    assert task_status(page, "Who is involved") == "Completed"

    # Funding profile: a mistake first, then two years and a local match.
    page.get_by_role("link", name="Funding profile").click()
    page.get_by_label("2027/28").fill("2,240,000")
    page.get_by_label("2028/29").fill("3.5m")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".govuk-error-summary")
    assert "The amount for 2028/29 must be a number in pounds, like 250000" in summary.inner_text()
    assert page.title().startswith("Error: ")
    if javascript:
        # GOV.UK Frontend moves focus to the summary; its link takes the user to the box.
        # The module script runs after load: wait for it rather than race it.
        expect(summary).to_be_focused()
        assert axe(page) == []
        screenshot(page, f"{shots}-funding-error")
        summary.get_by_role("link").click()
        expect(page.get_by_label("2028/29")).to_be_focused()
    page.get_by_label("2028/29").fill("3500000")
    page.get_by_label("Local match contribution (optional)").fill("250000.50")
    page.get_by_role("button", name="Save and continue").click()
    assert task_status(page, "Funding profile") == "Completed"
    assert page.get_by_text("Total requested: £5,740,000.00").is_visible()

    # Sign-offs.
    page.get_by_role("link", name="Sign-offs").click()
    page.get_by_label("Name of the police and crime commissioner").fill("Paddy Tipping")
    pcc = page.get_by_role("group", name="Date the PCC signed off the bid")
    pcc.get_by_label("Day").fill("1")
    pcc.get_by_label("Month").fill("3")
    pcc.get_by_label("Year").fill("2026")
    page.get_by_label("Name of the chief finance officer").fill("Charlotte Radford")
    cfo = page.get_by_role("group", name="Date the chief finance officer signed off the bid")
    cfo.get_by_label("Day").fill("2")
    cfo.get_by_label("Month").fill("3")
    cfo.get_by_label("Year").fill("2026")
    if javascript:
        screenshot(page, f"{shots}-signoffs")
    page.get_by_role("button", name="Save and continue").click()
    assert task_status(page, "Sign-offs") == "Completed"
    assert page.get_by_text("You have completed 3 of 3 required sections.").is_visible()

    # Documents: the business case, checked by its content.
    page.get_by_role("link", name="Documents").click()
    page.get_by_label("Business case").check()
    page.get_by_label("Upload a file").set_input_files(
        files=[{"name": "business-case.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    page.get_by_role("button", name="Upload document").click()
    assert page.get_by_text("business-case.pdf").first.is_visible()
    if javascript:
        assert axe(page) == []
        screenshot(page, f"{shots}-documents")
    page.goto(f"{live_server.url}/portal/bids/PTF-2027-0001/draft/")

    # Check your answers, then submit: the declaration is needed.
    page.get_by_role("link", name="Check your answers and submit").click()
    assert page.get_by_text("Leicestershire Police", exact=True).is_visible()
    assert page.get_by_text("£5,740,000.00").is_visible()
    assert page.get_by_text("Charlotte Radford, 2 March 2026").is_visible()
    if javascript:
        assert axe(page) == []
        screenshot(page, f"{shots}-check")
    page.get_by_role("button", name="Submit bid").click()
    assert "Confirm that the PCC and chief finance officer have approved this bid" in (
        page.locator(".govuk-error-summary").inner_text()
    )
    page.get_by_label(re.compile("I confirm the PCC and chief finance officer")).check()
    page.get_by_role("button", name="Submit bid").click()

    page.wait_for_url(re.compile(r"/portal/bids/PTF-2027-0001/submitted/$"))
    panel = page.locator(".govuk-panel--confirmation")
    assert panel.get_by_role("heading", name="Bid submitted").is_visible()
    assert "PTF-2027-0001" in panel.inner_text()
    if javascript:
        assert axe(page) == []
        screenshot(page, f"{shots}-submitted")
    assert page.errors == []

    bid = Bid.objects.get(reference="PTF-2027-0001")
    assert bid.status == Bid.Status.SUBMITTED
    assert bid.collaboration.name == "East Midlands tri-force"
    assert sorted(bid.partner_forces.values_list("slug", flat=True)) == [
        "leicestershire",
        "northamptonshire",
    ]
    assert list(bid.funding_lines.values_list("financial_year", "amount")) == [
        (2027, Decimal("2240000.00")),
        (2028, Decimal("3500000.00")),
    ]
    assert bid.local_match_contribution == Decimal("250000.50")
    assert bid.events.filter(action=BidEvent.Action.SUBMITTED).count() == 1
    assert bid.documents.get().kind == "business_case"

    # The Home Office asks a question; the office answers it and the bid returns to review.
    analyst = UserFactory(username="analyst", analyst=True)
    services.bid_assign_reviewers(bid=bid, reviewers=[analyst], by=analyst)
    services.clarification_ask(bid=bid, question="Who runs the platform after 2029?", by=analyst)
    page.goto(f"{live_server.url}/portal/bids/PTF-2027-0001/")
    assert page.get_by_text("Who runs the platform after 2029?").first.is_visible()
    page.get_by_role("link", name=re.compile("Answer this question")).click()
    page.get_by_label("Your answer").fill("The three forces share the running costs.")
    if javascript:
        assert axe(page) == []
        screenshot(page, f"{shots}-clarification")
    page.get_by_role("button", name="Send answer").click()
    page.wait_for_url(re.compile(r"/portal/bids/PTF-2027-0001/$"))
    bid.refresh_from_db()
    assert bid.status == Bid.Status.UNDER_REVIEW
    assert page.get_by_text("The three forces share the running costs.").first.is_visible()


def test_an_office_drafts_and_submits_a_bid(live_server, page, axe, screenshot, office):
    draft_and_submit(page, live_server, axe, screenshot, javascript=True)


def test_the_same_journey_works_without_javascript(live_server, browser, axe, screenshot, office):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.errors = []
    try:
        draft_and_submit(page, live_server, axe, screenshot, javascript=False)
    finally:
        context.close()

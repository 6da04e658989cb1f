"""The public profile pages in a real browser: accessible (axe-core), no sideways scrolling of
the page at 320 px, and complete without JavaScript."""

from decimal import Decimal

import pytest

from tests.browser.conftest import DESKTOP
from tests.factories import (
    AwardFactory,
    AwardShareFactory,
    BidFactory,
    CollaborationFactory,
    EnvelopeFactory,
    FundingRoundFactory,
    TrancheFactory,
    category,
    force,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NARROW = {"width": 320, "height": 720}

PAGES = [
    ("forces", "/forces/", "Forces and national bodies"),
    ("force", "/forces/nottinghamshire/", "Nottinghamshire Police"),
    ("region", "/regions/east-midlands/", "East Midlands"),
    ("category", "/categories/digital/", "Digital"),
    ("awards", "/awards/", "Awards"),
    ("award", "/awards/PTF-2016-0001/", "East Midlands integrated technology plan"),
]


@pytest.fixture
def published_results():
    round_ = FundingRoundFactory(published=True, name="2016/17 first round")
    tri_force = CollaborationFactory(name="East Midlands tri-force", slug="east-midlands-tri-force")
    tri_force.memberships.create(force=force("nottinghamshire"), role="lead")
    tri_force.memberships.create(force=force("leicestershire"), role="partner")
    award = AwardFactory(
        bid=BidFactory(
            reference="PTF-2016-0001",
            round=round_,
            approved=True,
            collaboration=tri_force,
            partners=["leicestershire", "northamptonshire"],
        ),
        total=Decimal("5740000.00"),
        conditions="Report the benefits each year.",
    )
    TrancheFactory(
        award=award,
        financial_year=2016,
        amount=Decimal("2240000.00"),
        paid=Decimal("2240000.00"),
        spent=Decimal("1875000.00"),
    )
    TrancheFactory(award=award, financial_year=2017, amount=Decimal("3500000.00"))
    for slug, percent in [
        ("nottinghamshire", 50),
        ("leicestershire", 30),
        ("northamptonshire", 20),
    ]:
        AwardShareFactory(award=award, force=force(slug), percent=Decimal(percent))
    for n, slug in enumerate(["kent", "west-yorkshire", "hampshire"], start=2):
        solo = AwardFactory(
            bid=BidFactory(
                reference=f"PTF-2016-{n:04d}",
                round=round_,
                approved=True,
                lead_force=force(slug),
                title="Digital transmission of crime-scene images to the fingerprint bureau",
                spend_category=category("forensics"),
            ),
            total=Decimal("700000.00"),
        )
        TrancheFactory(award=solo, financial_year=2016, amount=Decimal("700000.00"))
    EnvelopeFactory(round=round_, category=category("digital"), amount=Decimal("4600000.00"))
    return round_


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize(("name", "path", "heading"), PAGES)
def test_profile_pages_are_accessible_on_desktop(
    live_server, page, axe, screenshot, published_results, name, path, heading
):
    response = page.goto(live_server.url + path)

    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.get_by_role("navigation", name="Breadcrumb").is_visible()
    assert page_width(page) <= DESKTOP["width"]
    # Every table sits in a focusable, labelled region that scrolls on its own.
    regions = page.locator(".app-table-scroll")
    assert regions.count() >= 1
    for index in range(regions.count()):
        region = regions.nth(index)
        assert region.get_attribute("tabindex") == "0"
        assert region.get_attribute("role") == "region"
        assert region.get_attribute("aria-label")
    page.get_by_text("About these figures").click()
    assert page.locator(".govuk-details__text").first.is_visible()
    assert axe(page) == []
    assert page.errors == []
    screenshot(page, f"profiles-{name}-desktop")


@pytest.mark.parametrize(("name", "path", "heading"), PAGES)
def test_profile_pages_fit_a_320_pixel_screen(
    live_server, mobile_page, axe, screenshot, published_results, name, path, heading
):
    page = mobile_page
    page.set_viewport_size(NARROW)
    page.goto(live_server.url + path)

    assert page.get_by_role("heading", level=1).inner_text() == heading
    # The page itself never scrolls sideways: wide tables scroll inside their region.
    assert page_width(page) <= NARROW["width"]
    region = page.locator(".app-table-scroll").first
    region.focus()
    assert region.evaluate("el => el === document.activeElement")
    assert axe(page) == []
    assert page.errors == []
    screenshot(page, f"profiles-{name}-320")


@pytest.mark.parametrize(("name", "path", "heading"), PAGES)
def test_profile_pages_work_without_javascript(
    live_server, browser, axe, screenshot, published_results, name, path, heading
):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + path)

        assert page.get_by_role("heading", level=1).inner_text() == heading
        assert page.locator("body.js-enabled").count() == 0
        # The details component is native HTML: it opens without scripts.
        page.get_by_text("About these figures").click()
        assert page.locator(".govuk-details__text").first.is_visible()
        screenshot(page, f"profiles-{name}-no-js")
    finally:
        context.close()


def test_sorting_and_filtering_work_without_javascript(live_server, browser, published_results):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/forces/")
        page.get_by_role("link", name="Allocated", exact=True).first.click()
        page.wait_for_url("**/forces/?sort=-allocated")
        first = page.locator("#territorial-forces tbody tr").first
        assert first.locator("th").inner_text().startswith("Nottinghamshire Police")
        header = page.locator("#territorial-forces th[aria-sort='descending']")
        assert header.inner_text().startswith("Allocated")

        page.goto(live_server.url + "/awards/")
        page.get_by_label("Spend category").select_option(label="Forensics")
        page.get_by_role("button", name="Show awards").click()
        page.wait_for_url("**/awards/?*category=forensics*")
        assert page.get_by_role("heading", name="3 awards").is_visible()
    finally:
        context.close()


def test_a_bad_filter_shows_an_error_summary(live_server, page, axe, screenshot, published_results):
    response = page.goto(live_server.url + "/awards/?force=atlantis")

    assert response.status == 400
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "“atlantis” is not a force" in summary.inner_text()
    assert page.title().startswith("Error: ")
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "id_force"
    assert axe(page) == []
    screenshot(page, "profiles-awards-error")

"""The allocations dashboard in a real browser: tabs, filters, a 320 px phone, no JavaScript,
and axe-core on each."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP
from tests.factories import (
    AwardFactory,
    AwardShareFactory,
    BidFactory,
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

PHONE = {"width": 320, "height": 720}


@pytest.fixture
def published_results():
    round_ = FundingRoundFactory(published=True, name="2016/17 round 1", slug="ptf-2016-17")
    collaboration = AwardFactory(
        bid=BidFactory(
            round=round_,
            approved=True,
            title="East Midlands integrated technology plan",
            partners=["leicestershire", "northamptonshire"],
        ),
        total=Decimal("5740000.00"),
    )
    TrancheFactory(
        award=collaboration,
        amount=Decimal("2240000.00"),
        paid=Decimal("2240000.00"),
        spent=Decimal("1875000.00"),
    )
    TrancheFactory(award=collaboration, financial_year=2017, amount=Decimal("3500000.00"))
    AwardShareFactory(award=collaboration, force=force("nottinghamshire"), percent=50)
    AwardShareFactory(award=collaboration, force=force("leicestershire"), percent=25)
    AwardShareFactory(award=collaboration, force=force("northamptonshire"), percent=25)
    TrancheFactory(
        award__bid__round=round_,
        award__bid__title="Digital information-sharing platform",
        award__bid__lead_force=force("hampshire"),
        amount=Decimal("1500000.00"),
        paid=Decimal("750000.00"),
    )
    TrancheFactory(
        award__bid__round=round_,
        award__bid__title="Armed response vehicles for the county",
        award__bid__lead_force=force("kent"),
        award__bid__spend_category=category("armed-policing"),
        amount=Decimal("34000000.00"),
        paid=Decimal("20000000.00"),
        spent=Decimal("12500000.00"),
    )
    for slug, amount in (("digital", "4600000"), ("armed-policing", "34000000")):
        EnvelopeFactory(round=round_, category=category(slug), amount=Decimal(amount))
    EnvelopeFactory(
        round=round_, category=category("digital"), financial_year=2017, amount=Decimal(3500000)
    )
    return round_


def new_page(browser, viewport, *, javascript=True):
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    return context, page


def axe_without_javascript(browser, axe, url, viewport):
    """axe-core on the page as a browser without JavaScript gets it.

    axe needs JavaScript to run, so the page is served to a scripted browser with its own
    scripts taken out: the same markup and styles a browser without JavaScript shows.
    """

    def without_scripts(route):
        response = route.fetch()
        body = re.sub(r"<script\b.*?</script>", "", response.text(), flags=re.S)
        route.fulfill(response=response, body=body)

    context, page = new_page(browser, viewport)
    page.route(url, without_scripts)
    page.goto(url)
    assert page.locator("body.js-enabled").count() == 0
    violations = axe(page)
    context.close()
    return violations


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_the_dashboard_on_a_desktop_switches_between_chart_and_table(
    live_server, page, axe, screenshot, published_results
):
    page.goto(live_server.url + "/allocations/")

    assert page.title() == "Allocations – Police funding tracker"
    page.wait_for_selector("[data-govuk-tabs-init]", state="attached")
    section = page.locator("section", has=page.locator("#spend-categories"))
    chart = section.locator("#categories-chart")
    table = section.locator("#categories-table")
    expect(chart).to_be_visible()
    expect(table).to_be_hidden()
    chart_image = chart.get_by_role("img", name="Set aside, allocated and spent by spend category")
    expect(chart_image).to_be_visible()
    assert page.errors == []
    assert axe(page) == []
    screenshot(page, "allocations-desktop")

    section.get_by_role("tab", name="Table").click()

    expect(table).to_be_visible()
    expect(chart).to_be_hidden()
    row = table.get_by_role("row", name="Armed policing")
    expect(row).to_contain_text("£34,000,000")
    expect(row).to_contain_text("Fully allocated")
    expect(table.get_by_role("row", name="Digital")).to_contain_text("Under-allocated")
    assert axe(page) == []
    screenshot(page, "allocations-desktop-table")


def test_filtering_from_the_form_gives_a_shareable_url(
    live_server, page, axe, screenshot, published_results
):
    page.goto(live_server.url + "/allocations/")

    page.get_by_label("Force", exact=True).select_option(label="Leicestershire Police")
    page.get_by_role("button", name="Apply filters").click()

    page.wait_for_url("**/allocations/?*force=leicestershire*")
    figures = page.locator(".app-figures")
    # A quarter of the £5.74m collaboration is Leicestershire's.
    expect(figures.get_by_text("£1,435,000")).to_be_visible()
    expect(page.locator(".govuk-inset-text")).to_contain_text("not narrowed to a force")
    assert axe(page) == []
    screenshot(page, "allocations-desktop-filtered")

    page.get_by_role("link", name="Remove filter Force: Leicestershire Police").click()

    page.wait_for_url(live_server.url + "/allocations/")
    expect(figures.get_by_text("£41,240,000")).to_be_visible()


def test_a_bad_filter_is_named_in_a_focused_error_summary(
    live_server, page, axe, screenshot, published_results
):
    page.goto(live_server.url + "/allocations/?force=atlantis&financial_year=1999")

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("there is no force “atlantis”")
    expect(summary).to_contain_text("“1999” is not a year with published allocations")
    summary.get_by_role("link", name="Choose a force from the list").click()
    expect(page.get_by_label("Force", exact=True)).to_be_focused()
    assert page.title().startswith("Error: ")
    assert axe(page) == []
    screenshot(page, "allocations-error")


def test_the_dashboard_on_a_320px_phone(live_server, browser, axe, screenshot, published_results):
    context, page = new_page(browser, PHONE)
    page.goto(live_server.url + "/allocations/?region=east-midlands")

    page.wait_for_selector("[data-govuk-tabs-init]", state="attached")
    assert no_sideways_scroll(page)
    # The chart fills the width of the phone, and its text stays legible.
    chart = page.get_by_role("img", name="Allocated and spent by region (East Midlands)")
    box = chart.bounding_box()
    assert box["width"] >= 280
    value_size = chart.locator("text.app-chart__value").first.evaluate(
        "el => el.getBoundingClientRect().height"
    )
    assert value_size >= 10
    # A wide table scrolls inside its own box, which keyboard users can reach and see.
    forces = page.get_by_role("region", name="Forces in East Midlands table")
    assert forces.evaluate("el => el.scrollWidth > el.clientWidth")
    forces.focus()
    assert forces.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0", timeout=2000)
    assert axe(page) == []
    assert page.errors == []
    screenshot(page, "allocations-320")
    context.close()


def test_without_javascript_the_chart_and_table_both_show_and_filters_work(
    live_server, browser, axe, screenshot, published_results
):
    context, page = new_page(browser, DESKTOP, javascript=False)
    page.goto(live_server.url + "/allocations/")

    expect(page.locator("#categories-chart")).to_be_visible()
    expect(page.locator("#categories-table")).to_be_visible()
    expect(page.locator("#years-table")).to_be_visible()
    screenshot(page, "allocations-no-js")

    page.get_by_label("Spend category", exact=True).select_option(label="Armed policing")
    page.get_by_role("button", name="Apply filters").click()

    page.wait_for_url("**category=armed-policing*")
    expect(page.locator(".app-figures").get_by_text("£34,000,000").first).to_be_visible()
    filtered = page.url
    context.close()
    assert axe_without_javascript(browser, axe, filtered, DESKTOP) == []


def test_without_javascript_on_a_320px_phone(
    live_server, browser, axe, screenshot, published_results
):
    url = live_server.url + "/allocations/?region=east-midlands"
    context, page = new_page(browser, PHONE, javascript=False)
    page.goto(url)

    assert no_sideways_scroll(page)
    expect(page.locator("#regions-table")).to_be_visible()
    expect(page.locator("#regions-chart")).to_be_visible()
    screenshot(page, "allocations-320-no-js")
    context.close()
    assert axe_without_javascript(browser, axe, url, PHONE) == []


def test_the_home_page_leads_to_the_allocations_by_category(
    live_server, page, axe, published_results
):
    page.goto(live_server.url + "/")

    page.get_by_role("link", name="See allocations by spend category").click()

    page.wait_for_url(live_server.url + "/allocations/#spend-categories")
    expect(
        page.get_by_role("heading", name="Set aside and allocated by spend category")
    ).to_be_visible()
    assert axe(page) == []

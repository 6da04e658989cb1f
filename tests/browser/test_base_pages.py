from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import FundingRoundFactory, TrancheFactory, UserFactory, force

# The live server needs transactions; serialized rollback puts back the reference forces and
# categories that migrate loads, which a transactional test's flush would otherwise remove.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def published_results():
    round_ = FundingRoundFactory(published=True, name="2016/17 round 1")
    TrancheFactory(
        award__bid__round=round_,
        amount=Decimal("2240000.00"),
        paid=Decimal("2240000.00"),
        spent=Decimal("1875000.00"),
    )
    TrancheFactory(
        award__bid__round=round_,
        award__bid__title="Digital information-sharing platform",
        award__bid__lead_force=force("hampshire"),
        amount=Decimal("1500000.00"),
        paid=Decimal("750000.00"),
    )
    FundingRoundFactory(name="2017/18 round 1", first_financial_year=2017)
    return round_


def test_home_page_is_styled_scripted_and_accessible(
    live_server, page, axe, screenshot, published_results
):
    response = page.goto(live_server.url + "/")

    assert response.status == 200
    assert page.title() == "Police funding tracker"
    header = page.locator(".govuk-generic-header")
    # The stylesheet loaded: the header is GOV.UK black, not the browser's transparent default.
    assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(11, 12, 12)"
    heading = page.get_by_role("heading", level=1)
    assert heading.evaluate("el => getComputedStyle(el).fontFamily").startswith("system-ui")
    # The ES modules loaded and GOV.UK Frontend started.
    assert page.locator("body.govuk-frontend-supported").count() == 1
    page.wait_for_selector("[data-govuk-service-navigation-init]", state="attached")
    assert page.get_by_text("£3.74m").is_visible()
    assert page.errors == []
    assert axe(page) == []
    screenshot(page, "home-desktop")


def test_home_page_on_a_phone(live_server, mobile_page, axe, screenshot, published_results):
    page = mobile_page
    page.goto(live_server.url + "/")

    menu = page.get_by_role("navigation", name="Menu")
    toggle = menu.get_by_role("button", name="Menu")
    allocations = menu.get_by_role("link", name="Allocations")
    assert toggle.is_visible()
    assert not allocations.is_visible()
    # Sign in stays in view outside the collapsed menu.
    account = page.get_by_role("navigation", name="Account")
    assert account.get_by_role("link", name="Sign in").is_visible()
    screenshot(page, "home-mobile")

    toggle.click()

    assert toggle.get_attribute("aria-expanded") == "true"
    assert allocations.is_visible()
    assert menu.get_by_role("link", name="Open data").is_visible()
    screenshot(page, "home-mobile-menu-open")
    assert axe(page) == []
    assert page.errors == []
    allocations.click()
    page.wait_for_url(live_server.url + "/allocations/")


def test_login_page_is_accessible_and_signs_in(live_server, page, axe, screenshot):
    UserFactory(username="analyst", first_name="Ada", last_name="Lovelace", analyst=True)
    page.goto(live_server.url + "/accounts/login/")

    assert page.title() == "Sign in – Police funding tracker"
    assert axe(page) == []

    page.get_by_label("Username").fill("analyst")
    page.get_by_label("Password", exact=True).fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    # GOV.UK Frontend moves focus to the summary so screen readers announce it.
    # The module script runs after load: wait for it rather than race it.
    expect(summary).to_be_focused()
    assert axe(page) == []
    screenshot(page, "login-error")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_text("Ada Lovelace").is_visible()
    assert page.get_by_role("link", name="Review").is_visible()
    assert axe(page) == []
    screenshot(page, "home-signed-in")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server.url + "/")
    account = page.get_by_role("navigation", name="Account")
    assert account.get_by_role("link", name="Sign in").is_visible()


def test_password_can_be_shown(live_server, page):
    page.goto(live_server.url + "/accounts/login/")

    password = page.get_by_label("Password", exact=True)
    page.get_by_role("button", name="Show password").click()

    assert password.get_attribute("type") == "text"


def test_not_found_page_is_styled_and_accessible(live_server, page, axe, screenshot):
    response = page.goto(live_server.url + "/no-such-page/")

    assert response.status == 404
    assert page.title() == "Page not found – Police funding tracker"
    assert page.get_by_role("heading", name="Page not found").is_visible()
    header = page.locator(".govuk-generic-header")
    assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(11, 12, 12)"
    assert axe(page) == []
    screenshot(page, "not-found")

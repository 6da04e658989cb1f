"""A visitor's journey through the public pages: from the home page to the 2016/17 digital
allocations, on to a force and an award, and away with the CSV — with axe-core on every page."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_allocations import published_results  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_home_to_the_2016_digital_allocation_a_force_an_award_and_the_csv(
    live_server,
    page,
    axe,
    screenshot,
    published_results,  # noqa: F811
):
    page.goto(live_server.url + "/")
    assert axe(page) == []

    # 1. The home page leads to the allocations.
    page.get_by_role("link", name="See allocations by spend category").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Police funding allocations")

    # 2. Filter to 2016/17 and Digital: a shareable URL, and the envelope set against the money.
    page.get_by_label("Financial year", exact=True).select_option(label="2016/17")
    page.get_by_label("Spend category", exact=True).select_option(label="Digital")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/allocations/?*financial_year=2016*")
    assert "category=digital" in page.url
    figures = page.locator(".app-figures")
    # Set aside £4.6m for digital in 2016/17; allocated £2.24m + £1.5m.
    expect(figures.get_by_text("£4,600,000")).to_be_visible()
    expect(figures.get_by_text("£3,740,000")).to_be_visible()
    assert axe(page) == []
    screenshot(page, "journey-allocations-2016-digital")

    # 3. Which forces received it: the regions table leads to the region, then the force.
    page.locator('a.govuk-tabs__tab[href="#regions-table"]').click()
    page.locator("#regions-table").get_by_role("link", name="East Midlands").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("East Midlands")
    assert axe(page) == []
    page.get_by_role("link", name="Nottinghamshire Police").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nottinghamshire Police")
    assert axe(page) == []
    screenshot(page, "journey-force")

    # 4. The award, with its tranche schedule.
    page.get_by_role("row", name="East Midlands integrated technology plan").get_by_role(
        "link"
    ).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "East Midlands integrated technology plan"
    )
    expect(page.get_by_text("2016/17").first).to_be_visible()
    assert axe(page) == []
    screenshot(page, "journey-award")

    # 5. Back on the force page, download its tranches as CSV.
    page.go_back()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download Nottinghamshire Police’s tranches (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert {row["award_title"] for row in rows} == {"East Midlands integrated technology plan"}
    # Nottinghamshire's half of £2.24m and of £3.5m.
    assert sum(Decimal(row["allocated"]) for row in rows) == Decimal("2870000.00")
    assert page.errors == []

"""Signing in as Home Office staff with an authenticator app, and the lock-out page, in a real
browser under the service's Content-Security-Policy — with axe-core on every page."""

import time
from base64 import b32decode

import pytest
from playwright.sync_api import expect

from tests.accounts.conftest import code_for
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"


def sign_in(page, live_server, username, password=PASSWORD):
    page.goto(f"{live_server.url}/accounts/login/?next=/review/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def check(page, axe, screenshot, name):
    assert axe(page) == []
    screenshot(page, name)


def test_an_analyst_sets_up_an_app_then_signs_in_with_its_codes(
    live_server, page, axe, screenshot, settings
):
    settings.FUNDTRACKER_OTP_REQUIRED = True
    UserFactory(username="lead-analyst", first_name="Lee", last_name="Lead", analyst=True)

    sign_in(page, live_server, "lead-analyst")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(page.get_by_role("img", name="QR code of your setup key")).to_be_visible()
    check(page, axe, screenshot, "two-factor-setup")
    key = b32decode(page.locator("#setup-key").inner_text().replace(" ", "")).hex()

    page.get_by_label("Security code").fill(code_for(key))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/review/")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "lead-analyst")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")
    check(page, axe, screenshot, "two-factor-verify")

    page.get_by_label("Security code").fill(code_for(key, steps_ahead=-1))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The security code is wrong or has expired"
    )
    assert page.title().startswith("Error:")
    check(page, axe, screenshot, "two-factor-verify-error")

    time.sleep(1.1)  # django-otp's wait after one wrong code
    page.get_by_label("Security code").fill(code_for(key, steps_ahead=1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/review/")
    assert page.errors == []


def test_a_locked_out_sign_in_says_how_long_to_wait(live_server, page, axe, screenshot, settings):
    settings.AXES_ENABLED = True
    UserFactory(username="notts-office")

    for _ in range(5):
        sign_in(page, live_server, "notts-office", password="not the password")

    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "You have entered a wrong username or password too many times. Wait 15 minutes"
    )
    check(page, axe, screenshot, "sign-in-locked-out")
    # Chromium logs the page's own 429 status as a failed load; nothing else may fail.
    assert [e for e in page.errors if "status of 429" not in e] == []

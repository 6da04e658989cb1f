"""Sign-in throttling, idle sign-out, password rules and the client address behind a proxy."""

import time

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory

from accounts.middleware import LAST_SEEN_KEY
from accounts.network import client_ip

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LOCKED = "You have entered a wrong username or password too many times. Wait 15 minutes"


@pytest.fixture
def throttling_on(settings):
    settings.AXES_ENABLED = True


def sign_in(client, password, *, username="notts-office", **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


@pytest.mark.usefixtures("throttling_on")
def test_five_wrong_passwords_lock_the_username_out_from_that_address(client, office_user):
    for _ in range(4):
        response = sign_in(client, "wrong password")
        assert response.status_code == 200
        assert "There is a problem" in response.text

    fifth = sign_in(client, "wrong password")
    right = sign_in(client, PASSWORD)

    assert fifth.status_code == 429
    assert right.status_code == 429
    assert LOCKED in right.text
    assert "<title>Error: Sign in" in right.text
    assert 'name="username"' in right.text
    assert "_auth_user_id" not in client.session


@pytest.mark.usefixtures("throttling_on")
def test_a_lock_out_does_not_reach_the_same_user_elsewhere(client, office_user):
    for _ in range(5):
        sign_in(client, "wrong password", REMOTE_ADDR="203.0.113.9")

    response = sign_in(client, PASSWORD, REMOTE_ADDR="198.51.100.20")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(office_user.pk)


@pytest.mark.usefixtures("throttling_on")
def test_a_right_password_clears_the_failures(client, office_user):
    for _ in range(4):
        sign_in(client, "wrong password")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()

    for _ in range(4):
        sign_in(client, "wrong password")

    assert sign_in(client, PASSWORD).status_code == 302


@pytest.mark.usefixtures("throttling_on")
def test_behind_the_proxy_each_client_is_counted_apart(client, office_user, settings):
    settings.FUNDTRACKER_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for attempt in range(5):
        # The attacker writes their own X-Forwarded-For, each time another: the proxy appends
        # the address it saw, and only that one counts.
        forged = f"192.0.2.{attempt}, 203.0.113.9"
        sign_in(client, "wrong password", HTTP_X_FORWARDED_FOR=forged, **proxy)

    attacker = sign_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.9", **proxy)
    colleague = sign_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy)

    assert attacker.status_code == 429
    assert colleague.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"


@pytest.mark.parametrize(
    ("proxies", "meta", "expected"),
    [
        (0, {"HTTP_X_FORWARDED_FOR": "192.0.2.1"}, "10.0.0.2"),
        (1, {"HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.9"}, "203.0.113.9"),
        (2, {"HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.9, 10.0.0.7"}, "203.0.113.9"),
        (1, {}, "10.0.0.2"),
        (1, {"HTTP_X_FORWARDED_FOR": "not-an-address"}, "10.0.0.2"),
        (1, {"HTTP_X_FORWARDED_FOR": "2001:db8::1"}, "2001:db8::1"),
    ],
)
def test_client_ip_counts_trusted_proxies_from_the_right(settings, proxies, meta, expected):
    settings.FUNDTRACKER_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **meta)

    assert client_ip(request) == expected


def test_an_idle_user_is_signed_out_and_told_why(client, office_user, settings):
    settings.FUNDTRACKER_SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(office_user)
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 31 * 60
    session.save()

    response = client.get("/portal/", follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/login/?next=/portal/"
    assert "We signed you out because you had not used the service for 30 minutes." in (
        response.text
    )
    assert "_auth_user_id" not in client.session


def test_an_active_user_stays_signed_in(client, office_user, settings):
    settings.FUNDTRACKER_SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(office_user)
    signed_in_at = client.session[LAST_SEEN_KEY]
    session = client.session
    session[LAST_SEEN_KEY] = signed_in_at - 29 * 60
    session.save()

    response = client.get("/portal/")

    assert response.status_code == 200
    # Seen again just now: the clock starts afresh.
    assert client.session[LAST_SEEN_KEY] >= signed_in_at


def test_the_idle_clock_is_written_at_most_once_a_minute(client, office_user, settings):
    settings.FUNDTRACKER_SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(office_user)
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 30
    session.save()
    before = client.session[LAST_SEEN_KEY]

    client.get("/portal/")

    assert client.session[LAST_SEEN_KEY] == before


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "This password is too short. It must contain at least 12 characters."),
        ("password1234", "This password is too common."),
        ("849302758493", "This password is entirely numeric."),
        ("notts-office-2016", "The password is too similar to the username."),
    ],
)
def test_weak_passwords_are_refused(client, office_user, password, message):
    client.force_login(office_user)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )

    assert response.status_code == 200
    assert message in response.text
    office_user.refresh_from_db()
    assert office_user.check_password(PASSWORD)

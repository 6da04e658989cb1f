"""Home Office staff enter a code from an authenticator app before any page that needs sign-in."""

import pytest
from django.core import checks
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.checks import second_factor_is_required
from accounts.views import PENDING_KEY
from tests.accounts.conftest import code_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_factor_on")]

SETUP = "/accounts/two-factor/set-up/"
VERIFY = "/accounts/two-factor/"
PASSWORD = "correct horse battery staple"


def test_an_analyst_without_an_app_is_sent_to_set_one_up(client, analyst):
    client.force_login(analyst)

    response = client.get("/review/")

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Freview%2F"


def test_an_analyst_with_an_app_is_asked_for_a_code(client, analyst, authenticator):
    client.force_login(analyst)

    response = client.get("/review/")

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Freview%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Enter your security code" in page.text


def test_signing_in_with_a_password_hands_over_to_the_second_factor(client, analyst):
    response = client.post(
        "/accounts/login/", {"username": "analyst", "password": PASSWORD, "next": "/review/"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Freview%2F"


def test_a_wrong_code_is_refused_with_a_message(client, analyst, authenticator):
    client.force_login(analyst)
    wrong = code_for(authenticator.key, steps_ahead=5)

    response = client.post(VERIFY, {"code": wrong, "next": "/review/"})

    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert "The security code is wrong or has expired" in response.text
    assert client.get("/review/")["Location"].startswith(VERIFY)


def test_a_code_that_is_not_six_digits_is_refused_without_using_up_an_attempt(
    client, analyst, authenticator
):
    client.force_login(analyst)

    response = client.post(VERIFY, {"code": "12ab56"})

    assert "Enter the security code as 6 digits, for example 123456" in response.text
    authenticator.refresh_from_db()
    assert authenticator.throttling_failure_count == 0


def test_the_right_code_lets_the_analyst_in(client, analyst, authenticator):
    client.force_login(analyst)

    response = client.post(VERIFY, {"code": code_for(authenticator.key), "next": "/review/"})

    assert response.status_code == 302
    assert response["Location"] == "/review/"
    assert client.get("/review/").status_code == 200


def test_a_code_typed_with_a_space_is_accepted(client, analyst, authenticator):
    client.force_login(analyst)
    code = code_for(authenticator.key)

    response = client.post(VERIFY, {"code": f"{code[:3]} {code[3:]}", "next": "/review/"})

    assert response["Location"] == "/review/"


def test_a_code_cannot_be_used_twice(client, analyst, authenticator):
    code = code_for(authenticator.key)
    client.force_login(analyst)
    client.post(VERIFY, {"code": code})
    client.logout()
    client.force_login(analyst)

    response = client.post(VERIFY, {"code": code})

    assert "The security code is wrong or has expired" in response.text


def test_after_a_wrong_code_the_next_one_must_wait(client, analyst, authenticator):
    client.force_login(analyst)
    client.post(VERIFY, {"code": code_for(authenticator.key, steps_ahead=5)})

    response = client.post(VERIFY, {"code": code_for(authenticator.key)})

    # django-otp doubles the wait after each wrong code: one second after the first.
    assert "You have entered too many wrong codes. Wait 1 second, then try again" in response.text
    assert client.get("/review/")["Location"].startswith(VERIFY)


def test_the_code_page_sends_only_to_this_site(client, analyst, authenticator):
    client.force_login(analyst)

    response = client.post(
        VERIFY, {"code": code_for(authenticator.key), "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


def test_setting_up_an_app_shows_its_key_as_a_qr_code_and_as_text(client, analyst):
    client.force_login(analyst)

    response = client.get(f"{SETUP}?next=/review/")

    assert response.status_code == 200
    key = client.session[PENDING_KEY]
    assert '<svg role="img"' in response.text
    assert "<title>QR code of your setup key</title>" in response.text
    shown = response.context["setup_key"]
    assert len(shown.replace(" ", "")) == 32
    assert shown in response.text
    # A reload shows the same key, so a code made before it still works.
    assert client.get(SETUP).context["setup_key"] == shown
    assert client.session[PENDING_KEY] == key
    assert not TOTPDevice.objects.filter(user=analyst).exists()


def test_setting_up_with_the_right_code_saves_the_app_and_lets_the_analyst_in(client, analyst):
    client.force_login(analyst)
    client.get(SETUP)
    key = client.session[PENDING_KEY]

    response = client.post(SETUP, {"code": code_for(key), "next": "/review/"})

    assert response["Location"] == "/review/"
    device = TOTPDevice.objects.get(user=analyst)
    assert device.confirmed
    assert device.key == key
    assert PENDING_KEY not in client.session
    assert client.get("/review/").status_code == 200


def test_setting_up_with_a_wrong_code_saves_nothing(client, analyst):
    client.force_login(analyst)
    client.get(SETUP)
    key = client.session[PENDING_KEY]

    response = client.post(SETUP, {"code": code_for(key, steps_ahead=5)})

    assert response.status_code == 200
    assert "The security code is wrong or has expired" in response.text
    assert not TOTPDevice.objects.filter(user=analyst).exists()


def test_a_password_alone_cannot_add_a_second_app(client, analyst, authenticator):
    client.force_login(analyst)

    response = client.get(f"{SETUP}?next=/review/")
    posted = client.post(SETUP, {"code": "123456"})

    assert response["Location"] == f"{VERIFY}?next=%2Freview%2F"
    assert posted.status_code == 302
    assert TOTPDevice.objects.filter(user=analyst).count() == 1


def test_an_approver_is_asked_too(client, approver):
    client.force_login(approver)

    assert client.get("/review/")["Location"].startswith(SETUP)


def test_a_pcc_office_user_is_not_asked(client, office_user):
    client.force_login(office_user)

    assert client.get("/portal/").status_code == 200
    assert client.get(SETUP).status_code == 404
    assert client.get(VERIFY).status_code == 404


def test_public_pages_and_signing_out_need_no_code(client, analyst):
    client.force_login(analyst)

    assert client.get("/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_admin_requires_a_code(client, administrator):
    client.force_login(administrator)

    response = client.get("/admin/bids/bid/")

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fadmin%2Fbids%2Fbid%2F"
    client.get(SETUP)
    client.post(SETUP, {"code": code_for(client.session[PENDING_KEY])})
    assert client.get("/admin/bids/bid/").status_code == 200


def test_the_admin_sign_in_page_is_the_services_own(client):
    response = client.get("/admin/login/?next=/admin/bids/")

    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fbids%2F"


@override_settings(FUNDTRACKER_OTP_REQUIRED=False)
def test_with_the_setting_off_nobody_is_asked(client, analyst, authenticator):
    client.force_login(analyst)

    assert client.get("/review/").status_code == 200


def test_a_deployment_without_the_second_factor_fails_the_deploy_check(settings):
    assert second_factor_is_required(None) == []
    settings.FUNDTRACKER_OTP_REQUIRED = False

    warnings = second_factor_is_required(None)

    assert [w.id for w in warnings] == ["accounts.W001"]
    assert warnings[0].level == checks.WARNING


@override_settings(FUNDTRACKER_OTP_REQUIRED=False)
def test_the_admin_lists_apps_without_showing_their_keys(client, administrator, authenticator):
    client.force_login(administrator)

    response = client.get(f"/admin/otp_totp/totpdevice/{authenticator.pk}/change/")

    assert response.status_code == 200
    assert "Authenticator app" in response.text
    assert authenticator.key not in response.text
    assert "otpauth://" not in response.text

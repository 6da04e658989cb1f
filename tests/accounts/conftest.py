import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory


def code_for(key_hex: str, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app holding ``key_hex`` shows now (or ``steps_ahead`` later)."""
    totp = TOTP(bytes.fromhex(key_hex))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


@pytest.fixture
def second_factor_on(settings):
    settings.FUNDTRACKER_OTP_REQUIRED = True


@pytest.fixture
def authenticator(analyst):
    """The analyst's confirmed authenticator app."""
    return TOTPDevice.objects.create(user=analyst, name="Authenticator app", confirmed=True)


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin-user", is_staff=True, is_superuser=True)

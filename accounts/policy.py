"""Who must prove a second factor, and where that proof is kept."""

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from bids.permissions import is_caseworker


def second_factor_applies(user) -> bool:
    """Home Office staff (analysts, approvers, administrators) see unpublished bids, reviews and
    payments, so they sign in with an authenticator app as well as a password. PCC office users
    see only their own force's bids and are not asked.
    """
    return is_caseworker(user)


def second_factor_enforced(user) -> bool:
    """``second_factor_applies`` while ``FUNDTRACKER_OTP_REQUIRED`` is on."""
    return bool(settings.FUNDTRACKER_OTP_REQUIRED) and second_factor_applies(user)


def authenticator_of(user) -> TOTPDevice | None:
    """The user's confirmed authenticator app; one a user, set up once."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()

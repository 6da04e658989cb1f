"""Security codes from an authenticator app, and the sign-in form once locked out."""

import math
import re
import time
from binascii import unhexlify

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_otp.oath import TOTP

CODE_DIGITS = 6
# Codes of the step before and after the current one are accepted: phone clocks drift.
CODE_TOLERANCE = 1


def _code_field():
    return forms.CharField(
        label="Security code",
        help_text="The 6-digit code your authenticator app shows now",
        max_length=20,
        error_messages={"required": "Enter the security code from your authenticator app"},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
            }
        ),
    )


def _digits(value: str) -> str:
    # People copy codes with the space some apps show in the middle ("123 456").
    code = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
        raise ValidationError(
            "Enter the security code as 6 digits, for example 123456", code="format"
        )
    return code


class SetUpAuthenticatorForm(forms.Form):
    """Confirms that the app holds ``key`` (hex) by checking a code made from it.

    The key is checked here rather than through a device object: django-otp's devices save
    themselves on every check, and nothing may be saved until the code is right.
    """

    code = _code_field()

    def __init__(self, *args, key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key
        self.last_t = None
        self.drift = 0

    def clean_code(self):
        code = _digits(self.cleaned_data["code"])
        totp = TOTP(unhexlify(self.key.encode()))
        totp.time = time.time()
        if not totp.verify(int(code), tolerance=CODE_TOLERANCE):
            raise ValidationError(
                "The security code is wrong or has expired. Check that the app was set up with "
                "the key on this page and enter the code it shows now",
                code="wrong",
            )
        self.last_t = totp.t()
        self.drift = totp.drift
        return code


class SecurityCodeForm(forms.Form):
    """A code from the authenticator app ``device``, with django-otp's throttling: each wrong
    code doubles the wait before the next may be tried."""

    code = _code_field()

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = _digits(self.cleaned_data["code"])
        allowed, details = self.device.verify_is_allowed()
        if not allowed:
            raise ValidationError(self._wait_message(details), code="throttled")
        if not self.device.verify_token(code):
            raise ValidationError(
                "The security code is wrong or has expired. Enter the code your app shows now",
                code="wrong",
            )
        return code

    @staticmethod
    def _wait_message(details) -> str:
        locked_until = (details or {}).get("locked_until")
        seconds = (
            max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
            if locked_until
            else 60
        )
        if seconds < 120:
            wait = "1 second" if seconds == 1 else f"{seconds} seconds"
        else:
            wait = f"{math.ceil(seconds / 60)} minutes"
        return f"You have entered too many wrong codes. Wait {wait}, then try again"


class LockedOutSignInForm(AuthenticationForm):
    """The sign-in form answered with one error and no authentication: too many failed attempts
    from this address for this username."""

    def __init__(self, *args, wait_minutes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.wait_minutes = wait_minutes

    def clean(self):
        raise ValidationError(
            "You have entered a wrong username or password too many times. "
            f"Wait {self.wait_minutes} minutes, then try again",
            code="locked_out",
        )

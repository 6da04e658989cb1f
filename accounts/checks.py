from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def second_factor_is_required(app_configs, **kwargs):
    """A deployment that lets staff in with a password alone should not pass ``check --deploy``."""
    if settings.FUNDTRACKER_OTP_REQUIRED:
        return []
    return [
        Warning(
            "FUNDTRACKER_OTP_REQUIRED is off: analysts, approvers and administrators can sign in "
            "without an authenticator app.",
            hint="Set FUNDTRACKER_OTP_REQUIRED = True in the production settings.",
            id="accounts.W001",
        )
    ]

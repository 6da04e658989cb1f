"""Idle sign-out and the second-factor gate."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from .policy import authenticator_of, second_factor_enforced

LAST_SEEN_KEY = "accounts:last_seen"
# The last-seen time is written at most once a minute, so a signed-in user's pages do not each
# write the session; the idle timeout is therefore exact to within a minute.
LAST_SEEN_RESOLUTION = 60


def mark_activity(request) -> None:
    if settings.FUNDTRACKER_SESSION_IDLE_TIMEOUT:
        request.session[LAST_SEEN_KEY] = int(time.time())


class IdleSessionMiddleware:
    """Signs a user out after ``FUNDTRACKER_SESSION_IDLE_TIMEOUT`` seconds without a request,
    and says so on the next page.

    Django's own expiry (``SESSION_COOKIE_AGE`` with ``SESSION_SAVE_EVERY_REQUEST``) would end
    an idle session too, but it writes the session on every request and lets the session simply
    vanish, so the sign-in page could not tell the user why they were signed out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = settings.FUNDTRACKER_SESSION_IDLE_TIMEOUT
        if timeout and request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - last_seen > timeout:
                logout(request)
                minutes = round(timeout / 60)
                messages.info(
                    request,
                    f"We signed you out because you had not used the service for {minutes} "
                    "minutes.",
                )
            elif last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


def second_factor_not_required(view_func):
    """Marks a view a signed-in user may reach before proving their second factor (the
    second-factor pages themselves, signing out)."""
    view_func.second_factor_required = False
    return view_func


def second_factor_url(request, user, next_url: str) -> str:
    """Where ``user`` proves their second factor: setting up an app first if they have none."""
    name = "two_factor_verify" if authenticator_of(user) else "two_factor_setup"
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


class SecondFactorMiddleware:
    """Lets no signed-in analyst, approver or administrator reach a page that needs sign-in, nor
    the admin, before they have entered a code from their authenticator app in this session.

    Public pages stay open to them: they are open to everyone. Must come after django-otp's
    ``OTPMiddleware`` (which tells whether the session is verified) and after
    ``LoginRequiredMiddleware`` (which deals with visitors who are not signed in).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.FUNDTRACKER_OTP_REQUIRED:
            return None
        if not getattr(view_func, "second_factor_required", True):
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        # The admin's views are open to LoginRequiredMiddleware (the admin checks sign-in
        # itself), so the admin is named here.
        needs_sign_in = getattr(view_func, "login_required", True) or request.path_info.startswith(
            reverse("admin:index")
        )
        if not needs_sign_in or user.is_verified() or not second_factor_enforced(user):
            return None
        return redirect(second_factor_url(request, user, request.get_full_path()))

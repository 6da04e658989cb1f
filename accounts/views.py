"""Sign-in, the second factor and the lock-out page."""

import math
from base64 import b32encode
from binascii import unhexlify
from urllib.parse import urlencode

import segno
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from .forms import LockedOutSignInForm, SecurityCodeForm, SetUpAuthenticatorForm
from .middleware import second_factor_not_required, second_factor_url
from .policy import authenticator_of, second_factor_applies, second_factor_enforced

# The key of an app being set up lives in the session until a code made from it is entered:
# the device is saved only once the user has shown that their app holds the key.
PENDING_KEY = "accounts:pending_authenticator_key"
DEVICE_NAME = "Authenticator app"


class SignInView(auth_views.LoginView):
    """Django's sign-in, sending Home Office staff on to their second factor."""

    def get_success_url(self):
        next_url = super().get_success_url()
        user = self.request.user
        # A password alone never verifies a session; the code page sends on a user whose
        # session was verified before they signed in again.
        if second_factor_enforced(user):
            return second_factor_url(self.request, user, next_url)
        return next_url


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a sign-in attempt from a locked-out username and address: the
    sign-in page again, with a message saying how long to wait (status 429)."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else 15
    form = LockedOutSignInForm(request, data=request.POST or None, wait_minutes=minutes)
    form.is_valid()  # puts the lock-out message in the form's errors
    context = {"form": form, "next": request.POST.get("next", ""), "locked_out": True}
    return render(request, "registration/login.html", context, status=429)


@login_not_required
def admin_sign_in(request):
    """The admin's own sign-in form would skip the lock-out message and the second factor's
    hand-over; everyone signs in on the service's page."""
    query = urlencode({"next": request.GET.get("next", reverse("admin:index"))})
    return HttpResponseRedirect(f"{reverse('login')}?{query}")


class _SecondFactorView(FormView):
    """Open to signed-in Home Office staff only: for anyone else there is no such page."""

    def dispatch(self, request, *args, **kwargs):
        if not second_factor_applies(request.user):
            raise Http404("This account does not use an authenticator app.")
        return super().dispatch(request, *args, **kwargs)

    def next_url(self) -> str:
        candidate = self.request.POST.get("next") or self.request.GET.get("next", "")
        if url_has_allowed_host_and_scheme(
            candidate,
            allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            return candidate
        return resolve_url(settings.LOGIN_REDIRECT_URL)

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=self.next_url(), **kwargs)

    def signed_in_with(self, device):
        otp_login(self.request, device)
        # The session now carries more trust than it did: a new key, as at sign-in.
        self.request.session.cycle_key()
        return redirect(self.next_url())


class SetUpAuthenticatorView(_SecondFactorView):
    """Shows a new key (as a QR code and as text) and saves it once a code made from it is
    entered. A user who already has an app must use it: a stolen password alone must not be
    enough to add another."""

    template_name = "registration/two_factor_setup.html"
    form_class = SetUpAuthenticatorForm

    def dispatch(self, request, *args, **kwargs):
        if second_factor_applies(request.user) and authenticator_of(request.user):
            if request.user.is_verified():
                return redirect(self.next_url())
            return redirect(second_factor_url(request, request.user, self.next_url()))
        return super().dispatch(request, *args, **kwargs)

    def pending_key(self) -> str:
        key = self.request.session.get(PENDING_KEY)
        if key is None:
            key = self.request.session[PENDING_KEY] = default_key()
        return key

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "key": self.pending_key()}

    def get_context_data(self, **kwargs):
        key = self.pending_key()
        device = TOTPDevice(user=self.request.user, key=key, name=DEVICE_NAME)
        qr = segno.make(device.config_url, error="m")
        # Dark on white whatever the page around it: scanners need the contrast and the quiet
        # border.
        svg = qr.svg_inline(
            scale=5,
            border=4,
            dark="#000",
            light="#fff",
            title="QR code of your setup key",
            svgclass=None,
            lineclass=None,
        ).replace("<svg ", '<svg role="img" ', 1)
        secret = b32encode(unhexlify(key.encode())).decode()
        return super().get_context_data(
            qr_code_svg=svg,
            setup_key=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            **kwargs,
        )

    def form_valid(self, form):
        device = TOTPDevice.objects.create(
            user=self.request.user,
            name=DEVICE_NAME,
            key=form.key,
            confirmed=True,
            last_t=form.last_t,
            drift=form.drift,
        )
        del self.request.session[PENDING_KEY]
        return self.signed_in_with(device)


class EnterSecurityCodeView(_SecondFactorView):
    template_name = "registration/two_factor_verify.html"
    form_class = SecurityCodeForm

    def dispatch(self, request, *args, **kwargs):
        if second_factor_applies(request.user):
            if request.user.is_verified():
                return redirect(self.next_url())
            self.device = authenticator_of(request.user)
            if self.device is None:
                query = urlencode({"next": self.next_url()})
                return redirect(f"{reverse('two_factor_setup')}?{query}")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "device": self.device}

    def form_valid(self, form):
        return self.signed_in_with(self.device)


def _second_factor_page(view_class):
    view = sensitive_post_parameters("code")(never_cache(view_class.as_view()))
    return second_factor_not_required(view)


set_up_authenticator = _second_factor_page(SetUpAuthenticatorView)
enter_security_code = _second_factor_page(EnterSecurityCodeView)
sign_out = second_factor_not_required(auth_views.LogoutView.as_view())
sign_in = SignInView.as_view()

"""Sign-in, sign-out, password change and reset, and the second factor, under ``accounts/``."""

from django.contrib.auth import urls as auth_urls
from django.urls import path

from . import views

# Django's own account pages, but sign-in and sign-out come from here (sign-in hands over to
# the second factor; signing out must work before it is given).
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("two-factor/set-up/", views.set_up_authenticator, name="two_factor_setup"),
    path("two-factor/", views.enter_security_code, name="two_factor_verify"),
    *(p for p in auth_urls.urlpatterns if p.name not in {"login", "logout"}),
]

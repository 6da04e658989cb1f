"""Local development: debug on, console email, SQLite unless DATABASE_URL says otherwise."""

import os

os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

from .base import *  # noqa: F403
from .base import env, env_bool, env_list

SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", default=True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

# The demo's analyst and approver accounts sign in with their password alone, so a first look
# needs no authenticator app; FUNDTRACKER_OTP_REQUIRED=1 in the environment asks for one.
FUNDTRACKER_OTP_REQUIRED = env_bool("FUNDTRACKER_OTP_REQUIRED", default=False)
